"""Running newsflow's own services and CLI as real processes in the tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from newsflow.cli.procs import Proc
from newsflow.contract.stages import STAGES, stage
from newsflow.runtime.servers import free_port, http_json, wait_until
from tests.servers import Endpoints

REPO = Path(__file__).resolve().parents[1]


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any NEWSFLOW_ setting of the developer's, plus a home of its
    own and free ports for the three services."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")} | {
        "NEWSFLOW_HOME": str(home),
        **{entry.port_setting: str(free_port()) for entry in STAGES},
        "NEWSFLOW_LAG_EXPORTER_PORT": str(free_port()),
        "NEWSFLOW_PROMETHEUS_PORT": str(free_port()),
        "NEWSFLOW_KAFKA_CONTROLLER_PORT": str(free_port()),
        "NEWSFLOW_ES_TRANSPORT_PORT": str(free_port()),
        "NEWSFLOW_TOPIC_PARTITIONS": "3",
        "PYTHONUNBUFFERED": "1",
    }
    return env | extra


def local_stack_env(home: Path, stack: str, **extra: str) -> dict[str, str]:
    """For `newsflow up` starting a local stack of its own (``embedded`` or ``apache``) on free ports."""
    return isolated_env(
        home,
        NEWSFLOW_STACK=stack,
        NEWSFLOW_KAFKA_BOOTSTRAP=f"127.0.0.1:{free_port()}",
        NEWSFLOW_ES_URL=f"http://127.0.0.1:{free_port()}",
        NEWSFLOW_KAFKA_HEAP="512m",
        NEWSFLOW_ES_HEAP="768m",
        **extra,
    )


def service_env(endpoints: Endpoints, home: Path, **extra: str) -> dict[str, str]:
    """For a service started by a test on the test's own servers."""
    return isolated_env(
        home, **(endpoints.env() | {"NEWSFLOW_ENRICH_PROCESSES": "1", "NEWSFLOW_LOCAL_STACK": "none"} | extra)
    )


@contextmanager
def service(name: str, env: dict[str, str], home: Path, timeout: float = 120, probe: str = "/readyz") -> Iterator[Proc]:
    """Start ``python -m newsflow.stages.<name>`` and wait until its ``probe`` (/readyz: ready; /healthz: up, for a
    test that expects it never to be ready) answers 200; stop it after."""
    proc = Proc(name, [sys.executable, "-m", stage(name).module], home, env)
    proc.start()
    port = env[stage(name).port_setting]
    try:
        wait_until(lambda: _ready(proc, port, probe), timeout, f"{name} service (log: {proc.logfile})", interval=0.2)
        yield proc
    except BaseException:
        # The temporary directory holding the log is gone by the time CI's report is read.
        print(f"--- the last lines of {name}'s log ---\n{log_tail(proc, 80)}", file=sys.stderr)
        raise
    finally:
        proc.stop(timeout=30)


def _ready(proc: Proc, port: str, probe: str = "/readyz") -> bool:
    if proc.pid() is None:
        raise RuntimeError(f"{proc.name} exited ({proc.diagnose()}):\n{log_tail(proc)}")
    return http_json(f"http://127.0.0.1:{port}{probe}")[0] == 200


def log_tail(proc: Proc, lines: int = 40) -> str:
    try:
        return "\n".join(proc.logfile.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def cli(
    args: list[str], env: dict[str, str], stdin: bytes | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newsflow.cli.main", *args],
        env=env,
        cwd=REPO,
        input=stdin,
        capture_output=True,
        timeout=timeout,
    )


def cli_json(args: list[str], env: dict[str, str]) -> dict:
    done = cli(args, env)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)
