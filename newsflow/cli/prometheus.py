"""A local Prometheus for `newsflow up`: the compose deployment's configuration, pointed at this machine.

The scrape jobs and alert rules are the ones in deploy/prometheus/, with each job's targets replaced by
the local address of the same component, so the Grafana dashboard's queries (which select by job) can
be checked against the services running here.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from newsflow.cli.settings import CliSettings, newsflow_checkout
from newsflow.contract.stages import STAGES


def deploy_dir() -> Path | None:
    """deploy/prometheus/ of the newsflow checkout, which compose mounts too: one source for both. Not shipped
    in the package (deploy/ is the repository's), so a wheel run outside a checkout has none."""
    checkout = newsflow_checkout()
    return checkout / "deploy" / "prometheus" if checkout else None


def local_targets(s: CliSettings) -> dict[str, str]:
    return {
        "prometheus": f"127.0.0.1:{s.prometheus_port}",
        **{entry.name: f"127.0.0.1:{s.stage_port(entry.name)}" for entry in STAGES},
        "lag-exporter": f"127.0.0.1:{s.lag_exporter_port}",
    }


def local_config(deployed: dict, s: CliSettings, rules: Path) -> dict:
    """The compose configuration with local targets, scrape interval and rule file; pure."""
    targets = local_targets(s)
    interval = f"{int(s.prometheus_scrape_interval_s * 1000)}ms"
    jobs = []
    for job in deployed["scrape_configs"]:
        name = job["job_name"]
        if name not in targets:
            raise ValueError(f"deploy/prometheus/prometheus.yml scrapes {name!r}, which `newsflow up` does not run")
        local = {k: v for k, v in job.items() if not k.endswith("_sd_configs") and k != "static_configs"}
        jobs.append(local | {"static_configs": [{"targets": [targets[name]]}]})
    missing = set(targets) - {j["job_name"] for j in jobs}
    if missing:
        raise ValueError(f"deploy/prometheus/prometheus.yml has no job for {sorted(missing)}")
    glob = deployed.get("global", {}) | {
        "scrape_interval": interval,
        "evaluation_interval": interval,
        "scrape_timeout": f"{int(min(s.prometheus_scrape_interval_s, 10) * 1000)}ms",
        "external_labels": {"deployment": "newsflow-local"},
    }
    return {"global": glob, "rule_files": [str(rules)], "scrape_configs": jobs}


def write_config(s: CliSettings, home: Path) -> Path:
    deploy = deploy_dir()
    if deploy is None:
        raise FileNotFoundError(
            "the local Prometheus reads deploy/prometheus/ of a newsflow checkout, and none is "
            "here: run from the repository, or set NEWSFLOW_PROMETHEUS=off"
        )
    deployed = yaml.safe_load((deploy / "prometheus.yml").read_text())
    path = home / "prometheus" / "prometheus.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    # JSON is YAML: written as JSON, the file needs no YAML emitter's quoting rules.
    path.write_text(json.dumps(local_config(deployed, s, deploy / "alerts.yml"), indent=2) + "\n")
    return path


def argv(binary: str, s: CliSettings, home: Path) -> list[str]:
    return [
        binary,
        f"--config.file={home / 'prometheus' / 'prometheus.yml'}",
        f"--storage.tsdb.path={home / 'data' / 'prometheus'}",
        f"--web.listen-address=127.0.0.1:{s.prometheus_port}",
        "--storage.tsdb.retention.time=7d",
    ]
