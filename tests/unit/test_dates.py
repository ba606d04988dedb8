from datetime import date

import pytest

from services.enrich.dates import normalise_date

MONDAY = date(2016, 11, 28)


@pytest.mark.parametrize("text, value, granularity", [
    ("November 14, 2016", "2016-11-14", "day"),
    ("28 November, 2016", "2016-11-28", "day"),
    ("Nov. 3, 2016", "2016-11-03", "day"),
    ("3 March 2025", "2025-03-03", "day"),
    ("2016-11-20", "2016-11-20", "day"),
    ("November 2016", "2016-11", "month"),
    ("2011", "2011", "year"),
    ("the end of 2011", "2011", "year"),
    ("between 2011 and 2012", "2011/2012", "range"),
    ("the end of 2011 and into 2012", "2011/2012", "range"),
    ("the summer of 2013", "2013-06/2013-08", "range"),
    ("the 1990s", "1990/1999", "range"),
])
def test_absolute_dates_need_no_reference(text, value, granularity):
    for reference in (None, MONDAY):
        found = normalise_date(text, reference)
        assert (found.value, found.granularity, found.relative) == (value, granularity, False)


@pytest.mark.parametrize("text, value, granularity", [
    ("Monday", "2016-11-28", "day"),          # the latest Monday on or before publication
    ("on Friday", "2016-11-25", "day"),
    ("last Monday", "2016-11-21", "day"),     # strictly before publication
    ("next Monday", "2016-12-05", "day"),
    ("yesterday", "2016-11-27", "day"),
    ("November 2", "2016-11-02", "day"),
    ("earlier this month", "2016-11", "month"),
    ("last month", "2016-10", "month"),
    ("this year", "2016", "year"),
    ("two years ago", "2014", "year"),
    ("last week", "2016-11-21/2016-11-27", "range"),
    ("August", "2016-08", "month"),
])
def test_relative_dates_resolve_against_the_publication_date(text, value, granularity):
    found = normalise_date(text, MONDAY)
    assert (found.value, found.granularity, found.relative) == (value, granularity, True)


@pytest.mark.parametrize("text", ["Monday", "last Monday", "yesterday", "earlier this month", "this year", "November 2",
                                  "two years ago", "last week", "midweek"])
def test_relative_dates_stay_unresolved_without_a_publication_date(text):
    found = normalise_date(text, None)
    assert found.value is None and found.relative is True


@pytest.mark.parametrize("text", ["two years", "more than a decade", "decades", "recent months", "a month", "days"])
def test_durations_are_no_point_in_time(text):
    assert normalise_date(text, MONDAY).value is None
