"""Turning the text of a spaCy DATE mention into an ISO value, as precise as the text is and no more.

``normalise_date(text, reference)`` → ``DateValue(value, granularity, relative)``.

Values
    A day is ``YYYY-MM-DD``, a month ``YYYY-MM``, a year ``YYYY``. A span is an ISO 8601 interval
    ``start/end`` whose two ends each keep the precision the text gives them (granularity
    ``"range"``): "between 2011 and 2012" → ``2011/2012``, "between November 2015 and March 2016" →
    ``2015-11/2016-03``, "5-7 November 2016" → ``2016-11-05/2016-11-07``, "the 1990s" →
    ``1990/1999``, "the 20th century" → ``1900/1999``, "the summer of 2013" → ``2013-06/2013-08``
    (meteorological seasons; winter Y is ``Y-12/Y+1-02``), "Q3 2015" → ``2015-07/2015-09``. A list
    ("2015 and 2017", "the 1980s and 1990s") becomes the span that covers it. Qualifiers only
    narrow in words, not in the value: "the end of 2011", "early 2015", "since 2011" → ``2011``-style
    values of the unit they qualify.

Relative dates
    Resolved against ``reference``, the article's publication date, and NEVER against today's
    clock: with ``reference=None`` they come back as ``value=None, relative=True``. ``relative`` is
    a property of the text alone, so it is the same with and without a reference.

    - a bare weekday ("Monday", "on Friday", "this Monday") is the latest such day on or before the
      reference (an article published on Monday 2016-11-28 saying "on Monday" means that day), unless
      its clause speaks of what is to come ("talks would resume on Wednesday", "could flood over the
      weekend": ``ahead``, decided by `looks_ahead`), when it is the first such day after the reference;
    - "last Monday" is the latest such day strictly before the reference (2016-11-21 for that
      article; 2016-11-14 for one published on Sunday 2016-11-20) — news usage, and it agrees with
      the hand-labelled seed articles; "next Monday" is the first one strictly after it;
      "Monday last week" is that weekday of the previous Monday-to-Sunday week;
    - "last/this/next week|month|year|decade" are calendar periods: weeks run Monday to Sunday
      ("last week" → ``2016-11-21/2016-11-27``); "earlier/later this month" is this month;
    - "the past/last N days|weeks|months|years|decades" is the window that ends at the reference
      ("the past week" → ``2016-11-21/2016-11-28``, "the past two years" → ``2014-11/2016-11``);
    - a day or month without a year ("November 2", "in August") is the latest one not more than a
      week (a day) or a month (a month) after the reference: news reports the past, with some slack
      for announcements;
    - "N units ago" is the period N units before the reference at the unit's precision.

Not a point in time (``value=None``)
    Durations ("two years", "more than a decade", "months") have ``relative=False``. Vague spans
    that hang on the publication date ("recent months", "the past few weeks", "midweek", "now") and
    anaphoric ones that hang on another event in the story ("the next day", "two days later", "the
    same year") have ``relative=True``.

Speed
    Regular expressions decide almost everything; dateparser (slow, about a millisecond a call) is
    asked only about texts the rules do not know that name a four-digit year, or a month when a
    reference is given, always with ``RELATIVE_BASE`` set and ``REQUIRE_PARTS`` covering every part
    the value will claim, so it can never take a missing part from the clock. Results are cached
    per (normalised text, reference day).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal

from newsflow.text.datewords import MONTH_ALTERNATIVES, MONTHS, ask_dateparser, only_reading

Granularity = Literal["day", "month", "year", "range"]


@dataclass(frozen=True)
class DateValue:
    value: str | None
    granularity: Granularity | None
    relative: bool


NONE = DateValue(None, None, False)  # not a point in time: a duration, a number, noise
UNRESOLVED = DateValue(None, None, True)  # relative, but there is nothing (or nothing precise) to resolve it against

Rule = Callable[[str, "date | None"], "DateValue | None"]

# -- vocabulary --------------------------------------------------------------------

_MONTH_RE = r"(?P<month>" + MONTH_ALTERNATIVES + r")\.?"
_WEEKDAY = {
    name: i for i, name in enumerate(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])
}
_WEEKDAY |= {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4, "sat": 5, "sun": 6}
_WEEKDAY_RE = r"(?P<weekday>" + "|".join(sorted(_WEEKDAY, key=len, reverse=True)) + r")\.?"
_YEAR_RE = r"(?P<year>1\d{3}|2[01]\d{2})"
_DAY_RE = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_UNIT_RE = r"(?P<unit>days?|weeks?|fortnights?|months?|years?|decades?|centuries|century|hours?|minutes?)"
_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "a couple of": 2,
    "a dozen": 12,
    "a hundred": 100,
}
# Counts that do not say how many ("a few years ago"): the text is relative, the value unknown.
_VAGUE_NUMBERS = r"few|a few|several|many|some|a couple|couple of|a number of|dozens of|hundreds of|recent"
_NUMBER_RE = r"(?P<n>\d+|" + "|".join(sorted(_NUMBERS, key=len, reverse=True)) + r"|" + _VAGUE_NUMBERS + r")"
_SEASON_START = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
_ORDINAL = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_CENTURY_WORDS = {"eighteenth": 18, "nineteenth": 19, "twentieth": 20, "twenty-first": 21}

# Words that make a text relative to a moment: the publication ("recently") or the story ("the next day").
_DEICTIC = {
    "ago",
    "recent",
    "recently",
    "now",
    "currently",
    "nowadays",
    "soon",
    "coming",
    "upcoming",
    "last",
    "past",
    "next",
    "this",
    "these",
    "earlier",
    "later",
    "previous",
    "following",
    "same",
    "midweek",
    "lately",
    "before",
    "after",
    "then",
    "today",
    "tonight",
    "yesterday",
    "tomorrow",
    "present",
    "future",
    "former",
    "weekend",
    "overnight",
}

# Words in front of a date that do not change which date it is (qualifiers narrow in words only).
_PREFIX = re.compile(
    r"^(?:(?:on|in|by|since|until|till|from|during|of|at|around|about|as of|as early as|as late as|before|after|into|"
    r"circa|the year|fiscal|calendar|the|early|late|mid|end of|start of|beginning of|middle of|"
    r"earlier|later|sometime in|some time in)\s+|mid-|c\.\s*|fy\s*(?=\d))(?=\S)"
)
_CONNECTOR = re.compile(r"\s*(?:\b(?:and into|and in|and|to|until|till|through|thru|into)\b|-)\s*")


# -- entry point --------------------------------------------------------------------


def normalise_date(text: str, reference: date | None, ahead: bool = False) -> DateValue:
    """The ISO value of the DATE mention ``text``; relative texts resolved against ``reference`` only.

    ``ahead``: the sentence speaks of what is to come ("talks will resume on Wednesday", `looks_ahead`), so a
    bare weekday or weekend is the next one, not the last. See the module docstring for the conventions.
    ``reference`` may be a ``datetime``: only its day counts."""
    if isinstance(reference, datetime):
        reference = reference.date()
    text = _clean(text)
    if ahead:
        text = _BARE_DAY.sub(r"coming \g<day>", text)
    return _normalise(text, reference)


# A weekday or weekend with nothing saying which ("Wednesday", "on Friday", "this weekend", "over the weekend").
_BARE_DAY = re.compile(
    r"^(?:(?:on|over|during|at|for|by|until|till) )?(?:(?:the|this) )?(?P<day>"
    + "|".join(sorted(["weekend", *_WEEKDAY], key=len, reverse=True))
    + r")\b(?! last week| next week)"
)

# Words that put the clause ahead of its publication: the future, reported future ("said talks would resume"),
# intentions, schedules and possibilities. Read in the clause before the mention only, so "said on Monday that
# talks will resume" keeps its Monday in the past.
_AHEAD_WORDS = re.compile(
    r"\b(?:will|would|shall|could|may|might|going to|(?:due|set|expected|scheduled|planned|slated|plans?|intends?|"
    r"hopes?|aims?|agreed|promised|vowed|threatened) to|upcoming|forthcoming)\b|'ll\b"
)


def looks_ahead(text: str, start: int) -> bool:
    """Whether the clause of ``text`` that ends at offset ``start`` (where a date mention begins) speaks of what
    is still to come."""
    clause = re.split(r"[.!?;:,\n]\s|\n", text[max(0, start - 200) : start])[-1]
    return bool(_AHEAD_WORDS.search(clause))


def _clean(text: str) -> str:
    """Lower case, one kind of dash and apostrophe, single spaces, no dangling connector or punctuation."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    text = re.sub(r"[–—‐‑]", "-", text)
    text = " ".join(text.split()).strip(' .,;:()[]"“”')
    # Open ends do not move the date they hang on ("March 2011 onwards" is March 2011).
    text = re.sub(r"\s+(?:onwards?|and beyond|or so|or later|or earlier|at the (?:latest|earliest))$", "", text)
    return re.sub(r"(?:\s+(?:and|or|to|-))+$", "", text)


