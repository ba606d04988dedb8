"""Background processes with pid files: start once, find again, stop politely then firmly."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Proc:
    name: str
    argv: list[str]
    home: Path
    env: dict | None = None

    @property
    def pidfile(self) -> Path:
        return self.home / "run" / f"{self.name}.pid"

    @property
    def logfile(self) -> Path:
        return self.home / "logs" / f"{self.name}.log"

    def pid(self) -> int | None:
        """The pid of our running process, or None. A stale pid file is left for start() to overwrite:
        removing it here would lose track of a live process if a check ever misjudged it."""
        try:
            pid = int(self.pidfile.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        if alive(pid) and self._is_ours(pid):
            return pid
        return None

    def diagnose(self) -> str:
        """Why pid() says what it says: for error messages."""
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError) as exc:
            return f"pid file: {exc}"
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()[:60]
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()[:200]
        except OSError as exc:
            stat, cmdline = repr(exc), b""
        return f"pid {pid}, alive {alive(pid)}, ours {self._is_ours(pid)}, stat {stat!r}, cmdline {cmdline!r}"

    def _is_ours(self, pid: int) -> bool:
        # A recycled pid must not be mistaken for our process (and killed by `down`).
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return True  # no /proc here: trust the pid file
        if not raw:
            # Just started: Popen returns once exec has closed its pipe, which is before the kernel has
            # put the new program's arguments in place, so for a moment the command line reads empty.
            return True
        cmdline = raw.split(b"\0")
        return any(self.argv[-1].encode() in part for part in cmdline) or self.argv[0].encode() in cmdline[0]

    def start(self) -> int:
        existing = self.pid()
        if existing:
            return existing
        self.pidfile.parent.mkdir(parents=True, exist_ok=True)
        self.logfile.parent.mkdir(parents=True, exist_ok=True)
        with open(self.logfile, "ab") as log:
            proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,  # survives the terminal that ran `newsflow up`
            )
        self.pidfile.write_text(str(proc.pid))
        return proc.pid

    def stop(self, timeout: float = 30.0) -> bool:
        """SIGTERM, wait up to ``timeout``, then SIGKILL. Returns whether it was running."""
        pid = self.pid()
        if not pid:
            return False
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if alive(pid):
            _signal_group(pid, signal.SIGKILL)
            while alive(pid):
                time.sleep(0.05)
        self.pidfile.unlink(missing_ok=True)
        return True

    def kill(self, missing_ok: bool = False) -> int | None:
        """SIGKILL the whole process group at once (fault injection); the pid it killed. A process that is not
        running is an error: a fault injected into nothing would let the test that asked for it pass."""
        pid = self.pid()
        if not pid:
            if missing_ok:
                return None
            raise ProcessLookupError(f"{self.name} is not running, so it cannot be killed ({self.diagnose()})")
        _signal_group(pid, signal.SIGKILL)
        while alive(pid):
            time.sleep(0.05)
        return pid


def descendants(pid: int) -> set[int]:
    """``pid`` and every process under it (a JVM's launcher, enrich's workers), from /proc."""
    out, todo = {pid}, [pid]
    while todo:
        parent = todo.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # the service and any worker processes it started
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, sig)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive; reap it if it is our child
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
        return state != "Z"
    except (OSError, IndexError):
        return Path("/proc").is_dir() is False
