"""Monitoring on a running deployment: every Grafana panel's query returns data from a real Prometheus
scraping the running services and the lag exporter, and `newsflow lag --watch` shows the same lag."""

from __future__ import annotations

import json
import math
import re
import signal
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest

from newsflow.contract import RawArticle, Topics
from newsflow.contract.codec import schema_headers
from newsflow.contract.stages import consuming
from newsflow.runtime.servers import free_port, http_json, wait_until
from tests.conftest import EXAMPLES
from tests.deploy.test_compose_and_configs import DASHBOARD
from tests.faults.harness import Deployment, deployment_env
from tests.integration.kafka_util import produce
from tests.running import REPO
from tests.servers import STACK
from tests.tools import require, require_apache_tools

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(STACK != "apache", reason="runs its own local stack and Prometheus")]

# Grafana fills these in; over a run of a few seconds, a 2-minute window holds every sample taken.
VARIABLES = {"$__rate_interval": "2m", "$__interval": "1s", "$__range": "5m", "$group": "newsflow-.+"}

# Panels the test's traffic must move above zero (articles through every stage, one article rejected at the
# edge, one message dead-lettered by enrich). The others may rightly read 0 here (no retries, no index dead
# letters, lag once caught up) and need only return a value.
MUST_MOVE = {
    ("Dead letters in the last hour", "A"),
    ("Partitions per topic", "A"),
    ("Consumer group members", "A"),
    *(("Articles per second out of each stage", ref) for ref in "ABC"),
    *(("Articles per second into each stage", ref) for ref in "ABC"),
    ("enrich: consumed per replica", "A"),
    ("Messages per second into each topic (brokers' view)", "A"),
    *(("Mean batch sizes", ref) for ref in "ABC"),
    ("Dead letters per second, by stage and reason", "A"),
    ("ingest: rejections per second, by reason", "A"),
    ("Dead-letter ratio per stage", "A"),
    ("Targets up", "A"),
    ("index: Elasticsearch healthy", "A"),
    *(("Freshness: ingested → stored in Elasticsearch", ref) for ref in "ABC"),
    *(("Stage latency, p95", ref) for ref in "ABC"),
}


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
    require_apache_tools()
    home = tmp_path_factory.mktemp("monitored-home")
    env = deployment_env(home) | {
        "NEWSFLOW_PROMETHEUS": "auto",
        "NEWSFLOW_PROMETHEUS_PORT": str(free_port()),
        "NEWSFLOW_PROMETHEUS_SCRAPE_INTERVAL_S": "1",
        # The exporter judges each group over its scrapes of the last 5 s (a deployment keeps minutes).
        "NEWSFLOW_LAG_WINDOW_S": "5",
    }
    dep = Deployment(env, home)
    try:
        dep.up()
        assert dep.proc("prometheus").pid(), "newsflow up did not start Prometheus"
        yield dep
    finally:
        dep.cli("down")


def prometheus_query(dep: Deployment, expr: str) -> list[dict]:
    url = f"http://127.0.0.1:{dep.env['NEWSFLOW_PROMETHEUS_PORT']}/api/v1/query?" + urllib.parse.urlencode(
        {"query": expr}
    )
    code, body = http_json(url, timeout=10)
    assert code == 200 and body["status"] == "success", (expr, code, body)
    return body["data"]["result"]


def finite(result: list[dict]) -> bool:
    return any(math.isfinite(float(series["value"][1])) for series in result)


def moved(result: list[dict]) -> bool:
    """Some series is above zero: an all-zero series is there, but shows none of the traffic that was sent."""
    return any(math.isfinite(v := float(series["value"][1])) and v > 0 for series in result)


