"""What the dateline reader (newsflow/text/dateline.py) and the date normaliser (newsflow/nlp/dates.py) share:
the month names, the rule for an all-digit day, and the one way dateparser is asked."""

from __future__ import annotations

from datetime import datetime

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