# What a value may look like: a day, month or year of years 0001-9999, or a range of two of them.
_ISO_POINT = r"(?!0000)\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?"
_ISO_VALUE = re.compile(rf"{_ISO_POINT}(?:/{_ISO_POINT})?")


@lru_cache(maxsize=65536)
def _normalise(text: str, ref: date | None) -> DateValue:
    if not text or not re.search(r"[a-z0-9]", text):
        return NONE
    try:
        for rule in _RULES:
            found = rule(text, ref)
            if found is not None:
                break
        else:
            found = _fallback(text, ref)
    except (OverflowError, ValueError):
        # A reference at the edge of the calendar (a hostile publication date of 9999-12-31) moved past it.
        return UNRESOLVED
    if found.value is not None and not _ISO_VALUE.fullmatch(found.value):
        return DateValue(None, None, found.relative)  # e.g. "next month" of December 9999: no ISO value exists
    return found


def _core(text: str) -> str:
    """``text`` without the prepositions and qualifiers in front of it ("on", "the end of", "mid-")."""
    previous = None
    while previous != text:
        previous, text = text, _PREFIX.sub("", text)
    return text


def _resolved(resolve: Callable[[date], DateValue | None], ref: date | None) -> DateValue:
    """A relative value: ``resolve(ref)``, or UNRESOLVED when there is no reference (never today's date)."""
    if ref is None:
        return UNRESOLVED
    return resolve(ref) or UNRESOLVED


