"""Turning SIGTERM and SIGINT into a stop request the service's loop can wait on, with a bound.

A clean stop finishes or abandons the work in flight and commits what is done. If it has not ended
within the grace period (a client library wedged on a dead connection, say), the process prints every
thread's stack, for the next person to read, and exits: what was not committed is re-delivered.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import sys
import threading

log = logging.getLogger(__name__)


def exit_after(grace_s: float, what: str) -> threading.Timer:
    """Start the watchdog: exit the process if it is still running ``grace_s`` seconds from now."""

    def expire() -> None:
        log.error(f"{what} did not finish within {grace_s:g} s; exiting (uncommitted work is re-delivered)")
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        sys.stderr.flush()
        os._exit(1)

    timer = threading.Timer(grace_s, expire)
    timer.daemon = True
    timer.start()
    return timer


def stop_on_signals(grace_s: float = 20.0) -> threading.Event:
    """An event set by the first SIGTERM or SIGINT; the process then has ``grace_s`` seconds to stop
    cleanly, and a second signal exits at once (an operator who means it)."""
    stop = threading.Event()

    def handle(signum, _frame):
        name = signal.Signals(signum).name
        if stop.is_set():
            log.warning("second signal: exiting now", extra={"signal": name})
            os._exit(1)
        log.info("stopping", extra={"signal": name, "grace_s": grace_s})
        stop.set()
        exit_after(grace_s, "the clean stop")

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handle)
    return stop
