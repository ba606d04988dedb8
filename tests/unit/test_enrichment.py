"""The enrichment on a recogniser that needs no model: what it makes of the spans it is given."""

from datetime import UTC, datetime

from newsflow.contract import ArticleSubmission
from newsflow.nlp.enrichment import Failure, enrich_batch
from newsflow.nlp.recognise import recogniser, relabel
from newsflow.stages.ingest.prepare import prepare
from tests.factories import FakeRecogniser

NOW = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)


def raw(text: str, **fields):
    return prepare(ArticleSubmission(text=text, **fields), "test", NOW, 10**7)


def test_facets_dates_and_the_model_come_from_the_recogniser():
    (article,) = enrich_batch(
        [
            raw(
                "Mayor Ada Lind of Riverton opened the bridge on Monday, and Ada Lind spoke.",
                title="Bridge",
                published="2025-03-03",
            )
        ],
        FakeRecogniser(),
        NOW,
    )
    assert [f.name for f in article.people] == ["Ada Lind"] and article.people[0].count == 2
    assert [f.name for f in article.places] == ["Riverton"]
    (monday,) = article.dates
    assert monday.value == "2025-03-03" and monday.relative  # resolved against publication, not today
    assert article.enrichment.model == "fake_model" and article.version == int(NOW.timestamp() * 1_000_000)


def test_a_text_the_recogniser_fails_on_costs_that_article_only():
    good, bad = (
        raw("Ada Lind opened the Riverton bridge on Monday.", title="Good"),
        raw("It went boom in Riverton.", title="Bad"),
    )
    results = enrich_batch([good, bad], FakeRecogniser("fail"), NOW)
    assert results[0].people[0].name == "Ada Lind"
    assert isinstance(results[1], Failure) and results[1].reason == "enrich-crashed"
    assert "the fake model broke" in results[1].message


def test_a_label_map_turns_a_models_labels_into_newsflows():
    found = FakeRecogniser(names={"Ada Lind": "PER", "Lyon": "LOC"}).spans(["Ada Lind spoke in Lyon.", "x"])
    error = RuntimeError("x")
    assert relabel([*found, error], {"PER": "PERSON"}) == [
        [("Ada Lind", "PERSON", 0, 8), ("Lyon", "LOC", 18, 22)],
        [],
        error,
    ]


def test_another_recogniser_is_one_setting_away():
    found = recogniser("tests.factories:FakeRecogniser", "any-model", "ner")
    assert isinstance(found, FakeRecogniser) and found.info.name == "fake_model"


FRENCH = (
    "Ada Lind a visité Riverton lundi. Le gouvernement a présenté un plan pour les hôpitaux de la région, et les "
    "syndicats ont salué l'annonce avant la fin de l'année."
)


def test_each_article_goes_to_the_recogniser_of_its_language_and_one_with_none_says_so():
    from newsflow.nlp.recognise import Recognisers

    english_only = Recognisers([FakeRecogniser(language="en")])
    english, french = enrich_batch(
        [raw("Ada Lind opened the Riverton bridge on Monday, the mayor of the town said."), raw(FRENCH)],
        english_only,
        NOW,
    )
    assert (english.language, english.entities_status, [f.name for f in english.people]) == ("en", "ok", ["Ada Lind"])
    assert (french.language, french.language_source) == ("fr", "detected") and french.language_confidence > 0.9
    assert french.entities_status == "no model for fr" and not french.people and not french.entities
    assert french.enrichment.model == "none" and french.body  # indexed all the same, searchable by its words
    both = Recognisers([FakeRecogniser(language="en"), FakeRecogniser(language="fr")])
    (again,) = enrich_batch([raw(FRENCH)], both, NOW)
    assert again.entities_status == "ok" and [f.name for f in again.people] == ["Ada Lind"]


def test_a_language_given_with_the_article_is_taken_as_given():
    (article,) = enrich_batch([raw(FRENCH, language="en")], FakeRecogniser(), NOW)
    assert (article.language, article.language_source, article.language_confidence) == ("en", "given", None)


def test_an_article_whose_recogniser_finds_no_dates_gets_them_from_its_own_language():
    text = (
        "Le ministre a présenté le plan le 9 décembre 2022 devant les députés. Hier, les syndicats ont répondu, "
        "et je pense que la réforme sera votée en 2023, a-t-il dit."
    )
    (article,) = enrich_batch([raw(text, published="2022-12-12")], FakeRecogniser(names={}), NOW)
    found = {(d.text, d.value) for d in article.dates}
    assert ("9 décembre 2022", "2022-12-09") in found and ("2023", "2023") in found
    assert ("Hier", "2022-12-11") in found  # relative, against the publication date
    assert not [d for d in article.dates if d.text.lower() in ("je", "me")]  # dateparser's readings of pronouns
    (undated,) = enrich_batch([raw(text)], FakeRecogniser(names={}), NOW)
    assert {d.text: d.value for d in undated.dates}["Hier"] is None  # never against today's clock


def test_a_name_only_the_title_gives_is_a_facet_where_the_title_is_read_and_the_entities_stay_the_bodys():
    from dataclasses import replace

    text, title = "The mayor opened the bridge in Riverton on Monday, to applause.", "Ada Lind's bridge on Monday"
    # facets.EARNED: CoreNLP's German reads the title; spaCy's small English model does not (Title Case misleads it).
    reader = FakeRecogniser()
    reader.info = replace(reader.info, kind="corenlp")
    (article,) = enrich_batch([raw(text, title=title, language="de")], reader, NOW)
    assert [(f.name, f.count) for f in article.people] == [("Ada Lind", 1)]
    # Offsets are into the body, and the title's own mentions and dates are not the body's.
    assert [(e.text, article.body[e.start : e.end]) for e in article.entities] == [("Riverton", "Riverton")]
    assert [(d.text, article.body[d.start : d.end]) for d in article.dates] == [("Monday", "Monday")]
    (english,) = enrich_batch([raw(text, title=title, language="en")], FakeRecogniser(), NOW)
    assert english.people == [] and [e.text for e in english.entities] == ["Riverton"]


def test_a_name_all_in_lower_case_is_kept_only_from_a_recogniser_trusted_with_such_names():
    from dataclasses import replace

    text = "Ada Lind opened the Riverton bridge on Monday, the mayor of the town told dpa and the mosques nearby."
    names = {"Ada Lind": "PERSON", "dpa": "ORG"}
    small = FakeRecogniser(names=names)  # spaCy's family: its lower-case "names" are common nouns ("mosques")
    (article,) = enrich_batch([raw(text, language="en")], small, NOW)
    assert [f.name for f in article.organisations] == []
    corenlp = FakeRecogniser(names=names)
    corenlp.info = replace(corenlp.info, kind="corenlp")  # facets.EARNED: the rule is not CoreNLP's
    (article,) = enrich_batch([raw(text, language="en")], corenlp, NOW)
    assert [f.name for f in article.organisations] == ["dpa"]
