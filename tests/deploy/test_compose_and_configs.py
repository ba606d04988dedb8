"""The compose deployment, checked without a Docker engine: offline, in a few seconds.

- docker-compose.yml against the Compose Specification's JSON schema (shipped by check-jsonschema),
  before and after variable interpolation; the secrets it requires are documented and generated;
- every file it builds from or mounts exists, the Dockerfile's sources survive .dockerignore, and the
  images, commands, ports, healthchecks and dependencies fit together;
- Prometheus: `promtool check config`, `check rules`, and `test rules` (tests/deploy/alerts_test.yml);
- Grafana: the dashboard's PromQL parses (each expression as a recording rule through promtool) and names
  only metrics the services or the exporter export;
- Kibana: the saved objects parse, and every field they use exists in the index mapping;
- Elasticsearch: the roles the setup script creates are least-privilege; the two setup scripts and the
  HEALTHCHECK script are run against stand-in HTTP servers on 127.0.0.1.

The promtool checks skip when promtool is absent (Debian: `apt-get install prometheus`), and fail
instead under NEWSFLOW_TEST_REQUIRE_TOOLS=1 (.ci/run).
"""

from __future__ import annotations

import fnmatch
import importlib.resources
import importlib.util
import json
import os
import re
import stat
import subprocess
import sys
import threading
from copy import deepcopy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jsonschema
import pytest
import yaml

from newsflow.exporter.collector import SERIES as LAG_EXPORTER_SERIES
from tests.tools import require

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DEPLOY = REPO / "deploy"
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = DEPLOY / "Dockerfile"
ENV_EXAMPLE = DEPLOY / "env.example"
PROMETHEUS_YML = DEPLOY / "prometheus" / "prometheus.yml"
ALERTS_YML = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "newsflow.json"
GRAFANA_PROVISIONING = DEPLOY / "grafana" / "provisioning"
SAVED_OBJECTS = DEPLOY / "kibana" / "saved_objects.ndjson"
ES_SETUP = DEPLOY / "elasticsearch" / "setup.py"
KIBANA_IMPORT = DEPLOY / "kibana" / "import_saved_objects.py"
HEALTHCHECK = DEPLOY / "healthcheck.py"

SERVICES = ("ingest", "enrich", "index")
PUBLISHED = {8081, 5601, 3000, 9200, 9094}  # ingest, Kibana, Grafana, Elasticsearch (CLI search), Kafka external


# Everything the lag exporter (`newsflow exporter`) exports.
LAG_EXPORTER_METRICS = set(LAG_EXPORTER_SERIES)


# -- compose: loading and interpolation ------------------------------------------------------------------


class MissingVariable(Exception):
    pass


_VAR = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)


def interpolate(value, env: dict, missing: list | None = None):
    """Compose's variable interpolation (${VAR}, ${VAR:-default}, ${VAR:?error}, $$), applied to every string value."""
    if isinstance(value, dict):
        return {k: interpolate(v, env, missing) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env, missing) for v in value]
    if not isinstance(value, str):
        return value

    def sub(m: re.Match) -> str:
        if m["escaped"]:
            return "$"
        name = m["braced"] or m["named"]
        op, arg = m["op"], m["arg"] or ""
        unset, empty = name not in env, not env.get(name)
        if op in (":-", "-"):
            return arg if (empty if op == ":-" else unset) else env[name]
        if op in (":?", "?"):
            if empty if op == ":?" else unset:
                if missing is None:
                    raise MissingVariable(f"{name}: {arg}")
                missing.append(name)
                return ""
            return env[name]
        if op in (":+", "+"):
            return "" if (empty if op == ":+" else unset) else arg
        return env.get(name, "")

    return _VAR.sub(sub, value)


def variables_in(value) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(variables_in(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(variables_in(v) for v in value)) if value else set()
    if isinstance(value, str):
        return {m["braced"] or m["named"] for m in _VAR.finditer(value) if not m["escaped"]}
    return set()


def parse_env_file(path: Path) -> tuple[dict, set]:
    """KEY=VALUE lines → (set variables, documented-but-commented-out names)."""
    values, optional = {}, set()
    for line in path.read_text().splitlines():
        if m := re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line):
            values[m[1]] = m[2]
        elif m := re.match(r"^#\s*([A-Z][A-Z0-9_]*)=", line):
            optional.add(m[1])
    return values, optional


@pytest.fixture(scope="module")
def raw_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def env_example() -> dict:
    return parse_env_file(ENV_EXAMPLE)[0]


@pytest.fixture(scope="module")
def compose(raw_compose, env_example) -> dict:
    """The compose file as `docker compose` sees it with deploy/env.example as .env."""
    return interpolate(raw_compose, env_example)


@pytest.fixture(scope="module")
def compose_schema() -> dict:
    schema_file = importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    return json.loads(schema_file.read_text())


def compose_errors(schema: dict, document: dict) -> list[str]:
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]


def long_running(compose: dict) -> dict:
    return {n: s for n, s in compose["services"].items() if s.get("restart", "no") != "no"}


def one_shots(compose: dict) -> dict:
    return {n: s for n, s in compose["services"].items() if s.get("restart", "no") == "no"}


# -- the Dockerfile --------------------------------------------------------------------------------------


