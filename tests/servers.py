"""Real Kafka-protocol and Elasticsearch-API servers for the tests, never mocks.

NEWSFLOW_TEST_STACK picks where they come from:
- ``local`` (default): noida-db (Kafka + Elasticsearch APIs) on free ports with a temporary data
  directory, and Tansu as a second, independent Kafka broker for the Kafka-facing tests;
- ``docker``: the real Apache Kafka and Elasticsearch images through testcontainers (needs an engine);
- ``external``: endpoints given as NEWSFLOW_TEST_KAFKA_BOOTSTRAP and NEWSFLOW_TEST_ES_URL.
"""

from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from newsflow.cli.local.embedded import noida_argv, tansu_argv
from newsflow.runtime.servers import es_up, free_port, kafka_up, wait_until

STACK = os.environ.get("NEWSFLOW_TEST_STACK", "local")


@dataclass
class Endpoints:
    kind: str
    kafka_bootstrap: str
    es_url: str | None = None
    procs: list = field(default_factory=list)
    data_dir: Path | None = None
    restart_argv: list[str] | None = None

    def env(self) -> dict[str, str]:
        env = {"NEWSFLOW_KAFKA_BOOTSTRAP": self.kafka_bootstrap}
        if self.es_url:
            env["NEWSFLOW_ES_URL"] = self.es_url
        return env


def _spawn(argv: list[str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def noida(tmp: Path) -> Iterator[Endpoints]:
    es_port, kafka_port = free_port(), free_port()
    argv = noida_argv(tmp / "noida-data", {"elasticsearch": es_port, "kafka": kafka_port})
    proc = _spawn(argv, tmp / "noida.log")
    ep = Endpoints("noida", f"127.0.0.1:{kafka_port}", f"http://127.0.0.1:{es_port}", [proc], tmp / "noida-data", argv)
    try:
        wait_until(lambda: proc.poll() is None and es_up(ep.es_url) and kafka_up(ep.kafka_bootstrap), 60, "noida-db")
        yield ep
    finally:
        for p in ep.procs:
            _stop(p)


@contextmanager
def tansu_with_search(tmp: Path) -> Iterator[Endpoints]:
    """Tansu for Kafka and noida-db serving only the Elasticsearch API: for what needs a broker whose group
    coordinator expires dead members (noida-db 0.2.3 never does)."""
    es_port = free_port()
    search = _spawn(noida_argv(tmp / "noida-es-data", {"elasticsearch": es_port}), tmp / "noida-es.log")
    try:
        with tansu(tmp) as ep:
            ep.es_url = f"http://127.0.0.1:{es_port}"
            wait_until(lambda: search.poll() is None and es_up(ep.es_url), 60, "noida-db (Elasticsearch API)")
            yield ep
    finally:
        _stop(search)


@contextmanager
def tansu(tmp: Path) -> Iterator[Endpoints]:
    port = free_port()
    proc = _spawn(tansu_argv(port), tmp / "tansu.log")
    ep = Endpoints("tansu", f"127.0.0.1:{port}", None, [proc])
    try:
        wait_until(lambda: proc.poll() is None and kafka_up(ep.kafka_bootstrap), 60, "tansu")
        yield ep
    finally:
        _stop(proc)


@contextmanager
def docker() -> Iterator[Endpoints]:
    from testcontainers.elasticsearch import ElasticSearchContainer
    from testcontainers.kafka import KafkaContainer

    with KafkaContainer("apache/kafka:3.9.1").with_kraft() as kafka, \
            ElasticSearchContainer("elasticsearch:8.19.12", mem_limit="2g") as es:
        yield Endpoints("docker", kafka.get_bootstrap_server(), es.get_url())


@contextmanager
def external() -> Iterator[Endpoints]:
    yield Endpoints("external", os.environ["NEWSFLOW_TEST_KAFKA_BOOTSTRAP"], os.environ.get("NEWSFLOW_TEST_ES_URL"))


@contextmanager
def full_stack(tmp: Path) -> Iterator[Endpoints]:
    """Kafka and Elasticsearch together, from wherever NEWSFLOW_TEST_STACK says."""
    if STACK == "docker":
        with docker() as ep:
            yield ep
    elif STACK == "external":
        with external() as ep:
            yield ep
    else:
        with noida(tmp) as ep:
            yield ep


def kafka_kinds() -> list[str]:
    """The brokers Kafka-facing tests run on: both local ones here, one elsewhere."""
    return ["noida", "tansu"] if STACK == "local" else [STACK]


@contextmanager
def kafka_only(kind: str, tmp: Path) -> Iterator[Endpoints]:
    if kind == "tansu":
        with tansu(tmp) as ep:
            yield ep
    else:
        with full_stack(tmp) as ep:
            yield ep
