"""The article-level decisions of enrichment: its language, its authors, the class of each name, where its places
are. Pure, no model (made-up facets) except where the language detector's own model is the point."""

from __future__ import annotations

import pytest

from newsflow.nlp.entities import Facet, Mention, MergedEntities
from newsflow.nlp.facets import decide
from newsflow.nlp.gazetteer import lookup
from newsflow.nlp.language import detect_language
from newsflow.text.byline import byline_authors, find_authors
from newsflow.text.clean import clean_article, repair

FRENCH = (
    "Le gouvernement a présenté mercredi un plan pour les hôpitaux de la région. Les syndicats ont salué "
    "l'annonce, mais ils attendent des moyens supplémentaires avant la fin de l'année."
)
ENGLISH = (
    "The council approved the new budget on Tuesday after a long debate. Residents said the plan would fund "
    "more buses and repair the old bridge before the winter."
)


def test_the_language_given_wins_over_the_text():
    assert detect_language(FRENCH, "en", "en").code == "en" and detect_language(FRENCH, "en", "en").source == "given"


def test_the_language_is_detected_from_the_text_with_its_confidence():
    fr, en = detect_language(FRENCH, None, "en"), detect_language(ENGLISH, None, "en")
    assert (fr.code, fr.source, en.code) == ("fr", "detected", "en")
    assert fr.confidence is not None and fr.confidence >= 0.9


def test_a_text_too_short_to_tell_takes_the_default_and_says_so():
    found = detect_language("Ada Lind visited Riverton.", None, "en")
    assert (found.code, found.source) == ("en", "default")


@pytest.mark.parametrize(
    ("unit", "authors"),
    [
        ("By Jane Roe", ["Jane Roe"]),
        ("By JANE ROE and John Smith, Reuters", ["Jane Roe", "John Smith"]),
        ("Posted By Maria de la Cruz at 3:04 PM", ["Maria de la Cruz"]),
        ("Written by: Ola Persson | 28 November 2016", ["Ola Persson"]),
        ("By our city desk", []),
        ("Posted By Gant News", []),
        ("By Staff", []),
        ("Posted By: Staff", []),
        ("By the end of the year the bridge will be open again, the mayor said.", []),
        ("Karin Holm visited a hospital.", []),
    ],
)
def test_bylines_give_the_names_of_people_only(unit, authors):
    assert byline_authors(unit) == authors


def test_the_byline_is_found_near_the_top_or_the_bottom_only():
    body = ["Title here", "By Jane Roe", *["A sentence of the article body."] * 20, "By John Smith"]
    assert find_authors(body) == ["Jane Roe"]
    assert find_authors(["Title", *["A sentence of the body."] * 30, "Written by John Smith"]) == ["John Smith"]


def test_a_byline_is_an_author_not_silently_deleted():
    clean = clean_article(
        "Bridge reopens\n\nBy Jane Roe\n\nThe bridge over the river reopened on Monday.", "text/plain"
    )
    assert clean.authors == ("Jane Roe",) and "Jane Roe" not in clean.body


def test_mojibake_is_repaired_before_anything_reads_the_text():
    assert repair("The mayorâ€™s office said itÂ\xa0would open.") == "The mayor’s office said it\xa0would open."
    assert repair("plain ascii") == "plain ascii"


def merged(*facets: tuple[str, str, int], variants: dict | None = None) -> MergedEntities:
    from newsflow.nlp.entities import GROUPS

    out = MergedEntities()
    for name, label, count in facets:
        getattr(out, GROUPS[label]).append(Facet(name, label, count, tuple((variants or {}).get(name, ()))))
        out.mentions.append(Mention(name, label, 0, len(name), name))
    return out


def groups_of(decided) -> dict[str, list[str]]:
    m = decided.merged
    return {g: [f.name for f in getattr(m, g)] for g in ("people", "organisations", "places", "other")}


def test_a_name_shaped_like_an_organisation_is_one_whatever_the_model_said():
    got = groups_of(decide(merged(("Riverton FC", "PERSON", 3), ("Ministry of Health", "GPE", 1)), ""))
    assert got["organisations"] == ["Riverton FC", "Ministry of Health"] and not got["people"] and not got["places"]