# -- absolute -----------------------------------------------------------------------


def _numeric(text: str, _ref: date | None) -> DateValue | None:
    """All-digit dates: ISO days and months, ``2011-12`` seasons, d/m/y and m/d/y when unambiguous."""
    core = _core(text)
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})|(\d{4})/(\d{1,2})/(\d{1,2})", core):
        y, mo, d = (int(g) for g in (m.groups()[:3] if m.group(1) else m.groups()[3:]))
        return _day(y, mo, d)
    if m := re.fullmatch(_YEAR_RE + r"\s*[-/]\s*(?P<end>\d{4}|\d{2})", core):
        return _year_span(m.group("year"), m.group("end"))
    if m := re.fullmatch(r"(\d{1,2})[./-](\d{1,2})[./-]" + _YEAR_RE, core):
        a, b, year = int(m.group(1)), int(m.group(2)), int(m.group("year"))
        reading = only_reading(a, b)
        if reading is None:
            # 5/6/2016 is May 6 in the US and 5 June elsewhere: only the year is certain.
            return DateValue(str(year), "year", False)
        return _day(year, *reading)
    return None


def _year_span(start: str, end: str) -> DateValue | None:
    """``2011-12`` is the 2011/2012 season; ``2016-11`` (end before start) is November 2016."""
    if len(end) == 2:
        full = int(start[:2] + end)
        if full > int(start):
            return DateValue(f"{start}/{full}", "range", False)
        month = int(end)
        return DateValue(f"{start}-{month:02d}", "month", False) if 1 <= month <= 12 else None
    return DateValue(f"{start}/{end}", "range", False) if int(end) > int(start) else None


def _day(year: int, month: int, day: int) -> DateValue | None:
    try:
        return DateValue(date(year, month, day).isoformat(), "day", False)
    except ValueError:
        return None