def test_every_dashboard_query_returns_data_from_the_running_services(monitored, tmp_path):
    dep = monitored
    wait_until(
        lambda: (
            {t["labels"]["job"] for t in targets(dep) if t["health"] == "up"}
            >= {"ingest", "enrich", "index", "lag-exporter", "prometheus"}
        ),
        60,
        "every scrape target up",
    )
    # Traffic of every kind the panels show: articles through all stages, one rejected at the edge,
    # one dead-lettered by enrich, alerts of a saved query the examples match.
    assert dep.cli("alerts", "add", "monitoring", "harbour bridge").returncode == 0
    wait_until(lambda: (dep.ready("index")[1] or {}).get("saved_queries") == 1, 60, "index reading the saved query")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"body": "the field is called text"}))
    done = dep.cli("feed", str(EXAMPLES), str(bad), "--wait")
    assert done.returncode == 1 and b"rejected 1" in done.stdout, done.stderr.decode()
    produce(dep.env["NEWSFLOW_KAFKA_BOOTSTRAP"], Topics.RAW, [(b"poison", b"{not json", schema_headers(RawArticle))])
    wait_until(lambda: dep.end_offsets(Topics.DEADLETTER) >= 1, 60, "the dead letter")
    wait_until(lambda: dep.total_lag() == 0, 60, "lag zero")

    queries = panel_queries()
    assert len(queries) >= 30

    assert {(title, ref) for title, ref, _ in queries} >= MUST_MOVE, "a panel named here is gone from the dashboard"
    missing: list = []

    def all_have_data() -> bool:
        missing[:] = [
            (title, ref, expr)
            for title, ref, expr in queries
            if not (moved if (title, ref) in MUST_MOVE else finite)(prometheus_query(dep, expr))
        ]
        return not missing

    try:
        wait_until(all_have_data, 60, "every panel query returning data", interval=1)
    except TimeoutError:
        pytest.fail(
            "panels whose query returns no finite value, or only zeros where traffic was sent: "
            + json.dumps(missing, indent=1)
        )


def targets(dep: Deployment) -> list[dict]:
    code, body = http_json(f"http://127.0.0.1:{dep.env['NEWSFLOW_PROMETHEUS_PORT']}/api/v1/targets")
    return body["data"]["activeTargets"] if code == 200 else []


def test_the_alert_rules_are_loaded_by_the_local_prometheus(monitored):
    code, body = http_json(f"http://127.0.0.1:{monitored.env['NEWSFLOW_PROMETHEUS_PORT']}/api/v1/rules")
    names = {r["name"] for g in body["data"]["groups"] for r in g["rules"]}
    assert {"NewsflowConsumerLagGrowing", "NewsflowDeadLetters", "NewsflowServiceDown"} <= names


def test_lag_watch_shows_lag_and_its_rate(monitored):
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsflow.cli.main", "lag", "--watch", "--json", "--interval", "0.5"],
        env=monitored.env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        first = json.loads(proc.stdout.readline())
        second = json.loads(proc.stdout.readline())
    finally:
        proc.send_signal(signal.SIGINT)
        # Read what it still prints: a full pipe would hold it at its last write, and the test would be the cause.
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()
    # Every consuming stage of the registry, the feeds' table and ingest's submitted topic as well.
    assert {(r["group"], r["topic"]) for r in first} == {(entry.group, entry.reads) for entry in consuming()}
    assert all(r["lag_per_s"] is None for r in first)  # a rate needs two readings
    assert all(isinstance(r["lag_per_s"], float) and r["lag"] >= 0 for r in second)


def exporter_reading(dep: Deployment) -> dict[tuple[str, str, int], dict[str, float]]:
    """The lag exporter's view: per (group, topic, partition), the committed offset, the end offset and the lag."""
    from tests.faults.harness import parse_metrics

    with urllib.request.urlopen(f"http://127.0.0.1:{dep.port('lag_exporter')}/metrics", timeout=10) as resp:
        samples = parse_metrics(resp.read().decode())
    out: dict = {}
    ends: dict = {}
    for series, value in samples.items():
        name, _, labels = series.partition("{")
        tags = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if name == "kafka_topic_partition_current_offset":
            ends[(tags["topic"], int(tags["partition"]))] = value
        elif name in ("kafka_consumergroup_lag", "kafka_consumergroup_current_offset"):
            key = (tags["consumergroup"], tags["topic"], int(tags["partition"]))
            out.setdefault(key, {})["lag" if name.endswith("lag") else "committed"] = value
    for (_group, topic, partition), row in out.items():
        row["end"] = ends[(topic, partition)]
    return out


def cli_reading(dep: Deployment) -> dict[tuple[str, str, int], dict[str, float]]:
    rows = json.loads(dep.cli("lag", "--json", "--window", "0").stdout)["partitions"]
    return {
        (r["group"], r["topic"], r["partition"]): {k: float(r[k]) for k in ("lag", "committed", "end")} for r in rows
    }


