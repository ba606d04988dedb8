"""How search cost grows with the archive: generated enriched articles, bulk-loaded through the index stage's
own document builder (so the mapping and the documents are the real ones), then the queries a newsroom runs.

At each size it measures, from the client (what a user waits for), the p50/p99 of:
- ``match``: a body match on a common word;
- ``search``: the query `newsflow search` sends (multi_match over title, body and facets, with highlighting);
- ``term``: a facet filter on one person;
- ``terms_agg``: the top people of the whole archive;
- ``date_histogram``: articles per month;
- ``entity_timeline``: what `newsflow entity` asks (one person per week, and who is mentioned with them);
and the search server's resident memory once loaded.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from newsflow.contract import DateMention, EnrichedArticle, Enrichment, Entity, EntityFacet

# Synthetic names: generic parts combined, so the archive has a long tail of people, places and
# organisations the way news does (a few very often, most rarely).
_FIRST = [
    "Ada",
    "Tomas",
    "Marta",
    "Jonas",
    "Lena",
    "Omar",
    "Sofia",
    "Ivan",
    "Mei",
    "Kwame",
    "Nadia",
    "Pablo",
    "Ines",
    "Yusuf",
    "Clara",
    "Dmitri",
    "Aiko",
    "Ravi",
    "Greta",
    "Samuel",
]
_LAST = [
    "Lind",
    "Berg",
    "Kowalski",
    "Weber",
    "Haddad",
    "Rossi",
    "Novak",
    "Okafor",
    "Tanaka",
    "Silva",
    "Moreau",
    "Jensen",
    "Costa",
    "Petrov",
    "Nguyen",
    "Fischer",
    "Mensah",
    "Larsen",
    "Ortiz",
    "Kaya",
]
_PLACE = [
    "Riverton",
    "Eastgate",
    "Northam",
    "Westbrook",
    "Lakeside",
    "Hillcrest",
    "Portvale",
    "Stonebridge",
    "Marlow",
    "Ashford",
    "Kingsport",
    "Fairhaven",
]
_ORG_KIND = ["Council", "Ports Authority", "University", "Trust", "Institute", "Bank", "Union", "Agency"]
WORDS = [
    "harbour",
    "council",
    "bridge",
    "election",
    "budget",
    "court",
    "hospital",
    "strike",
    "festival",
    "river",
    "school",
    "minister",
    "police",
    "storm",
    "market",
    "railway",
]


def _zipf_pick(rng: random.Random, items: list[str], s: float = 1.1) -> str:
    weights = [1 / (rank + 1) ** s for rank in range(len(items))]
    return rng.choices(items, weights)[0]


@dataclass(frozen=True)
class Vocabulary:
    people: list[str]
    places: list[str]
    organisations: list[str]


def vocabulary() -> Vocabulary:
    people = [f"{first} {last}" for last in _LAST for first in _FIRST]
    orgs = [f"{p} {k}" for k in _ORG_KIND for p in _PLACE]
    places = _PLACE + [f"{p} {suffix}" for p in _PLACE for suffix in ("North", "South", "Harbour")]
    return Vocabulary(people, places, orgs)


def generated(n: int, paragraphs: list[str], vocab: Vocabulary, rng: random.Random) -> EnrichedArticle:
    body = "\n\n".join(rng.sample(paragraphs, rng.randint(3, 6)))
    published = date(2024, 1, 1) + timedelta(days=rng.randrange(730))
    people = sorted({_zipf_pick(rng, vocab.people) for _ in range(rng.randint(1, 5))})
    places = sorted({_zipf_pick(rng, vocab.places) for _ in range(rng.randint(1, 3))})
    orgs = sorted({_zipf_pick(rng, vocab.organisations) for _ in range(rng.randint(0, 3))})
    days = sorted({published - timedelta(days=rng.randrange(14)) for _ in range(rng.randint(1, 4))})
    now = datetime.now(UTC)
    return EnrichedArticle(
        id=f"{n:032x}",
        version=1,
        title=f"Archive article {n}",
        title_source="given",
        body=body,
        url=None,
        source="newsflow-archive-bench",
        published=published,
        published_source="given",
        entities=[Entity(text=p, label="PERSON", start=0, end=len(p), canonical=p) for p in people],
        people=[EntityFacet(name=p, label="PERSON", count=rng.randint(1, 4)) for p in people],
        organisations=[EntityFacet(name=o, label="ORG", count=1) for o in orgs],
        places=[EntityFacet(name=p, label="GPE", count=rng.randint(1, 3)) for p in places],
        other_entities=[],
        dates=[DateMention(text=d.isoformat(), start=0, end=10, value=d.isoformat(), granularity="day") for d in days],
        ingested_at=now,
        enrichment=Enrichment(model="bench", model_version="0", pipeline_version="bench", enriched_at=now),
    )


def load(es, index: str, start: int, stop: int, paragraphs: list[str], progress: Callable[[int], None]) -> float:
    """Bulk-load articles ``start``..``stop`` as the index stage writes them; the seconds it took."""
    from newsflow.stages.index.document import bulk_action
    from newsflow.stages.index.stories import alone

    rng = random.Random(start)
    vocab = vocabulary()
    began = time.perf_counter()
    now = datetime.now(UTC)
    for chunk in range(start, stop, 500):
        operations: list[dict] = []
        for n in range(chunk, min(stop, chunk + 500)):
            article = generated(n, paragraphs, vocab, rng)
            action, doc = bulk_action(article, index, now, alone(article))
            operations += [action, doc]
        res = es.bulk(operations=operations, request_timeout=300)
        if res["errors"]:
            failed = next(item for item in res["items"] if item["index"].get("error"))
            raise RuntimeError(f"bulk load refused a document: {failed}")
        progress(min(stop, chunk + 500))
    return time.perf_counter() - began


def queries(alias: str, rng: random.Random) -> dict[str, Callable[[], dict]]:
    from newsflow.cli.search import query_body
    from newsflow.cli.timeline import timeline_body

    vocab = vocabulary()
    return {
        "match": lambda: {"index": alias, "query": {"match": {"body": rng.choice(WORDS)}}, "size": 10},
        "search": lambda: {"index": alias, **query_body(rng.choice(WORDS), 10)},
        "term": lambda: {"index": alias, "query": {"term": {"people": rng.choice(vocab.people[:60])}}, "size": 10},
        "terms_agg": lambda: {
            "index": alias,
            "size": 0,
            "request_cache": False,
            "aggs": {"people": {"terms": {"field": "people", "size": 10}}},
        },
        "date_histogram": lambda: {
            "index": alias,
            "size": 0,
            "request_cache": False,
            "aggs": {"months": {"date_histogram": {"field": "published", "calendar_interval": "month"}}},
        },
        # `newsflow entity NAME`: one person week by week, and the names mentioned with them.
        "entity_timeline": lambda: {
            "index": alias,
            "request_cache": False,
            **timeline_body(rng.choice(vocab.people[:60]), "week", None, None, 10),
        },
    }


def measure(es, alias: str, runs: int, budget_s: float) -> dict[str, dict]:
    """p50/p99 (ms) of each query kind over ``runs`` runs after 3 warm-ups; fewer runs if one kind alone
    would take more than ``budget_s`` (a slow server must not hold the benchmark for hours)."""
    rng = random.Random(3)
    out = {}
    for name, make in queries(alias, rng).items():
        times = []
        spent = 0.0
        for i in range(runs + 3):
            began = time.perf_counter()
            es.search(**make(), request_timeout=300)
            took = time.perf_counter() - began
            spent += took
            if i >= 3:
                times.append(took * 1000)
            if spent > budget_s and len(times) >= 5:
                break
        q = statistics.quantiles(times, n=100, method="inclusive")
        out[name] = {"p50_ms": round(q[49], 1), "p99_ms": round(q[98], 1), "runs": len(times)}
    return out