def _absolute_day(text: str, _ref: date | None) -> DateValue | None:
    """A day with a month name and a year, in either order, with or without a weekday in front."""
    day_first = re.search(r"\b" + _DAY_RE + r"(?: of)?\s+" + _MONTH_RE + r",?\s+" + _YEAR_RE + r"\b", text)
    month_first = re.search(r"\b" + _MONTH_RE + r"\s+(?:the\s+)?" + _DAY_RE + r",?\s+" + _YEAR_RE + r"\b", text)
    m = day_first or month_first
    if m:
        return _day(int(m.group("year")), MONTHS[m.group("month")], int(m.group("day")))
    return None


def _month_year(text: str, _ref: date | None) -> DateValue | None:
    if m := re.fullmatch(_MONTH_RE + r",?\s+(?:of\s+)?" + _YEAR_RE, _core(text)):
        return DateValue(f"{m.group('year')}-{MONTHS[m.group('month')]:02d}", "month", False)
    return None


def _year(text: str, _ref: date | None) -> DateValue | None:
    if m := re.fullmatch(_YEAR_RE, _core(text)):
        return DateValue(m.group("year"), "year", False)
    return None


def _decade_or_century(text: str, _ref: date | None) -> DateValue | None:
    core = _core(text)
    if m := re.fullmatch(r"(?P<d>1\d{2}0|20\d0)'?s", core):
        start = int(m.group("d"))
        return DateValue(f"{start}/{start + 9}", "range", False)
    if m := re.fullmatch(r"'?(?P<d>[3-9]0|00|10)'?s", core):
        # Two-digit decades: the '30s-'90s are last century's, the '00s and '10s this one's.
        # ("the '20s" could be either century: left to the fallback, which gives it no value.)
        start = (1900 if int(m.group("d")) >= 30 else 2000) + int(m.group("d"))
        return DateValue(f"{start}/{start + 9}", "range", False)
    if m := re.fullmatch(
        r"(?:(?P<n>\d{1,2})(?:st|nd|rd|th)|(?P<word>" + "|".join(_CENTURY_WORDS) + r"))[ -]century", core
    ):
        n = int(m.group("n")) if m.group("n") else _CENTURY_WORDS[m.group("word")]
        # Popular usage: the 20th century is the 1900s, not 1901-2000.
        return DateValue(f"{(n - 1) * 100}/{(n - 1) * 100 + 99}", "range", False) if 1 <= n <= 21 else None
    return None


def _part_of_year(text: str, _ref: date | None) -> DateValue | None:
    """Seasons, quarters and halves of a named year."""
    core = _core(text)
    if m := re.fullmatch(r"(?P<season>spring|summer|autumn|fall|winter)(?: of)?,?\s+" + _YEAR_RE, core):
        return _season(int(m.group("year")), _SEASON_START[m.group("season")])
    quarter = re.fullmatch(
        r"(?:(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th) quarter|q(?P<q>[1-4]))(?: of)?,?\s+" + _YEAR_RE, core
    )
    if quarter:
        q = int(quarter.group("q")) if quarter.group("q") else _ORDINAL[quarter.group("ord")]
        year = quarter.group("year")
        return DateValue(f"{year}-{3 * q - 2:02d}/{year}-{3 * q:02d}", "range", False)
    if m := re.fullmatch(r"(?P<ord>first|second|1st|2nd) half(?: of)?,?\s+" + _YEAR_RE, core):
        first = _ORDINAL[m.group("ord")] == 1
        year = m.group("year")
        return DateValue(f"{year}-01/{year}-06" if first else f"{year}-07/{year}-12", "range", False)
    return None


def _season(year: int, start_month: int) -> DateValue:
    start = year * 12 + start_month - 1
    end = start + 2
    return DateValue(f"{start // 12}-{start % 12 + 1:02d}/{end // 12}-{end % 12 + 1:02d}", "range", False)


# -- spans --------------------------------------------------------------------------


