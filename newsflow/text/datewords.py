"""What the dateline reader (newsflow/text/dateline.py) and the date normaliser (newsflow/nlp/dates.py) share:
the month names, the rule for an all-digit day, and the one way dateparser is asked."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
# Every spelling of a month a date may use, full or cut to three letters ("sept" too), to its number.
MONTHS: dict[str, int] = (
    {name: i + 1 for i, name in enumerate(_MONTH_NAMES)}
    | {name[:3]: i + 1 for i, name in enumerate(_MONTH_NAMES)}
    | {"sept": 9}
)
# The alternatives of a regex group, longest first so "june" is not read as "jun" and a stray "e".
MONTH_ALTERNATIVES = "|".join(sorted(MONTHS, key=len, reverse=True))

# dateparser fills the parts a text leaves out from RELATIVE_BASE, or from the clock when it is not set. It is
# always set: to the caller's reference, or to this fixed day, whose parts are never used.
NO_REFERENCE = datetime(2000, 1, 1)


def only_reading(a: int, b: int) -> tuple[int, int] | None:
    """(month, day) of an all-digit a/b date when only one reading is a day, or both readings agree; None when
    it is ambiguous: 03/04/2025 is March or April depending on the site's country, and only a day above 12 (or
    the same number twice) decides. The caller says whether the day exists in its year."""
    if a == b or (b > 12 >= a):
        return a, b
    if a > 12 >= b:
        return b, a
    return None


def ask_dateparser(text: str, parts: list[str], base: datetime | None = None) -> datetime | None:
    """dateparser on English text, only where it finds every one of ``parts`` ("day", "month", "year") in the text
    itself: nothing is completed from today's date. None when it finds no such date, or fails on the text."""
    import dateparser

    try:
        return dateparser.parse(
            text,
            languages=["en"],
            settings={  # type: ignore[arg-type]  # the stubs type settings as a TypedDict of every key
                "PREFER_DATES_FROM": "past",
                "PREFER_DAY_OF_MONTH": "first",
                "RETURN_AS_TIMEZONE_AWARE": False,
                "RELATIVE_BASE": base or NO_REFERENCE,
                "REQUIRE_PARTS": parts,
            },
        )
    except Exception:  # noqa: BLE001 - a parser bug must cost one date, not the article
        return None


# A time or a duration, not a date: "20 minutes", "3 heures", "10 horas", "14:30".
_TIME = re.compile(
    r"\d+\s*(?:min\w*|h\b|s\b)|\d{1,2}[:h]\d{2}|\b(?:heures?|minutes?|secondes?|horas?|minutos?|segundos?|hours?|"
    r"seconds?)\b",
    re.IGNORECASE,
)


def search_dates_in(
    text: str, language: str, base: datetime | None
) -> list[tuple[str, int, int, str | None, Literal["day", "month", "year"]]]:
    """The dates dateparser finds in a text of another language than English, where the recogniser gives none:
    (text, start, end, value, granularity). dateparser's search is generous (French "je" and "me" are read as
    Thursday and Wednesday), so a finding is kept only if a word of it has four letters or more and it is a day,
    a month or a year (no times, no weeks). A value is given where the text names its year, or where ``base`` is
    known to resolve the rest; else it is None. At most a few hundred milliseconds an article, the first in a
    language loading its locale."""
    from dateparser.date import DateDataParser
    from dateparser.search import search_dates

    settings = {
        "PREFER_DATES_FROM": "past",
        "PREFER_DAY_OF_MONTH": "first",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "RELATIVE_BASE": base or NO_REFERENCE,
    }
    try:
        found = search_dates(text, languages=[language], settings=settings) or []
        parser = DateDataParser(languages=[language], settings=settings)  # type: ignore[arg-type]  # a TypedDict
    except Exception:  # noqa: BLE001 - an unknown language or a parser bug costs the dates, not the article
        return []
    out, at = [], 0
    for piece, _ in found:
        start = text.find(piece, at)
        if start < 0:
            continue
        at = start + len(piece)
        # "le 9 décembre 2022", "15 de mayo de 2013 y": the mention without the little words at its edges.
        lead = re.match(r"^(?:[^\W\d_]{1,2}\s+)+", piece)
        trail = re.search(r"(?:\s+[^\W\d_]{1,2})+$", piece)
        end = at - (len(trail.group()) if trail else 0)
        start += len(lead.group()) if lead else 0
        piece = text[start:end]
        if not piece or _TIME.search(piece):
            continue
        if not any(len(w) >= 4 for w in re.findall(r"[^\W\d_]+", piece)) and not re.search(r"\d{4}", piece):
            continue
        try:
            data = parser.get_date_data(piece)
        except Exception:  # noqa: BLE001
            continue
        if data.date_obj is None or data.period not in ("day", "month", "year"):
            continue
        known = bool(re.search(r"\b(1[5-9]|20)\d{2}\b", piece)) or base is not None
        day = data.date_obj
        value = {"day": f"{day:%Y-%m-%d}", "month": f"{day:%Y-%m}", "year": f"{day:%Y}"}[data.period] if known else None
        out.append((piece, start, end, value, data.period))
    return out
