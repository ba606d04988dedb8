"""Saved-query alerts end to end, as a desk uses them: `newsflow alerts add` with a webhook the test serves, real
articles fed (one story under three URLs, another story, one that does not match), and the webhook receives
exactly one alert per matching story; `alerts tail` and `alerts list` show them, `alerts remove` ends them."""

from __future__ import annotations

import json

import pytest

from newsflow.contract.stages import stage
from newsflow.runtime.servers import http_json, wait_until
from tests.conftest import REPO
from tests.receiver import Receiver
from tests.running import cli, cli_json

pytestmark = pytest.mark.e2e

REAL_NEWS = REPO.parent / "shared" / "real-news"


def total_lag(env) -> int:
    return cli_json(["lag", "--json", "--window", "0"], env)["total_lag"]


@pytest.fixture
def articles(tmp_path):
    arrest, other, unrelated = (REAL_NEWS / f for f in ("idaho-arrest.txt", "police-maryland.txt", "fr-interview.txt"))
    if not all(p.is_file() for p in (arrest, other, unrelated)):
        pytest.skip(f"the real articles are not here ({REAL_NEWS} is absent: a user's own clone)")
    paragraphs = [p for p in arrest.read_text().splitlines() if p.strip()]
    full = "\n\n".join(paragraphs)
    return [
        ("Suspect arrested over Idaho student killings", "https://wire.example/idaho-1", "Wire", full),
        ("Idaho arrest: what we know", "https://outlet-a.example/idaho", "Outlet A", "\n\n".join(paragraphs[:6])),
        ("Arrest in Idaho murders", "https://outlet-b.example/idaho", "Outlet B", full + "\n\n(Reporting by staff)"),
        ("Brothers held after officer killed", "https://wire.example/maryland", "Wire", other.read_text()),
        ("Entretien", "https://wire.example/fr", "Wire", unrelated.read_text()),
    ]


def test_a_webhook_receives_one_alert_per_matching_story(deployment, articles, tmp_path):
    env = deployment
    urls = [u for _, u, _, _ in articles]
    with Receiver() as hooks:
        try:
            added = cli(["alerts", "add", "arrests", "arrested police", "--webhook", hooks.url("/desk")], env)
            assert added.returncode == 0, added.stderr.decode()
            assert "saved query 'arrests' added" in added.stderr.decode()
            assert cli(["alerts", "add", "arrests", "x"], env).returncode == 1, "a second query of that name"
            assert cli(["alerts", "add", "in-idaho", "", "--place", "idaho"], env).returncode == 0
            index = f"http://127.0.0.1:{env[stage('index').port_setting]}/readyz"
            wait_until(lambda: (http_json(index)[1] or {}).get("saved_queries") == 2, 60, "index reading the queries")

            feed = tmp_path / "arrests.jsonl"
            feed.write_text(
                "".join(json.dumps({"title": t, "url": u, "source": s, "text": b}) + "\n" for t, u, s, b in articles)
            )
            done = cli(["feed", str(feed), "--wait", "--timeout", "240"], env)
            assert done.returncode == 0, done.stderr.decode()

            found = cli_json(["search", "arrested police Entretien", "--all", "--json", "--size", "100"], env)
            story = {h["url"]: h["story_id"] for h in found["hits"] if h["url"] in urls}
            assert len(story) == 5, story
            assert story[urls[0]] == story[urls[1]] == story[urls[2]] != story[urls[3]]
            matching = {story[urls[0]], story[urls[3]]}
            wait_until(lambda: {b["story_id"] for b in hooks.bodies("/desk")} >= matching, 120, "both stories' alerts")
            wait_until(lambda: total_lag(env) == 0, 120, "every stage caught up")

            mine = [b for b in hooks.bodies("/desk") if b["story_id"] in set(story.values())]
            # One alert per matching story: none for the two later copies, none for the story that does not match.
            assert sorted(b["story_id"] for b in mine) == sorted(matching), [b["title"] for b in mine]
            assert all(b["query"] == "arrests" and b["id"] == f"arrests:{b['story_id']}" for b in mine)

            tail = cli(["alerts", "tail", "--from-start", "--json", "--timeout", "5"], env)
            assert tail.returncode == 0, tail.stderr.decode()
            shown = [json.loads(line) for line in tail.stdout.decode().splitlines()]
            assert sorted(a["id"] for a in shown if a["query"] == "arrests") == sorted(b["id"] for b in mine)
            assert [a["story_id"] for a in shown if a["query"] == "in-idaho"] == [story[urls[0]]]
            listed = {q["name"]: q for q in cli_json(["alerts", "list", "--json"], env)}
            assert listed["arrests"]["alerts"] == len(mine) and listed["in-idaho"]["alerts"] == 1
            assert listed["in-idaho"]["places"] == ["idaho"] and listed["arrests"]["webhook"] == hooks.url("/desk")
        finally:
            # The deployment is shared: no query of this test may match another test's articles.
            for name in ("arrests", "in-idaho"):
                cli(["alerts", "remove", name], env)
    assert cli_json(["alerts", "list", "--json"], env) == []
