"""The local deployment `newsflow up` manages: the local stack, the lag exporter, the three services, Prometheus.

On this machine the stack is two noida-db processes, one serving the Kafka protocol and one the
Elasticsearch API, each with its own data directory: either can be stopped and started (an outage,
a broker restart) while the other keeps running, as on a real deployment.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from newsflow.cli.procs import Proc
from newsflow.cli.settings import CliSettings
from newsflow.runtime.servers import es_up, http_json, http_status, kafka_up, noida_argv

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Component:
    name: str
    proc: Proc
    address: str
    probe: Callable[[], tuple[bool, dict]]
    group: str | None = None  # the consumer group of a consuming service
    infrastructure: bool = False  # part of the local stack: `newsflow init` runs once it is up
    prepare: Callable[[], object] | None = None  # run before starting it (e.g. writing its configuration)

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


def prometheus_binary(s: CliSettings) -> str | None:
    """Prometheus from the system (Debian: `apt-get install prometheus`), unless turned off."""
    if s.prometheus == "off":
        return None
    return shutil.which("prometheus")


def _ready_probe(port: int) -> Callable[[], tuple[bool, dict]]:
    def probe():
        code, body = http_json(f"http://127.0.0.1:{port}/readyz")
        return code == 200, body or {}
    return probe


def components(s: CliSettings) -> list[Component]:
    """In start order; `newsflow down` stops them in reverse."""
    home = s.home.resolve()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    out = []
    if manages_stack(s):
        env.setdefault("NEWSFLOW_KAFKA_EMPTY_FETCH_BACKOFF_MS", "100")  # see newsflow/runtime/fetch_backoff.py
        kafka_port = _hostport(s.kafka_bootstrap)[1]
        es_port = urlsplit(s.es_url).port or 9200
        out.append(Component(
            "kafka", Proc("kafka", noida_argv(home / "data" / "kafka", {"kafka": kafka_port}), home, env),
            s.kafka_bootstrap, lambda: (kafka_up(s.kafka_bootstrap), {}), infrastructure=True,
        ))
        out.append(Component(
            "elasticsearch", Proc("elasticsearch", noida_argv(home / "data" / "elasticsearch", {"elasticsearch": es_port}),
                                  home, env),
            s.es_url, lambda: (es_up(s.es_url), {}), infrastructure=True,
        ))
    out.append(Component(
        "lag-exporter", Proc("lag-exporter", [sys.executable, "-m", "newsflow.cli.main", "exporter"], home, env),
        f"http://127.0.0.1:{s.lag_exporter_port}/metrics", _ready_probe(s.lag_exporter_port),
    ))
    for name, port, group in (("ingest", s.ingest_port, None), ("enrich", s.enrich_port, s.enrich_group),
                              ("index", s.index_port, s.index_group)):
        out.append(Component(
            name, Proc(name, [sys.executable, "-m", f"services.{name}"], home, env),
            f"http://127.0.0.1:{port}", _ready_probe(port), group,
        ))
    binary = prometheus_binary(s)
    if binary:
        from newsflow.cli import prometheus

        url = f"http://127.0.0.1:{s.prometheus_port}"
        out.append(Component(
            "prometheus", Proc("prometheus", prometheus.argv(binary, s, home), home, env), url,
            lambda: (http_status(f"{url}/-/ready") == 200, {}), prepare=lambda: prometheus.write_config(s, home),
        ))
    return out
