"""normalise_date: ISO values as precise as the text, relative dates only ever against the publication date."""

import re
from datetime import date, datetime

import pytest

from newsflow.nlp import dates
from newsflow.nlp.dates import DateValue, normalise_date

MONDAY = date(2016, 11, 28)  # publication day of seed 002 ("Monday" → that very day)
SUNDAY = date(2016, 11, 20)  # publication day of seed 003 ("last Monday" → 2016-11-14)
# References far from each other and from any plausible "today": an absolute date must not move.
REFERENCES = (None, MONDAY, SUNDAY, date(1987, 2, 3), date(2041, 9, 30))

ABSOLUTE = [
    ("November 14, 2016", "2016-11-14", "day"),
    ("28 November, 2016", "2016-11-28", "day"),
    ("3 March 2025", "2025-03-03", "day"),
    ("Nov. 3, 2016", "2016-11-03", "day"),
    ("Sept. 11, 2001", "2001-09-11", "day"),
    ("the 15th of November 2016", "2016-11-15", "day"),
    ("Tuesday 15 November 2016", "2016-11-15", "day"),
    ("on Tuesday, November 15, 2016", "2016-11-15", "day"),
    ("2016-11-20", "2016-11-20", "day"),
    ("15/11/2016", "2016-11-15", "day"),  # only day/month/year fits
    ("11/15/2016", "2016-11-15", "day"),  # only month/day/year fits
    ("5/6/2016", "2016", "year"),  # May 6 or 5 June: only the year is certain
    ("Nov 15th, 2016 evening", "2016-11-15", "day"),  # left to dateparser, with every part required
    ("November 2016", "2016-11", "month"),
    ("May 2015", "2015-05", "month"),
    ("mid-November 2016", "2016-11", "month"),
    ("since March 2011", "2011-03", "month"),
    ("March 2011 onwards", "2011-03", "month"),
    ("2016-11", "2016-11", "month"),  # ISO month: the end cannot be a later year
    ("2011", "2011", "year"),
    ("in 2011", "2011", "year"),
    ("the end of 2011", "2011", "year"),
    ("early 2015", "2015", "year"),
    ("mid-2015", "2015", "year"),
    ("the year 2000", "2000", "year"),
    ("fiscal 2015", "2015", "year"),
    ("1500", "1500", "year"),
    ("between 2011 and 2012", "2011/2012", "range"),
    ("from 2011 to 2013", "2011/2013", "range"),
    ("2011-2012", "2011/2012", "range"),
    ("2011-12", "2011/2012", "range"),  # a season, not December 2011
    ("2016/17", "2016/2017", "range"),
    ("the end of 2011 and into 2012", "2011/2012", "range"),
    ("between November 2015 and March 2016", "2015-11/2016-03", "range"),
    ("December 2015 - January 2016", "2015-12/2016-01", "range"),
    ("5-7 November 2016", "2016-11-05/2016-11-07", "range"),
    ("November 5-7, 2016", "2016-11-05/2016-11-07", "range"),
    ("March to May 2016", "2016-03/2016-05", "range"),
    ("2015 and 2017", "2015/2017", "range"),  # a list becomes the span that covers it
    ("the summer of 2013", "2013-06/2013-08", "range"),
    ("spring 2014", "2014-03/2014-05", "range"),
    ("winter 2014", "2014-12/2015-02", "range"),
    ("Q3 2015", "2015-07/2015-09", "range"),
    ("the third quarter of 2015", "2015-07/2015-09", "range"),
    ("the first half of 2015", "2015-01/2015-06", "range"),
    ("the 1990s", "1990/1999", "range"),
    ("1990s", "1990/1999", "range"),
    ("the early 1990s", "1990/1999", "range"),
    ("the '90s", "1990/1999", "range"),
    ("the 2000s", "2000/2009", "range"),
    ("the 1980s and 1990s", "1980/1999", "range"),
    ("the 20th century", "1900/1999", "range"),
    ("the twenty-first century", "2000/2099", "range"),
]


@pytest.mark.parametrize("text, value, granularity", ABSOLUTE)
def test_absolute_dates_are_the_same_whatever_the_reference(text, value, granularity):
    for reference in REFERENCES:
        assert normalise_date(text, reference) == DateValue(value, granularity, False), reference


