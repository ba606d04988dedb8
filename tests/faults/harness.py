"""A running deployment for the fault-injection suite, and the checks every scenario ends with.

The deployment is what a user runs: `newsflow up` in a temporary home (the local stack's Kafka and
Elasticsearch as two processes, so either can fail alone), fed through `newsflow feed`. Every scenario
asserts from Elasticsearch itself that each fed article is there exactly once, that the dead-letter
topic holds nothing it should not, and that consumer lag returns to zero.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.corpus import paragraphs
from newsflow.cli.lag import LagReader, consumer_lag, pipeline_groups
from newsflow.cli.procs import Proc, alive
from newsflow.cli.local.embedded import noida_binary
from newsflow.runtime.servers import free_port, http_json, wait_until
from newsflow.runtime.settings import CommonSettings
from schemas import ArticleSubmission, DeadLetter, Topics
from services.ingest.prepare import article_id
from tests.integration.kafka_util import read_all
from tests.running import REPO, cli, isolated_env, log_tail

CRASH_MARKER = "ZZ-newsflow-fault-injection-crash-ZZ"


def corpus(tag: str, count: int, seed: int = 11) -> list[dict]:
    """``count`` distinct short articles (2 to 4 paragraphs), each with its own URL, so its own id."""
    rng = random.Random(f"{tag}-{seed}")
    pool = paragraphs()
    out = []
    for n in range(count):
        body = "\n\n".join(rng.sample(pool, rng.randint(2, 4)))
        out.append({"title": f"{tag} article {n}", "text": body, "source": f"faults-{tag}",
                    "url": f"https://example.org/faults/{tag}/{n}",
                    "published": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"})
    return out


def ids_of(articles: list[dict]) -> set[str]:
    return {article_id(ArticleSubmission.model_validate(a)) for a in articles}


@dataclass
class Deployment:
    env: dict[str, str]
    home: Path

    # -- running it -----------------------------------------------------------
    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return cli(list(args), self.env, timeout=timeout)

    def up(self) -> None:
        done = self.cli("up")
        assert done.returncode == 0, done.stderr.decode()

    def proc(self, name: str) -> Proc:
        """The Proc `newsflow up` started for ``name`` (same pid file and argv)."""
        from newsflow.cli import stack
        from newsflow.cli.settings import CliSettings

        settings = CliSettings(**{k.removeprefix("NEWSFLOW_").lower(): v for k, v in self.env.items()
                                  if k.startswith("NEWSFLOW_") and k.removeprefix("NEWSFLOW_").lower()
                                  in CliSettings.model_fields})
        (comp,) = [c for c in stack.components(settings) if c.name == name]
        return comp.proc

    def pid(self, name: str) -> int:
        pid = self.proc(name).pid()
        assert pid, f"{name} is not running"
        return pid

    def local_service(self, action: str, service: str) -> None:
        """``noida-db stop|start|restart <service>`` on the local stack's process for it: the service's
        listener closes (every connection drops) and it saves its data; started again, it serves that data.
        Not a signal to the whole process: noida-db persists by snapshot, and a process stopped in the
        middle of writes has been seen to lose its last acknowledged ones (about 1 run in 12), which no
        client could make up for."""
        done = subprocess.run([noida_binary(), action, service, "--data-dir", str(self.home / "data" / service)],
                              capture_output=True, text=True, timeout=60)
        want = "stopped" if action == "stop" else "running"
        assert done.returncode == 0 and want in done.stdout, done.stdout + done.stderr

    def port(self, service: str) -> int:
        return int(self.env[f"NEWSFLOW_{service.upper()}_PORT"])

    def ready(self, service: str) -> tuple[int, dict]:
        code, body = http_json(f"http://127.0.0.1:{self.port(service)}/readyz")
        return code, body or {}

    def start_feeding(self, articles: list[dict], tmp: Path, **env: str) -> subprocess.Popen:
        """`newsflow feed` of ``articles`` in the background, as a user would from another terminal."""
        path = tmp / f"feed-{time.monotonic_ns()}.jsonl"
        path.write_text("".join(json.dumps(a) + "\n" for a in articles))
        return subprocess.Popen([sys.executable, "-m", "newsflow.cli.main", "feed", str(path)],
                                env=self.env | env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def feed(self, articles: list[dict], tmp: Path, **env: str) -> str:
        proc = self.start_feeding(articles, tmp, **env)
        return finish(proc)

    # -- reading it -----------------------------------------------------------
    @property
    def kafka_config(self) -> dict:
        return {"bootstrap_servers": [self.env["NEWSFLOW_KAFKA_BOOTSTRAP"]]}

    def es(self):
        return CommonSettings(es_url=self.env["NEWSFLOW_ES_URL"]).elasticsearch(request_timeout=30)

    def end_offsets(self, topic: str) -> int:
        """Messages ever written to ``topic``: the sum of its partitions' end offsets."""
        reader = LagReader(self.kafka_config, client_id="newsflow-faults")
        try:
            return sum(reader.end_offsets([topic]).values())
        finally:
            reader.close()

    def stored_ids(self, tag: str) -> list[str]:
        """Every document id of this scenario's source, repeats included (a second copy would show twice)."""
        es = self.es()
        es.indices.refresh(index="articles")
        res = es.search(index="articles", query={"term": {"source": f"faults-{tag}"}}, size=10_000, source=False,
                        track_total_hits=True)
        assert res["hits"]["total"]["value"] == len(res["hits"]["hits"])
        return [h["_id"] for h in res["hits"]["hits"]]

    def stored_count(self, tag: str) -> int:
        try:
            es = self.es()
            es.indices.refresh(index="articles")
            return es.count(index="articles", query={"term": {"source": f"faults-{tag}"}})["count"]
        except Exception:  # noqa: BLE001 - Elasticsearch down in the middle of a scenario
            return -1

    def total_lag(self) -> int:
        groups = pipeline_groups("newsflow-enrich", "newsflow-index")
        return sum(r["lag"] for r in consumer_lag(self.kafka_config, groups))

    def dead_letters(self, since: int) -> list[DeadLetter]:
        """Dead letters written at or after offset ``since`` of the dead-letter topic (one partition)."""
        total = self.end_offsets(Topics.DEADLETTER)
        if total <= since:
            return []
        records = read_all(self.env["NEWSFLOW_KAFKA_BOOTSTRAP"], Topics.DEADLETTER, expect=total)
        return [DeadLetter.model_validate_json(r.value) for r in records if r.offset >= since]

    # -- the end of every scenario -----------------------------------------------
    def assert_exactly_once(self, tag: str, expected: set[str], dead_letters_since: int,
                            expected_letters: int = 0, timeout: float = 240) -> None:
        wait_until(lambda: self.stored_count(tag) >= len(expected), timeout,
                   f"all {len(expected)} articles of {tag!r} searchable (have {self.stored_count(tag)})", interval=0.5)
        wait_until(lambda: self.total_lag() == 0, 120, "consumer lag back to zero", interval=0.5)
        stored = self.stored_ids(tag)
        assert len(stored) == len(set(stored)), "an article is stored more than once"
        assert set(stored) == expected, (f"missing {len(expected - set(stored))}, "
                                         f"unexpected {len(set(stored) - expected)}")
        letters = self.dead_letters(dead_letters_since)
        assert len(letters) == expected_letters, [(d.stage, d.error_type, d.error_message[:80]) for d in letters]


