"""Pure parts of the lag views and of the local Prometheus configuration."""

from pathlib import Path

import pytest
import yaml

from newsflow.cli.prometheus import deploy_dir, local_config, write_config
from newsflow.cli.settings import CliSettings
from newsflow.exporter.lag import PartitionLag, rates


def row(partition, committed, end, group="g", topic="t"):
    return PartitionLag(group, topic, partition, committed, end)


def test_lag_is_end_minus_committed_and_never_negative():
    assert row(0, 5, 9).lag == 4 and row(0, 9, 5).lag == 0


def test_rates_pair_readings_by_partition():
    before = [row(0, 10, 20), row(1, 0, 0)]
    after = [row(0, 30, 50), row(1, 0, 4), row(2, 0, 1)]
    by = {r.row.partition: r for r in rates(before, after, 2.0)}
    assert by[0].lag_per_s == 5.0 and by[0].consumed_per_s == 10.0
    assert by[1].lag_per_s == 2.0 and by[1].consumed_per_s == 0.0
    assert by[2].lag_per_s is None  # new: no rate yet
    assert all(r.lag_per_s is None for r in rates(None, after, 2.0))


def test_the_local_prometheus_keeps_the_deployed_jobs_with_local_targets(monkeypatch):
    deployed = yaml.safe_load((deploy_dir() / "prometheus.yml").read_text())
    for n, name in enumerate(("INGEST", "ENRICH", "INDEX", "FEEDS", "WEBHOOKS"), start=1):
        monkeypatch.setenv(f"NEWSFLOW_{name}_PORT", str(n))  # each stage's own setting, read by every process
    s = CliSettings(lag_exporter_port=6, prometheus_port=7, prometheus_scrape_interval_s=1.5)
    config = local_config(deployed, s, Path("/x/alerts.yml"))
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    assert set(jobs) == {j["job_name"] for j in deployed["scrape_configs"]}
    assert {n: j["static_configs"][0]["targets"] for n, j in jobs.items()} == {
        "prometheus": ["127.0.0.1:7"],
        "ingest": ["127.0.0.1:1"],
        "enrich": ["127.0.0.1:2"],
        "index": ["127.0.0.1:3"],
        "lag-exporter": ["127.0.0.1:6"],
        "feeds": ["127.0.0.1:4"],
        "webhooks": ["127.0.0.1:5"],
    }
    assert not any(k.endswith("_sd_configs") for j in jobs.values() for k in j)
    assert config["global"]["scrape_interval"] == "1500ms" and config["rule_files"] == ["/x/alerts.yml"]


def test_a_deployed_job_the_local_deployment_does_not_run_is_an_error():
    deployed = {"scrape_configs": [{"job_name": "something-else", "static_configs": [{"targets": ["a:1"]}]}]}
    with pytest.raises(ValueError, match="something-else"):
        local_config(deployed, CliSettings(), Path("/x"))


def test_the_local_prometheus_is_configured_from_the_checkout_whatever_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert deploy_dir() == Path(__file__).resolve().parents[2] / "deploy" / "prometheus"


def test_a_wheel_run_outside_a_checkout_starts_no_prometheus_and_says_why(tmp_path, monkeypatch):
    import newsflow.cli.settings as cli_settings
    from newsflow.cli.stack import prometheus_binary

    # As installed from a wheel: the package lives in site-packages, and the current directory is no checkout.
    monkeypatch.setattr(cli_settings, "__file__", str(tmp_path / "site-packages" / "newsflow" / "cli" / "settings.py"))
    monkeypatch.chdir(tmp_path)
    assert deploy_dir() is None
    assert prometheus_binary(CliSettings(prometheus="auto")) is None
    with pytest.raises(FileNotFoundError, match="NEWSFLOW_PROMETHEUS=off"):
        write_config(CliSettings(), tmp_path)