@pytest.mark.parametrize(
    "text, value, granularity",
    [
        ("Monday", "2016-11-28", "day"),  # the latest Monday on or before publication: that day
        ("on Monday", "2016-11-28", "day"),
        ("this Monday", "2016-11-28", "day"),
        ("Monday night", "2016-11-28", "day"),
        ("on Friday", "2016-11-25", "day"),
        ("Saturday", "2016-11-26", "day"),
        ("last Monday", "2016-11-21", "day"),  # strictly before publication
        ("last Friday", "2016-11-25", "day"),
        ("Monday last week", "2016-11-21", "day"),
        ("next Monday", "2016-12-05", "day"),
        ("this coming Friday", "2016-12-02", "day"),
        ("Monday, November 21", "2016-11-21", "day"),  # the date decides, the weekday only repeats it
        ("yesterday", "2016-11-27", "day"),
        ("Yesterday", "2016-11-27", "day"),
        ("last night", "2016-11-27", "day"),
        ("today", "2016-11-28", "day"),
        ("earlier today", "2016-11-28", "day"),
        ("this morning", "2016-11-28", "day"),
        ("November 2", "2016-11-02", "day"),
        ("Nov. 21", "2016-11-21", "day"),
        ("21 Nov", "2016-11-21", "day"),
        ("December 3", "2016-12-03", "day"),  # at most a week ahead: this year's
        ("December 30", "2015-12-30", "day"),  # further ahead: last year's
        ("1 to 3 March", "2016-03-01/2016-03-03", "range"),
        ("earlier this month", "2016-11", "month"),
        ("later this month", "2016-11", "month"),
        ("this month", "2016-11", "month"),
        ("last month", "2016-10", "month"),
        ("next month", "2016-12", "month"),
        ("August", "2016-08", "month"),
        ("in March", "2016-03", "month"),  # news reports the past...
        ("December", "2016-12", "month"),  # ...with a month of slack for what is announced
        ("mid-November", "2016-11", "month"),
        ("the end of November", "2016-11", "month"),
        ("three months ago", "2016-08", "month"),
        ("this year", "2016", "year"),
        ("earlier this year", "2016", "year"),
        ("the end of the year", "2016", "year"),
        ("year-end", "2016", "year"),
        ("last year", "2015", "year"),
        ("the end of last year", "2015", "year"),
        ("next year", "2017", "year"),
        ("two years ago", "2014", "year"),
        ("a decade ago", "2006", "year"),
        ("this week", "2016-11-28/2016-12-04", "range"),  # weeks run Monday to Sunday
        ("last week", "2016-11-21/2016-11-27", "range"),
        ("next week", "2016-12-05/2016-12-11", "range"),
        ("the weekend", "2016-11-26/2016-11-27", "range"),
        ("over the weekend", "2016-11-26/2016-11-27", "range"),
        ("the past week", "2016-11-21/2016-11-28", "range"),  # a window that ends at publication
        ("the past two years", "2014-11/2016-11", "range"),
        ("the last decade", "2006/2016", "range"),
        ("this decade", "2010/2019", "range"),
        ("this summer", "2016-06/2016-08", "range"),
        ("last winter", "2015-12/2016-02", "range"),
        ("next spring", "2017-03/2017-05", "range"),
    ],
)
def test_relative_dates_resolve_against_the_publication_date(text, value, granularity):
    assert normalise_date(text, MONDAY) == DateValue(value, granularity, True)


@pytest.mark.parametrize(
    "text, reference, value",
    [
        ("last Monday", SUNDAY, "2016-11-14"),  # seed 003, published on a Sunday
        ("November 2", SUNDAY, "2016-11-02"),  # seed 003
        ("Monday", MONDAY, "2016-11-28"),  # seed 002
        ("Tuesday", date(2024, 6, 14), "2024-06-11"),
        ("last Friday", date(2023, 10, 2), "2023-09-29"),
        ("Wednesday", date(2023, 10, 2), "2023-09-27"),
        ("Thursday", date(2021, 4, 30), "2021-04-29"),
        ("the weekend", date(2022, 2, 18), "2022-02-12/2022-02-13"),
        ("yesterday", date(2022, 3, 1), "2022-02-28"),
        ("last month", date(2017, 1, 10), "2016-12"),
        ("January 2", date(2016, 12, 28), "2017-01-02"),
        ("last Monday", datetime(2016, 11, 28, 23, 59), "2016-11-21"),  # a datetime counts by its day
    ],
)
def test_other_publication_dates(text, reference, value):
    found = normalise_date(text, reference)
    assert (found.value, found.relative) == (value, True)


RELATIVE = [
    "Monday",
    "last Monday",
    "on Friday",
    "Saturday",
    "yesterday",
    "today",
    "earlier this month",
    "this year",
    "last week",
    "the past week",
    "November 2",
    "August",
    "two years ago",
    "the weekend",
    "this summer",
    "Monday, November 21",
    "1 to 3 March",
    "the end of the year",
]
VAGUE = [
    "midweek",
    "recent months",
    "the past few weeks",
    "the coming weeks",
    "recently",
    "now",
    "years ago",
    "a few years ago",
    "the summer",
    "the third quarter",
    "the next day",
    "the following week",
    "that day",
    "the same year",
    "two days later",
    "a day earlier",
    "five years on",
    "between Monday and Wednesday",
]
DURATIONS = [
    "two years",
    "more than two years",
    "more than a decade",
    "over a decade",
    "decades",
    "months",
    "years",
    "days",
    "a month",
    "a week",
    "nearly 70 years",
    "70 years old",
    "10 days",
    "1,000 years",
    "nearly ninety",
    "annual",
    "the day",
    "the year",
    "Christmas",
]


