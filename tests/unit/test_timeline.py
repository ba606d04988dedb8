"""The pure part of `newsflow entity`: the request it sends, and what it reads from the answer."""

from __future__ import annotations

from datetime import date

import pytest

from newsflow.cli.timeline import bar, read_timeline, timeline_body


def test_the_request_matches_name_or_variant_in_any_case_and_bounds_the_periods_by_the_dates_asked():
    body = timeline_body("Assad", "week", date(2025, 1, 6), date(2025, 1, 26), 10)
    (nested, published) = body["query"]["bool"]["filter"]
    terms = nested["nested"]["query"]["bool"]["should"]
    assert {next(iter(t["term"])) for t in terms} == {"entity_facets.name", "entity_facets.variants"}
    assert all(next(iter(t["term"].values())) == {"value": "Assad", "case_insensitive": True} for t in terms)
    assert published == {"range": {"published": {"gte": "2025-01-06", "lte": "2025-01-26", "format": "strict_date"}}}
    histogram = body["aggs"]["periods"]["date_histogram"]
    assert histogram["calendar_interval"] == "week" and histogram["min_doc_count"] == 0
    assert histogram["extended_bounds"] == {"min": "2025-01-06", "max": "2025-01-26"}
    assert body["size"] == 0


def test_without_dates_there_are_no_bounds_and_every_article_counts():
    body = timeline_body("Assad", "month", None, None, 5)
    assert len(body["query"]["bool"]["filter"]) == 1
    assert "extended_bounds" not in body["aggs"]["periods"]["date_histogram"]


@pytest.mark.parametrize(
    ("by", "since", "until", "why"),
    [
        ("year", None, None, "--by must be one of day, week, month"),
        ("day", date(2025, 2, 1), date(2025, 1, 1), "after"),
    ],
)
def test_a_request_that_cannot_mean_anything_is_refused_saying_why(by, since, until, why):
    with pytest.raises(ValueError, match=why):
        timeline_body("Assad", by, since, until, 5)


def answer(total: int, dated: int, periods, names, people) -> dict:
    return {
        "hits": {"total": {"value": total, "relation": "eq"}},
        "aggregations": {
            "periods": {"buckets": [{"key_as_string": k, "doc_count": n} for k, n in periods]},
            "dated": {"doc_count": dated},
            "named": {"this": {"names": {"buckets": [{"key": k, "doc_count": n} for k, n in names]}}},
            "people": {"buckets": [{"key": k, "doc_count": n} for k, n in people]},
            "organisations": {"buckets": []},
            "places": {"buckets": [{"key": "Damascus", "doc_count": 2}]},
        },
    }


def test_the_answer_gives_periods_in_order_the_undated_apart_and_companions_without_the_entity_itself():
    res = answer(
        5,
        4,
        [("2025-01-06", 3), ("2025-01-13", 0), ("2025-01-20", 1)],
        [("Bashar al-Assad", 5)],
        [("Bashar al-Assad", 5), ("bashar al-assad", 1), ("Vladimir Putin", 2), ("Recep Erdogan", 1)],
    )
    line = read_timeline("bashar al-assad", "week", res, top=1)
    assert line.periods == [("2025-01-06", 3), ("2025-01-13", 0), ("2025-01-20", 1)]
    assert (line.articles, line.undated) == (5, 1)
    assert line.companions == {"people": [("Vladimir Putin", 2)], "organisations": [], "places": [("Damascus", 2)]}
    doc = line.as_dict()
    assert doc["known_as"] == [{"name": "Bashar al-Assad", "articles": 5}]
    assert doc["periods"][1] == {"start": "2025-01-13", "articles": 0}


def test_a_bar_is_proportional_and_never_hides_a_period_with_an_article():
    assert bar(0, 10) == "" and bar(10, 10, width=20) == "█" * 20 and bar(5, 10, width=20) == "█" * 10
    assert bar(1, 1000, width=20) == "█"
