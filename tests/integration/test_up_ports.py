"""`newsflow up` on ports something else holds: it names each port and its holder, starts nothing, exits 1.

It used to print "started (pid ...)" for every component, each of which died at once on "Address already in use"
while whatever held its port answered the probe, and exit 0."""

from __future__ import annotations

import json
import os
import socket

import pytest

from tests.running import cli, local_stack_env

pytestmark = pytest.mark.integration


def listening(port: int) -> socket.socket:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(8)
    return s


def test_up_on_held_ports_names_them_and_their_holder_and_starts_nothing(tmp_path):
    env = local_stack_env(tmp_path / "home", "embedded")
    kafka_port = int(env["NEWSFLOW_KAFKA_BOOTSTRAP"].rsplit(":", 1)[1])
    ingest_port = int(env["NEWSFLOW_INGEST_PORT"])
    holders = [listening(kafka_port), listening(ingest_port)]
    try:
        done = cli(["up"], env, timeout=120)
    finally:
        for s in holders:
            s.close()
    said = done.stderr.decode()
    assert done.returncode == 1, said
    assert "2 of the ports it needs are taken" in said and "Nothing was started" in said
    for port, what in ((kafka_port, "kafka"), (ingest_port, "ingest")):
        assert f"port {port} ({what}) is held by pid {os.getpid()} (" in said, said
    assert "started (pid" not in said
    status = json.loads(cli(["status", "--json"], env).stdout)
    assert [c["name"] for c in status["components"] if c["pid"]] == [], status
    assert not (tmp_path / "home" / "run").exists() or not any((tmp_path / "home" / "run").glob("*.pid"))
