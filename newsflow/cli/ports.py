"""Which of the ports a local deployment needs are taken, and by which process of which home, so `newsflow up`
refuses to start on ports another deployment holds instead of reporting components started that died at once.

Linux only for the holder (``/proc``); elsewhere a held port is still found, its holder left unknown.
"""

from __future__ import annotations

import errno
import os
import socket
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Held:
    port: int
    what: str  # the component that needs it, and for what ("kafka", "kafka controller")
    pid: int | None = None
    command: str | None = None
    home: Path | None = None  # the newsflow home that started the holder, where that can be told

    def describe(self) -> str:
        who = f"pid {self.pid} ({self.command})" if self.pid else "another process"
        where = f", started from the home {self.home}" if self.home else ""
        return f"port {self.port} ({self.what}) is held by {who}{where}"


def taken(host: str, port: int) -> bool:
    """Whether a server could not bind ``host:port`` now, as a service of ours would (SO_REUSEADDR)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            return exc.errno in (errno.EADDRINUSE, errno.EACCES)
    return False


def held(wanted: list[tuple[str, str, int]]) -> list[Held]:
    """Of ``wanted`` ((what, host, port), ...), the ports taken, each with its holder where it can be found."""
    out = []
    for what, host, port in wanted:
        if taken(host, port):
            pid = listener(port)
            out.append(Held(port, what, pid, _command(pid), _home(pid)) if pid else Held(port, what))
    return out


def listener(port: int) -> int | None:
    """The process listening on ``port`` (TCP, any address), from /proc: its socket's inode, then the process
    holding that inode among its open files. None where it cannot be read (another user's process, no /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    if not inodes:
        return None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) in inodes:
                    return int(entry.name)
        except OSError:
            continue
    return None


def _command(pid: int | None) -> str | None:
    try:
        parts = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    words = [p.decode(errors="replace") for p in parts if p]
    # A Python service reads better as its module than as the interpreter's path.
    if len(words) >= 3 and words[1] == "-m":
        return f"{Path(words[0]).name} -m {words[2]}"
    return " ".join([Path(words[0]).name, *words[1:3]]) if words else None


def _home(pid: int | None) -> Path | None:
    """The home whose `newsflow up` started ``pid``: it writes each component's output to <home>/logs/<name>.log."""
    try:
        out = Path(os.readlink(f"/proc/{pid}/fd/1"))
    except OSError:
        return None
    return out.parent.parent if out.parent.name == "logs" and out.suffix == ".log" else None
