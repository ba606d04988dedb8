"""`newsflow up` run from another home while a deployment runs on the same ports: refused, naming the ports and
the home that holds them, and the running deployment is untouched."""

from __future__ import annotations

import json

import pytest

from tests.running import cli

pytestmark = pytest.mark.e2e


def test_up_from_another_home_on_a_running_deployments_ports_is_refused_naming_that_home(deployment, tmp_path):
    first_home = deployment["NEWSFLOW_HOME"]
    elsewhere = deployment | {"NEWSFLOW_HOME": str(tmp_path / "other-home")}
    done = cli(["up"], elsewhere, timeout=120)
    said = done.stderr.decode()
    assert done.returncode == 1, said
    kafka_port = deployment["NEWSFLOW_KAFKA_BOOTSTRAP"].rsplit(":", 1)[1]
    for port in (kafka_port, deployment["NEWSFLOW_INGEST_PORT"], deployment["NEWSFLOW_INDEX_PORT"]):
        assert f"port {port} (" in said, said
    assert f"started from the home {first_home}" in said and f"NEWSFLOW_HOME={first_home} newsflow down" in said
    assert "started (pid" not in said
    others = json.loads(cli(["status", "--json"], elsewhere).stdout)["components"]
    assert not any(c["pid"] for c in others), others
    mine = json.loads(cli(["status", "--json"], deployment).stdout)["components"]
    assert all(c["health"] == "healthy" for c in mine), mine