def test_the_lag_exporter_agrees_with_newsflow_lag_at_rest_and_during_a_run(monitored, tmp_path):
    """Two readers of one broker: the exporter Prometheus scrapes and `newsflow lag`. At rest they must be equal;
    during a run each of `newsflow lag`'s offsets must lie between the exporter's readings before and after it
    (committed and end offsets only grow), and every lag the exporter shows must fit between its commit and its end."""
    dep = monitored
    wait_until(lambda: dep.total_lag() == 0, 120, "lag zero")
    assert exporter_reading(dep) == cli_reading(dep)

    from tests.faults.harness import corpus

    feeding = dep.start_feeding(corpus("lag-agreement", 300), tmp_path, NEWSFLOW_FEED_BATCH="10")
    compared, moving = 0, 0
    try:
        while compared < 8:
            before, cli_view, after = exporter_reading(dep), cli_reading(dep), exporter_reading(dep)
            assert set(before) == set(cli_view) == set(after)
            for key, row in cli_view.items():
                for field in ("committed", "end"):
                    assert before[key][field] <= row[field] <= after[key][field], (
                        key,
                        field,
                        before[key],
                        row,
                        after[key],
                    )
                for reading in (before[key], after[key]):
                    # The exporter reads the end offset for its lag a moment before the one it shows.
                    assert 0 <= reading["lag"] <= reading["end"] - reading["committed"], (key, reading)
            moving += any(r["lag"] > 0 for r in cli_view.values())
            compared += 1
    finally:
        out, errs = feeding.communicate(timeout=300)
    assert feeding.returncode == 0, errs.decode()[-2000:]
    assert moving >= 1, "the run never showed any lag: nothing was compared while it moved"
    wait_until(lambda: dep.total_lag() == 0, 240, "lag zero after the run")
    assert exporter_reading(dep) == cli_reading(dep)


def group_verdict(dep: Deployment, group: str, window: str = "3") -> dict:
    """`newsflow lag --json`'s verdict on ``group``, judged over ``window`` seconds of readings."""
    done = dep.cli("lag", "--json", "--window", window, "--interval", "1")
    assert done.returncode == 0, done.stderr.decode()
    return next(g for g in json.loads(done.stdout)["groups"] if g["group"] == group)


def exporter_status(dep: Deployment, group: str) -> tuple[str | None, float | None]:
    """The exporter's status for ``group`` (the state set at 1) and its largest lag in seconds."""
    from tests.faults.harness import parse_metrics

    with urllib.request.urlopen(f"http://127.0.0.1:{dep.port('lag_exporter')}/metrics", timeout=10) as resp:
        samples = parse_metrics(resp.read().decode())
    status, seconds = None, []
    for series, value in samples.items():
        name, _, labels = series.partition("{")
        tags = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if tags.get("consumergroup") != group:
            continue
        if name == "newsflow_consumergroup_status" and value == 1:
            status = tags["status"]
        elif name == "newsflow_consumergroup_lag_seconds":
            seconds.append(value)
    return status, max(seconds) if seconds else None


def test_a_stopped_consumer_turns_its_group_to_stop_and_its_lag_in_seconds_grows(monitored, tmp_path):
    from newsflow.cli.procs import alive
    from tests.faults.harness import corpus

    dep = monitored
    group = dep.settings.stage_group("index")
    wait_until(lambda: dep.total_lag() == 0, 120, "lag zero")
    assert group_verdict(dep, group)["status"] == "OK"

    pid = dep.pid("index")
    assert dep.proc("index").stop() and not alive(pid)
    dep.feed(corpus("stopped-index", 10), tmp_path)
    # enrich goes on writing to index's topic; nobody takes from it.
    wait_until(lambda: dep.group_lag(group) >= 10, 180, "index's topic filled while index is stopped")

    first = group_verdict(dep, group)
    assert first["status"] == "STOP", first
    assert first["members"] == 0 and first["lag"] >= 10 and "no member" in first["reason"]
    assert first["lag_seconds"] is not None and first["lag_seconds"] > 0
    # The oldest message waiting only ages: lag in seconds grows by the time that passes.
    wait_until(
        lambda: group_verdict(dep, group, window="0")["lag_seconds"] >= first["lag_seconds"] + 3,
        60,
        "lag in seconds growing while index is stopped",
    )
    # The exporter says the same, and Prometheus has it from there.
    wait_until(lambda: exporter_status(dep, group)[0] == "STOP", 30, "the exporter's STOP")
    assert exporter_status(dep, group)[1] > first["lag_seconds"]
    wait_until(
        lambda: moved(prometheus_query(dep, f'newsflow_consumergroup_status{{consumergroup="{group}",status="STOP"}}')),
        30,
        "Prometheus scraping the STOP",
    )

    # Started again, it takes what waited; the status is OK again and nothing is behind.
    dep.up_restarts("index", pid)
    wait_until(lambda: dep.total_lag() == 0, 180, "lag zero after index restarted")
    wait_until(lambda: exporter_status(dep, group)[0] == "OK", 30, "the exporter's OK")
    after = group_verdict(dep, group)
    assert after["status"] == "OK" and after["lag_seconds"] == 0.0 and after["members"] == 1
