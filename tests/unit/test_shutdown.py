"""A stop that hangs still ends: the watchdog prints the stacks and exits."""

import signal
import subprocess
import sys
import time

from tests.running import REPO

HANGS = """
import threading, time
from newsflow.runtime.shutdown import stop_on_signals
stop = stop_on_signals(grace_s=0.5)
print("ready", flush=True)
stop.wait()
threading.Event().wait()  # a clean stop that never ends
"""

STOPS = """
from newsflow.runtime.shutdown import stop_on_signals
stop = stop_on_signals(grace_s=30)
print("ready", flush=True)
stop.wait()
"""


def run_until_signalled(code: str) -> tuple[subprocess.CompletedProcess, float]:
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline() == b"ready\n"
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), time.monotonic() - started


def test_a_hanging_stop_is_ended_by_the_watchdog_with_every_stack_printed():
    done, seconds = run_until_signalled(HANGS)
    assert done.returncode == 1 and seconds < 10
    assert b"did not finish within 0.5 s" in done.stderr and b"Thread" in done.stderr


def test_a_clean_stop_exits_at_once_without_the_watchdog():
    done, seconds = run_until_signalled(STOPS)
    assert done.returncode == 0 and seconds < 10 and b"did not finish" not in done.stderr
