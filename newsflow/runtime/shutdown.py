"""Turning SIGTERM and SIGINT into a stop request the service's loop can wait on."""

from __future__ import annotations

import logging
import signal
import threading

log = logging.getLogger(__name__)


def stop_on_signals() -> threading.Event:
    """An event set by the first SIGTERM or SIGINT; a second one exits at once (an operator who means it)."""
    stop = threading.Event()

    def handle(signum, _frame):
        if stop.is_set():
            log.warning("second signal: exiting now", extra={"signal": signal.Signals(signum).name})
            raise SystemExit(1)
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handle)
    return stop