def dockerfile_stages() -> dict:
    """Stage name → its instructions, with those it inherits from a parent stage (FROM <stage>)."""
    text = re.sub(
        r"\\\n", " ", "\n".join(ln for ln in DOCKERFILE.read_text().splitlines() if not ln.lstrip().startswith("#"))
    )
    args, stages, current = {}, {}, None
    for line in filter(None, (ln.strip() for ln in text.splitlines())):
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "ARG" and current is None:
            name, _, default = rest.partition("=")
            args[name.strip()] = default.strip()
        elif instruction == "FROM":
            m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?", rest, re.I)
            base = re.sub(r"\$\{(\w+)\}", lambda v: args.get(v[1], ""), m[1])
            parent = stages.get(base)
            current = {
                "name": m[2],
                "base": parent["base"] if parent else base,
                "env": dict(parent["env"]) if parent else {},
                "healthcheck": parent["healthcheck"] if parent else None,
                "cmd": parent["cmd"] if parent else None,
                "user": parent["user"] if parent else None,
                "expose": [],
                "copy": [],
                "parent": base if parent else None,
            }
            stages[m[2]] = current
        elif instruction == "ENV":
            for pair in re.findall(r"(\w+)=(\S+)", rest):
                current["env"][pair[0]] = pair[1]
        elif instruction == "HEALTHCHECK":
            current["healthcheck"] = json.loads(rest.split(" CMD ", 1)[1])
        elif instruction == "CMD":
            current["cmd"] = json.loads(rest)
        elif instruction == "USER":
            current["user"] = rest
        elif instruction == "EXPOSE":
            current["expose"] += [int(p) for p in rest.split()]
        elif instruction == "COPY":
            parts = [p for p in rest.split() if not p.startswith("--")]
            if "--from=" not in rest:
                current["copy"] += parts[:-1]
    return stages


def dockerignore_excludes(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parent directories decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = os.path.normpath(pattern.lstrip("!").strip()).lstrip("/")
        rx = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
        rx = rx.replace(r"\?", "[^/]").replace(r"\[", "[").replace(r"\]", "]")
        if any(re.fullmatch(rx, c) for c in candidates):
            excluded = not negate
    return excluded


def dockerignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]


# == compose: the specification, interpolation, secrets ======================================================


def test_compose_matches_the_compose_specification(raw_compose, compose, compose_schema):
    assert "version" not in raw_compose, "the top-level `version` key is obsolete in the Compose Specification"
    assert compose_errors(compose_schema, raw_compose) == []
    assert compose_errors(compose_schema, compose) == []


def test_the_schema_check_is_not_vacuous(compose, compose_schema):
    broken = deepcopy(compose)
    broken["services"]["ingest"]["depends_on"]["init"]["condition"] = "service_done"
    broken["services"]["enrich"]["helthcheck"] = {"test": ["CMD", "true"]}
    errors = compose_errors(compose_schema, broken)
    assert any("service_done" in e for e in errors) and any("helthcheck" in e for e in errors), errors


def test_required_secrets_are_documented_placeholders(raw_compose):
    documented, optional = parse_env_file(ENV_EXAMPLE)
    missing: list[str] = []
    interpolate(raw_compose, {}, missing)
    required = set(missing)
    assert required, "no variable is required: where do the passwords come from?"
    assert required <= set(documented), f"required but not in deploy/env.example: {required - set(documented)}"
    used = variables_in(raw_compose)
    assert used <= set(documented) | optional, (
        f"used but not documented in deploy/env.example: {used - set(documented) - optional}"
    )
    for name in required:
        if re.search(r"PASSWORD|KEY|SECRET|TOKEN", name):
            assert documented[name].startswith("change-me"), f"{name} in env.example must be a placeholder"
    with pytest.raises(MissingVariable, match="set it in .env"):
        interpolate(raw_compose, {})


