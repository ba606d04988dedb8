"""`newsflow entity` on what the pipeline indexed: one person's articles per week by publication date, the
empty week between included, the undated article counted apart, and who is mentioned with her."""

from __future__ import annotations

import json

import pytest

from tests.running import cli, cli_json

pytestmark = pytest.mark.e2e

# Written for this test. The person is named in full and by surname, so the facet merges the two; the last
# article is the control, naming no one.
ARTICLES = [
    (
        "2025-01-07",
        "Angela Merkel returns to Berlin for a book tour",
        "Former German chancellor Angela Merkel returned to Berlin on Tuesday to present her memoir. Merkel told a "
        "crowd of readers that the years in office had taught her patience. The publisher said the first print run "
        "had sold out within days.",
    ),
    (
        "2025-01-09",
        "Merkel and Macron meet in Paris",
        "Angela Merkel met French President Emmanuel Macron in Paris on Thursday. Macron praised her for decades of "
        "work on European unity, and Merkel thanked him for the invitation. The two leaders then visited an "
        "exhibition on the history of the European Union.",
    ),
    (
        "2025-01-22",
        "A prize for Angela Merkel",
        "Angela Merkel received a peace prize in Aachen on Wednesday. Emmanuel Macron sent a message of "
        "congratulation that was read aloud at the ceremony. Merkel said the prize belonged to everyone who had "
        "worked for peace in Europe.",
    ),
    (
        None,
        "Readers write about Angela Merkel",
        "Letters from readers about Angela Merkel keep arriving at the newspaper. Many of them recall the refugee "
        "crisis, when Merkel said that Germany could manage it. Others write about her calm in times of crisis.",
    ),
    (
        "2025-01-08",
        "Snow closes schools in Bavaria",
        "Heavy snow closed hundreds of schools in Bavaria on Wednesday. The weather service expects more snow over "
        "the weekend, and the railways warned of delays.",
    ),
]


def test_an_entity_is_counted_week_by_week_with_the_names_mentioned_with_it(deployment, tmp_path):
    env = deployment
    path = tmp_path / "timeline.jsonl"
    rows = [
        {"url": f"https://timeline.example.org/{n}", "title": title, "text": text} | ({"published": day} if day else {})
        for n, (day, title, text) in enumerate(ARTICLES)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    done = cli(["feed", str(path), "--wait", "--timeout", "240"], env)
    assert done.returncode == 0, done.stderr.decode()

    weeks = cli_json(
        ["entity", "angela merkel", "--by", "week", "--from", "2025-01-06", "--to", "2025-01-26", "--json"], env
    )
    assert [(p["start"], p["articles"]) for p in weeks["periods"]] == [
        ("2025-01-06", 2),
        ("2025-01-13", 0),
        ("2025-01-20", 1),
    ]
    assert weeks["articles"] == 3 and weeks["undated"] == 0
    assert [k["name"] for k in weeks["known_as"]] == ["Angela Merkel"]
    people = {c["name"]: c["articles"] for c in weeks["mentioned_with"]["people"]}
    assert people.get("Emmanuel Macron") == 2 and "Angela Merkel" not in people

    # By surname, over all time: the undated article is counted, and in no period.
    every = cli_json(["entity", "Merkel", "--json"], env)
    assert every["articles"] == 4 and every["undated"] == 1
    assert sum(p["articles"] for p in every["periods"]) == 3

    # The terminal view prints the same weeks, and a name nobody mentions is said so.
    shown = cli(["entity", "Angela Merkel", "--from", "2025-01-06", "--to", "2025-01-26"], env)
    assert shown.returncode == 0, shown.stderr.decode()
    lines = shown.stdout.decode().splitlines()
    assert any("2025-01-13" in line and " 0 " in f"{line} " for line in lines), lines
    assert "Emmanuel Macron (2)" in shown.stdout.decode()
    nobody = cli(["entity", "Nobody Atall"], env)
    assert nobody.returncode == 0 and "no article mentions" in nobody.stdout.decode()
    refused = cli(["entity", "Merkel", "--from", "last week"], env)
    assert refused.returncode == 2 and "not a date" in refused.stderr.decode()
