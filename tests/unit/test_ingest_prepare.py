from datetime import datetime, timezone

import pytest

from schemas import ArticleSubmission
from services.ingest.prepare import Rejected, article_id, prepare

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)


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
    article = prepare(sub(html="<p>Hi</p>", title=" T "), "page.html", NOW, 10_000)
    assert article.content == "<p>Hi</p>" and article.content_type == "text/html"
    assert article.title == "T" and article.origin == "page.html" and article.ingested_at == NOW
    assert prepare(sub(text="# H\n\nbody"), "a.md", NOW, 10_000).content_type == "text/markdown"


def test_oversized_article_is_rejected_with_the_limit():
    with pytest.raises(Rejected, match="limit of 1,000"):
        prepare(sub(text="x" * 1_001), None, NOW, 1_000)


@pytest.mark.parametrize("fields, message", [
    ({}, "exactly one of 'text' or 'html'"),
    ({"text": "a", "html": "<p>a</p>"}, "exactly one of 'text' or 'html'"),
    ({"text": "   "}, "body is empty"),
    ({"text": "a", "url": "not a url"}, "url"),
    ({"text": "a", "published": "yesterday-ish"}, "published"),
    ({"text": "a", "tilte": "typo"}, "tilte"),
])
def test_submission_errors_name_the_problem(fields, message):
    with pytest.raises(ValueError, match=message):
        ArticleSubmission(**fields)