def test_make_env_writes_every_required_secret(tmp_path, raw_compose):
    target = tmp_path / ".env"
    run = subprocess.run(["bash", str(DEPLOY / "make-env.sh"), str(target)], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    values, _ = parse_env_file(target)
    missing: list[str] = []
    interpolate(raw_compose, values, missing)
    assert missing == []
    secrets = {k: v for k, v in values.items() if re.search(r"PASSWORD|KEY", k)}
    assert secrets and all(re.fullmatch(r"[A-Za-z0-9]{32,}", v) for v in secrets.values()), secrets.keys()
    assert len(set(secrets.values())) == len(secrets), "each secret must be drawn on its own"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    again = subprocess.run(
        ["bash", str(DEPLOY / "make-env.sh"), str(target)], capture_output=True, text=True, timeout=30
    )
    assert again.returncode != 0 and parse_env_file(target)[0] == values, "an existing .env must be kept"


def test_no_secret_is_written_into_the_compose_file_or_the_images(raw_compose):
    for name, service in raw_compose["services"].items():
        env = service.get("environment") or {}
        for key, value in env.items():
            if re.search(r"PASSWORD|ENCRYPTIONKEY|API_KEY", key):
                assert isinstance(value, str) and value.startswith("${"), f"{name}.{key} must come from .env"
    for stage in dockerfile_stages().values():
        assert not [k for k in stage["env"] if re.search(r"PASSWORD|SECRET|TOKEN|API_KEY", k)], stage["name"]


# == compose: what it builds and mounts =====================================================================


def test_builds_name_an_existing_dockerfile_and_target(compose):
    stages = dockerfile_stages()
    images: dict[str, dict] = {}
    for name, service in compose["services"].items():
        assert "image" in service or "build" in service, name
        if "build" not in service:
            assert re.search(r":[\w.-]+$", service["image"]) and not service["image"].endswith(":latest"), (
                f"{name}: pin the image's version"
            )
            continue
        build = service["build"]
        assert (REPO / build["context"]).is_dir(), name
        assert (REPO / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE, name
        assert build["target"] in stages, f"{name}: no stage {build['target']} in deploy/Dockerfile"
        # Services sharing an image name must build it the same way.
        assert images.setdefault(service["image"], build) == build, f"{name}: {service['image']} built two ways"


def test_bind_mounts_and_the_files_commands_name_exist(compose):
    for name, service in compose["services"].items():
        mounts = {}
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith((".", "/")):
                host = (REPO / source).resolve()
                assert host.exists(), f"{name}: mounts {source}, which does not exist"
                mounts[target] = host
        # A path a command or a setting names inside a mounted directory must be there on the host.
        words = [str(w) for w in service.get("command") or []]
        words += [str(v) for v in (service.get("environment") or {}).values()]
        for word in words:
            path = word.split("=", 1)[-1]
            for target, host in mounts.items():
                if path.startswith(target.rstrip("/") + "/"):
                    assert (host / path[len(target.rstrip("/")) + 1 :]).exists(), f"{name}: {path} is not in {host}"


def test_dockerfile_sources_survive_dockerignore_and_secrets_do_not():
    patterns = dockerignore_patterns()
    copied = [src for stage in dockerfile_stages().values() for src in stage["copy"]]
    assert copied
    for src in copied:
        assert (REPO / src).exists(), f"COPY {src}: no such file"
        assert not dockerignore_excludes(src, patterns), f"COPY {src} is excluded by .dockerignore"
    for kept in (
        "pyproject.toml",
        "README.md",
        "newsflow/cli/main.py",
        "newsflow/stages/enrich/app.py",
        "newsflow/contract/json",
        "deploy/healthcheck.py",
    ):
        assert not dockerignore_excludes(kept, patterns), kept
    for dropped in (
        ".env",
        ".venv/bin/python",
        ".git/config",
        "tests/conftest.py",
        "newsflow-enrich-data/x",
        "deploy/elasticsearch/setup.py",
        "newsflow/stages/__pycache__/x.cpython-311.pyc",
        ".newsflow/logs/a",
    ):
        assert dockerignore_excludes(dropped, patterns), f"{dropped} would be sent to the Docker daemon"


def test_images_run_as_a_user_with_a_healthcheck_on_their_own_port():
    stages = dockerfile_stages()
    assert stages["build"]["base"].startswith("python:3.11-slim")
    assert stages["cli"]["user"] and not stages["cli"]["user"].startswith(("root", "0"))
    assert stages["cli"]["env"].get("NEWSFLOW_HTTP_HOST") == "0.0.0.0"
    for service in SERVICES:
        stage = stages[service]
        assert stage["parent"] == "cli" and stage["user"] == stages["cli"]["user"], service
        assert stage["cmd"] == ["python", "-m", f"newsflow.stages.{service}"], service
        assert importlib.util.find_spec(f"newsflow.stages.{service}") is not None
        port_var = f"NEWSFLOW_{service.upper()}_PORT"
        assert stage["expose"] == [int(stage["env"][port_var])], service
        check = stage["healthcheck"]
        assert check[:2] == ["python", "/usr/local/lib/newsflow/healthcheck.py"] and check[2] == service, service
    assert stages["cli"]["healthcheck"] is None  # the one-shots are waited on for completion, not health


# == compose: the services ==================================================================================


def test_services_are_configured_with_settings_they_read(compose):
    from newsflow.cli.settings import CliSettings
    from newsflow.contract.stages import stage
    from newsflow.stages.enrich.settings import EnrichSettings
    from newsflow.stages.index.settings import IndexSettings
    from newsflow.stages.ingest.settings import IngestSettings

    classes = {"ingest": IngestSettings, "enrich": EnrichSettings, "index": IndexSettings, "init": CliSettings}
    for name, settings in classes.items():
        env = compose["services"][name]["environment"]
        known = settings.variables()
        newsflow = {k for k in env if k.startswith("NEWSFLOW_")}
        assert newsflow <= known, (name, newsflow - known)
        assert env["NEWSFLOW_KAFKA_BOOTSTRAP"] == "kafka:9092", name
        if name != "init":
            assert env[stage(name).port_setting] == str(stage(name).port), name
    # Only the services that use Elasticsearch get an Elasticsearch user, each its own.
    for name in ("ingest", "enrich"):
        assert not [k for k in compose["services"][name]["environment"] if k.startswith("NEWSFLOW_ES_")], name
    users = {compose["services"][n]["environment"]["NEWSFLOW_ES_USERNAME"] for n in ("init", "index")}
    assert users == {"newsflow_init", "newsflow_index"}


def test_elasticsearch_users_get_the_passwords_compose_passes(raw_compose):
    setup = load_es_setup()
    for service, user in (("init", "newsflow_init"), ("index", "newsflow_index")):
        password = raw_compose["services"][service]["environment"]["NEWSFLOW_ES_PASSWORD"]
        assert variables_in(password) == {setup.USERS[user][0]}, (service, password)
    es_setup_env = set(raw_compose["services"]["es-setup"]["environment"])
    wanted = {var for var, _ in setup.USERS.values()} | set(setup.BUILTIN_PASSWORDS.values()) | {"ELASTIC_PASSWORD"}
    assert wanted <= es_setup_env, wanted - es_setup_env
    kibana = raw_compose["services"]["kibana"]["environment"]
    assert kibana["ELASTICSEARCH_USERNAME"] == "kibana_system"
    assert variables_in(kibana["ELASTICSEARCH_PASSWORD"]) == {setup.BUILTIN_PASSWORDS["kibana_system"]}
    importer = raw_compose["services"]["kibana-setup"]["environment"]
    assert variables_in(importer["KIBANA_PASSWORD"]) == {setup.USERS[importer["KIBANA_USERNAME"]][0]}


def test_depends_on_waits_on_health_or_completion(compose):
    stages = dockerfile_stages()
    services = compose["services"]

    def has_healthcheck(name: str) -> bool:
        service = services[name]
        if "healthcheck" in service:
            return not service["healthcheck"].get("disable", False)
        return "build" in service and stages[service["build"]["target"]]["healthcheck"] is not None

    for name, service in services.items():
        for dep, cond in (service.get("depends_on") or {}).items():
            assert dep in services, (name, dep)
            if dep in one_shots(compose):
                assert cond["condition"] == "service_completed_successfully", (name, dep)
            else:
                assert cond["condition"] == "service_healthy", (name, dep)
                assert has_healthcheck(dep), f"{name} waits for {dep} to be healthy, which has no healthcheck"
    for name in long_running(compose):
        assert has_healthcheck(name), f"{name} runs for good and has no healthcheck"
    # No cycles: a topological order exists.
    order, remaining = [], dict(services)
    while remaining:
        ready = [n for n, s in remaining.items() if all(d in order for d in (s.get("depends_on") or {}))]
        assert ready, f"depends_on cycle among {sorted(remaining)}"
        order += ready
        for n in ready:
            del remaining[n]
    assert order.index("init") < order.index("ingest") and order.index("es-setup") < order.index("init")


def test_published_ports_are_the_few_a_user_needs_on_loopback(compose):
    published = {}
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            host_ip, host_port, container_port = str(port).split(":")
            assert host_ip == "127.0.0.1", f"{name} publishes {port} beyond this machine by default"
            published[int(host_port)] = name
    assert set(published) == PUBLISHED, published
    assert published[8081] == "ingest" and published[9094] == "kafka"
    kafka = compose["services"]["kafka"]["environment"]
    assert "EXTERNAL://127.0.0.1:9094" in kafka["KAFKA_ADVERTISED_LISTENERS"]
    assert "INTERNAL://kafka:9092" in kafka["KAFKA_ADVERTISED_LISTENERS"]


def test_enrich_scales_and_prometheus_finds_every_replica(compose):
    enrich = compose["services"]["enrich"]
    assert "container_name" not in enrich and "ports" not in enrich
    assert not [n for n, s in compose["services"].items() if s.get("container_name")], "container_name blocks scaling"
    jobs = {j["job_name"]: j for j in yaml.safe_load(PROMETHEUS_YML.read_text())["scrape_configs"]}
    (sd,) = jobs["enrich"]["dns_sd_configs"]
    assert (
        sd["names"] == ["enrich"]
        and sd["type"] == "A"
        and str(sd["port"]) == enrich["environment"]["NEWSFLOW_ENRICH_PORT"]
    )


def test_prometheus_scrapes_the_services_on_their_ports(compose):
    jobs = {j["job_name"]: j for j in yaml.safe_load(PROMETHEUS_YML.read_text())["scrape_configs"]}
    for service in ("ingest", "index"):
        port = compose["services"][service]["environment"][f"NEWSFLOW_{service.upper()}_PORT"]
        assert jobs[service]["static_configs"][0]["targets"] == [f"{service}:{port}"]
    assert jobs["lag-exporter"]["static_configs"][0]["targets"] == ["lag-exporter:9308"]
    for job in jobs.values():
        for config in job.get("static_configs", []):
            for target in config["targets"]:
                host = target.split(":")[0]
                assert host == "localhost" or host in compose["services"], target
    prometheus = compose["services"]["prometheus"]
    assert "./deploy/prometheus:/etc/prometheus:ro" in prometheus["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]


# == Prometheus ===============================================================================================


def promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([require("promtool"), *args], capture_output=True, text=True, timeout=60, cwd=cwd)


def test_promtool_check_config():
    run = promtool("check", "config", str(PROMETHEUS_YML))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 rule files found" in run.stdout + run.stderr


def test_promtool_check_rules():
    run = promtool("check", "rules", str(ALERTS_YML))
    assert run.returncode == 0, run.stdout + run.stderr


def test_alerts_fire_when_they_should(tmp_path):
    run = promtool("test", "rules", "alerts_test.yml", cwd=HERE)
    assert run.returncode == 0, run.stdout + run.stderr


def test_alerts_cover_lag_dead_letters_down_and_unhealthy():
    rules = [r for g in yaml.safe_load(ALERTS_YML.read_text())["groups"] for r in g["rules"]]
    alerts = {r["alert"]: r for r in rules if "alert" in r}
    assert (
        "deriv(" in alerts["NewsflowConsumerLagGrowing"]["expr"] and alerts["NewsflowConsumerLagGrowing"]["for"] == "5m"
    )
    assert "articles.deadletter.v1" in alerts["NewsflowDeadLetters"]["expr"]
    assert "up{" in alerts["NewsflowServiceDown"]["expr"]
    assert "newsflow_index_healthy" in alerts["NewsflowIndexUnhealthy"]["expr"]
    for alert in alerts.values():
        assert alert["labels"]["severity"] in ("warning", "critical") and alert["annotations"]["summary"]


# == PromQL: what the dashboard and the rules name =============================================================

GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h", "$group": "newsflow-.+"}


def dashboard_queries() -> list[tuple[str, str, str]]:
    """(panel title, refId, PromQL with Grafana's variables substituted) for every panel target."""
    out = []
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        for target in panel.get("targets", []):
            expr = target.get("expr", "")
            for var, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(var, value)
            out.append((panel["title"], target["refId"], expr))
    return out


def metric_names(expr: str) -> set[str]:
    expr = re.sub(r'"(?:\\.|[^"\\])*"', '""', expr)  # string literals
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    return set(re.findall(r"\b(?:newsflow|kafka)[a-z0-9_:]*", expr))


@pytest.fixture(scope="module")
def exported_metrics() -> set[str]:
    """Every sample name the services can export, from their prometheus_client registries."""
    code = (
        "import json\n"
        "import newsflow.stages.ingest.service, newsflow.stages.index.service, newsflow.stages.enrich.app\n"
        "import newsflow.stages.feeds.service, newsflow.stages.webhooks.service\n"
        "from prometheus_client import REGISTRY\n"
        "print(json.dumps([(f.name, f.type) for f in REGISTRY.collect() if f.name.startswith('newsflow_')]))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "NEWSFLOW_ENRICH_PROCESSES": "1"},
    )
    assert run.returncode == 0, run.stderr
    suffixes = {
        "counter": ["_total"],
        "histogram": ["_bucket", "_count", "_sum"],
        "gauge": [""],
        "summary": ["_count", "_sum", ""],
    }
    return {name + s for name, kind in json.loads(run.stdout) for s in suffixes.get(kind, [""])}


def recording_rules() -> set[str]:
    return {r["record"] for g in yaml.safe_load(ALERTS_YML.read_text())["groups"] for r in g["rules"] if "record" in r}


def test_the_metrics_of_the_brief_are_exported(exported_metrics):
    for name in (
        "newsflow_ingest_received_total",
        "newsflow_ingest_produced_total",
        "newsflow_ingest_rejected_total",
        "newsflow_ingest_batch_size_bucket",
        "newsflow_ingest_request_seconds_bucket",
        "newsflow_enrich_consumed_total",
        "newsflow_enrich_produced_total",
        "newsflow_enrich_deadlettered_total",
        "newsflow_enrich_retries_total",
        "newsflow_enrich_batch_size_bucket",
        "newsflow_enrich_batch_seconds_bucket",
        "newsflow_index_consumed_total",
        "newsflow_index_indexed_total",
        "newsflow_index_deadlettered_total",
        "newsflow_index_retries_total",
        "newsflow_index_bulk_docs_bucket",
        "newsflow_index_bulk_seconds_bucket",
        "newsflow_index_freshness_seconds_bucket",
        "newsflow_index_healthy",
        "newsflow_consumer_lag",
        "newsflow_deadletter_brake_tripped",
    ):
        assert name in exported_metrics, name


def test_every_metric_the_dashboard_and_rules_use_exists(exported_metrics):
    known = exported_metrics | LAG_EXPORTER_METRICS | recording_rules()
    exprs = [("dashboard: " + title, expr) for title, _, expr in dashboard_queries()]
    exprs += [
        (r.get("alert") or r["record"], r["expr"])
        for g in yaml.safe_load(ALERTS_YML.read_text())["groups"]
        for r in g["rules"]
    ]
    unknown = {(where, name) for where, expr in exprs for name in metric_names(expr) if name not in known}
    assert not unknown, sorted(unknown)


# == Grafana =================================================================================================


def test_grafana_provisioning_points_at_prometheus_and_the_dashboards(compose):
    (datasource,) = yaml.safe_load((GRAFANA_PROVISIONING / "datasources" / "prometheus.yml").read_text())["datasources"]
    assert datasource["type"] == "prometheus" and datasource["uid"] == "prometheus"
    assert datasource["url"] == "http://prometheus:9090" and "prometheus" in compose["services"]
    (provider,) = yaml.safe_load((GRAFANA_PROVISIONING / "dashboards" / "newsflow.yml").read_text())["providers"]
    mounts = dict(v.split(":")[1::-1] for v in compose["services"]["grafana"]["volumes"] if v.startswith("./"))
    assert Path(mounts[provider["options"]["path"]]) == Path("./deploy/grafana/dashboards")
    assert mounts["/etc/grafana/provisioning"] == "./deploy/grafana/provisioning"


def test_dashboard_panels_all_have_promql_on_the_provisioned_datasource():
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["title"] and "id" not in dashboard
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len(panels) >= 10
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in panels:
        assert panel["datasource"] == {"type": "prometheus", "uid": "prometheus"}, panel["title"]
        assert panel["targets"], f"panel {panel['title']!r} has no query"
        for target in panel["targets"]:
            assert target.get("expr", "").strip(), f"panel {panel['title']!r} target {target['refId']} has no PromQL"
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
    cells = {}
    for panel in dashboard["panels"]:
        g = panel["gridPos"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{panel['title']!r} overlaps {cells[(x, y)]!r}"
                cells[(x, y)] = panel["title"]


def test_dashboard_shows_lag_trend_throughput_errors_and_freshness():
    exprs = [expr for _, _, expr in dashboard_queries()]

    def some(pattern: str) -> bool:
        return any(re.search(pattern, e) for e in exprs)

    assert some(r"by \(consumergroup, topic, partition\) \(kafka_consumergroup_lag"), "lag per group and partition"
    assert some(r"deriv\(kafka_consumergroup_lag\{[^}]*\}\[5m\]\)"), "lag trend per partition"
    for stage in ("ingest_produced", "enrich_produced", "index_indexed"):
        assert some(rf"rate\(newsflow_{stage}_total"), f"throughput of {stage}"
    for name in ("enrich_deadlettered", "index_deadlettered", "ingest_rejected"):
        assert some(rf"rate\(newsflow_{name}_total"), f"error rate {name}"
    for q in ("0.50", "0.95", "0.99"):
        assert some(rf"histogram_quantile\({q}, sum by \(le\) \(rate\(newsflow_index_freshness_seconds_bucket"), (
            f"freshness p{q}"
        )
    assert not [e for e in exprs if "$" in e], "a Grafana variable the tests do not know"


def test_dashboard_promql_parses(tmp_path):
    queries = dashboard_queries()
    rules = {
        "groups": [
            {
                "name": "grafana-panels",
                "rules": [{"record": f"grafana:panel:{n}", "expr": expr} for n, (_, _, expr) in enumerate(queries)],
            }
        ]
    }
    path = tmp_path / "panels.yml"
    path.write_text(yaml.safe_dump(rules))
    run = promtool("check", "rules", str(path))
    where = "\n".join(f"{n}: {title} / {ref}" for n, (title, ref, _) in enumerate(queries))
    assert run.returncode == 0, f"{run.stdout}{run.stderr}\n(rule index: panel / refId)\n{where}"
    assert f"{len(queries)} rules found" in run.stdout


# == Kibana ==================================================================================================


@pytest.fixture(scope="module")
def saved_objects() -> list[dict]:
    lines = [ln for ln in SAVED_OBJECTS.read_text().splitlines() if ln.strip()]
    return [json.loads(line) for line in lines]


def mapping_fields() -> dict[str, dict]:
    """Every field path of the index mapping (objects, nested, multi-fields) → its mapping."""
    from newsflow.contract.mapping import MAPPINGS

    out: dict[str, dict] = {}

    def walk(props: dict, prefix: str) -> None:
        for name, spec in props.items():
            path = prefix + name
            out[path] = spec
            walk(spec.get("properties", {}), path + ".")
            for sub, subspec in spec.get("fields", {}).items():
                out[f"{path}.{sub}"] = subspec

    walk(MAPPINGS["properties"], "")
    return out


def referenced_fields(obj: dict) -> list[tuple[str, bool]]:
    """(field, must be aggregatable) for every field a saved object uses."""
    attrs, out = obj["attributes"], []
    if obj["type"] == "index-pattern":
        out.append((attrs["timeFieldName"], True))
    if obj["type"] == "search":
        out += [(c, False) for c in attrs.get("columns", [])]
        out += [(s[0], True) for s in attrs.get("sort", [])]
    if obj["type"] == "visualization":
        for agg in json.loads(attrs["visState"])["aggs"]:
            if "field" in agg.get("params", {}):
                out.append((agg["params"]["field"], True))
    return out


def test_saved_objects_are_well_formed(saved_objects):
    ids = set()
    for obj in saved_objects:
        assert {"type", "id", "attributes"} <= set(obj), obj.get("id")
        assert (obj["type"], obj["id"]) not in ids, obj["id"]
        ids.add((obj["type"], obj["id"]))
        assert obj["attributes"].get("title"), obj["id"]
        for ref in obj.get("references", []):
            assert (ref["type"], ref["id"]) in ids or any(
                (ref["type"], ref["id"]) == (o["type"], o["id"]) for o in saved_objects
            ), f"{obj['id']} refers to {ref} which is not in the file"
        meta = obj["attributes"].get("kibanaSavedObjectMeta", {}).get("searchSourceJSON")
        if meta:
            source = json.loads(meta)
            if "indexRefName" in source:
                assert source["indexRefName"] in {r["name"] for r in obj["references"]}, obj["id"]
        if obj["type"] == "visualization":
            state = json.loads(obj["attributes"]["visState"])
            assert state["type"] not in ("region_map", "tile_map", "vega", "input_control_vis"), obj["id"]
    assert not [o for o in saved_objects if o["type"] == "lens"], "no Lens by design"


def test_the_map_shows_the_place_points_of_the_mapping_and_is_on_the_dashboard(saved_objects):
    (the_map,) = [o for o in saved_objects if o["type"] == "map"]
    layers = json.loads(the_map["attributes"]["layerListJSON"])
    sources = [layer["sourceDescriptor"] for layer in layers if layer["sourceDescriptor"]["type"] == "ES_SEARCH"]
    assert sources and all(mapping_fields()[s["geoField"]]["type"] == "geo_point" for s in sources)
    refs = {r["name"]: r["id"] for r in the_map["references"]}
    assert all(refs[s["indexPatternRefName"]] == "newsflow-articles" for s in sources)
    dash = dashboard(saved_objects, "newsflow-articles-dashboard")
    assert {"type": "map", "id": the_map["id"]} in [{"type": r["type"], "id": r["id"]} for r in dash["references"]]


def test_data_view_covers_the_alias_with_published_as_time_field(saved_objects):
    (view,) = [o for o in saved_objects if o["type"] == "index-pattern"]
    assert view["attributes"]["title"] == "articles*"
    assert view["attributes"]["timeFieldName"] == "published"
    assert fnmatch.fnmatch("articles", "articles*") and fnmatch.fnmatch("articles-v1", "articles*")
    assert mapping_fields()["published"]["type"] == "date"


def test_every_field_the_saved_objects_use_is_in_the_index_mapping(saved_objects):
    fields = mapping_fields()
    used = [(obj["id"], f, agg) for obj in saved_objects for f, agg in referenced_fields(obj)]
    assert len(used) > 10
    for obj_id, field, aggregatable in used:
        assert field in fields, f"{obj_id} uses {field!r}, which the index mapping (services/index/mapping.py) lacks"
        if aggregatable:
            assert fields[field].get("type") in ("keyword", "date", "long", "integer", "double", "float", "boolean"), (
                f"{obj_id} aggregates or sorts on {field!r}, a {fields[field].get('type')} field"
            )


def dashboard(saved_objects: list[dict], dash_id: str) -> dict:
    (dash,) = [o for o in saved_objects if (o["type"], o["id"]) == ("dashboard", dash_id)]
    return dash


def embedded_in(saved_objects: list[dict], dash: dict) -> list[dict]:
    by_id = {(o["type"], o["id"]): o for o in saved_objects}
    refs = {r["name"]: (r["type"], r["id"]) for r in dash["references"]}
    return [by_id[refs[p["panelRefName"]]] for p in json.loads(dash["attributes"]["panelsJSON"])]


def aggs(state: dict, kind: str) -> list:
    return [a["params"].get("field") for a in state["aggs"] if a["type"] == kind]


def test_dashboard_has_the_panels_asked_for(saved_objects):
    embedded = embedded_in(saved_objects, dashboard(saved_objects, "newsflow-articles-dashboard"))
    states = [json.loads(o["attributes"]["visState"]) for o in embedded if o["type"] == "visualization"]

    assert any(s["type"] == "histogram" and aggs(s, "date_histogram") == ["published"] for s in states), (
        "articles over time"
    )
    for field in ("people", "organisations", "places"):
        assert any(s["type"] == "horizontal_bar" and aggs(s, "terms") == [field] for s in states), f"top {field}"
    assert any(s["type"] == "table" for s in states), "entity table"
    assert any(o["type"] == "search" for o in embedded), "the saved search"


def test_the_articles_dashboard_has_a_stories_panel_on_the_story_id_index_writes(saved_objects):
    embedded = embedded_in(saved_objects, dashboard(saved_objects, "newsflow-articles-dashboard"))
    states = [json.loads(o["attributes"]["visState"]) for o in embedded if o["type"] == "visualization"]
    (stories,) = [s for s in states if aggs(s, "terms") == ["story_id"]]
    assert stories["type"] == "table" and aggs(stories, "top_hits") == ["title.keyword"]
    assert mapping_fields()["story_id"]["type"] == "keyword"


def test_the_entity_dashboard_picks_one_entity_and_shows_it_week_by_week_with_its_companions(saved_objects):
    """What `newsflow entity` prints, for any entity picked from the dashboard's controls."""
    dash = dashboard(saved_objects, "newsflow-entity-dashboard")
    group = dash["attributes"]["controlGroupInput"]
    controls = json.loads(group["panelsJSON"])
    assert sorted(c["explicitInput"]["fieldName"] for c in controls.values()) == ["organisations", "people", "places"]
    assert all(c["type"] == "optionsListControl" and c["explicitInput"]["singleSelect"] for c in controls.values())
    fields = mapping_fields()
    assert all(fields[c["explicitInput"]["fieldName"]]["type"] == "keyword" for c in controls.values())
    # Kibana finds each control's data view through a reference named after the control.
    refs = {r["name"]: (r["type"], r["id"]) for r in dash["references"]}
    for cid in controls:
        assert refs[f"controlGroup_{cid}:optionsListDataView"] == ("index-pattern", "newsflow-articles"), cid
    embedded = embedded_in(saved_objects, dash)
    states = [json.loads(o["attributes"]["visState"]) for o in embedded if o["type"] == "visualization"]
    weekly = [s for s in states if aggs(s, "date_histogram") == ["published"]]
    assert weekly and all(
        a["params"]["interval"] == "w" and a["params"]["min_doc_count"] == 0
        for s in weekly
        for a in s["aggs"]
        if a["type"] == "date_histogram"
    ), "articles per week, the empty weeks shown"
    for field in ("people", "organisations", "places"):
        assert any(aggs(s, "terms") == [field] for s in states), f"{field} mentioned with it"
    assert any(o["type"] == "search" for o in embedded), "the articles themselves"


def test_saved_objects_import_script_posts_the_file(tmp_path):
    seen = {}

    def handle(handler, body):
        seen.update(path=handler.path, headers=handler.headers, body=body)  # case-insensitive header names
        return 200, {"success": True, "successCount": 8}

    with stand_in_server(handle) as url:
        env = {**os.environ, "KIBANA_URL": url, "KIBANA_USERNAME": "u", "KIBANA_PASSWORD": "p"}
        run = subprocess.run(
            [sys.executable, str(KIBANA_IMPORT), str(SAVED_OBJECTS)],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert run.returncode == 0, run.stderr
    assert seen["path"] == "/api/saved_objects/_import?overwrite=true"
    assert seen["headers"].get("kbn-xsrf") and seen["headers"].get("authorization") == "Basic dTpw"
    assert SAVED_OBJECTS.read_bytes() in seen["body"] and seen["headers"].get("content-type").startswith(
        "multipart/form-data"
    )

    with stand_in_server(
        lambda h, b: (200, {"success": False, "errors": [{"id": "x", "error": {"type": "conflict"}}]})
    ) as url:
        env = {**os.environ, "KIBANA_URL": url, "KIBANA_USERNAME": "u", "KIBANA_PASSWORD": "p"}
        run = subprocess.run(
            [sys.executable, str(KIBANA_IMPORT), str(SAVED_OBJECTS)],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert run.returncode == 1 and "conflict" in run.stderr


# == Elasticsearch users and roles ==========================================================================


def load_es_setup():
    spec = importlib.util.spec_from_file_location("newsflow_es_setup", ES_SETUP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_roles_are_least_privilege():
    setup = load_es_setup()
    roles = setup.ROLES
    for name, role in roles.items():
        assert not set(role.get("cluster", [])) & {"all", "manage", "manage_security", "manage_api_key"}, name
        for grant in role.get("indices", []):
            assert set(grant["names"]) <= {"articles*", "alerts-v1"}, name
            assert "all" not in grant["privileges"], name
        for app in role.get("applications", []):
            assert app["resources"] == ["space:default"], name
    # index reads the archive (stories, alerts) and writes it; it may create the alerts index, nothing else.
    grants = {tuple(g["names"]): set(g["privileges"]) for g in roles["newsflow_index"]["indices"]}
    used = {"read", "write", "maintenance", "view_index_metadata"}
    assert grants[("articles*",)] <= used, grants
    assert grants[("alerts-v1",)] <= used | {"create_index"}, grants
    reader = {p for g in roles["newsflow_reader"]["indices"] for p in g["privileges"]}
    assert reader <= {"read", "view_index_metadata"} and "cluster" not in roles["newsflow_reader"]
    assert all(p.endswith(".read") for a in roles["newsflow_reader"]["applications"] for p in a["privileges"])
    assert "indices" not in roles["newsflow_kibana_setup"] and "cluster" not in roles["newsflow_kibana_setup"]
    assert {u: r for u, (_, r) in setup.USERS.items()} == {u: [u] for u in setup.USERS}, "one role per user"


def test_es_setup_script_creates_roles_users_and_kibana_password():
    setup = load_es_setup()
    calls = []

    def handle(handler, body):
        calls.append((handler.command, handler.path.split("?")[0], json.loads(body) if body else None))
        if handler.path.startswith("/_cluster/health"):
            return 200, {"status": "green"}
        return 200, {"created": True, "role": {"created": True}}

    passwords = {var: f"pw-{var.lower()}-0123456789" for var, _ in setup.USERS.values()}
    passwords |= {"KIBANA_SYSTEM_PASSWORD": "kibana-0123456789", "ELASTIC_PASSWORD": "elastic-0123456789"}
    with stand_in_server(handle, headers={"X-Elastic-Product": "Elasticsearch"}) as url:
        run = subprocess.run(
            [sys.executable, str(ES_SETUP)],
            env={**os.environ, **passwords, "NEWSFLOW_ES_URL": url},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode == 0, run.stdout + run.stderr
    done = {path: body for method, path, body in calls if method in ("PUT", "POST")}
    assert done["/_security/user/kibana_system/_password"] == {"password": "kibana-0123456789"}
    for role, spec in setup.ROLES.items():
        assert done[f"/_security/role/{role}"] == spec, role
    for user, (var, roles) in setup.USERS.items():
        assert done[f"/_security/user/{user}"]["password"] == passwords[var]
        assert done[f"/_security/user/{user}"]["roles"] == roles

    with stand_in_server(handle, headers={"X-Elastic-Product": "Elasticsearch"}) as url:
        placeholder = {**passwords, "ES_INDEX_PASSWORD": "change-me"}
        run = subprocess.run(
            [sys.executable, str(ES_SETUP)],
            env={**os.environ, **placeholder, "NEWSFLOW_ES_URL": url},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode != 0 and "ES_INDEX_PASSWORD" in run.stderr


# == the image's HEALTHCHECK script =========================================================================


def test_healthcheck_script_follows_healthz():
    answer = {"status": 200}
    with stand_in_server(lambda h, b: (answer["status"], {"ok": answer["status"] == 200})) as url:
        port = url.rsplit(":", 1)[1]
        env = {**os.environ, "NEWSFLOW_ENRICH_PORT": port}
        check = [sys.executable, str(HEALTHCHECK), "enrich"]
        assert subprocess.run(check, env=env, capture_output=True, timeout=30).returncode == 0
        answer["status"] = 503
        assert subprocess.run(check, env=env, capture_output=True, timeout=30).returncode == 1
    assert subprocess.run(check, env=env, capture_output=True, timeout=30).returncode == 1  # nothing listening


# -- a stand-in HTTP server on 127.0.0.1 ---------------------------------------------------------------------


class stand_in_server:
    """Answers every request with handle(handler, body) -> (status, JSON); yields its base URL."""

    def __init__(self, handle, headers: dict | None = None):
        self.handle, self.headers = handle, headers or {}

    def __enter__(self) -> str:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, payload = outer.handle(self, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for key, value in outer.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_HEAD = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


# == compose and the local apache stack run the same servers =================================================


def test_compose_runs_the_versions_the_apache_stack_assembles(compose):
    from newsflow.cli.local import apache

    services = compose["services"]
    assert services["kafka"]["image"] == f"apache/kafka:{apache.kafka_version()}"
    assert services["elasticsearch"]["image"] == f"elasticsearch:{apache.elasticsearch_version()}"
    assert services["kibana"]["image"] == f"kibana:{apache.elasticsearch_version()}"


def test_the_lag_exporter_is_newsflows_own_on_the_port_prometheus_scrapes(compose):
    """The exporter whose lag in seconds and status the dashboard's last row and four alert rules read: kafka-
    exporter's image serves none of those series, so compose runs `newsflow exporter` as `newsflow up` does."""
    from newsflow.cli.settings import CliSettings
    from newsflow.contract.stages import LAG_EXPORTER_PORT

    svc = compose["services"]["lag-exporter"]
    assert svc["command"] == ["newsflow", "exporter"]
    assert svc["build"]["target"] == "cli" and svc["image"].startswith("newsflow-cli:")
    env = svc["environment"]
    assert env["NEWSFLOW_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert env["NEWSFLOW_LAG_EXPORTER_PORT"] == str(LAG_EXPORTER_PORT)
    # Every setting given is one the exporter reads (a misspelt name would be ignored silently).
    known = {f"NEWSFLOW_{name.upper()}" for name in CliSettings.model_fields}
    assert set(env) <= known, set(env) - known
    assert str(LAG_EXPORTER_PORT) in " ".join(svc["healthcheck"]["test"])


# == the hand-written deployment agrees with the stage registry ==================================================


def test_compose_prometheus_and_the_dashboard_agree_with_the_stage_registry(compose):
    from newsflow.contract.stages import LAG_EXPORTER_PORT, STAGES, consuming, topics

    services = compose["services"]
    jobs = {
        j["job_name"]: j
        for j in yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())["scrape_configs"]
    }
    dashboard = DASHBOARD.read_text()
    for entry in STAGES:
        env = services[entry.name]["environment"]
        assert env[entry.port_setting] == str(entry.port), entry.name
        assert services[entry.name]["build"]["target"] == entry.name
        job = jobs[entry.name]
        if "static_configs" in job:
            assert job["static_configs"][0]["targets"] == [f"{entry.name}:{entry.port}"], entry.name
        else:  # found through DNS, for a stage that scales out
            assert job["dns_sd_configs"][0]["names"] == [entry.name] and job["dns_sd_configs"][0]["port"] == entry.port
        assert entry.metrics_prefix in dashboard, f"the dashboard shows nothing of {entry.name}"
    group_var = re.search(r'"\$group": "([^"]+)"', (REPO / "tests" / "e2e" / "test_monitoring.py").read_text()).group(1)
    for entry in consuming():
        assert re.fullmatch(group_var, entry.group), entry.group
    for topic in topics():
        assert re.fullmatch(r"(articles|feeds|keys|alerts)[.].+", topic), topic
    assert jobs["lag-exporter"]["static_configs"][0]["targets"] == [f"lag-exporter:{LAG_EXPORTER_PORT}"]
