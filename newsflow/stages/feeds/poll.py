"""The pure part of the feed stage: a feed's bytes → its entries; which are new; what each becomes; when to poll next.

Nothing here does I/O: the service hands in what the server answered and the clock, and gets back entries,
submissions and the feed's next state, so every rule is tested without a server or a broker.
"""

from __future__ import annotations

import calendar
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import feedparser
from lxml import html as lxml_html

from newsflow.contract.feeds import FeedState, FeedSubscription
from newsflow.contract.urls import canonical_url, without_tracking

_WORD = re.compile(r"\w+")


class NotAFeed(ValueError):
    """The answer is no RSS or Atom feed (an HTML page, broken XML with nothing readable in it)."""


@dataclass(frozen=True)
class Entry:
    keys: tuple[str, ...]  # what identifies it across polls: its GUID, its canonical link
    link: str | None
    title: str | None
    published: datetime | None
    authors: tuple[str, ...]
    content: str | None  # the entry's full content (content:encoded, atom:content), HTML
    summary: str | None  # its description or summary, HTML


@dataclass(frozen=True)
class Parsed:
    entries: list[Entry]
    title: str | None
    warning: str | None  # what was wrong with a feed read anyway


def read_feed(body: bytes, content_type: str, url: str) -> Parsed:
    # Bytes, never a URL: given a string that looks like one, feedparser would fetch it itself.
    parsed = feedparser.parse(
        body, response_headers={"content-type": content_type or "application/xml", "content-location": url}
    )
    bozo = parsed.get("bozo_exception") if parsed.get("bozo") else None
    version = parsed.get("version") or ""
    entries = [e for e in (_entry(raw) for raw in parsed.entries) if e is not None]
    if not version and not entries:
        what = content_type or "no content type"
        if bozo is not None and "html" not in what:
            raise NotAFeed(f"malformed feed, nothing readable in it ({type(bozo).__name__}: {bozo}; {what})")
        raise NotAFeed(f"not an RSS or Atom feed ({what})")
    if bozo is not None and not entries:
        raise NotAFeed(f"malformed feed, no entry readable ({type(bozo).__name__}: {bozo})")
    warning = f"malformed XML, read anyway ({type(bozo).__name__}: {bozo})" if bozo is not None else None
    return Parsed(entries, (parsed.feed.get("title") or "").strip() or None, warning)


def _entry(raw) -> Entry | None:
    link = (raw.get("link") or "").strip() or None
    if link and not link.lower().startswith(("http://", "https://")):
        link = None
    guid = (raw.get("id") or "").strip() or None
    content = next((c.get("value") for c in raw.get("content") or () if (c.get("value") or "").strip()), None)
    summary = (raw.get("summary") or "").strip() or None
    if not (link or content or summary):
        return None  # nothing to fetch and nothing to read
    keys = tuple(k for k in (f"guid:{guid}" if guid else None, f"url:{canonical_url(link)}" if link else None) if k)
    if not keys:
        return None  # no way to know it again next time: it would be taken at every poll
    when = raw.get("published_parsed") or raw.get("updated_parsed")
    authors = tuple(
        dict.fromkeys(
            a.get("name", "").strip() for a in raw.get("authors") or () if isinstance(a, dict) and a.get("name")
        )
    )
    if not authors and (raw.get("author") or "").strip():
        authors = (raw.get("author").strip(),)
    return Entry(
        keys=keys,
        link=without_tracking(link) if link else None,
        title=(raw.get("title") or "").strip() or None,
        published=datetime.fromtimestamp(calendar.timegm(when), UTC) if when else None,
        authors=authors,
        content=content,
        summary=summary,
    )


def words(html: str | None) -> int:
    if not html:
        return 0
    try:
        text = lxml_html.fromstring(html).text_content() if "<" in html else html
    except (ValueError, lxml_html.etree.ParserError):
        text = html
    return len(_WORD.findall(text))


def is_full_text(entry: Entry, min_words: int) -> bool:
    """Whether the feed carries the article itself, not a teaser: its content (or, for feeds that put the article
    there, its summary) has at least ``min_words`` words."""
    return max(words(entry.content), words(entry.summary)) >= min_words


def fresh(entries: list[Entry], state: FeedState | None) -> list[Entry]:
    """The entries not taken before (none of their keys seen), each once, in feed order."""
    seen = set(state.seen) if state else set()
    out = []
    for entry in entries:
        if seen.isdisjoint(entry.keys):
            out.append(entry)
            seen.update(entry.keys)
    return out


def full_text_of(entry: Entry, min_words: int) -> str | None:
    if words(entry.content) >= min_words:
        return entry.content
    return entry.summary if words(entry.summary) >= min_words else None


def richer(feed_html: str | None, page_html: str) -> tuple[str, str]:
    """The entry's article where there is more of it: the feed's own text (its content, else its summary), or the
    article text extracted from its page, by words, as enrich will extract it; and which it was ("feed" or "page").
    A page that is an empty shell for a script to fill, a paywall or a consent wall holds less than the feed, and a
    feed reader shows the feed's text then. A tie goes to the page, whose title and date the cleaner reads too."""
    from newsflow.text.clean import clean_article  # trafilatura: a second's import, only for the pages fetched

    if not feed_html:
        return page_html, "page"
    page_words = len(_WORD.findall(clean_article(page_html, "text/html").body))
    return (page_html, "page") if page_words >= words(feed_html) else (feed_html, "feed")


def submission(entry: Entry, feed: FeedSubscription, feed_title: str | None, html: str) -> dict:
    """The article as ingest takes it (newsflow.article.submission)."""
    article: dict = {"html": html}
    if entry.link:
        article["url"] = entry.link
    if entry.title:
        article["title"] = entry.title[:1_000]
    if entry.published:
        article["published"] = entry.published.isoformat()
    source = feed.source or feed_title
    if source:
        article["source"] = source[:200]
    if entry.authors:
        article["authors"] = [a[:200] for a in entry.authors[:50]]
    return article


# -- when to poll next ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    min_interval_s: float
    jitter: float  # ± this share of the interval, so feeds added together do not stay in step
    max_backoff_s: float

    def interval(self, feed: FeedSubscription) -> float:
        return max(float(feed.every_s), self.min_interval_s)

    def after_success(self, feed: FeedSubscription, now: datetime, rng: random.Random) -> datetime:
        return now + timedelta(seconds=self.interval(feed) * rng.uniform(1 - self.jitter, 1 + self.jitter))

    def after_failure(
        self, feed: FeedSubscription, failures: int, now: datetime, rng: random.Random, retry_after_s: float | None
    ) -> datetime:
        """Exponential backoff on the feed's own interval, capped; a server's Retry-After is honoured when longer."""
        delay = min(self.interval(feed) * 2 ** min(failures - 1, 16), max(self.max_backoff_s, self.interval(feed)))
        delay = max(delay * rng.uniform(1 - self.jitter, 1 + self.jitter), retry_after_s or 0.0)
        return now + timedelta(seconds=delay)


def remember(seen: list[str], taken: list[Entry], keep: int) -> list[str]:
    """``seen`` with the keys of ``taken`` added, newest last, at most ``keep``: a feed lists its latest entries,
    so an entry dropped from this memory has long left the feed."""
    out, known = list(seen), set(seen)
    for entry in taken:
        for key in entry.keys:
            if key not in known:
                out.append(key)
                known.add(key)
    return out[-keep:]


def conditional_headers(state: FeedState | None) -> dict[str, str]:
    headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"}
    if state and state.etag:
        headers["If-None-Match"] = state.etag
    if state and state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers
