"""The publication date from the dateline or byline among the top lines; such lines leave the body."""

from __future__ import annotations

import re
from datetime import date, datetime

from newsflow.text.datewords import MONTH_ALTERNATIVES, ask_dateparser, only_reading, search_dates_in
from newsflow.text.units import ends_sentence, is_prose, words_of

_MONTH = rf"({MONTH_ALTERNATIVES})\.?"
_DAY = r"\d{1,2}(st|nd|rd|th)?"
_YEAR = r"(19|20)\d{2}"
_CLOCK = r"\d{1,2}[:.]\d{2}(\s*[ap]\.?m\.?)?(\s*[A-Z]{2,4}\b)?|\d{1,2}\s*[ap]\.?m\.?"
_TIME = rf"(,?\s*(at\s+)?(?P<time>{_CLOCK}))"
_LEAD_TIME = rf"((?P<lead>{_CLOCK}),?\s+)"
_WEEKDAY = r"((mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(day|sday|nesday|rsday|urday)?\.?,?\s+)"
_NUMERIC = rf"(?P<n1>\d{{1,2}})[/.](?P<n2>\d{{1,2}})[/.](?P<ny>{_YEAR})"
_DATE_RE = re.compile(
    rf"\b({_LEAD_TIME}?{_WEEKDAY}?"
    rf"({_DAY}\s+(of\s+)?{_MONTH},?\s+{_YEAR}|{_MONTH}\s+{_DAY},?\s+{_YEAR}|{_NUMERIC}){_TIME}?"
    rf"|{_YEAR}-\d{{2}}-\d{{2}}([T ](?P<isotime>\d{{2}}:\d{{2}}(:\d{{2}})?)(\.\d+)?(Z|[+-]\d{{2}}:?\d{{2}})?)?)\b",
    re.IGNORECASE,
)
_DATE_LABEL = re.compile(
    r"\b(first |last )?(published|posted|updated|modified|date[ds]?|on|at|am|pm|gmt|utc|bst|cet|cest|est|edt|et)\b",
    re.IGNORECASE,
)
_UPDATED = re.compile(r"\b(updated|modified)\b", re.IGNORECASE)
_UNDATED_LABEL = re.compile(r"^(first |last )?(published|posted|updated|modified)\b", re.IGNORECASE)
_HEADER_UNITS = 12


def take_publication_date(units: list[str]) -> tuple[date | datetime | None, list[str], list[str]]:
    """The date of the first dateline or byline among the top lines ("Updated ..." only when no
    other is found). Such lines, parsed or not, are metadata and leave the body."""
    found: list[tuple[bool, date | datetime]] = []
    drop: set[int] = set()
    prose_seen = 0
    for i, unit in enumerate(units[:_HEADER_UNITS]):
        match = dateline(unit)
        if match is not None:
            if not _filed_from(unit, match):
                drop.add(i)
            moment = _parse_date(match)
            if moment is not None:
                found.append((bool(_UPDATED.search(unit)), moment))
        elif _UNDATED_LABEL.match(unit) and len(words_of(unit)) <= 8 and not ends_sentence(unit):
            drop.add(i)  # "Updated 3 hours ago", "Published: Nov 3": metadata without a usable date
        prose_seen += is_prose(unit)
        if prose_seen >= 3:
            break
    published = next((m for updated, m in found if not updated), found[0][1] if found else None)
    kept = [u for i, u in enumerate(units) if i not in drop]
    return published, kept, [units[i] for i in sorted(drop)]


def _filed_from(unit: str, match: re.Match) -> bool:
    """Whether a dateline names where the story was filed ("MILWAUKEE, Wisconsin 1996-08-29", "LONDON, 3 May
    2024"): its other words, in front of the date, are a capitalised place, not labels ("Published"), a byline
    ("By ...") or a time. Such a line stays in the body, as agencies print it: the place is one the story is
    about, and a reader filtering by it must find the story."""
    before, after = unit[: match.start()], unit[match.end() :]
    if after.strip(" ,.:;()[]–—-") or re.search(r"[|•·]", before) or _DATE_LABEL.search(before):
        return False  # a web page's template ("Jane Roe | 28 November 2016", "Posted on ...")
    if before.lstrip().lower().startswith("by "):
        return False
    words = re.sub(r"[|•·,.:;()\[\]–—-]", " ", before).split()
    return 1 <= len(words) <= 4 and all(w[:1].isupper() for w in words)


def dateline(unit: str) -> re.Match | None:
    """The date in a dateline ("28 November, 2016", "Published: Nov. 3, 2016, 3:04 pm", "By X | 2016-11-28");
    None for anything else, a sentence that mentions a date included."""
    if len(words_of(unit)) > 20:
        return None
    match = _DATE_RE.search(unit)
    if match and _only_labels_left(unit[: match.start()] + " " + unit[match.end() :]):
        return match
    return None


def _only_labels_left(rest: str) -> bool:
    rest = _DATE_LABEL.sub(" ", re.sub(r"[|•·,.:;()\[\]–—-]", " ", rest))
    words = rest.split()
    if not words:
        return True
    if words[0].lower() == "by":
        return len(words) <= 7  # a byline next to the date
    return len(words) <= 3 and all(w[:1].isupper() for w in words)  # a place or an agency


def _parse_date(match: re.Match) -> date | datetime | None:
    text = match.group(0)
    if match.group("ny"):
        text = _numeric_as_iso(match)
        if text is None:
            return None
    # Day, month and year all required: a date missing one is no publication date.
    parsed = ask_dateparser(text, ["day", "month", "year"])
    if parsed is None:
        return None
    has_time = match.group("time") or match.group("lead") or match.group("isotime")
    return parsed.replace(tzinfo=None) if has_time else parsed.date()


def _numeric_as_iso(match: re.Match) -> str | None:
    reading = only_reading(int(match.group("n1")), int(match.group("n2")))
    if reading is None:
        return None
    try:
        day_iso = date(int(match.group("ny")), *reading).isoformat()
    except ValueError:
        return None
    clock = match.group("time") or match.group("lead")
    return f"{day_iso} {clock}" if clock else day_iso


def take_dateline_in(body: str, language: str) -> tuple[date | None, str]:
    """For an article in another language than English, whose datelines the rules above do not read ("Publié le
    12 mars 2025", "Publicado el 3 de mayo de 2013"): the day of the first short paragraph near the top that is
    a dateline in ``language`` (dateparser), and the body without it. (None, body) when there is none."""
    paragraphs = body.split("\n\n")
    prose_seen = 0
    for i, unit in enumerate(paragraphs[:_HEADER_UNITS]):
        if len(words_of(unit)) <= 10 and not ends_sentence(unit):
            for _text, _start, _end, value, granularity in search_dates_in(unit, language, None):
                if granularity == "day" and value is not None:
                    return date.fromisoformat(value), "\n\n".join(paragraphs[:i] + paragraphs[i + 1 :])
        prose_seen += is_prose(unit)
        if prose_seen >= 3:
            break
    return None, body