def _range(text: str, ref: date | None) -> DateValue | None:
    """Two dates joined by "and", "to", "-", "until"...: the interval from the first to the second.

    Each side is normalised on its own, after borrowing what it leaves out from the other side
    ("5-7 November 2016", "November 5-7, 2016", "March to May 2016")."""
    body = re.sub(r"^(?:between|from)\s+", "", text)
    for connector in _CONNECTOR.finditer(body):
        left, right = body[: connector.start()], body[connector.end() :]
        if not left or not right:
            continue
        left, right = _complete(left, right)
        a, b = _normalise(left, ref), _normalise(right, ref)
        if not (_is_date(a) and _is_date(b)):
            continue
        if a.value is None or b.value is None:
            return UNRESOLVED
        start, end = a.value.split("/")[0], b.value.split("/")[-1]
        if start[: len(end)] > end[: len(start)]:
            continue  # not in order: not a span ("Monday and Tuesday" read the wrong way round)
        return DateValue(f"{start}/{end}", "range", a.relative or b.relative)
    return None


def _is_date(found: DateValue) -> bool:
    """A point in time, known or relative; not a duration or noise."""
    return found.value is not None or found.relative


def _complete(left: str, right: str) -> tuple[str, str]:
    """Fill in the month and year one side of a span leaves to the other."""
    if re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)?", left) and (
        m := re.match(r"\d{1,2}(?:st|nd|rd|th)?(?: of)?\s+(.*)", right)
    ):
        left = f"{left} {m.group(1)}"  # 5-7 november 2016
    if (m := re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?(,?\s+\d{4})", right)) and (
        month := re.fullmatch(_MONTH_RE + r"\s+\d{1,2}(?:st|nd|rd|th)?", left)
    ):
        right = f"{month.group('month')} {m.group(1)}{m.group(2)}"  # november 5-7, 2016
    if not re.search(r"\b" + _YEAR_RE + r"\b", left) and (year := re.search(_YEAR_RE + r"$", right)):
        if re.search(r"\b" + _MONTH_RE + r"\b|\b(?:spring|summer|autumn|fall|winter)\b", left):
            left = f"{left} {year.group('year')}"  # march to may 2016
    return left, right


# -- relative to the publication date --------------------------------------------------


def _anaphoric(text: str, _ref: date | None) -> DateValue | None:
    """Dates that count from another event of the story, not from the publication: unknowable here."""
    # "next week" counts from the publication; "the next week" from the story.
    if re.fullmatch(
        r"(?:(?:on|by|in|of|at|during|over|within) )?(?:(?:the )?(?:same|following|previous|preceding|prior)|the next) "
        r"(?:day|night|morning|evening|week|weekend|month|year|decade|season)|that (?:day|night|week|month|year|time)"
        r"|the day (?:before|after)|the (?:week|month|year) (?:before|after)",
        text,
    ):
        return UNRESOLVED
    if re.fullmatch(
        r"(?:(?:just|only|some|about|nearly|almost|more than|less than) )?(?:"
        + _NUMBER_RE
        + r" )?"
        + _UNIT_RE
        + r" (?:later|earlier|before|after|afterwards|beforehand|on)",
        text,
    ):
        return UNRESOLVED
    return None


def _deictic_day(text: str, ref: date | None) -> DateValue | None:
    core = _core(text)
    m = re.fullmatch(
        r"(?P<word>today|tonight|yesterday|tomorrow|the day before yesterday|the day after tomorrow|"
        r"last night|this (?:morning|afternoon|evening)|overnight)(?: (?:morning|afternoon|evening|night))?",
        core,
    )
    if not m:
        return None
    shift = {
        "yesterday": -1,
        "tomorrow": 1,
        "the day before yesterday": -2,
        "the day after tomorrow": 2,
        "last night": -1,
    }.get(m.group("word"), 0)
    return _resolved(lambda r: DateValue((r + timedelta(days=shift)).isoformat(), "day", True), ref)


