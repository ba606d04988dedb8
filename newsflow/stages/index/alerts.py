"""index's alerts: each stored article against every saved query, one alert per story per query.

    stored batch (its stories settled) → refresh → one _msearch, a `filters` aggregation per 250 saved queries over
    the batch's documents alone → (query, story, first article) → create ``<query>:<story>`` in the alerts index →
    alerts.v1 → marked sent

The saved queries are matched by Elasticsearch itself, on the documents as stored, with the query `newsflow search`
sends (newsflow/contract/queries.py): an alert fires for exactly what a search would find, on Elasticsearch and
noida-db alike. The percolator would do the same the other way round (queries indexed, documents searched), but
its module is not among the artifacts the apache stack is built from, and noida-db does not know `percolate`.

One alert per story per query: the alerts index holds a document per alert id, written with ``op_type=create``,
so of every copy of a story (in this batch, a later one, another indexer's) only the first creates it. A
document records the article record that raised it (its partition and offset) and when its alert was
acknowledged on alerts.v1: a batch re-delivered after a crash between creating and publishing finds its own
unsent alerts and publishes them; one re-delivered after they were sent publishes nothing. What is left is the
moment between the broker's acknowledgement and the mark: a crash there sends the alert again, with the same id.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import Counter, Histogram

from newsflow.contract import EnrichedArticle, encode
from newsflow.contract.alerts import Alert, SavedQuery, alert_id
from newsflow.contract.queries import article_query

log = logging.getLogger("newsflow.index.alerts")

# Saved queries per search: a filters aggregation per 250 keeps each request small, and an _msearch of them lets
# Elasticsearch run them on its search threads side by side.
CHUNK = 250

ALERTS = Counter("newsflow_index_alerts_total", "Alerts raised, and matches of a story already alerted", ["result"])
MATCH_SECONDS = Histogram(
    "newsflow_index_alert_match_seconds",
    "Time to match one stored batch against every saved query",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
ALERT_LATENCY = Histogram(
    "newsflow_index_alert_seconds",
    "From the article searchable to its alert acknowledged on alerts.v1",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
for _result in ("raised", "story-already-alerted"):
    ALERTS.labels(_result)


class AlertsFailed(RuntimeError):
    """A match, an alert record or a publication could not be made for now: the batch waits and tries again."""


class SavedQueries:
    """The saved queries by name, as read from ``alerts.queries.v1``; ``loaded`` once read to its end at start."""

    def __init__(self, loaded: threading.Event | None = None):
        self.lock = threading.Lock()
        self.by_name: dict[str, SavedQuery] = {}
        self.loaded = loaded or threading.Event()

    def apply(self, name: str, query: SavedQuery | None) -> None:
        with self.lock:
            if query is None:
                self.by_name.pop(name, None)
            else:
                self.by_name[name] = query

    def snapshot(self) -> list[SavedQuery]:
        with self.lock:
            return sorted(self.by_name.values(), key=lambda q: q.name)


def match_body(queries: Sequence[SavedQuery], ids: Sequence[str]) -> dict:
    """One search: the batch's documents, bucketed by every query they match, then by story, with the story's
    first article of the batch (smallest id)."""
    return {
        "size": 0,
        "query": {"ids": {"values": list(ids)}},
        "aggs": {
            "queries": {
                "filters": {
                    "filters": {q.name: article_query(q.query, q.people, q.places, q.organisations) for q in queries}
                },
                "aggs": {
                    "stories": {
                        "terms": {"field": "story_id", "size": len(ids)},
                        "aggs": {"first": {"terms": {"field": "id", "size": 1, "order": {"_key": "asc"}}}},
                    }
                },
            }
        },
    }


@dataclass(frozen=True)
class Match:
    query: SavedQuery
    story_id: str
    article_id: str

    @property
    def id(self) -> str:
        return alert_id(self.query.name, self.story_id)


def read_matches(queries: Sequence[SavedQuery], response: dict) -> list[Match]:
    """The (query, story, first article) of one answer to `match_body`; raises `AlertsFailed` on an error."""
    if "error" in response:
        error = response["error"]
        reason = error.get("reason") if isinstance(error, dict) else error
        raise AlertsFailed(f"matching {len(queries)} saved queries: {response.get('status')} {reason}")
    buckets = (response.get("aggregations") or {}).get("queries", {}).get("buckets")
    if not isinstance(buckets, dict):
        raise AlertsFailed(f"matching {len(queries)} saved queries: an answer without its buckets")
    by_name = {q.name: q for q in queries}
    out = []
    for name, bucket in buckets.items():
        for story in bucket["stories"]["buckets"]:
            first = story["first"]["buckets"]
            if first and name in by_name:
                out.append(Match(by_name[name], story["key"], first[0]["key"]))
    return out


def owner(record) -> str:
    """The article record that raised an alert: the same after any re-delivery, another for any other copy."""
    return f"{record.topic}/{record.partition}/{record.offset}"


def make_alert(
    match: Match, article: EnrichedArticle, indexed_at: datetime, searchable_at: datetime, now: datetime
) -> Alert:
    published = article.published.isoformat() if article.published is not None else None
    return Alert(
        id=match.id,
        query=match.query.name,
        story_id=match.story_id,
        article_id=article.id,
        title=article.title,
        url=article.url,
        source=article.source,
        published=published,
        indexed_at=indexed_at,
        searchable_at=searchable_at,
        matched_at=now,
        webhook=match.query.webhook,
    )


class BatchCopy:
    """Saved queries matched on a copy of the batch alone, for a search server that runs every filter of the
    aggregation over its whole index whatever the query restricts it to: noida-db took 9.3 s for 20 saved
    queries over a batch of 50 among 1,000 documents, and grows with the archive; on a copy of the 50, 0.54 s.
    The copy has the articles' mapping, so each query matches there exactly what it matches in the archive. Its
    documents are deleted after each match (and any left by a crash match nothing: the search asks for the
    batch's ids). ``es``: an Elasticsearch client; ``archive``: the alias the batch is stored under.

    Even so noida-db spends about half a millisecond on each query and document, so a search is kept to
    ``PAIRS`` of them (a few seconds), the batch's documents taken a part at a time: a batch of 500 against 100
    queries in one search outlasted the client's 30 s, and was sent again and again, holding its partition."""

    PAIRS = 5_000

    def __init__(self, es: Any, archive: str, copy_alias: str):
        self.es, self.archive, self.copy = es, archive, copy_alias

    def search(self, bodies: list[dict]) -> list[dict]:
        return [self._one(body) for body in bodies]

    def _one(self, body: dict) -> dict:
        ids = list(body["query"]["ids"]["values"])
        filters = body["aggs"]["queries"]["filters"]["filters"]
        step = max(1, self.PAIRS // max(1, len(filters)))
        answers = []
        for start in range(0, len(ids), step):
            part = ids[start : start + step]
            answers.append(self._matched(match_body_of(body, part), part))
        return merge_matches(answers)

    def _matched(self, body: dict, ids: list[str]) -> dict:
        docs = [d for d in self.es.mget(index=self.archive, ids=ids)["docs"] if d.get("found")]
        operations: list[dict] = []
        for d in docs:
            operations += [{"index": {"_index": self.copy, "_id": d["_id"]}}, d["_source"]]
        if operations:
            self.es.bulk(operations=operations, refresh=True)
        try:
            return self.es.search(index=self.copy, **body).body
        finally:
            if docs:
                self.es.bulk(operations=[{"delete": {"_index": self.copy, "_id": d["_id"]}} for d in docs])


def match_body_of(body: dict, ids: list[str]) -> dict:
    """``body`` (a `match_body`) restricted to ``ids``."""
    out = {**body, "query": {"ids": {"values": ids}}}
    stories = body["aggs"]["queries"]["aggs"]["stories"]
    out["aggs"] = {
        "queries": {
            **body["aggs"]["queries"],
            "aggs": {"stories": {**stories, "terms": {**stories["terms"], "size": max(1, len(ids))}}},
        }
    }
    return out


def merge_matches(answers: list[dict]) -> dict:
    """The answers to one `match_body` asked part by part, as one: per query, each story with its first article."""
    for answer in answers:
        if "error" in answer:
            return answer
    merged: dict[str, dict[str, str]] = {}
    for answer in answers:
        buckets = (answer.get("aggregations") or {}).get("queries", {}).get("buckets")
        if not isinstance(buckets, dict):
            return answer  # read_matches names what is wrong with it
        for name, bucket in buckets.items():
            stories = merged.setdefault(name, {})
            for story in bucket["stories"]["buckets"]:
                first = story["first"]["buckets"]
                if first and (story["key"] not in stories or first[0]["key"] < stories[story["key"]]):
                    stories[story["key"]] = first[0]["key"]
    return {
        "aggregations": {
            "queries": {
                "buckets": {
                    name: {
                        "stories": {"buckets": [{"key": k, "first": {"buckets": [{"key": v}]}} for k, v in s.items()]}
                    }
                    for name, s in merged.items()
                }
            }
        }
    }


class AlertMatcher:
    """Raise the alerts of a stored batch. Its I/O is given: ``search`` (an _msearch of bodies, its responses),
    ``refresh``, ``bulk(operations, refresh=False)`` and ``mget`` on the alerts index, ``publish`` (records → a
    failure reason for each, None when acknowledged)."""

    def __init__(
        self,
        queries: SavedQueries,
        alerts_index: str,
        search: Callable[[list[dict]], list[dict]],
        refresh: Callable[[], Any],
        bulk: Callable[..., dict],
        mget: Callable[[list[str]], list[dict]],
        publish: Callable[[list[tuple[bytes, bytes, list]]], list[str | None]],
        clock: Callable[[], datetime],
    ):
        self.queries, self.alerts_index = queries, alerts_index
        self.search, self.refresh, self.bulk, self.mget, self.publish, self.clock = (
            search,
            refresh,
            bulk,
            mget,
            publish,
            clock,
        )

    def __call__(self, stored: Sequence[tuple[Any, EnrichedArticle]], indexed_at: datetime) -> int:
        """Match ``stored`` (records and articles now in the index); return the alerts published. Raises
        `AlertsFailed` (or the client's error) for anything to try again; an attempt again is harmless."""
        if not self.queries.loaded.is_set():
            raise AlertsFailed("the saved queries are not read yet")
        queries = self.queries.snapshot()
        if not queries or not stored:
            return 0
        started = time.perf_counter()
        articles = {article.id: (record, article) for record, article in stored}
        self.refresh()  # the stories settled after the batch was written: match on what they are now
        searchable = self.clock()
        chunks = [queries[i : i + CHUNK] for i in range(0, len(queries), CHUNK)]
        responses = self.search([match_body(chunk, list(articles)) for chunk in chunks])
        if len(responses) != len(chunks):
            raise AlertsFailed(f"{len(chunks)} match searches sent, {len(responses)} answers")
        matches: dict[str, Match] = {}
        for chunk, response in zip(chunks, responses, strict=True):
            for m in read_matches(chunk, response):
                if m.article_id in articles and m.id not in matches:
                    matches[m.id] = m
        MATCH_SECONDS.observe(time.perf_counter() - started)
        if not matches:
            return 0
        matched = time.perf_counter()
        to_send = self._claim(list(matches.values()), articles)
        ALERTS.labels("story-already-alerted").inc(len(matches) - len(to_send))
        if not to_send:
            return 0
        now = self.clock()
        alerts = [make_alert(m, articles[m.article_id][1], indexed_at, searchable, now) for m in to_send]
        records = []
        for alert in alerts:
            value, headers = encode(alert)
            records.append((alert.id.encode(), value, headers))
        failures = [why for why in self.publish(records) if why is not None]
        if failures:
            raise AlertsFailed(f"{len(failures)} of {len(records)} alerts not acknowledged: {failures[0]}")
        sent = self.clock()
        for alert in alerts:
            ALERT_LATENCY.observe(max(0.0, (sent - alert.searchable_at).total_seconds()))
        self._mark_sent([a.id for a in alerts], sent)
        ALERTS.labels("raised").inc(len(alerts))
        log.info(
            "alerts raised",
            extra={
                "alerts": [a.id for a in alerts],
                "match_s": round(matched - started, 3),
                "claim_and_publish_s": round(time.perf_counter() - matched, 3),
            },
        )
        return len(alerts)

    def _claim(self, matches: list[Match], articles: dict[str, tuple[Any, EnrichedArticle]]) -> list[Match]:
        """The matches this batch is to publish: those whose alert document it creates now, and those it created
        on an earlier attempt (the same record) and did not mark sent."""
        operations: list[dict] = []
        for m in matches:
            operations += [
                {"create": {"_index": self.alerts_index, "_id": m.id}},
                {
                    "query": m.query.name,
                    "story_id": m.story_id,
                    "article_id": m.article_id,
                    "raised_by": owner(articles[m.article_id][0]),
                    "created_at": self.clock().isoformat(),
                },
            ]
        items = self.bulk(operations).get("items") or []
        statuses = [(item.get("create") or {}).get("status", 500) for item in items]
        if len(statuses) != len(matches) or any(s not in (200, 201, 409) for s in statuses):
            raise AlertsFailed("an alert record was refused, or an answer did not fit")
        mine = [m for m, s in zip(matches, statuses, strict=True) if s in (200, 201)]
        existing = [m for m, s in zip(matches, statuses, strict=True) if s == 409]
        if existing:
            # Raised by a record of this batch: an earlier attempt at it (the batch may have been cut otherwise
            # then, so the record need not be this match's article). Raised by any other: that one sends it.
            ours = {owner(record) for record, _ in articles.values()}
            docs = {d["_id"]: d for d in self.mget([m.id for m in existing])}
            for m in existing:
                src = docs.get(m.id, {}).get("_source") or {}
                if src.get("raised_by") in ours and not src.get("sent_at"):
                    mine.append(m)
        return mine

    def _mark_sent(self, ids: list[str], sent: datetime) -> None:
        operations: list[dict] = []
        for i in ids:
            operations += [{"update": {"_index": self.alerts_index, "_id": i}}, {"doc": {"sent_at": sent.isoformat()}}]
        # Refreshed at once: `newsflow alerts list` counts what the index holds, and noida-db makes nothing searchable
        # without a refresh. The create needs none: a second create of an id is refused whether refreshed or not.
        items = self.bulk(operations, refresh=True).get("items") or []
        if len(items) != len(ids) or any((item.get("update") or {}).get("status", 500) >= 300 for item in items):
            # Published already: a failed mark only means a re-delivered batch would publish them again.
            log.warning("alerts published but not marked sent", extra={"alerts": ids})
