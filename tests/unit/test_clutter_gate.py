"""ingest's gate (``keeps_body_text``, which stops at the first unit it keeps) answers as ``drop_clutter`` over the
whole text does, and a long text judged by its first paragraphs gets the answer the whole would."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from newsflow.text.clean import _FIRST_LOOK, has_article_text
from newsflow.text.clutter import drop_clutter, keeps_body_text
from newsflow.text.units import is_body_text, split_units

PROSE = "Crews in Riverton began repairs to the harbour wall on Monday, the port authority said on Tuesday."
UNITS = [
    PROSE,
    "Repairs began on Monday morning.",  # body text, not prose: the trailer may take it
    "Crews in Riverton began repairs to the harbour wall on Monday, the port authority",  # a pull quote of PROSE
    "Share this article",
    "Read more",
    "Home | News | Sport",
    "By Ana Writer",
    "Photo: Reuters",
    "Subscribe to our newsletter for the latest news and offers from our site.",
    "A second paragraph tells what the council decided and why the money came late.",
    "Short line",
    "Ari Soffer,",
    "[Advertisement]",
    # A long unit that is no sentence, and a later sentence whose words all stand in it: a pull quote.
    "Crews in Riverton began repairs to the harbour wall on Monday as storms had loosened the stones",
    "Crews in Riverton began repairs to the harbour wall on Monday.",
]


def whole(units: list[str]) -> bool:
    return any(is_body_text(u) for u in drop_clutter(units)[0])


@settings(max_examples=3_000, deadline=None)
@given(st.lists(st.sampled_from(UNITS), max_size=14))
def test_the_gate_answers_as_dropping_the_clutter_of_every_unit_does(units):
    assert keeps_body_text(units) == whole(units)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(UNITS), min_size=1, max_size=8), st.integers(0, _FIRST_LOOK // 8))
def test_a_long_text_judged_by_its_first_paragraphs_is_judged_as_whole(units, filler):
    text = "\n\n".join(["Read more"] * filler + units)
    assert has_article_text(text, "text/plain") == whole(split_units(text))


def test_the_first_look_ends_at_a_paragraph_not_inside_one():
    # A caption straddling the first look's end: cut inside it, its first words would read as a sentence.
    caption = "Crews repaired the harbour wall on Monday. (Photo: Reuters)"
    start = _FIRST_LOOK - len("Crews repaired the harbour wall on Monday. (Pho")  # the first look ends in "(Photo"
    head = "\n\n".join(["Read more"] * (_FIRST_LOOK // 12))
    text = head + "\n\n" + "x" * (start - len(head) - 4) + "\n\n" + caption
    assert text.index(caption) == start
    assert not whole(split_units(text)) and not has_article_text(text, "text/plain")