def _period(text: str, ref: date | None) -> DateValue | None:
    """This/last/next week, month, year or decade, and the end or start of this one."""
    core = _core(text)
    # _core would leave a bare "year" of "the end of the year": these are looked at whole.
    if m := re.fullmatch(
        r"(?:(?:by|at|until|till|before|in|around|towards?|from) )?(?:the )?(?:(?:end|start|beginning|middle|"
        r"rest|remainder|close) of (?:the|this) (?P<a>week|month|year)|(?P<b>year|month|week)[- ]end|end[- ]of[- ]"
        r"(?:the[- ])?(?P<c>year|month|week))",
        text,
    ):
        core = "this " + (m.group("a") or m.group("b") or m.group("c"))
    m = re.fullmatch(r"(?P<which>this|last|next|past|coming|current) (?P<unit>week|month|year|decade)", core)
    if not m:
        return None
    shift = {"this": 0, "current": 0, "last": -1, "past": -1, "next": 1, "coming": 1}[m.group("which")]
    return _resolved(lambda r: _calendar_period(r, m.group("unit"), shift), ref)


def _calendar_period(ref: date, unit: str, shift: int) -> DateValue:
    if unit == "year":
        return DateValue(str(ref.year + shift), "year", True)
    if unit == "decade":
        start = ref.year // 10 * 10 + 10 * shift
        return DateValue(f"{start}/{start + 9}", "range", True)
    if unit == "month":
        return DateValue(_month_index(ref.year * 12 + ref.month - 1 + shift), "month", True)
    monday = ref - timedelta(days=ref.weekday()) + timedelta(weeks=shift)
    return DateValue(f"{monday.isoformat()}/{(monday + timedelta(days=6)).isoformat()}", "range", True)


def _month_index(index: int) -> str:
    return f"{index // 12}-{index % 12 + 1:02d}"


def _trailing_window(text: str, ref: date | None) -> DateValue | None:
    """ "(over) the past two years": the window that ends at the reference, at the unit's precision."""
    m = re.fullmatch(
        r"(?:(?:in|over|during|for|within|throughout|through) )?(?:the |this )?(?:past|last) (?:"
        + _NUMBER_RE
        + r" )?"
        + _UNIT_RE
        + r"(?: or so)?",
        text,
    )
    if not m or (text.startswith(("last ", "past ")) and not m.group("n")):
        return None  # "last week" is the calendar week (_period); "the past week" is a window
    n = _number(m.group("n")) if m.group("n") else 1
    unit = m.group("unit")
    if n is None or unit.startswith(("hour", "minute")):
        return UNRESOLVED

    def window(r: date) -> DateValue:
        if unit.startswith(("day", "week", "fortnight")):
            days = n * {"d": 1, "w": 7, "f": 14}[unit[0]]
            return DateValue(f"{(r - timedelta(days=days)).isoformat()}/{r.isoformat()}", "range", True)
        months = n * {"m": 1, "y": 12, "d": 120, "c": 1200}[unit[0]]
        here = r.year * 12 + r.month - 1
        if unit.startswith(("decade", "centur")):
            return DateValue(f"{r.year - months // 12}/{r.year}", "range", True)
        return DateValue(f"{_month_index(here - months)}/{_month_index(here)}", "range", True)

    return _resolved(window, ref)


def _weekend(text: str, ref: date | None) -> DateValue | None:
    m = re.fullmatch(
        r"(?:(?:over|during|at|on|for) )?(?P<which>the|this|last|this past|past|next|this coming|coming)? ?weekend",
        text,
    )
    if not m:
        return None
    ahead = m.group("which") in ("next", "this coming", "coming")

    def resolve(r: date) -> DateValue:
        if ahead:
            saturday = r + timedelta(days=((5 - r.weekday()) % 7) or 7)
        else:  # the latest weekend that has begun by the publication day
            saturday = r - timedelta(days=(r.weekday() - 5) % 7)
        return DateValue(f"{saturday.isoformat()}/{(saturday + timedelta(days=1)).isoformat()}", "range", True)

    return _resolved(resolve, ref)


def _weekday_with_date(text: str, ref: date | None) -> DateValue | None:
    """ "Monday, November 21": the date decides; the weekday only repeats it."""
    m = re.fullmatch(r"(?:on )?" + _WEEKDAY_RE + r",?\s+(?:the\s+)?(?P<rest>.*\d.*)", text)
    if not m:
        return None
    found = _normalise(m.group("rest"), ref)
    return found if _is_date(found) else None