def test_a_venue_is_no_place():
    got = groups_of(decide(merged(("Riverton Stadium", "FAC", 2), ("Riverton Hospital", "FAC", 1)), ""))
    assert got["other"] == ["Riverton Stadium"] and got["organisations"] == ["Riverton Hospital"]


def test_a_one_word_person_needs_the_article_to_treat_it_as_one():
    body = "Holm said the plan was ready. Twitter was full of it. Persson arrived later."
    got = groups_of(decide(merged(("Holm", "PERSON", 2), ("Twitter", "PERSON", 1), ("Persson", "PERSON", 1)), body))
    assert got["people"] == ["Holm"] and set(got["other"]) == {"Twitter", "Persson"}


def test_a_capitalised_acronym_is_no_person():
    assert groups_of(decide(merged(("SANA", "PERSON", 2)), "SANA reported the attack."))["organisations"] == ["SANA"]


def test_the_gazetteer_catches_countries_and_large_cities_labelled_otherwise():
    got = groups_of(decide(merged(("Syria", "PERSON", 2), ("Aleppo", "PERSON", 1), ("Germany", "ORG", 1)), ""))
    assert set(got["places"]) == {"Syria", "Aleppo", "Germany"}


def test_context_makes_a_place_or_an_organisation_of_a_person():
    body = "Fighting reached the town of Tel Marin. Dozens of Harakat Nour fighters withdrew."
    got = groups_of(decide(merged(("Tel Marin", "PERSON", 1), ("Harakat Nour", "PERSON", 1)), body))
    assert got["places"] == ["Tel Marin"] and got["organisations"] == ["Harakat Nour"]


def test_a_person_listed_among_organisations_is_one_of_them():
    body = "Ahl Front, Qasim Tamr and the Union of Sheikhs signed."
    m = MergedEntities()
    for name, label, start in (("Ahl Front", "ORG", 0), ("Qasim Tamr", "PERSON", 11), ("Union of Sheikhs", "ORG", 30)):
        group = {"ORG": m.organisations, "PERSON": m.people}[label]
        group.append(Facet(name, label, 1))
        m.mentions.append(Mention(name, label, start, start + len(name), name))
    assert groups_of(decide(m, body))["organisations"] == ["Ahl Front", "Qasim Tamr", "Union of Sheikhs"]


def test_a_real_person_keeps_the_facet():
    body = "Ada Lind said the bridge would open. Mr Lind arrived in Riverton."
    assert groups_of(decide(merged(("Ada Lind", "PERSON", 2)), body))["people"] == ["Ada Lind"]


def test_places_the_gazetteer_knows_carry_where_they_are_in_the_country_of_focus():
    paris_fr = lookup("Paris")
    assert paris_fr is not None and paris_fr.country_code == "FR" and paris_fr.latitude is not None
    assert lookup("Paris", focus="US").country_code == "US"  # Paris, Texas, where the article is about the US
    assert lookup("South Korea").kind == "country" and lookup("South Korea").latitude is None
    decided = decide(merged(("Paris", "GPE", 1), ("Texas", "GPE", 3), ("Dallas", "GPE", 1)), "")
    assert decided.places["Paris"].country_code == "US" and decided.places["Texas"].kind == "state"
    assert lookup("Nowhere-on-the-map") is None


def test_a_description_the_model_took_for_a_name_is_no_person_or_place():
    got = groups_of(
        decide(merged(("président de la Métropole", "PERSON", 1), ("al-Assad", "PERSON", 2)), "al-Assad said")
    )
    assert got["other"] == ["président de la Métropole"] and got["people"] == ["al-Assad"]


def test_a_dateline_in_the_articles_own_language_is_its_publication_date():
    from datetime import date

    from newsflow.text.dateline import take_dateline_in

    body = "Publié le 12 mars 2025\n\nLa ligne de tramway a été inaugurée mardi devant les habitants du quartier."
    assert take_dateline_in(body, "fr") == (date(2025, 3, 12), body.split("\n\n")[1])
    sentence = "La ligne a été inaugurée le 12 mars 2025 devant les habitants du quartier et les élus."
    assert take_dateline_in(sentence, "fr") == (None, sentence)  # a date inside a sentence is no dateline
