"""The deployment the end-to-end tests of this package share: one `newsflow up` per local stack."""

from __future__ import annotations

import json

import pytest

from newsflow.cli.procs import alive
from tests.running import cli, isolated_env, local_stack_env
from tests.servers import STACK, reference_servers
from tests.tools import require_apache_tools


@pytest.fixture(scope="package", params=["apache", "embedded"])
def deployment(request, tmp_path_factory):
    """`newsflow up` in a fresh home, starting the local stack itself, as for a user; or, with
    NEWSFLOW_TEST_STACK=docker|external, the three services on those servers."""
    home = tmp_path_factory.mktemp(f"home-{request.param}")
    tuning = {
        "NEWSFLOW_ENRICH_PROCESSES": "2",
        "NEWSFLOW_BULK_MAX_WAIT_S": "0.3",
        # The feed test polls every 20 s, from its own server on loopback, and serves a 1.5 MB feed as its "huge"
        # one.
        "NEWSFLOW_FEEDS_MIN_INTERVAL_S": "1",
        "NEWSFLOW_FEEDS_ALLOW_PRIVATE": "true",
        "NEWSFLOW_FEEDS_MAX_FEED_BYTES": "1000000",
    }
    if STACK in ("docker", "external"):
        if request.param == "embedded":
            pytest.skip("the embedded stack is covered by the default run")
        with reference_servers(home) as ep:
            yield from _up(isolated_env(home, **tuning) | ep.env() | {"NEWSFLOW_LOCAL_STACK": "none"})
        return
    if request.param == "apache":
        require_apache_tools()
        yield from _up(local_stack_env(home, request.param, **tuning))
    else:
        # As on a laptop without Java or Maven (what `make run` promises): nothing on the PATH at all.
        empty = tmp_path_factory.mktemp("empty-path")
        yield from _up(local_stack_env(home, request.param, PATH=str(empty), **tuning))


def _up(env):
    try:
        done = cli(["up"], env)
        assert done.returncode == 0, done.stderr.decode()
        yield env
    finally:
        pids = [
            c["pid"] for c in json.loads(cli(["status", "--json"], env).stdout or b'{"components": []}')["components"]
        ]
        assert cli(["down"], env).returncode == 0
        for pid in filter(None, pids):
            assert not alive(pid), f"pid {pid} still running after `newsflow down`"