@pytest.mark.parametrize("text", RELATIVE + VAGUE)
def test_relative_dates_stay_unresolved_without_a_publication_date(text):
    assert normalise_date(text, None) == DateValue(None, None, True)


@pytest.mark.parametrize("text", VAGUE)
def test_vague_and_anaphoric_spans_have_no_value_even_with_a_publication_date(text):
    assert normalise_date(text, MONDAY) == DateValue(None, None, True)


@pytest.mark.parametrize("text", DURATIONS)
def test_durations_are_no_point_in_time(text):
    for reference in REFERENCES:
        assert normalise_date(text, reference) == DateValue(None, None, False)


@pytest.mark.parametrize("text", [t for t, *_ in ABSOLUTE] + RELATIVE + VAGUE + DURATIONS)
def test_relative_is_a_property_of_the_text_and_no_value_comes_from_a_clock(text):
    """Without a reference nothing relative gets a value, so nothing can come from today's date;
    with one, whether a text is relative does not change."""
    found = {reference: normalise_date(text, reference) for reference in REFERENCES}
    assert len({f.relative for f in found.values()}) == 1
    if found[None].relative:
        assert found[None].value is None
    else:
        assert len(set(found.values())) == 1


@pytest.mark.parametrize(
    "text, granularity",
    [
        ("2011", "year"),
        ("November 2016", "month"),
        ("the end of 2011", "year"),
        ("2016-11", "month"),
        ("the summer of 2013", "range"),
    ],
)
def test_missing_parts_are_never_filled_in(text, granularity):
    """dateparser alone would return a full day for these, taking the rest from its base or the clock."""
    found = normalise_date(text, None)
    assert found.granularity == granularity
    assert all(len(end) == {"year": 4, "month": 7, "range": 7}[granularity] for end in found.value.split("/"))


@pytest.mark.parametrize("text", ["", "   ", "—", "()", "\n"])
def test_empty_texts(text):
    assert normalise_date(text, MONDAY) == DateValue(None, None, False)


def test_surface_variation_does_not_matter():
    assert normalise_date("  November\n14,  2016. ", None) == normalise_date("november 14, 2016", None)
    assert normalise_date("the summer of 2013 and", None).value == "2013-06/2013-08"
    assert normalise_date("2011–2012", None).value == "2011/2012"  # an en dash


def test_values_are_frozen():
    with pytest.raises(AttributeError):
        normalise_date("2011", None).value = "2012"  # type: ignore[misc]


def test_repeated_dates_are_answered_from_the_cache():
    # The cost per call is measured by `make bench` (dates stage); here only that repeats hit the cache.
    texts = [t for t, *_ in ABSOLUTE] + RELATIVE + VAGUE + DURATIONS
    references = [date.fromordinal(date(2015, 1, 1).toordinal() + i) for i in range(40)]
    dates._normalise.cache_clear()
    first = [normalise_date(text, reference) for reference in references for text in texts]
    again = [normalise_date(text, reference) for reference in references for text in texts]
    assert again == first and dates._normalise.cache_info().hits >= len(first)


@pytest.mark.parametrize("reference", [date(9999, 12, 31), date(1, 1, 1)])
@pytest.mark.parametrize(
    "text",
    [
        "tomorrow",
        "yesterday",
        "next year",
        "last year",
        "next month",
        "last month",
        "next Monday",
        "last week",
        "100 years ago",
    ],
)
def test_a_reference_at_the_edge_of_the_calendar_gives_no_value_rather_than_a_crash_or_a_bad_one(text, reference):
    # A hostile publication date must not crash the enricher nor yield a value Elasticsearch refuses.
    found = normalise_date(text, reference)
    assert found.relative
    assert found.value is None or re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?(/\d{4}(-\d{2}(-\d{2})?)?)?", found.value)


@pytest.mark.parametrize(
    ("sentence", "mention", "value"),
    [
        # Published on Monday 2023-10-02.
        ("Talks would resume on Wednesday.", "Wednesday", "2023-10-04"),
        ("The minister will visit on Friday.", "Friday", "2023-10-06"),
        ("The river could burst its banks over the weekend.", "the weekend", "2023-10-07/2023-10-08"),
        ("The vote is scheduled to take place on Thursday.", "Thursday", "2023-10-05"),
        ("Workers walked out on Friday.", "Friday", "2023-09-29"),
        ("He said on Friday that talks will resume.", "Friday", "2023-09-29"),
        ("Talks will resume, the union said on Friday.", "Friday", "2023-09-29"),
        ("Flooding hit the town over the weekend.", "the weekend", "2023-09-30/2023-10-01"),
        # Which one it is, the text says; the tense does not move it.
        ("The minister will visit last Friday's site.", "last Friday", "2023-09-29"),
    ],
)
def test_a_bare_weekday_in_a_clause_about_what_is_to_come_is_the_next_one(sentence, mention, value):
    from newsflow.nlp.dates import looks_ahead

    ahead = looks_ahead(sentence, sentence.index(mention))
    assert normalise_date(mention, date(2023, 10, 2), ahead=ahead).value == value
