"""One entity over time: the Elasticsearch request behind `newsflow entity`, and what its answer says.

An article counts for an entity when one of its entity facets has that name, or names it as a variant ("Assad"
for "Bashar al-Assad"), in any letter case. The articles are counted by publication date into calendar days,
weeks (from Monday) or months, every period from the first to the last shown, empty ones too; an article with
no publication date cannot be placed and is counted apart. The names most often mentioned with it are the
people, organisations and places of the same articles, less the entity's own names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from newsflow.contract.queries import mentions, named

PERIODS = ("day", "week", "month")
KINDS = ("people", "organisations", "places")


def timeline_body(name: str, by: str, since: date | None, until: date | None, top: int) -> dict:
    """The search: no hits, the matching articles' counts per period, the names it matched, its companions."""
    if by not in PERIODS:
        raise ValueError(f"--by must be one of {', '.join(PERIODS)}, not {by!r}")
    if since and until and since > until:
        raise ValueError(f"--from {since} is after --to {until}")
    filters: list[dict] = [mentions(name)]
    bounds: dict[str, str] = {}
    if since or until:
        span = {k: v.isoformat() for k, v in (("gte", since), ("lte", until)) if v}
        filters.append({"range": {"published": {**span, "format": "strict_date"}}})
        bounds = {k: v for k, v in (("min", span.get("gte")), ("max", span.get("lte"))) if v}
    histogram: dict[str, Any] = {
        "field": "published",
        "calendar_interval": by,
        "format": "yyyy-MM-dd",
        "min_doc_count": 0,
    }
    if bounds:
        histogram["extended_bounds"] = bounds
    # A few more than shown of each kind: the entity's own names are among them, and are left out.
    companions = {kind: {"terms": {"field": kind, "size": top + 5}} for kind in KINDS}
    return {
        "size": 0,
        "track_total_hits": True,
        "query": {"bool": {"filter": filters}},
        "aggs": {
            "periods": {"date_histogram": histogram},
            "dated": {"filter": {"exists": {"field": "published"}}},
            "named": {
                "nested": {"path": "entity_facets"},
                "aggs": {
                    "this": {
                        "filter": named(name),
                        "aggs": {"names": {"terms": {"field": "entity_facets.name", "size": 10}}},
                    }
                },
            },
            **companions,
        },
    }


@dataclass(frozen=True)
class Timeline:
    name: str
    by: str
    articles: int  # every matching article
    undated: int  # of them, those without a publication date: in no period
    periods: list[tuple[str, int]]  # (first day of the period, articles), in order, empty periods included
    known_as: list[tuple[str, int]]  # the canonical names it matched, with their articles
    companions: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # kind → (name, articles)

    def as_dict(self) -> dict:
        return {
            "entity": self.name,
            "by": self.by,
            "articles": self.articles,
            "undated": self.undated,
            "periods": [{"start": start, "articles": n} for start, n in self.periods],
            "known_as": [{"name": n, "articles": c} for n, c in self.known_as],
            "mentioned_with": {k: [{"name": n, "articles": c} for n, c in v] for k, v in self.companions.items()},
        }


def read_timeline(name: str, by: str, response: dict, top: int) -> Timeline:
    aggs = response["aggregations"]
    total = response["hits"]["total"]
    articles = total["value"] if isinstance(total, dict) else int(total)
    known_as = [(b["key"], b["doc_count"]) for b in aggs["named"]["this"]["names"]["buckets"]]
    own = {n.casefold() for n, _ in known_as} | {name.casefold()}
    companions = {
        kind: [(b["key"], b["doc_count"]) for b in aggs[kind]["buckets"] if b["key"].casefold() not in own][:top]
        for kind in KINDS
    }
    periods = [(b["key_as_string"], b["doc_count"]) for b in aggs["periods"]["buckets"]]
    return Timeline(
        name=name,
        by=by,
        articles=articles,
        undated=articles - aggs["dated"]["doc_count"],
        periods=periods,
        known_as=known_as,
        companions=companions,
    )


def bar(n: int, most: int, width: int = 40) -> str:
    """A bar of ``n`` against the period with the ``most``: never empty for a period with an article."""
    if n <= 0 or most <= 0:
        return ""
    return "█" * max(1, round(n / most * width))
