"""Real Kafka and Elasticsearch servers for the tests, never mocks.

The reference is the ``apache`` stack: Apache Kafka and an Elasticsearch node from their artifacts on Maven
Central, started the way `newsflow up --stack apache` starts them (newsflow/cli/local/apache.py). They start
once per test session, on free ports with temporary data directories, and every test gets a namespace of
its own (topics, consumer groups, the search alias), so tests share the servers and nothing else.

Every Kafka-facing test also runs on the two emulators newsflow stays compatible with, each started fresh
for the test (they start in well under a second): noida-db (the embedded stack) and Tansu.

NEWSFLOW_TEST_STACK picks the reference servers instead of the local apache stack:
- ``docker``: the real Apache Kafka and Elasticsearch images through testcontainers (needs an engine);
- ``external``: servers you give as NEWSFLOW_TEST_KAFKA_BOOTSTRAP and NEWSFLOW_TEST_ES_URL.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from newsflow.cli.local import apache
from newsflow.cli.local.embedded import noida_argv, tansu_argv
from newsflow.runtime.servers import es_up, free_port, kafka_up, stop_child, wait_until

STACK = os.environ.get("NEWSFLOW_TEST_STACK", "apache")
ALIAS = "articles"
_namespaces = itertools.count(1)


@dataclass
class Endpoints:
    kind: str  # which Kafka: apache, noida, tansu, docker or external
    kafka_bootstrap: str
    es_url: str | None = None
    namespace: str = ""
    procs: list = field(default_factory=list)

    def topic(self, name: str) -> str:
        return self.namespace + name

    def group(self, name: str) -> str:
        return self.namespace + name

    @property
    def alias(self) -> str:
        return self.namespace + ALIAS

    @property
    def kafka_config(self) -> dict:
        return {"bootstrap_servers": [self.kafka_bootstrap]}

    def env(self) -> dict[str, str]:
        env = {"NEWSFLOW_KAFKA_BOOTSTRAP": self.kafka_bootstrap, "NEWSFLOW_NAMESPACE": self.namespace}
        if self.es_url:
            env["NEWSFLOW_ES_URL"] = self.es_url
        return env


def new_namespace() -> str:
    return f"t{next(_namespaces)}-"


def _spawn(argv: list[str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )


def _stop(proc: subprocess.Popen) -> None:
    stop_child(proc)


def _wait(proc: subprocess.Popen, check, what: str, log: Path, timeout: float = 180) -> None:
    def ready() -> bool:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace").splitlines()[-30:] if log.exists() else []
            raise RuntimeError(f"{what} exited ({proc.returncode}) while starting:\n" + "\n".join(tail))
        return check()

    wait_until(ready, timeout, f"{what} (log: {log})", interval=0.2)


# -- the reference: the apache stack, once per session ---------------------------------------------------------


@contextmanager
def apache_servers(tmp: Path) -> Iterator[Endpoints]:
    """Apache Kafka and an Elasticsearch node, as `newsflow up --stack apache` runs them, on free ports."""
    say = lambda text: print(f"[apache stack] {text}", file=sys.stderr, flush=True)  # noqa: E731
    kafka_dist, es_dist = apache.kafka_dist(say), apache.elasticsearch_dist(say)
    kafka = apache.KafkaNode(tmp / "kafka-data", tmp / "kafka-config", free_port(), free_port(), heap="512m")
    es = apache.ElasticsearchNode(
        tmp / "es-data", tmp / "es-config", tmp / "es-logs", free_port(), free_port(), heap="768m"
    )
    kafka.write_config()
    kafka.format_storage(kafka_dist)
    es.write_config()
    procs = [_spawn(kafka.argv(kafka_dist), tmp / "kafka.log"), _spawn(es.argv(es_dist), tmp / "elasticsearch.log")]
    ep = Endpoints("apache", f"127.0.0.1:{kafka.port}", f"http://127.0.0.1:{es.http_port}", procs=procs)
    try:
        _wait(procs[0], lambda: kafka_up(ep.kafka_bootstrap), "Apache Kafka", tmp / "kafka.log")
        _wait(procs[1], lambda: es_up(ep.es_url), "Elasticsearch", tmp / "elasticsearch.log")
        yield ep
    finally:
        for p in procs:
            _stop(p)


@contextmanager
def docker() -> Iterator[Endpoints]:
    from testcontainers.elasticsearch import ElasticSearchContainer
    from testcontainers.kafka import KafkaContainer

    with (
        KafkaContainer(f"apache/kafka:{apache.kafka_version()}").with_kraft() as kafka,
        ElasticSearchContainer(f"elasticsearch:{apache.elasticsearch_version()}", mem_limit="2g") as es,
    ):
        yield Endpoints("docker", kafka.get_bootstrap_server(), es.get_url())


@contextmanager
def external() -> Iterator[Endpoints]:
    yield Endpoints("external", os.environ["NEWSFLOW_TEST_KAFKA_BOOTSTRAP"], os.environ.get("NEWSFLOW_TEST_ES_URL"))


@contextmanager
def reference_servers(tmp: Path) -> Iterator[Endpoints]:
    """The session's Kafka and Elasticsearch: the local apache stack, or what NEWSFLOW_TEST_STACK says."""
    if STACK == "docker":
        with docker() as ep:
            yield ep
    elif STACK == "external":
        with external() as ep:
            yield ep
    else:
        with apache_servers(tmp) as ep:
            yield ep


def isolated(shared: Endpoints) -> Endpoints:
    """The shared servers, seen through a namespace no other test uses."""
    return replace(shared, namespace=new_namespace(), procs=[])


# -- the emulators, fresh for each test ---------------------------------------------------------------------


@contextmanager
def noida(tmp: Path, with_search: bool = False) -> Iterator[Endpoints]:
    ports = {"kafka": free_port()} | ({"elasticsearch": free_port()} if with_search else {})
    proc = _spawn(noida_argv(tmp / "noida-data", ports), tmp / "noida.log")
    ep = Endpoints(
        "noida",
        f"127.0.0.1:{ports['kafka']}",
        f"http://127.0.0.1:{ports['elasticsearch']}" if with_search else None,
        procs=[proc],
    )
    try:
        _wait(
            proc,
            lambda: kafka_up(ep.kafka_bootstrap) and (not with_search or es_up(ep.es_url)),
            "noida-db",
            tmp / "noida.log",
            timeout=60,
        )
        yield ep
    finally:
        _stop(proc)


@contextmanager
def tansu(tmp: Path) -> Iterator[Endpoints]:
    port = free_port()
    proc = _spawn(tansu_argv(port), tmp / "tansu.log")
    ep = Endpoints("tansu", f"127.0.0.1:{port}", None, procs=[proc])
    try:
        _wait(proc, lambda: kafka_up(ep.kafka_bootstrap), "tansu", tmp / "tansu.log", timeout=60)
        yield ep
    finally:
        _stop(proc)


def kafka_kinds() -> list[str]:
    """The Kafka servers every Kafka-facing test runs on: the reference, then the two emulators."""
    return [STACK, "noida", "tansu"]


@contextmanager
def kafka_of_kind(kind: str, shared: Endpoints, tmp: Path) -> Iterator[Endpoints]:
    """Kafka of ``kind``; Elasticsearch is always the shared reference server, in the test's own namespace."""
    mine = isolated(shared)
    if kind == STACK:
        yield mine
    elif kind == "noida":
        with noida(tmp) as ep:
            yield replace(ep, es_url=mine.es_url, namespace=mine.namespace)
    else:
        with tansu(tmp) as ep:
            yield replace(ep, es_url=mine.es_url, namespace=mine.namespace)
