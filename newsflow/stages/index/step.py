"""index's step: a batch of enriched articles → its stories → one bulk request with external versions → what
Elasticsearch refused.

Elasticsearch's answer for each document decides its fate: stored (201, or 200 on an overwrite), already
current (409: the same or a newer version is there, so a re-delivery is a no-op), refused for now (408, 429,
5xx: retried with backoff until stored or the stage stops), or refused for good (anything else: dead-lettered).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from elastic_transport import ConnectionError as ESConnectionError
from elastic_transport import TransportError
from elasticsearch import ApiError
from prometheus_client import Counter, Histogram

from newsflow.contract import EnrichedArticle
from newsflow.runtime.consumer import Context, Rejection
from newsflow.stages.index.alerts import AlertsFailed
from newsflow.stages.index.document import bulk_action, to_document
from newsflow.stages.index.stories import Placement, Rewrite, StoryKeeper, StoryLookupFailed

log = logging.getLogger("newsflow.index")

REASONS = ("rejected-by-elasticsearch",)
RETRIES = ("bulk", "stories", "alerts")

INDEXED = Counter("newsflow_index_indexed_total", "Documents Elasticsearch stored", ["result"])
BULK_DOCS = Histogram(
    "newsflow_index_bulk_docs", "Documents per bulk request", buckets=(1, 10, 50, 100, 250, 500, 1000, 2000)
)
BULK_SECONDS = Histogram("newsflow_index_bulk_seconds", "Time of one bulk request")
STORIES_SETTLED = Counter(
    "newsflow_index_story_rewrites_total",
    "Documents written again to make one story of copies two indexers stored at the same moment",
)
FRESHNESS = Histogram(
    "newsflow_index_freshness_seconds",
    "From ingest to stored in Elasticsearch",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900),
)
for _result in ("stored", "already-current"):
    INDEXED.labels(_result)

# Statuses Elasticsearch answers for a document that a later attempt may store.
TRANSIENT = frozenset({408, 429, 500, 502, 503, 504})

Pending = tuple[Any, EnrichedArticle]  # (the record it came in, the article)


@dataclass
class Outcome:
    stored: list[Pending] = field(default_factory=list)
    current: list[Pending] = field(default_factory=list)
    retry: list[Pending] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


def classify(pending: list[Pending], items: list[dict]) -> Outcome:
    """Sort a bulk response's items (in request order) into stored, already current, to retry and rejected."""
    if len(items) != len(pending):
        # Not an answer we can trust about any one document: all of them again.
        return Outcome(retry=list(pending))
    outcome = Outcome()
    for (record, article), item in zip(pending, items, strict=True):
        result = item.get("index") or {}
        status = result.get("status", 500)
        if status in (200, 201):
            outcome.stored.append((record, article))
        elif status == 409:
            outcome.current.append((record, article))
        elif status in TRANSIENT:
            outcome.retry.append((record, article))
        else:
            error = result.get("error") or {}
            outcome.rejected.append(
                (record, "rejected-by-elasticsearch", f"{status} {error.get('type')}: {error.get('reason')}")
            )
    return outcome


class IndexStep:
    """Write every article of the batch, retrying what was refused for now; give back what was refused for good."""

    def __init__(
        self,
        bulk: Callable[[list], dict],
        index: str,
        stories: StoryKeeper,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        alerts: Callable[[list[Pending], datetime], int] | None = None,
    ):
        self.bulk, self.index, self.stories, self.clock, self.alerts = bulk, index, stories, clock, alerts

    def __call__(self, messages: list[Pending], ctx: Context) -> list[Rejection]:
        now = self.clock()
        pending, rejected, attempt = list(messages), [], 0
        stored: list[tuple[EnrichedArticle, Placement]] = []
        written: list[Pending] = []  # stored now, or by an attempt before a crash (409): matched for alerts
        while pending:
            try:
                # Asked again on every attempt: what an earlier attempt stored is among the known articles now.
                placed = self.stories([article for _, article in pending])
            except (ESConnectionError, TransportError, ApiError, StoryLookupFailed) as exc:
                attempt += 1
                ctx.failed_for_now("stories", attempt, f"finding earlier copies: {type(exc).__name__}: {exc}")
                continue
            operations = [
                op for _, article in pending for op in bulk_action(article, self.index, now, placed[article.id])
            ]
            try:
                started = time.perf_counter()
                response = self.bulk(operations)
                BULK_SECONDS.observe(time.perf_counter() - started)
                BULK_DOCS.observe(len(pending))
                outcome = classify(pending, response.get("items") or [])
            except (ESConnectionError, TransportError, ApiError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            else:
                INDEXED.labels("stored").inc(len(outcome.stored))
                INDEXED.labels("already-current").inc(len(outcome.current))
                for _, article in outcome.stored:
                    FRESHNESS.observe(max(0.0, (now - article.ingested_at).total_seconds()))
                stored += [(article, placed[article.id]) for _, article in outcome.stored]
                written += outcome.stored + outcome.current
                rejected += outcome.rejected
                pending = outcome.retry
                if not pending:
                    self._settle(stored, now, ctx)
                    self._alert(written, now, ctx)
                    ctx.succeeded()
                    return rejected
                reason = f"{len(pending)} documents refused for now (408/429/5xx), or an answer that did not fit"
            attempt += 1
            ctx.failed_for_now("bulk", attempt, reason)
        return rejected

    def _settle(self, stored: list[tuple[EnrichedArticle, Placement]], now: datetime, ctx: Context) -> None:
        """Make one story of copies two indexers stored at the same moment (stories.py says how)."""
        articles = {article.id: article for article, _ in stored}
        attempt = 0
        while True:
            try:
                rewrites = self.stories.settle(stored, now.isoformat())
                if not rewrites:
                    return
                response = self.bulk([op for r in rewrites for op in self._rewrite(r, articles, now)])
                items = response.get("items") or []
                statuses = [(item.get("index") or {}).get("status", 500) for item in items]
                if len(statuses) != len(rewrites) or any(status in TRANSIENT for status in statuses):
                    raise StoryLookupFailed("a story rewrite was refused for now, or an answer did not fit")
                # 409: a newer version was written meanwhile, placed by its own batch. Anything else is logged.
                for rewrite, status in zip(rewrites, statuses, strict=True):
                    if status not in (200, 201, 409):
                        log.warning("story rewrite refused", extra={"id": rewrite.id, "status": status})
                STORIES_SETTLED.inc(len(rewrites))
                return
            except (ESConnectionError, TransportError, ApiError, StoryLookupFailed) as exc:
                attempt += 1
                ctx.failed_for_now("stories", attempt, f"settling stories: {type(exc).__name__}: {exc}")

    def _alert(self, written: list[Pending], now: datetime, ctx: Context) -> None:
        """Match what is now in the index against every saved query (alerts.py); until that succeeds the batch is
        not done, so no article of it goes unmatched."""
        attempt = 0
        while self.alerts is not None:
            try:
                self.alerts(written, now)
                return
            except (ESConnectionError, TransportError, ApiError, AlertsFailed) as exc:
                attempt += 1
                ctx.failed_for_now("alerts", attempt, f"raising alerts: {type(exc).__name__}: {exc}")

    def _rewrite(self, r: Rewrite, articles: dict[str, EnrichedArticle], now: datetime) -> tuple[dict, dict]:
        meta = {"_index": r.index or self.index, "_id": r.id, "version": r.version, "version_type": "external_gte"}
        if r.source is not None:
            return {"index": meta}, r.source
        assert r.placement is not None
        return {"index": meta}, to_document(articles[r.id], now, r.placement)
