from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsflow.contract import ArticleSubmission
from newsflow.stages.ingest.prepare import Rejected, article_id, prepare

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def sub(**fields) -> ArticleSubmission:
    return ArticleSubmission(**fields)


def test_same_text_same_id_whatever_the_whitespace():
    assert article_id(sub(text="A  story\nabout Riverton.")) == article_id(sub(text="A story about Riverton. "))


def test_different_text_different_id():
    assert article_id(sub(text="One story.")) != article_id(sub(text="Another story."))


def test_url_decides_the_id_so_a_corrected_article_keeps_it():
    a = sub(text="First version.", url="https://Example.org/news/1/#top")
    b = sub(text="Corrected version.", url="https://example.org/news/1")
    assert article_id(a) == article_id(b)


def test_prepare_keeps_the_input_and_sets_type():
    page = f"<p>{STORY}</p>"
    article = prepare(sub(html=page, title=" T "), "page.html", NOW, 10_000)
    assert article.content == page and article.content_type == "text/html"
    assert article.title == "T" and article.origin == "page.html" and article.ingested_at == NOW
    assert prepare(sub(text=f"# H\n\n{STORY}"), "a.md", NOW, 10_000).content_type == "text/markdown"


def test_oversized_article_is_rejected_with_the_limit():
    with pytest.raises(Rejected, match="limit of 1,000"):
        prepare(sub(text="x" * 1_001), None, NOW, 1_000)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({}, "exactly one of 'text' or 'html'"),
        ({"text": "a", "html": "<p>a</p>"}, "exactly one of 'text' or 'html'"),
        ({"text": "   "}, "body is empty"),
        ({"text": "a", "url": "not a url"}, "url"),
        ({"text": "a", "published": "yesterday-ish"}, "published"),
        ({"text": "a", "tilte": "typo"}, "tilte"),
    ],
)
def test_submission_errors_name_the_problem(fields, message):
    with pytest.raises(ValueError, match=message):
        ArticleSubmission(**fields)


STORY = (
    "Crews in Riverton began repairs to the harbour wall on Monday, the port authority said, after winter "
    "storms loosened several hundred stones along the quay."
)


@pytest.mark.parametrize(
    "clutter",
    [
        "Skip to content\n\nMenu\n\nShare this article\n\nRead more\n\n© 2025 Example Gazette. All rights reserved.",
        "<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav><footer>Privacy "
        "policy</footer></body></html>",
    ],
)
def test_input_that_is_only_site_furniture_is_rejected_with_a_reason(clutter):
    field = "html" if clutter.startswith("<") else "text"
    with pytest.raises(Rejected, match="no article text"):
        prepare(sub(**{field: clutter}), "x", NOW, 10_000)


@pytest.mark.parametrize(
    "content", ["PK\x03\x04\x00\x00 zipped bytes " + STORY, "\x01\x02\x03\x04\x05\x06" * 20 + STORY]
)
def test_binary_input_is_rejected(content):
    with pytest.raises(Rejected, match="binary content"):
        prepare(sub(text=content), "x", NOW, 10_000)


def test_a_stray_control_character_in_a_real_article_is_fine():
    assert prepare(sub(text=STORY + "\x0c" + STORY), "x", NOW, 10_000).content.count("\x0c") == 1


def test_a_long_article_is_judged_by_its_first_part_when_that_holds_a_sentence(monkeypatch):
    import newsflow.text.clean as clean

    looked: list[int] = []
    real = clean.split_units
    monkeypatch.setattr(clean, "split_units", lambda text: looked.append(len(text)) or real(text))
    long = "\n\n".join([STORY] * 20_000)  # about 3 MB of text
    assert clean.has_article_text(long, "text/plain")
    assert looked and max(looked) <= clean._FIRST_LOOK  # not the whole: a quarter of a second of ingest's CPU


def test_a_long_text_whose_sentences_come_late_is_read_whole_and_one_that_has_none_is_rejected():
    furniture = "\n\n".join(["Share this article", "Read more", "Subscribe", "Home News"] * 5_000)
    assert len(furniture) > 64 * 1024
    assert prepare(sub(text=furniture + "\n\n" + STORY), "x", NOW, 10_000_000).content.endswith("quay.")
    with pytest.raises(Rejected, match="no article text"):
        prepare(sub(text=furniture), "x", NOW, 10_000_000)


@given(
    st.text(
        alphabet=st.sampled_from(list("ab é\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2028\u2029\u3000\u200b"))
    )
)
def test_the_id_text_collapses_whitespace_as_the_regex_it_replaced_did(text):
    import re
    import unicodedata

    from newsflow.stages.ingest.prepare import _canonical_text

    assert _canonical_text(text) == re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()
