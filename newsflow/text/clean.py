"""Separating an article from its site clutter, and finding its title and publication date.

HTML goes through trafilatura, a proven main-content extractor. Plain text and Markdown (once its
markup is stripped) get what such extractors do, on text: the text is cut into units (paragraphs,
or lines where the source puts one paragraph per line) and each unit is judged on its own features
- length, final punctuation, share of capitalised words, link-like tokens, position, repetition and
small vocabularies of site furniture. Nothing here is tied to one site's markup, and nothing is
downloaded or looked up: the function is pure and fast (regexes and string operations; dateparser
only sees the few short header lines that a cheap regex says hold a date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

import ftfy

from newsflow.text.byline import find_authors
from newsflow.text.clutter import drop_clutter, keeps_body_text
from newsflow.text.dateline import take_publication_date
from newsflow.text.formats import from_html, from_markdown, html_to_text
from newsflow.text.title import take_title
from newsflow.text.units import is_body_text, normalise, split_units


@dataclass(frozen=True)
class CleanArticle:
    body: str  # paragraphs separated by "\n\n"; "" when nothing but clutter was found
    title: str | None
    title_source: Literal["given", "extracted", "none"]
    published: date | datetime | None  # a date, or a naive datetime when the source gives a time
    published_source: Literal["extracted", "none"]
    removed: list[str] = field(default_factory=list)  # units dropped from the body (not the title)
    authors: tuple[str, ...] = ()  # the byline's names


def clean_article(content: str, content_type: str, given_title: str | None = None) -> CleanArticle:
    """The article body, title and publication date in ``content`` ("text/plain", "text/markdown" or
    "text/html"; anything else is read as plain text). A ``given_title`` wins over any found one."""
    # Mojibake first ("Â\xa0" for a no-break space decoded twice, "â€™" for ’): every rule below reads words.
    content = repair(content)
    kind = content_type.split(";")[0].strip().lower()
    title_hint: str | None = None
    date_hint: date | datetime | None = None
    if kind == "text/html":
        text, title_hint, date_hint = from_html(content)
    elif kind == "text/markdown":
        text, title_hint = from_markdown(content)
    else:
        text = content
    units = split_units(text)
    authors = find_authors(units)
    published, units, removed = take_publication_date(units)
    units, clutter = drop_clutter(units)
    removed += clutter
    given = normalise(given_title or "") or None
    title, title_source, units, labels = take_title(units, given, title_hint)
    removed += labels
    if not any(is_body_text(u) for u in units):
        # Not one sentence of running text: labels and links ("Home News") are a page's furniture, not an article.
        units, removed = [], removed + units
    published = date_hint or published
    return CleanArticle(
        body="\n\n".join(units),
        title=title,
        title_source=title_source,
        published=published,
        published_source="extracted" if published is not None else "none",
        removed=removed,
        authors=tuple(authors),
    )


def repair(text: str) -> str:
    """``text`` with its encoding accidents undone (ftfy); HTML entities are left for the HTML reader. ftfy's own
    scan costs about a millisecond on a long article, as much as all the rest of the cleaning's checks, so it runs
    only where a UTF-8 lead byte read as cp1252 or Latin-1 stands before a continuation byte read the same way
    ("Ã©", "â€™", "Â\xa0"): the mark every double decoding leaves."""
    if text.isascii() or not _MOJIBAKE.search(text):
        return text
    return ftfy.fix_text(text, unescape_html=False, uncurl_quotes=False, normalization="NFC")


_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)


def has_article_text(content: str, content_type: str) -> bool:
    """Whether ``content`` holds a sentence of running text once site clutter is dropped: the cheap check ingest
    makes at its edge, so the whole cleaner runs once per article, in enrich. It strips HTML tags (leaving out
    navigation, footers, asides and forms) instead of running trafilatura, and takes no title or date, so it keeps
    more than `clean_article` does: an article it passes may still hold no text for enrich, which dead-letters it
    ("no-article-text"), and one it refuses has no sentence outside the parts of a page that are never article.

    The answer is decided by the units up to the first one kept (``keeps_body_text``), so the text's first
    paragraphs are looked at alone before the whole: a 2 MB article then costs what a short one does (reading it
    whole took a quarter of a second of ingest's CPU), and the answer is the same."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "text/html":
        text = html_to_text(content)
    elif kind == "text/markdown":
        text, _ = from_markdown(content)
    else:
        text = content
    if len(text) > _FIRST_LOOK:
        # At a blank line: split_units cuts blocks there, so the first units are the whole text's first units.
        cut = text.rfind("\n\n", 0, _FIRST_LOOK)
        if cut > 0 and keeps_body_text(split_units(text[:cut])):
            return True
    return keeps_body_text(split_units(text))


_FIRST_LOOK = 8 * 1024
