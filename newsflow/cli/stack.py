"""The local deployment `newsflow up` manages: the local stack, the lag exporter, a CoreNLP server where enrich
reads a language with it, the services, Prometheus.

The local stack is two processes, one for Kafka and one for Elasticsearch, each with its own data
directory, so either can fail or restart (an outage, a broker restart) while the other keeps running, as
on a real deployment. Which two is the stack's choice (NEWSFLOW_STACK, `newsflow up --stack`):

- ``embedded``: noida-db twice, one serving the Kafka protocol and one the Elasticsearch API;
- ``apache``: Apache Kafka's broker and an Elasticsearch node, two JVMs (newsflow/cli/local/apache.py).

Ports, commands and services are the same on both. `newsflow up` records the stack it started in the
home, so `status` and `down` act on what runs even where NEWSFLOW_STACK now says otherwise.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from newsflow.cli.local import apache
from newsflow.cli.local.embedded import noida_argv
from newsflow.cli.procs import Proc
from newsflow.cli.settings import CliSettings
from newsflow.contract.stages import STAGES
from newsflow.runtime.servers import es_up, http_json, http_status, kafka_up

STACKS = ("embedded", "apache")

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Component:
    name: str
    proc: Proc
    address: str
    probe: Callable[[], tuple[bool, dict]]
    group: str | None = None  # the consumer group of a consuming service
    infrastructure: bool = False  # part of the local stack: `newsflow init` runs once it is up
    # Run before starting it (assembling, writing its configuration); given a function that shows progress.
    prepare: Callable[[Callable[[str], None]], object] | None = None
    ports: tuple[tuple[str, str, int], ...] = ()  # (what for, host, port) it binds: checked free before it starts

    def status(self) -> dict:
        pid = self.proc.pid()
        ok, detail = self.probe() if pid else (False, {})
        health = "healthy" if pid and ok else ("unhealthy" if pid else "stopped")
        return {
            "name": self.name,
            "pid": pid,
            "address": self.address,
            "health": health,
            "detail": detail,
            "log": str(self.proc.logfile),
        }


def _hostport(bootstrap: str) -> tuple[str, int]:
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    return host, int(port)


def manages_stack(s: CliSettings) -> bool:
    if s.local_stack == "none":
        return False
    es = urlsplit(s.es_url)
    local = es.hostname in LOCAL_HOSTS and _hostport(s.kafka_bootstrap)[0] in LOCAL_HOSTS
    return s.local_stack == "always" or local


def _record(s: CliSettings) -> Path:
    return s.home.resolve() / "run" / "stack"


def recorded_stack(s: CliSettings) -> str | None:
    """The stack `newsflow up` last started in this home, until `newsflow down` stops it."""
    try:
        name = _record(s).read_text().strip()
    except OSError:
        return None
    return name if name in STACKS else None


def record_stack(s: CliSettings, name: str | None) -> None:
    path = _record(s)
    if name is None:
        path.unlink(missing_ok=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name + "\n")


def current_stack(s: CliSettings) -> str:
    """The stack to show and stop: the one running here if any, else the configured one."""
    return recorded_stack(s) or s.stack


def prometheus_binary(s: CliSettings) -> str | None:
    """Prometheus from the system (Debian: `apt-get install prometheus`), unless turned off, or there is no
    deploy/prometheus/ to configure it from (a wheel run outside the repository)."""
    from newsflow.cli.prometheus import deploy_dir

    if s.prometheus == "off" or deploy_dir() is None:
        return None
    return shutil.which("prometheus")


def _ready_probe(port: int) -> Callable[[], tuple[bool, dict]]:
    def probe():
        code, body = http_json(f"http://127.0.0.1:{port}/readyz")
        return code == 200, body or {}

    return probe


def archive_warnings(s: CliSettings) -> list[str]:
    """What `newsflow status` says when the embedded stack holds more than it serves well."""
    try:
        count = s.elasticsearch(request_timeout=10).count(index=s.alias, ignore_unavailable=True)["count"]
    except Exception:  # noqa: BLE001 - status must answer even when the count cannot be had
        return []
    if count <= s.embedded_article_limit:
        return []
    return [
        f"the embedded stack holds {count:,} articles, and its search slows past {s.embedded_article_limit:,} "
        "(see the README's archive figures). The apache stack (Apache Kafka and Elasticsearch) serves archives "
        "of this size: `newsflow down`, then `newsflow up --stack apache` and feed them again."
    ]


def _embedded(s: CliSettings, home: Path, env: dict) -> list[Component]:
    kafka_port = _hostport(s.kafka_bootstrap)[1]
    es_port = urlsplit(s.es_url).port or 9200
    return [
        Component(
            "kafka",
            Proc("kafka", noida_argv(home / "data" / "kafka", {"kafka": kafka_port}), home, env),
            s.kafka_bootstrap,
            lambda: (kafka_up(s.kafka_bootstrap), {}),
            infrastructure=True,
            ports=(("kafka", "127.0.0.1", kafka_port),),
        ),
        Component(
            "elasticsearch",
            Proc("elasticsearch", noida_argv(home / "data" / "elasticsearch", {"elasticsearch": es_port}), home, env),
            s.es_url,
            lambda: (es_up(s.es_url), {}),
            infrastructure=True,
            ports=(("elasticsearch", "127.0.0.1", es_port),),
        ),
    ]


def _apache(s: CliSettings, home: Path, env: dict) -> list[Component]:
    kafka = apache.KafkaNode(
        home / "data" / "apache" / "kafka",
        home / "apache" / "kafka",
        _hostport(s.kafka_bootstrap)[1],
        s.kafka_controller_port,
        s.kafka_heap,
    )
    es = apache.ElasticsearchNode(
        home / "data" / "apache" / "elasticsearch",
        home / "apache" / "elasticsearch",
        home / "logs" / "elasticsearch-node",
        urlsplit(s.es_url).port or 9200,
        s.es_transport_port,
        s.es_heap,
    )

    def prepare_kafka(say) -> None:
        dist = apache.kafka_dist(say)
        kafka.write_config()
        if kafka.format_storage(dist):
            say("formatted Kafka's storage")

    def prepare_es(say) -> None:
        apache.elasticsearch_dist(say)
        es.write_config()

    return [
        Component(
            "kafka",
            Proc("kafka", kafka.argv(apache.kafka_dist_dir()), home, env),
            s.kafka_bootstrap,
            lambda: (kafka_up(s.kafka_bootstrap), {}),
            infrastructure=True,
            prepare=prepare_kafka,
            ports=(("kafka", "127.0.0.1", kafka.port), ("kafka controller", "127.0.0.1", kafka.controller_port)),
        ),
        Component(
            "elasticsearch",
            Proc("elasticsearch", es.argv(apache.elasticsearch_dist_dir()), home, env),
            s.es_url,
            lambda: (es_up(s.es_url), {}),
            infrastructure=True,
            prepare=prepare_es,
            ports=(
                ("elasticsearch", "127.0.0.1", es.http_port),
                ("elasticsearch transport", "127.0.0.1", es.transport_port),
            ),
        ),
    ]


def _corenlp(s: CliSettings, home: Path, env: dict[str, str]) -> Component | None:
    """A CoreNLP server, where enrich is to read a language with it (NEWSFLOW_SPACY_MODEL names corenlp-<language>)
    and no NEWSFLOW_CORENLP_URL says where one already runs; enrich is then pointed at it."""
    from newsflow.cli.local.corenlp import CoreNLPServer, corenlp_dist, corenlp_dist_dir
    from newsflow.nlp.corenlp import PREFIX
    from newsflow.stages.enrich.settings import EnrichSettings

    enrich = EnrichSettings()
    if not any(m.strip().startswith(PREFIX) for m in enrich.spacy_model.split(",")) or enrich.corenlp_url:
        return None
    server = CoreNLPServer(s.corenlp_port)
    env["NEWSFLOW_CORENLP_URL"] = server.url
    return Component(
        "corenlp",
        Proc("corenlp", server.argv(corenlp_dist_dir()), home, env),
        server.url,
        lambda: (http_status(f"{server.url}/ready") == 200, {}),
        prepare=lambda say: corenlp_dist(say),
        ports=(("corenlp", "127.0.0.1", s.corenlp_port),),
    )


def components(s: CliSettings, stack: str | None = None) -> list[Component]:
    """In start order; `newsflow down` stops them in reverse. ``stack`` defaults to the one running here."""
    home = s.home.resolve()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    out = []
    if manages_stack(s):
        stack = stack or current_stack(s)
        if stack == "embedded":
            env.setdefault("NEWSFLOW_ALERTS_MATCH_ON", "batch-copy")  # newsflow/stages/index/alerts.py, BatchCopy
            out += _embedded(s, home, env)
        else:
            out += _apache(s, home, env)
    out.append(
        Component(
            "lag-exporter",
            Proc("lag-exporter", [sys.executable, "-m", "newsflow.cli.main", "exporter"], home, env),
            f"http://127.0.0.1:{s.lag_exporter_port}/metrics",
            _ready_probe(s.lag_exporter_port),
            ports=(("lag exporter", s.http_host, s.lag_exporter_port),),
        )
    )
    corenlp = _corenlp(s, home, env)
    if corenlp is not None:
        out.append(corenlp)
    for entry in STAGES:
        port = s.stage_port(entry.name)
        out.append(
            Component(
                entry.name,
                Proc(entry.name, [sys.executable, "-m", entry.module], home, env),
                f"http://127.0.0.1:{port}",
                _ready_probe(port),
                s.stage_group(entry.name) if entry.group else None,
                ports=((entry.name, s.http_host, port),),
            )
        )
    binary = prometheus_binary(s)
    if binary:
        from newsflow.cli import prometheus

        url = f"http://127.0.0.1:{s.prometheus_port}"
        out.append(
            Component(
                "prometheus",
                Proc("prometheus", prometheus.argv(binary, s, home), home, env),
                url,
                lambda: (http_status(f"{url}/-/ready") == 200, {}),
                prepare=lambda say: prometheus.write_config(s, home),
                ports=(("prometheus", "127.0.0.1", s.prometheus_port),),
            )
        )
    return out