def _weekday(text: str, ref: date | None) -> DateValue | None:
    m = re.fullmatch(
        r"(?:(?P<which>last|this|next|this past|this coming|past|coming) )?"
        + _WEEKDAY_RE
        + r"(?: (?:morning|afternoon|evening|night))?(?: (?P<week>last week|next week))?",
        _core(text),
    )
    if not m:
        return None
    target, which, week = _WEEKDAY[m.group("weekday")], m.group("which") or "", m.group("week")

    def resolve(r: date) -> DateValue:
        back = (r.weekday() - target) % 7
        if week:  # "Monday last week": that weekday of the previous (or next) Monday-to-Sunday week
            monday = r - timedelta(days=r.weekday()) + timedelta(weeks=-1 if week == "last week" else 1)
            day = monday + timedelta(days=target)
        elif which in ("next", "this coming", "coming"):
            day = r + timedelta(days=((target - r.weekday()) % 7) or 7)
        elif which in ("last", "this past", "past"):
            day = r - timedelta(days=back or 7)
        else:  # bare, "on" or "this": the latest such day on or before publication
            day = r - timedelta(days=back)
        return DateValue(day.isoformat(), "day", True)

    return _resolved(resolve, ref)


def _ago(text: str, ref: date | None) -> DateValue | None:
    m = re.fullmatch(
        r"(?:(?:just|only|some|about|nearly|almost|more than|less than|over|around) )?(?:"
        + _NUMBER_RE
        + r" )?"
        + _UNIT_RE
        + r" ago",
        _core(text),
    )
    if not m:
        return None
    n = _number(m.group("n")) if m.group("n") else None
    unit = m.group("unit")
    if n is None or unit.startswith(("hour", "minute")):
        return UNRESOLVED  # "years ago", "a few weeks ago"; hours ago is still "today" at best

    def resolve(r: date) -> DateValue:
        if unit.startswith("year"):
            return DateValue(str(r.year - n), "year", True)
        if unit.startswith("decade"):
            return DateValue(str(r.year - 10 * n), "year", True)
        if unit.startswith("centur"):
            return DateValue(str(r.year - 100 * n), "year", True)
        if unit.startswith("month"):
            return _calendar_period(r, "month", -n)
        if unit.startswith(("week", "fortnight")):
            return _calendar_period(r, "week", -n * (2 if unit.startswith("fortnight") else 1))
        return DateValue((r - timedelta(days=n)).isoformat(), "day", True)

    return _resolved(resolve, ref)


def _day_month(text: str, ref: date | None) -> DateValue | None:
    """ "November 2", "the 2nd of November": the latest such day at most a week after publication."""
    core = _core(text)
    m = re.fullmatch(_DAY_RE + r"(?: of)? " + _MONTH_RE, core) or re.fullmatch(
        _MONTH_RE + r" (?:the )?" + _DAY_RE, core
    )
    if not m:
        return None
    month, day = MONTHS[m.group("month")], int(m.group("day"))
    if day > 31:
        return None

    def resolve(r: date) -> DateValue | None:
        for year in (r.year + 1, r.year, r.year - 1):
            try:
                candidate = date(year, month, day)
            except ValueError:
                continue  # 29 February of a common year
            if candidate <= r + timedelta(days=7):
                return DateValue(candidate.isoformat(), "day", True)
        return None

    return _resolved(resolve, ref)


def _month(text: str, ref: date | None) -> DateValue | None:
    """ "in August", "early November": the latest such month at most one month after publication."""
    m = re.fullmatch(_MONTH_RE, _core(text))
    if not m:
        return None
    month = MONTHS[m.group("month")]

    def resolve(r: date) -> DateValue:
        limit = r.year * 12 + r.month  # the month after publication, as a 0-based index
        year = next(y for y in (r.year + 1, r.year, r.year - 1) if y * 12 + month - 1 <= limit)
        return DateValue(f"{year}-{month:02d}", "month", True)

    return _resolved(resolve, ref)


