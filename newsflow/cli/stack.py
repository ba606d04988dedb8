"""The local deployment `newsflow up` manages: the stack (noida-db) and the three services."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from newsflow.cli.procs import Proc
from newsflow.cli.settings import CliSettings
from newsflow.runtime.servers import es_up, http_json, kafka_up, noida_argv

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Component:
    name: str
    proc: Proc
    address: str
    probe: Callable[[], tuple[bool, dict]]
    group: str | None = None  # the consumer group of a consuming service

    def status(self) -> dict:
        pid = self.proc.pid()
        ok, detail = self.probe() if pid else (False, {})
        health = "healthy" if pid and ok else ("unhealthy" if pid else "stopped")
        return {"name": self.name, "pid": pid, "address": self.address, "health": health, "detail": detail,
                "log": str(self.proc.logfile)}


def _hostport(bootstrap: str) -> tuple[str, int]:
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    return host, int(port)


def manages_stack(s: CliSettings) -> bool:
    if s.local_stack == "none":
        return False
    es = urlsplit(s.es_url)
    local = es.hostname in LOCAL_HOSTS and _hostport(s.kafka_bootstrap)[0] in LOCAL_HOSTS
    return s.local_stack == "noida" or local


def _service_probe(port: int) -> Callable[[], tuple[bool, dict]]:
    def probe():
        code, body = http_json(f"http://127.0.0.1:{port}/readyz")
        return code == 200, body or {}
    return probe


def components(s: CliSettings) -> list[Component]:
    home = s.home.resolve()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    out = []
    if manages_stack(s):
        env.setdefault("NEWSFLOW_KAFKA_EMPTY_FETCH_BACKOFF_MS", "100")  # see newsflow/runtime/fetch_backoff.py
        es_port = urlsplit(s.es_url).port or 9200
        kafka_port = _hostport(s.kafka_bootstrap)[1]

        def stack_probe():
            es, kafka = es_up(s.es_url), kafka_up(s.kafka_bootstrap)
            return es and kafka, {"elasticsearch": es, "kafka": kafka}

        out.append(Component(
            "stack", Proc("stack", noida_argv(home / "data", es_port, kafka_port), home, env),
            f"kafka {s.kafka_bootstrap}, elasticsearch {s.es_url}", stack_probe,
        ))
    for name, port, group in (("ingest", s.ingest_port, None), ("enrich", s.enrich_port, s.enrich_group),
                              ("index", s.index_port, s.index_group)):
        out.append(Component(
            name, Proc(name, [sys.executable, "-m", f"services.{name}"], home, env),
            f"http://127.0.0.1:{port}", _service_probe(port), group,
        ))
    return out
