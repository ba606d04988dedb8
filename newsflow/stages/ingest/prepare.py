"""The pure part of ingest: a user's submission becomes a RawArticle with a stable id."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime

from pydantic import ValidationError

from newsflow.contract import ArticleSubmission, RawArticle
from newsflow.contract.codec import describe_validation_error
from newsflow.contract.urls import canonical_url
from newsflow.text.clean import has_article_text

# Control characters no text article carries (tab, newline and carriage return are not among them).
_BINARY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Rejected(ValueError):
    """A submission that cannot be accepted; the message says why."""


def submission_of(article: object) -> ArticleSubmission:
    """What a submitter sent as one article (a JSON object), checked against the schema."""
    try:
        return ArticleSubmission.model_validate(article)
    except ValidationError as exc:
        why = describe_validation_error(exc, ArticleSubmission.UNKNOWN_FIELD_HINT)
        raise Rejected("does not match the article schema: " + why) from None


def _canonical_text(text: str) -> str:
    # Every run of whitespace one space, none at the ends: str.split() and the regex \s+ know the same whitespace
    # (tests/unit/test_ingest_prepare.py holds them equal, for the ids must not change), and split is 3 times faster.
    return " ".join(unicodedata.normalize("NFC", text).split())


def article_id(sub: ArticleSubmission) -> str:
    """Same article, same id: by URL when there is one (a corrected article keeps its id),
    else by its normalised title and body, so re-feeding a file does not make a second document."""
    if sub.url:
        basis = "url\x00" + canonical_url(sub.url)
    else:
        basis = "text\x00" + _canonical_text(sub.title or "") + "\x00" + _canonical_text(sub.text or sub.html or "")
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]


def content_type_of(sub: ArticleSubmission, origin: str | None) -> str:
    if sub.html is not None:
        return "text/html"
    return "text/markdown" if origin and origin.lower().endswith(".md") else "text/plain"


def prepare(sub: ArticleSubmission, origin: str | None, now: datetime, max_bytes: int) -> RawArticle:
    content = sub.html if sub.html is not None else sub.text
    assert content is not None, "a submission holds exactly one body (ArticleSubmission checks it)"
    size = len(content.encode("utf-8"))
    if size > max_bytes:
        raise Rejected(f"article is {size:,} bytes, more than the limit of {max_bytes:,} (NEWSFLOW_MAX_ARTICLE_BYTES)")
    sample = content[:65_536]
    controls = len(_BINARY.findall(sample))
    if "\x00" in sample or controls > len(sample) / 100:
        # A stray form feed in pasted text is fine; NUL bytes or many control characters are a binary file.
        raise Rejected(
            f"binary content, not text ({controls} control characters, NUL among them or over 1%, in the first 64 KiB)"
        )
    content_type = content_type_of(sub, origin)
    if not has_article_text(content, content_type):
        raise Rejected(
            "no article text: once navigation, share buttons, credits and other site furniture are "
            "removed, nothing is left"
        )
    return RawArticle(
        id=article_id(sub),
        content=content,
        content_type=content_type,
        title=sub.title.strip() if sub.title and sub.title.strip() else None,
        url=sub.url,
        source=sub.source,
        published=sub.published,
        language=sub.language or "en",
        language_given=sub.language is not None,
        origin=origin,
        authors=[a.strip() for a in sub.authors or () if a.strip()],
        ingested_at=now,
    )
