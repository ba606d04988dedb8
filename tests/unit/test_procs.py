"""Background processes with pid files: what `newsflow up`, `down` and the fault suite rely on."""

import sys

import pytest

from newsflow.cli.procs import Proc, alive


def test_kill_of_a_process_that_is_not_running_fails_loudly(tmp_path):
    proc = Proc("nothing", [sys.executable, "-c", "pass"], tmp_path)
    with pytest.raises(ProcessLookupError, match="nothing is not running"):
        proc.kill()
    assert proc.kill(missing_ok=True) is None


def test_kill_returns_the_pid_it_killed_and_the_process_is_gone(tmp_path):
    proc = Proc("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], tmp_path)
    started = proc.start()
    killed = proc.kill()
    assert killed == started and not alive(killed) and proc.pid() is None
