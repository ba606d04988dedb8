"""Turning the text of a DATE mention into an ISO value, as precise as the text is and no more.

Conventions:
- a day is ``YYYY-MM-DD``, a month ``YYYY-MM``, a year ``YYYY``; a span is an ISO 8601 interval
  ``start/end`` at the precision of its ends ("between 2011 and 2012" → ``2011/2012``; "the 1990s" →
  ``1990/1999``; "the summer of 2013" → ``2013-06/2013-08``; "last week" → ``2016-11-14/2016-11-20``);
- relative dates are resolved against the article's publication date (``reference``) and never
  against today's clock: without a reference they keep ``value=None`` and ``relative=True``;
- a bare weekday ("on Monday") is the latest such day on or before the reference; "last Monday" is
  the latest such day strictly before it; "next Monday" the first strictly after it;
- durations and vague spans ("two years", "more than a decade", "recent months") are not points in
  time: ``value=None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal

import dateparser

Granularity = Literal["day", "month", "year", "range"]


@dataclass(frozen=True)
class DateValue:
    value: str | None
    granularity: Granularity | None
    relative: bool


NONE = DateValue(None, None, False)
UNRESOLVED = DateValue(None, None, True)

_MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december"]
_MONTH = {name: i + 1 for i, name in enumerate(_MONTH_NAMES)} | {name[:3]: i + 1 for i, name in enumerate(_MONTH_NAMES)} | {"sept": 9}
_MONTH_RE = r"(?P<month>" + "|".join(sorted(_MONTH, key=len, reverse=True)) + r")\.?"
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_YEAR = r"(?P<year>1[6-9]\d\d|20\d\d|2100)"
_SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11)}
_NUMBER_WORDS = r"(a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|a few|few|many|\d+)"
_UNITS = r"(days?|weeks?|months?|years?|decades?|centuries|century|hours?)"

_PREFIX = re.compile(r"^(on|in|by|since|until|till|from|during|of|at|around|about|as of|the|early|late|mid|end of|the end of|"
                     r"the start of|the beginning of|the middle of|beginning of|start of|earlier|later)\s+", re.I)


def normalise_date(text: str, reference: date | None) -> DateValue:
    return _normalise(" ".join(text.lower().replace("–", "-").split()).strip(" .,;:()[]\"'’”“"), reference)


@lru_cache(maxsize=8192)
def _normalise(text: str, reference: date | None) -> DateValue:
    for rule in (_absolute_day, _decade, _year_range, _season, _month_year, _relative_words, _weekday,
                 _ago, _day_month, _year_only, _duration):
        found = rule(text, reference)
        if found is not None:
            return found
    return _fallback(text, reference)


def _core(text: str) -> str:
    previous = None
    while previous != text:
        previous, text = text, _PREFIX.sub("", text)
    return text


# -- absolute --------------------------------------------------------------------

def _decade(text, _ref):
    m = re.fullmatch(r"(the )?(early |late |mid-?)?(?P<d>1[6-9]\d0|20\d0)'?s", text)
    if m:
        start = int(m.group("d"))
        return DateValue(f"{start}/{start + 9}", "range", False)
    return None


def _year_range(text, _ref):
    m = re.search(r"(between|from)?\s*(?P<a>1[6-9]\d\d|20\d\d)\s*(and|to|-|until|through)( into| in)?\s*(?P<b>1[6-9]\d\d|20\d\d|\d\d)\b", text)
    if m:
        a, b = m.group("a"), m.group("b")
        if len(b) == 2:
            b = a[:2] + b
        return DateValue(f"{a}/{b}", "range", False)
    return None


def _season(text, ref):
    m = re.search(r"(?P<season>spring|summer|autumn|fall|winter)( of)?\s+" + _YEAR, text)
    if m:
        year = int(m.group("year"))
        if m.group("season") == "winter":
            return DateValue(f"{year}-12/{year + 1}-02", "range", False)
        a, b = _SEASONS[m.group("season")]
        return DateValue(f"{year}-{a:02d}/{year}-{b:02d}", "range", False)
    return None


def _absolute_day(text, _ref):
    iso = re.search(r"\b(\d{4})-(\d{2})-(\d{2})\b", text)
    if iso:
        return _day(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    day_first = re.search(r"\b(?P<day>\d{1,2})(st|nd|rd|th)?( of)?\s+" + _MONTH_RE + r",?\s+" + _YEAR + r"\b", text)
    month_first = re.search(_MONTH_RE + r"\s+(?P<day>\d{1,2})(st|nd|rd|th)?,?\s+" + _YEAR + r"\b", text)
    m = day_first or month_first
    if m:
        return _day(int(m.group("year")), _MONTH[m.group("month")], int(m.group("day")))
    return None


def _day(year: int, month: int, day: int) -> DateValue | None:
    try:
        return DateValue(date(year, month, day).isoformat(), "day", False)
    except ValueError:
        return None


def _month_year(text, _ref):
    m = re.search(r"\b" + _MONTH_RE + r",?\s+(of\s+)?" + _YEAR + r"\b", text)
    if m:
        return DateValue(f"{m.group('year')}-{_MONTH[m.group('month')]:02d}", "month", False)
    return None


def _year_only(text, _ref):
    m = re.fullmatch(_YEAR, _core(text))
    if m:
        return DateValue(m.group("year"), "year", False)
    return None


# -- relative to the publication date ----------------------------------------------

def _relative_words(text, ref):
    core = _core(text)
    words = {
        "today": 0, "yesterday": -1, "tomorrow": 1, "the day before yesterday": -2, "the day after tomorrow": 2,
    }
    if core in words:
        return _resolved(lambda r: DateValue((r + timedelta(days=words[core])).isoformat(), "day", True), ref)
    m = re.fullmatch(r"(this|last|next|past|previous|coming|same) (week|month|year)", core)
    if m:
        which, unit = m.group(1), m.group(2)
        shift = {"this": 0, "same": 0, "last": -1, "past": -1, "previous": -1, "next": 1, "coming": 1}[which]
        return _resolved(lambda r: _period(r, unit, shift), ref)
    if re.fullmatch(r"(this|last|next) (spring|summer|autumn|fall|winter)", core):
        return UNRESOLVED if ref is None else None
    if core in ("weekend", "this weekend", "last weekend", "past weekend"):
        def weekend(r: date) -> DateValue:
            saturday = r - timedelta(days=(r.weekday() - 5) % 7)
            return DateValue(f"{saturday.isoformat()}/{(saturday + timedelta(days=1)).isoformat()}", "range", True)
        return _resolved(weekend, ref)
    if core in ("tonight", "this morning", "this afternoon", "this evening", "overnight"):
        return _resolved(lambda r: DateValue(r.isoformat(), "day", True), ref)
    if core in ("recently", "now", "currently", "midweek", "past", "future", "coming days", "coming weeks"):
        return UNRESOLVED
    return None


def _period(ref: date, unit: str, shift: int) -> DateValue:
    if unit == "year":
        return DateValue(str(ref.year + shift), "year", True)
    if unit == "month":
        index = ref.year * 12 + ref.month - 1 + shift
        return DateValue(f"{index // 12}-{index % 12 + 1:02d}", "month", True)
    monday = ref - timedelta(days=ref.weekday()) + timedelta(weeks=shift)
    return DateValue(f"{monday.isoformat()}/{(monday + timedelta(days=6)).isoformat()}", "range", True)


def _weekday(text, ref):
    m = re.fullmatch(r"((?P<which>last|this|next|this past|this coming|past)\s+)?(?P<day>" + "|".join(_WEEKDAYS) + r")"
                     r"(\s+(morning|afternoon|evening|night))?(\s+(?P<when>last week|next week))?", _core(text))
    if not m:
        return None
    target = _WEEKDAYS.index(m.group("day"))

    def resolve(r: date) -> DateValue:
        back = (r.weekday() - target) % 7
        which = m.group("which") or ""
        if m.group("when") == "last week":
            day = r - timedelta(days=r.weekday()) - timedelta(weeks=1) + timedelta(days=target)
        elif m.group("when") == "next week" or which in ("next", "this coming"):
            day = r + timedelta(days=((target - r.weekday()) % 7) or 7) + (timedelta(weeks=1) if m.group("when") else timedelta())
        elif which in ("last", "this past", "past"):
            day = r - timedelta(days=back or 7)
        else:
            day = r - timedelta(days=back)
        return DateValue(day.isoformat(), "day", True)

    return _resolved(resolve, ref)


def _ago(text, ref):
    m = re.fullmatch(r"(?P<n>" + _NUMBER_WORDS + r") (?P<unit>" + _UNITS + r") ago", _core(text))
    if not m:
        return None
    n = _number(m.group("n"))
    unit = m.group("unit").rstrip("s")
    if n is None:
        return UNRESOLVED

    def resolve(r: date) -> DateValue:
        if unit == "year":
            return DateValue(str(r.year - n), "year", True)
        if unit == "decade":
            return DateValue(str(r.year - 10 * n), "year", True)
        if unit == "month":
            return _period(r, "month", -n)
        if unit == "week":
            return _period(r, "week", -n)
        return DateValue((r - timedelta(days=n)).isoformat(), "day", True)

    return _resolved(resolve, ref)


def _day_month(text, ref):
    m = re.fullmatch(r"(?P<day>\d{1,2})(st|nd|rd|th)?( of)? " + _MONTH_RE, _core(text)) or \
        re.fullmatch(_MONTH_RE + r" (?P<day>\d{1,2})(st|nd|rd|th)?", _core(text))
    if not m:
        m = re.fullmatch(_MONTH_RE, _core(text))
        if m:  # a month without a year: the occurrence nearest the reference ("in August", "by the end of March")
            month = _MONTH[m.group("month")]

            def nearest(r: date) -> DateValue:
                year = min((r.year - 1, r.year, r.year + 1), key=lambda y: abs((y * 12 + month) - (r.year * 12 + r.month)))
                return DateValue(f"{year}-{month:02d}", "month", True)

            return _resolved(nearest, ref)
        return None
    month, day = _MONTH[m.group("month")], int(m.group("day"))

    def resolve(r: date) -> DateValue | None:
        # News dates without a year are recent: this year's, unless that is more than a week ahead.
        for year in (r.year, r.year - 1):
            try:
                day_ = date(year, month, day)
            except ValueError:
                return None
            if day_ <= r + timedelta(days=7):
                return DateValue(day_.isoformat(), "day", True)
        return None

    return _resolved(resolve, ref)


def _duration(text, _ref):
    core = _core(text)
    if re.fullmatch(r"((more|less|fewer) than|over|nearly|almost|about|some|up to|at least|the (past|last|next|previous|first|coming))?\s*"
                    + _NUMBER_WORDS + r"?\s*(more |consecutive |straight )?" + _UNITS
                    + r"( and a half)?( (earlier|later|before|after|long|old))?", core):
        return NONE
    if re.fullmatch(r"(recent|past|coming|previous|several|many|the) ?" + _UNITS, core) or core in ("decades", "years", "months", "weeks", "days"):
        return NONE
    return None


def _fallback(text, ref):
    """What the rules do not know, dateparser may; its answer counts only when the text names a year."""
    if not re.search(r"\b(1[6-9]\d\d|20\d\d)\b", text):
        return UNRESOLVED if re.search(r"\b(ago|last|next|this|earlier|later|yesterday|tomorrow)\b", text) and ref is None else NONE
    found = dateparser.parse(text, languages=["en"], settings={"REQUIRE_PARTS": ["year"], "PREFER_DAY_OF_MONTH": "first",
                                                               "RETURN_AS_TIMEZONE_AWARE": False})
    if found is None:
        m = re.search(_YEAR, text)
        return DateValue(m.group("year"), "year", False) if m else NONE
    has_month = re.search(r"\b" + _MONTH_RE + r"\b", text)
    has_day = has_month and re.search(r"\b\d{1,2}(st|nd|rd|th)?\b", text.replace(str(found.year), ""))
    if has_day:
        return DateValue(found.date().isoformat(), "day", False)
    if has_month:
        return DateValue(f"{found.year}-{found.month:02d}", "month", False)
    return DateValue(str(found.year), "year", False)


def _resolved(resolve, ref: date | None) -> DateValue:
    if ref is None:
        return UNRESOLVED
    if isinstance(ref, datetime):
        ref = ref.date()
    return resolve(ref) or UNRESOLVED


def _number(word: str) -> int | None:
    names = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
             "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
    return int(word) if word.isdigit() else names.get(word)
