"""What every stage's ``main()`` does before its work starts and beside it, written once."""

from __future__ import annotations

import threading

from newsflow.contract.stages import Stage
from newsflow.runtime.http import Probe, Route, ServiceHTTP
from newsflow.runtime.logs import configure_logging
from newsflow.runtime.settings import CommonSettings
from newsflow.runtime.shutdown import stop_on_signals
from newsflow.runtime.topics import ensure_topics


def begin(stage: Stage, settings: CommonSettings, signals: bool = True) -> threading.Event:
    """JSON logs under the stage's name; SIGTERM and SIGINT as the returned event (``signals=False`` for a
    framework that handles them itself: faust); the pipeline's topics, created where missing, so a stage
    started before `newsflow init` does not fail on its first read."""
    configure_logging(stage.name, settings.log_level)
    stop = stop_on_signals() if signals else threading.Event()
    ensure_topics(
        settings.kafka_client_config(), settings.topic_partitions, settings.topic_replication, settings.namespace
    )
    return stop


def serve(
    stage: Stage,
    settings: CommonSettings,
    ready: Probe,
    routes: dict[str, Route] | None = None,
    documents: dict[str, dict] | None = None,
) -> ServiceHTTP:
    """The stage's HTTP endpoint on its registry port, started: /healthz (the process answers), /readyz
    (``ready``), /metrics, and ``routes``."""
    return ServiceHTTP(
        settings.http_host,
        settings.stage_port(stage.name),
        health=lambda: (True, {"service": stage.name}),
        ready=ready,
        routes=routes,
        limits=settings.http_limits(),
        documents=documents,
    ).start()
