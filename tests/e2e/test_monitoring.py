"""Monitoring on a running deployment: every Grafana panel's query returns data from a real Prometheus
scraping the running services and the lag exporter, and `newsflow lag --watch` shows the same lag."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import urllib.parse

import pytest

from newsflow.runtime.servers import free_port, http_json, wait_until
from schemas import RawArticle, Topics
from schemas.codec import schema_headers
from tests.conftest import EXAMPLES
from tests.deploy.test_compose_and_configs import DASHBOARD
from tests.faults.harness import Deployment, deployment_env
from tests.integration.kafka_util import produce
from tests.running import REPO
from tests.servers import STACK
from tests.tools import require

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(STACK != "local", reason="runs the local Prometheus on the local stack")]

# Grafana fills these in; over a run of a few seconds, a 30 s window holds every sample taken.
VARIABLES = {"$__rate_interval": "30s", "$__interval": "1s", "$__range": "5m", "$group": "newsflow-.+"}


def panel_queries() -> list[tuple[str, str, str]]:
    out = []
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for name, value in VARIABLES.items():
                expr = expr.replace(name, value)
            out.append((panel["title"], target["refId"], expr))
    return out


@pytest.fixture(scope="module")
def monitored(tmp_path_factory):
    require("prometheus")
    home = tmp_path_factory.mktemp("monitored-home")
    env = deployment_env(home) | {"NEWSFLOW_PROMETHEUS": "auto", "NEWSFLOW_PROMETHEUS_PORT": str(free_port()),
                                  "NEWSFLOW_PROMETHEUS_SCRAPE_INTERVAL_S": "1"}
    dep = Deployment(env, home)
    try:
        dep.up()
        assert dep.proc("prometheus").pid(), "newsflow up did not start Prometheus"
        yield dep
    finally:
        dep.cli("down")


def prometheus_query(dep: Deployment, expr: str) -> list[dict]:
    url = f"http://127.0.0.1:{dep.env['NEWSFLOW_PROMETHEUS_PORT']}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    code, body = http_json(url, timeout=10)
    assert code == 200 and body["status"] == "success", (expr, code, body)
    return body["data"]["result"]


def finite(result: list[dict]) -> bool:
    return any(math.isfinite(float(series["value"][1])) for series in result)


def test_every_dashboard_query_returns_data_from_the_running_services(monitored, tmp_path):
    dep = monitored
    wait_until(lambda: {t["labels"]["job"] for t in targets(dep) if t["health"] == "up"}
               >= {"ingest", "enrich", "index", "lag-exporter", "prometheus"}, 60, "every scrape target up")
    # Traffic of every kind the panels show: articles through all stages, one rejected at the edge,
    # one dead-lettered by enrich.
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"body": "the field is called text"}))
    done = dep.cli("feed", str(EXAMPLES), str(bad), "--wait")
    assert done.returncode == 1 and b"rejected 1" in done.stdout, done.stderr.decode()
    produce(dep.env["NEWSFLOW_KAFKA_BOOTSTRAP"], Topics.RAW, [(b"poison", b"{not json", schema_headers(RawArticle))])
    wait_until(lambda: dep.end_offsets(Topics.DEADLETTER) >= 1, 60, "the dead letter")
    wait_until(lambda: dep.total_lag() == 0, 60, "lag zero")

    queries = panel_queries()
    assert len(queries) >= 30

    missing: list = []

    def all_have_data() -> bool:
        missing[:] = [(title, ref, expr) for title, ref, expr in queries if not finite(prometheus_query(dep, expr))]
        return not missing

    try:
        wait_until(all_have_data, 60, "every panel query returning data", interval=1)
    except TimeoutError:
        pytest.fail("panels whose query returns no finite value: " + json.dumps(missing, indent=1))


def targets(dep: Deployment) -> list[dict]:
    code, body = http_json(f"http://127.0.0.1:{dep.env['NEWSFLOW_PROMETHEUS_PORT']}/api/v1/targets")
    return body["data"]["activeTargets"] if code == 200 else []


def test_the_alert_rules_are_loaded_by_the_local_prometheus(monitored):
    code, body = http_json(f"http://127.0.0.1:{monitored.env['NEWSFLOW_PROMETHEUS_PORT']}/api/v1/rules")
    names = {r["name"] for g in body["data"]["groups"] for r in g["rules"]}
    assert {"NewsflowConsumerLagGrowing", "NewsflowDeadLetters", "NewsflowServiceDown"} <= names


def test_lag_watch_shows_lag_and_its_rate(monitored):
    proc = subprocess.Popen([sys.executable, "-m", "newsflow.cli.main", "lag", "--watch", "--json", "--interval", "0.5"],
                            env=monitored.env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        first = json.loads(proc.stdout.readline())
        second = json.loads(proc.stdout.readline())
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    assert proc.returncode == 0
    assert {(r["group"], r["topic"]) for r in first} == {("newsflow-enrich", Topics.RAW), ("newsflow-index", Topics.ENRICHED)}
    assert all(r["lag_per_s"] is None for r in first)  # a rate needs two readings
    assert all(isinstance(r["lag_per_s"], float) and r["lag"] >= 0 for r in second)