def finish(proc: subprocess.Popen, timeout: float = 300) -> str:
    out, errs = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"feed failed ({proc.returncode}):\n{out.decode()}\n{errs.decode()[-3000:]}"
    return out.decode()


def wait_mid_run(progress, low: int, high: int, what: str, timeout: float = 120) -> int:
    """Wait until ``progress()`` reaches ``low``; fail if it already passed ``high`` (the run was not mid-way)."""
    seen = {"value": 0}

    def reached() -> bool:
        seen["value"] = progress()
        return seen["value"] >= low

    wait_until(reached, timeout, f"{what} reaching {low}", interval=0.05)
    assert seen["value"] < high, f"{what} was already at {seen['value']} of {high}: the fault came too late"
    return seen["value"]


def terminate(proc: Proc, timeout: float) -> float:
    """SIGTERM the process group as an orchestrator would; the seconds it took to exit by itself."""
    pid = proc.pid()
    assert pid
    started = time.monotonic()
    os.killpg(pid, signal.SIGTERM)
    wait_until(lambda: not alive(pid), timeout, f"{proc.name} exiting after SIGTERM (log: {proc.logfile})\n"
               + log_tail(proc), interval=0.05)
    proc.pidfile.unlink(missing_ok=True)
    return time.monotonic() - started


def deployment_env(home: Path) -> dict[str, str]:
    return isolated_env(
        home,
        NEWSFLOW_KAFKA_BOOTSTRAP=f"127.0.0.1:{free_port()}", NEWSFLOW_ES_URL=f"http://127.0.0.1:{free_port()}",
        NEWSFLOW_ENRICH_PROCESSES="2", NEWSFLOW_BULK_MAX_WAIT_S="0.3", NEWSFLOW_ENRICH_BATCH="32",
        NEWSFLOW_ENRICH_BATCH_WAIT_S="0.2", NEWSFLOW_FEED_BATCH="20", NEWSFLOW_RETRY_MAX_BACKOFF_S="2",
        NEWSFLOW_ENRICH_CRASH_MARKER=CRASH_MARKER, NEWSFLOW_PROMETHEUS="off",
    )
