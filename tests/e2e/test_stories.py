"""Copies of one story fed under different URLs, headlines and endings become one story: `newsflow search` shows it
once with its copies counted, `--all` shows every article, and another story on the same topic stays apart."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO
from tests.running import cli, cli_json

pytestmark = pytest.mark.e2e

REAL_NEWS = REPO.parent / "shared" / "real-news"
QUERY = "Ebola Kibaale"


@pytest.fixture
def copies_fed(deployment, tmp_path):
    story, other = REAL_NEWS / "ebola-uganda.txt", REAL_NEWS / "mers-korea.txt"
    if not (story.is_file() and other.is_file()):
        pytest.skip(f"the real articles are not here ({REAL_NEWS} is absent: a user's own clone)")
    paragraphs = [p for p in story.read_text().splitlines() if p.strip()]
    full = "\n\n".join(paragraphs)
    articles = [
        ("Ebola outbreak spreads to more villages in Uganda", "https://wire.example/ebola-1", "Wire", full),
        # A brief: another headline, the ending cut.
        ("Six more suspected Ebola cases", "https://outlet-a.example/ebola", "Outlet A", "\n\n".join(paragraphs[:6])),
        # A republication with its own headline and a line of its own at the end.
        (
            "Uganda: Ebola fears grow",
            "https://outlet-b.example/2012/ebola",
            "Outlet B",
            full + "\n\n(Reporting by staff)",
        ),
        # Another outbreak story: the same topic, not a copy.
        ("MERS in South Korea", "https://wire.example/mers", "Wire", other.read_text()),
    ]
    feed = tmp_path / "copies.jsonl"
    feed.write_text(
        "".join(json.dumps({"title": t, "url": u, "source": s, "text": b}) + "\n" for t, u, s, b in articles)
    )
    done = cli(["feed", str(feed), "--wait", "--timeout", "240"], deployment)
    assert done.returncode == 0, done.stderr.decode()
    assert "accepted 4, rejected 0" in done.stdout.decode()
    return deployment, [u for _, u, _, _ in articles]


def test_copies_under_different_urls_are_one_story_and_search_shows_it_once(copies_fed):
    env, urls = copies_fed
    every = {h["url"]: h for h in cli_json(["search", QUERY, "--all", "--json", "--size", "100"], env)["hits"]}
    copies = [every[u] for u in urls[:3]]
    (story,) = {h["story_id"] for h in copies}
    # The first of them starts the story (none of it was indexed before) and the others are its copies.
    assert sorted(h["is_duplicate"] for h in copies) == [False, True, True]
    first = next(h for h in copies if not h["is_duplicate"])
    assert first["id"] == story and all(h["duplicate_of"] == story for h in copies if h["is_duplicate"])

    collapsed = cli_json(["search", QUERY, "--json", "--size", "100"], env)
    mine = [h for h in collapsed["hits"] if h["story_id"] == story]
    assert len(mine) == 1 and mine[0]["copies"] == 2, mine
    assert collapsed["stories"] <= collapsed["total"] - 2
    shown = cli(["search", QUERY], env).stdout.decode()
    assert "and 2 copies" in shown, shown

    # The other outbreak is a story of its own.
    (mers,) = [
        h for h in cli_json(["search", "MERS", "--all", "--json", "--size", "100"], env)["hits"] if h["url"] == urls[3]
    ]
    assert (mers["story_id"], mers["is_duplicate"]) == (mers["id"], False) and mers["story_id"] != story
