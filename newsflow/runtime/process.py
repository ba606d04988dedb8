"""What every stage's ``main()`` does before its work starts and beside it, written once."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
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


_M_MMAP_THRESHOLD = -3  # glibc's malloc.h


def give_back_large_buffers(threshold_bytes: int = 1024 * 1024) -> bool:
    """Have glibc map every allocation of ``threshold_bytes`` or more on its own, so freeing it returns it to the
    system. By default glibc raises that threshold to the largest block freed (up to 32 MiB), after which such
    blocks come from its heap and stay in the process once freed: ingest, having parsed a few 32 MB requests, kept
    their peak as its size for good (bench/ingest_memory.py: 524 MiB after a run, 200 MiB with this). False where
    the C library is not glibc, which has other rules."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        ok = bool(libc.mallopt(_M_MMAP_THRESHOLD, threshold_bytes))
    except (OSError, AttributeError):
        ok = False
    logging.getLogger(__name__).info("large buffers given back when freed", extra={"set": ok})
    return ok


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
