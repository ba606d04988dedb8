"""The article's authors, from its byline ("By Jane Roe and John Smith, Reuters", "Posted By JANE ROE at 3:04 PM",
"Written by: Jane Roe | 28 November 2016").

A byline is a short unit near the top or the bottom that begins with one of a few words of attribution. What
follows is cut where the names end (a separator, "at"/"on" and a time or date, a comma before an outlet), split
on "and", "&" and commas, and each piece kept only if it has the shape of a person's name: two to four words,
each capitalised (or all upper case, which is then title-cased), none of them a word that names a desk, a
newsroom or a publication. A byline of a newsroom ("By our city desk", "Posted By Gant News") gives no author.
"""

from __future__ import annotations

import re

_LEAD = re.compile(
    r"^(?:(?:story|words|reporting|report|written|posted|published|text|compiled|edited)\s+)?by:?\s+|^authors?:\s*",
    re.IGNORECASE,
)
# Where the names stop: a separator, a time or date, or the words that introduce one.
_STOP = re.compile(
    r"\s*(?:[|•·/\u2013\u2014]|\s-\s|\bat\s+\d|\bon\s+(?:\d|[A-Z][a-z]+day\b|[A-Z][a-z]{2,8}\.?\s+\d)|\bin\s+[A-Z]|\d{1,2}:\d{2}|\(|\bupdated\b|\bpublished\b)",
)
_SPLIT = re.compile(r"\s*(?:,|\band\b|&|\bwith\b)\s*", re.IGNORECASE)
_PARTICLES = {"de", "da", "del", "della", "der", "den", "van", "von", "la", "le", "di", "du", "al", "el", "bin", "ibn"}
# Words that make a byline a newsroom's or a desk's, not a person's.
_NOT_A_PERSON = re.compile(
    r"\b(?:news|newsroom|staff|desk|team|reporters?|correspondents?|editors?|editorial|agency|agencies|press|media|"
    r"online|times|post|daily|herald|tribune|gazette|journal|wire|services?|bureau|contributors?|admin|"
    r"administrator|webmaster|guest|anonymous|unknown|our|the)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"^(?:[A-Z][\w'’.-]*|[a-z]{1,4})$")

MAX_BYLINE_WORDS = 16


def byline_authors(unit: str) -> list[str]:
    """The names a byline unit gives, [] when ``unit`` is not a byline or names no person."""
    if len(unit.split()) > MAX_BYLINE_WORDS:
        return []
    lead = _LEAD.match(unit)
    if not lead:
        return []
    rest = _STOP.split(unit[lead.end() :], maxsplit=1)[0]
    names = []
    for piece in _SPLIT.split(rest):
        name = _person(piece.strip(" .,;:"))
        if name and name not in names:
            names.append(name)
    return names


def _person(text: str) -> str | None:
    words = text.split()
    if not 2 <= len(words) <= 4 or _NOT_A_PERSON.search(text):
        return None
    if text.isupper():
        words = [w.capitalize() for w in words]
    for i, word in enumerate(words):
        if word.lower() in _PARTICLES and 0 < i < len(words) - 1:
            continue
        if not _WORD.match(word) or not word[0].isupper():
            return None
    return " ".join(words)


def find_authors(units: list[str], head: int = 12, tail: int = 6) -> list[str]:
    """The authors of the first bylines among the top ``head`` units, else among the last ``tail``."""
    for window in (units[:head], units[-tail:]):
        for unit in window:
            found = byline_authors(unit)
            if found:
                return found
    return []