def _relative_season(text: str, ref: date | None) -> DateValue | None:
    m = re.fullmatch(
        r"(?P<which>this|last|next|this past|past|this coming|coming) (?P<season>spring|summer|autumn|fall|winter)",
        _core(text),
    )
    if not m:
        return None
    start_month, which = _SEASON_START[m.group("season")], m.group("which")

    def resolve(r: date) -> DateValue:
        here = r.year * 12 + r.month - 1
        starts = [y * 12 + start_month - 1 for y in (r.year - 2, r.year - 1, r.year, r.year + 1)]
        if which in ("last", "this past", "past"):  # the latest one over before publication
            start = max(s for s in starts if s + 2 < here)
        elif which in ("next", "this coming", "coming"):  # the first one not begun by publication
            start = min(s for s in starts if s > here)
        else:  # the one under way, else this year's
            current = [s for s in starts if s <= here <= s + 2]
            start = current[0] if current else r.year * 12 + start_month - 1
        found = _season(start // 12, start_month)
        return DateValue(found.value, "range", True)

    return _resolved(resolve, ref)


def _vague(text: str, _ref: date | None) -> DateValue | None:
    """Spans without edges that hang on the publication date ("recent months", "the coming weeks")."""
    if re.fullmatch(
        r"(?:(?:in|over|during|for|within) )?(?:the )?(?:recent|coming|past|last|next|upcoming) (?:few |several "
        r"|many )?"
        r"(?:days|weeks|months|years|decades)|the past|the future|recently|lately|now|currently|nowadays|these days"
        r"|soon|midweek|this time|the moment|at the moment",
        text,
    ):
        return UNRESOLVED
    # A season, quarter or half without its year: which one depends on the publication, but not knowably.
    if re.fullmatch(
        r"(?:(?:in|during|over|by|through|throughout) )?(?:the )?(?:early |late "
        r"|mid-?)?(?:spring|summer|autumn|fall|winter)"
        r"|(?:(?:in|during|by) )?the (?:first|second|third|fourth|final|last) (?:quarter|half)(?: of the year)?",
        text,
    ):
        return UNRESOLVED
    return None


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return _NUMBERS.get(word)


# -- what the rules do not know ---------------------------------------------------------


def _fallback(text: str, ref: date | None) -> DateValue:
    has_year = re.search(r"\b" + _YEAR_RE + r"\b", text)
    has_month = re.search(r"\b" + _MONTH_RE + r"(?:\b|$)", text)
    if has_year or (has_month and ref is not None):
        found = _ask_dateparser(text, ref, bool(has_year), bool(has_month))
        if found is not None:
            return found
    if has_year and len(re.findall(r"\b" + _YEAR_RE + r"\b", text)) == 1:
        return DateValue(has_year.group("year"), "year", False)  # "the 2016 campaign"
    if has_month and not has_year:
        return UNRESOLVED
    words = set(re.findall(r"[a-z]+", text))
    return UNRESOLVED if words & _DEICTIC or words & set(_WEEKDAY) else NONE


def _ask_dateparser(text: str, ref: date | None, has_year: bool, has_month: bool) -> DateValue | None:
    """dateparser, only for the parts the text itself names (the granularity comes from the text)."""
    has_day = has_month and re.search(r"(?<![\d'])\b\d{1,2}(?:st|nd|rd|th)?\b(?!\d)", re.sub(_YEAR_RE, "", text))
    parts = ["year"] * has_year + ["month"] * has_month + ["day"] * bool(has_day)
    if "month" not in parts:
        return None  # a year alone is the rules' business; dateparser would add a month from its base
    base = datetime.combine(ref, datetime.min.time()) if ref is not None else None
    found = ask_dateparser(text, parts, base)
    if found is None:
        return None
    relative = not has_year
    if has_day:
        return DateValue(found.date().isoformat(), "day", relative)
    return DateValue(f"{found.year}-{found.month:02d}", "month", relative)


# Order matters: all-digit forms before spans (so "2016-11-20" is no span), spans before single
# dates (so "between 5 November 2015 and 7 March 2016" is not its first day), anaphora first of all.
_RULES: tuple[Rule, ...] = (
    _anaphoric,
    _numeric,
    _range,
    _absolute_day,
    _decade_or_century,
    _part_of_year,
    _month_year,
    _year,
    _deictic_day,
    _trailing_window,
    _period,
    _weekend,
    _weekday_with_date,
    _weekday,
    _ago,
    _day_month,
    _month,
    _relative_season,
    _vague,
)
