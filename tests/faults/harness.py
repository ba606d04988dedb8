"""A running deployment for the fault-injection suite, and the checks every scenario ends with.

The deployment is what a user runs: `newsflow up --stack apache` in a temporary home (Apache Kafka and an
Elasticsearch node as two JVMs, so either can fail alone), fed through `newsflow feed`. Every scenario
asserts from Elasticsearch itself that each fed article is there exactly once, in one index of all those
behind the alias pattern, at the newest version enrich produced for it; that the dead-letter topic holds
nothing it should not; and that consumer lag returns to zero.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.corpus import paragraphs
from newsflow.cli.procs import Proc, alive
from newsflow.cli.settings import CliSettings
from newsflow.contract import ArticleSubmission, DeadLetter, Topics
from newsflow.exporter.lag import LagReader, consumer_lag, pipeline_groups
from newsflow.runtime.servers import wait_until
from newsflow.stages.ingest.prepare import article_id
from tests.integration.kafka_util import read_all
from tests.running import REPO, cli, local_stack_env, log_tail

CRASH_MARKER = "ZZ-newsflow-fault-injection-crash-ZZ"


def corpus(tag: str, count: int, seed: int = 11) -> list[dict]:
    """``count`` distinct short articles (2 to 4 paragraphs), each with its own URL, so its own id."""
    rng = random.Random(f"{tag}-{seed}")
    pool = paragraphs()
    out = []
    for n in range(count):
        body = "\n\n".join(rng.sample(pool, rng.randint(2, 4)))
        out.append(
            {
                "title": f"{tag} article {n}",
                "text": body,
                "source": f"faults-{tag}",
                "url": f"https://example.org/faults/{tag}/{n}",
                "published": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            }
        )
    return out


def ids_of(articles: list[dict]) -> set[str]:
    return {article_id(ArticleSubmission.model_validate(a)) for a in articles}


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus text exposition as {"name{labels}": value}."""
    out = {}
    for line in text.splitlines():
        if m := _SAMPLE.match(line):
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


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

    @property
    def settings(self) -> CliSettings:
        fields = CliSettings.model_fields
        return CliSettings(
            **{
                k.removeprefix("NEWSFLOW_").lower(): v
                for k, v in self.env.items()
                if k.startswith("NEWSFLOW_") and k.removeprefix("NEWSFLOW_").lower() in fields
            }
        )

    def proc(self, name: str) -> Proc:
        """The Proc `newsflow up` started for ``name`` (same pid file and argv)."""
        from newsflow.cli import stack

        (comp,) = [c for c in stack.components(self.settings) if c.name == name]
        return comp.proc

    def pid(self, name: str) -> int:
        pid = self.proc(name).pid()
        assert pid, f"{name} is not running"
        return pid

    def kill(self, name: str) -> int:
        """SIGKILL ``name``'s process group, as the kernel's OOM killer or a crash would; proves it is gone."""
        pid = self.proc(name).kill()
        assert pid and not alive(pid), f"{name} (pid {pid}) survived SIGKILL"
        assert self.proc(name).pid() is None
        return pid

    def up_restarts(self, name: str, killed: int) -> int:
        """`newsflow up`, as the user does; proves it started ``name`` again, as a new process."""
        self.up()
        pid = self.pid(name)
        assert pid != killed, f"{name} still has the pid {killed} of the process that was killed"
        return pid

    def port(self, service: str) -> int:
        return int(self.env[f"NEWSFLOW_{service.upper()}_PORT"])

    def ready(self, service: str) -> tuple[int, dict]:
        from newsflow.runtime.servers import http_json

        code, body = http_json(f"http://127.0.0.1:{self.port(service)}/readyz")
        return code, body or {}

    def metrics(self, service: str) -> dict[str, float]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port(service)}/metrics", timeout=10) as resp:
            return parse_metrics(resp.read().decode())

    def start_feeding(self, articles: list[dict], tmp: Path, **env: str) -> subprocess.Popen:
        """`newsflow feed` of ``articles`` in the background, as a user would from another terminal."""
        path = tmp / f"feed-{time.monotonic_ns()}.jsonl"
        path.write_text("".join(json.dumps(a) + "\n" for a in articles))
        return subprocess.Popen(
            [sys.executable, "-m", "newsflow.cli.main", "feed", str(path)],
            env=self.env | env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def feed(self, articles: list[dict], tmp: Path, **env: str) -> str:
        proc = self.start_feeding(articles, tmp, **env)
        return finish(proc)

    # -- reading it -----------------------------------------------------------
    def topic(self, name: str) -> str:
        return self.settings.scoped(name)

    @property
    def alias(self) -> str:
        return self.settings.alias

    @property
    def kafka_config(self) -> dict:
        return {"bootstrap_servers": [self.env["NEWSFLOW_KAFKA_BOOTSTRAP"]]}

    def es(self):
        return self.settings.elasticsearch(request_timeout=30)

    def end_offsets(self, topic: str) -> int:
        """Messages ever written to ``topic`` (the pipeline's name for it): the sum of its partitions' end offsets."""
        reader = LagReader(self.kafka_config, client_id="newsflow-faults")
        try:
            return sum(reader.end_offsets([self.topic(topic)]).values())
        finally:
            reader.close()

    def stored(self, tag: str) -> dict[str, list[tuple[str, int]]]:
        """Every copy of this scenario's articles in every index behind the alias pattern: id → [(index, version)].
        A second copy, in the same index or in another, shows as a second entry."""
        es = self.es()
        pattern = f"{self.alias}*"
        es.indices.refresh(index=pattern)
        res = es.search(
            index=pattern,
            query={"term": {"source": f"faults-{tag}"}},
            size=10_000,
            source=False,
            version=True,
            track_total_hits=True,
        )
        assert res["hits"]["total"]["value"] == len(res["hits"]["hits"])
        out: dict[str, list[tuple[str, int]]] = {}
        for hit in res["hits"]["hits"]:
            out.setdefault(hit["_id"], []).append((hit["_index"], hit["_version"]))
        return out

    def stored_count(self, tag: str) -> int:
        try:
            es = self.es()
            es.indices.refresh(index=self.alias)
            return es.count(index=self.alias, query={"term": {"source": f"faults-{tag}"}})["count"]
        except Exception:  # noqa: BLE001 - Elasticsearch down in the middle of a scenario
            return -1

    def newest_enrichments(self, ids: set[str]) -> dict[str, int]:
        """The highest version enrich ever produced for each of ``ids``, read from the enriched topic."""
        records = read_all(self.env["NEWSFLOW_KAFKA_BOOTSTRAP"], self.topic(Topics.ENRICHED), expect=0, timeout=120)
        newest: dict[str, int] = {}
        for r in records:
            key = (r.key or b"").decode(errors="replace")
            if key in ids:
                version = json.loads(r.value)["version"]
                newest[key] = max(newest.get(key, 0), version)
        return newest

    def total_lag(self) -> int:
        return sum(r["lag"] for r in consumer_lag(self.kafka_config, pipeline_groups(self.settings)))

    def group_lag(self, group: str) -> int:
        groups = {g: t for g, t in pipeline_groups(self.settings).items() if g == self.settings.scoped(group)}
        return sum(r["lag"] for r in consumer_lag(self.kafka_config, groups))

    def dead_letters(self, since: int) -> list[DeadLetter]:
        """Dead letters written at or after offset ``since`` of the dead-letter topic (one partition)."""
        total = self.end_offsets(Topics.DEADLETTER)
        if total <= since:
            return []
        records = read_all(self.env["NEWSFLOW_KAFKA_BOOTSTRAP"], self.topic(Topics.DEADLETTER), expect=total)
        return [DeadLetter.model_validate_json(r.value) for r in records if r.offset >= since]

    # -- the end of every scenario -----------------------------------------------
    def assert_exactly_once(
        self, tag: str, expected: set[str], dead_letters_since: int, expected_letters: int = 0, timeout: float = 240
    ) -> None:
        wait_until(
            lambda: self.stored_count(tag) >= len(expected),
            timeout,
            f"all {len(expected)} articles of {tag!r} searchable (have {self.stored_count(tag)})",
            interval=0.5,
        )
        wait_until(lambda: self.total_lag() == 0, 120, "consumer lag back to zero", interval=0.5)
        stored = self.stored(tag)
        copies = {i: where for i, where in stored.items() if len(where) > 1}
        assert not copies, f"{len(copies)} articles stored more than once, e.g. {next(iter(copies.items()))}"
        assert set(stored) == expected, (
            f"missing {len(expected - set(stored))}, unexpected {len(set(stored) - expected)}"
        )
        newest = self.newest_enrichments(expected)
        assert set(newest) == expected, f"{len(expected - set(newest))} stored articles were never enriched"
        behind = {i: (stored[i][0][1], newest[i]) for i in expected if stored[i][0][1] != newest[i]}
        assert not behind, (
            f"{len(behind)} documents are not at their newest enrichment, e.g. {next(iter(behind.items()))}"
        )
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
    wait_until(
        lambda: not alive(pid),
        timeout,
        f"{proc.name} exiting after SIGTERM (log: {proc.logfile})\n" + log_tail(proc),
        interval=0.05,
    )
    proc.pidfile.unlink(missing_ok=True)
    return time.monotonic() - started


TUNING = dict(
    NEWSFLOW_ENRICH_PROCESSES="2",
    NEWSFLOW_BULK_MAX_WAIT_S="0.3",
    NEWSFLOW_ENRICH_BATCH="32",
    NEWSFLOW_ENRICH_BATCH_WAIT_S="0.2",
    NEWSFLOW_FEED_BATCH="20",
    NEWSFLOW_RETRY_MAX_BACKOFF_S="2",
    NEWSFLOW_ENRICH_CRASH_MARKER=CRASH_MARKER,
    NEWSFLOW_PROMETHEUS="off",
)


def deployment_env(home: Path, stack: str = "apache") -> dict[str, str]:
    """A deployment of its own local stack on free ports, tuned for short scenarios."""
    return local_stack_env(home, stack, **TUNING)
