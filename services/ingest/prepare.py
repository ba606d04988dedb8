"""The pure part of ingest: a user's submission becomes a RawArticle with a stable id."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from schemas import ArticleSubmission, RawArticle

_SPACE = re.compile(r"\s+")


class Rejected(ValueError):
    """A submission that cannot be accepted; the message says why."""


def _canonical_url(url: str) -> str:
    parts = urlsplit(url.strip())
    # Scheme and host are case-insensitive, a fragment never names another article, a trailing slash rarely does.
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/") or "/", parts.query, ""))


def _canonical_text(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def article_id(sub: ArticleSubmission) -> str:
    """Same article, same id: by URL when there is one (a corrected article keeps its id),
    else by its normalised title and body, so re-feeding a file does not make a second document."""
    if sub.url:
        basis = "url\x00" + _canonical_url(sub.url)
    else:
        basis = "text\x00" + _canonical_text(sub.title or "") + "\x00" + _canonical_text(sub.text or sub.html or "")
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]


def content_type_of(sub: ArticleSubmission, origin: str | None) -> str:
    if sub.html is not None:
        return "text/html"
    return "text/markdown" if origin and origin.lower().endswith(".md") else "text/plain"


def prepare(sub: ArticleSubmission, origin: str | None, now: datetime, max_bytes: int) -> RawArticle:
    content = sub.html if sub.html is not None else sub.text
    size = len(content.encode("utf-8"))
    if size > max_bytes:
        raise Rejected(f"article is {size:,} bytes, more than the limit of {max_bytes:,} (NEWSFLOW_MAX_ARTICLE_BYTES)")
    return RawArticle(
        id=article_id(sub),
        content=content,
        content_type=content_type_of(sub, origin),
        title=sub.title.strip() if sub.title and sub.title.strip() else None,
        url=sub.url,
        source=sub.source,
        published=sub.published,
        language=sub.language,
        origin=origin,
        ingested_at=now,
    )
