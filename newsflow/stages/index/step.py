"""index's step: a batch of enriched articles → its stories → one bulk request with external versions → what
Elasticsearch refused.

Elasticsearch's answer for each document decides its fate: stored (201, or 200 on an overwrite), already
current (409: the same or a newer version is there, so a re-delivery is a no-op), refused for now (408, 429,
5xx: retried with backoff until stored or the stage stops), or refused for good (anything else: dead-lettered).
"""

from __future__ import annotations

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
from newsflow.stages.index.document import bulk_action
from newsflow.stages.index.stories import Placement, StoryLookupFailed

REASONS = ("rejected-by-elasticsearch",)
RETRIES = ("bulk", "stories")

INDEXED = Counter("newsflow_index_indexed_total", "Documents Elasticsearch stored", ["result"])
BULK_DOCS = Histogram(
    "newsflow_index_bulk_docs", "Documents per bulk request", buckets=(1, 10, 50, 100, 250, 500, 1000, 2000)
)
BULK_SECONDS = Histogram("newsflow_index_bulk_seconds", "Time of one bulk request")
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
        place: Callable[[list[EnrichedArticle]], dict[str, Placement]],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.bulk, self.index, self.place, self.clock = bulk, index, place, clock

    def __call__(self, messages: list[Pending], ctx: Context) -> list[Rejection]:
        now = self.clock()
        pending, rejected, attempt = list(messages), [], 0
        while pending:
            try:
                # Asked again on every attempt: what an earlier attempt stored is among the known articles now.
                placed = self.place([article for _, article in pending])
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
                rejected += outcome.rejected
                pending = outcome.retry
                if not pending:
                    ctx.succeeded()
                    return rejected
                reason = f"{len(pending)} documents refused for now (408/429/5xx), or an answer that did not fit"
            attempt += 1
            ctx.failed_for_now("bulk", attempt, reason)
        return rejected
