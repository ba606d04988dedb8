"""End to end, as a user runs it: `newsflow up`, feed, search, lag, status, down — all three services, on
each local stack `newsflow up` starts itself: apache (Apache Kafka and Elasticsearch, the reference) and
embedded (noida-db, what `make run` starts on a machine without Java)."""

from __future__ import annotations

import json

import pytest

from newsflow.cli.procs import Proc, alive
from newsflow.runtime.servers import wait_until
from tests.conftest import EXAMPLES
from tests.running import cli, cli_json, isolated_env, local_stack_env
from tests.servers import STACK, reference_servers
from tests.tools import require_apache_tools

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=["apache", "embedded"])
def deployment(request, tmp_path_factory):
    """`newsflow up` in a fresh home, starting the local stack itself, as for a user; or, with
    NEWSFLOW_TEST_STACK=docker|external, the three services on those servers."""
    home = tmp_path_factory.mktemp(f"home-{request.param}")
    tuning = {"NEWSFLOW_ENRICH_PROCESSES": "2", "NEWSFLOW_BULK_MAX_WAIT_S": "0.3"}
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


def search(env, query: str, size: int = 20) -> list[dict]:
    return cli_json(["search", query, "--json", "--size", str(size)], env)["hits"]


def total_lag(env) -> int:
    return cli_json(["lag", "--json"], env)["total_lag"]


def test_status_lists_every_component_healthy(deployment):
    components = cli_json(["status", "--json"], deployment)["components"]
    names = [c["name"] for c in components]
    services = ["lag-exporter", "ingest", "enrich", "index"]
    assert names[names.index("lag-exporter") :][:4] == services
    status = cli_json(["status", "--json"], deployment)
    if deployment.get("NEWSFLOW_LOCAL_STACK") != "none":
        assert names[:2] == ["kafka", "elasticsearch"]
        assert status["stack"] == deployment["NEWSFLOW_STACK"]
    assert all(c["health"] == "healthy" and c["pid"] and c["address"] for c in components), components


def test_examples_become_searchable_with_entities_and_dates(deployment):
    done = cli(["feed", str(EXAMPLES), "--wait", "--timeout", "240"], deployment)
    assert done.returncode == 0, done.stderr.decode()
    hits = search(deployment, "Rotterdam")
    assert len(hits) >= 2
    for hit in hits:
        assert hit["body"] and hit["entities"] and hit["enrichment"]["model"] and "Rotterdam" in hit["body"]
    # Every hit names the city as an entity; which label the small English model gives it varies
    # ("The Rotterdam central library" reads as a person to it), so only some carry it as a place.
    assert all(any(e["canonical"].startswith("Rotterdam") for e in hit["entities"]) for hit in hits)
    assert any("Rotterdam" in hit["places"] for hit in hits)
    assert any(d["value"] for h in hits for d in h["dates"])
    bridge = next(h for h in hits if h["title"].startswith("Rotterdam opens its new harbour bridge"))
    assert bridge["published"] == "2025-03-03" and bridge["published_source"] == "extracted"
    assert "Ada Lind" in bridge["people"]
    assert {"text": "last Friday", "value": "2025-02-28"}.items() <= next(
        d for d in bridge["dates"] if d["text"] == "last Friday"
    ).items()
    # The French example: detected as French, read by the French model, its place on the map, its dates its own.
    (tram,) = search(deployment, "tramway Villeurbanne")
    assert (tram["language"], tram["language_source"], tram["entities_status"]) == ("fr", "detected", "ok")
    assert tram["enrichment"]["model"] == "fr_core_news_sm" and "Bruno Bernard" in tram["people"]
    assert (
        tram["published"] == "2025-03-12"
        and {"text": "mardi", "value": "2025-03-11"}.items()
        <= next(d for d in tram["dates"] if d["text"] == "mardi").items()
    )
    assert "Villeurbanne" in tram["places"] and tram["place_countries"] == ["FR"] and len(tram["place_points"]) == 1


def test_seed_articles_become_searchable(deployment, seeds_dir):
    done = cli(["feed", str(seeds_dir), "--wait", "--timeout", "240"], deployment)
    assert done.returncode == 0, done.stderr.decode()
    assert "accepted 5, rejected 0" in done.stdout.decode()
    hits = search(deployment, "rebel infighting")
    assert len(hits) >= 3
    people = {p for h in hits for p in h["people"]}
    places = {p for h in hits for p in h["places"]}
    assert "Bashar al-Assad" in people, people
    assert "Aleppo" in places, places
    assert all(h["dates"] for h in hits)  # every one mentions dates...
    assert (
        sum(any(d["value"] for d in h["dates"]) for h in hits) >= 3
    )  # ...most resolve (relative ones need a publication date)
    kilo = next(h for h in hits if h["title"] == "Kilo: Syrian opposition will fight on despite Aleppo losses")
    assert (
        kilo["published"] == "2016-11-28"
        and {"text": "Monday", "value": "2016-11-28"}.items() <= kilo["dates"][0].items()
    )
    aleppo = search(deployment, "aleppo")
    assert len(aleppo) >= 5
    wait_until(lambda: total_lag(deployment) == 0, 120, "zero consumer lag")


def test_status_warns_when_the_embedded_stack_holds_more_than_it_serves(deployment):
    assert cli_json(["status", "--json"], deployment)["warnings"] == []
    crowded = cli_json(["status", "--json"], deployment | {"NEWSFLOW_EMBEDDED_ARTICLE_LIMIT": "3"})
    if deployment.get("NEWSFLOW_STACK") == "embedded":
        (warning,) = crowded["warnings"]
        assert "past 3" in warning and "--stack apache" in warning, warning
    else:
        assert crowded["warnings"] == []


def test_feeding_again_adds_no_duplicates(deployment, seeds_dir):
    before = len(search(deployment, "aleppo", size=100))
    done = cli(["feed", str(seeds_dir), "--wait"], deployment)
    assert done.returncode == 0, done.stderr.decode()
    wait_until(lambda: total_lag(deployment) == 0, 120, "zero consumer lag")
    assert len(search(deployment, "aleppo", size=100)) == before


def test_up_brings_back_a_killed_service(deployment, tmp_path):
    home = deployment["NEWSFLOW_HOME"]
    enrich = Proc("enrich", ["newsflow.stages.enrich"], __import__("pathlib").Path(home))
    killed = enrich.kill()
    assert not alive(killed)
    status = {c["name"]: c for c in json.loads(cli(["status", "--json"], deployment).stdout)["components"]}
    assert status["enrich"]["health"] == "stopped"
    done = cli(["up"], deployment)
    assert done.returncode == 0, done.stderr.decode()
    restarted = {c["name"]: c for c in cli_json(["status", "--json"], deployment)["components"]}["enrich"]
    assert restarted["health"] == "healthy" and restarted["pid"] not in (None, killed)
    article = tmp_path / "after-restart.txt"
    article.write_text(
        "Ferry service resumes\n\nThe Riverton ferry resumed service on Friday, the harbour office said."
    )
    done = cli(["feed", str(article), "--wait", "--timeout", "120"], deployment)
    assert done.returncode == 0, done.stderr.decode()
    assert any(h["title"] == "Ferry service resumes" for h in search(deployment, "ferry resumed"))
