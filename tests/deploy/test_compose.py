"""The compose file, checked without a Docker engine: structure, references and the settings it passes."""

from pathlib import Path

import pytest
import yaml

from newsflow.runtime.settings import CommonSettings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_every_service_has_an_image_or_a_build_that_exists(compose):
    for name, service in compose["services"].items():
        assert "image" in service or "build" in service, name
        if "build" in service:
            assert (REPO / service["build"]["context"] / service["build"]["dockerfile"]).is_file(), name


def test_depends_on_waits_on_health_or_completion(compose):
    for name, service in compose["services"].items():
        for dep, cond in (service.get("depends_on") or {}).items():
            assert dep in compose["services"], (name, dep)
            assert cond["condition"] in ("service_healthy", "service_completed_successfully"), (name, dep)
            if cond["condition"] == "service_healthy":
                assert "healthcheck" in compose["services"][dep] or dep in ("ingest", "enrich", "index"), (name, dep)


def test_enrich_can_scale(compose):
    enrich = compose["services"]["enrich"]
    assert "container_name" not in enrich and "ports" not in enrich


def test_published_ports_bind_to_loopback(compose):
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)


def test_services_are_configured_with_settings_they_read(compose):
    known = {f"NEWSFLOW_{f.upper()}" for f in CommonSettings.model_fields} | {
        "NEWSFLOW_HEALTH_PORT", "NEWSFLOW_ENRICH_PROCESSES"}
    for name in ("ingest", "enrich", "index", "init"):
        env = compose["services"][name]["environment"]
        assert set(env) <= known, (name, set(env) - known)
        assert env["NEWSFLOW_KAFKA_BOOTSTRAP"] == "kafka:9092" and env["NEWSFLOW_ES_URL"].startswith("http://elasticsearch")


def test_commands_name_real_modules(compose):
    import importlib.util

    for name in ("ingest", "enrich", "index"):
        command = compose["services"][name]["command"]
        assert command[:2] == ["python", "-m"] and importlib.util.find_spec(command[2]) is not None
