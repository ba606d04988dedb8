"""index's step without Kafka or Elasticsearch: how each bulk answer is sorted, and what is retried."""

import threading
from collections import namedtuple
from datetime import UTC, datetime

import pytest
from elastic_transport import ConnectionError as ESConnectionError

from newsflow.contract.stages import stage
from newsflow.runtime.consumer import Context, Health, Stopping, stage_metrics
from newsflow.stages.index.step import IndexStep, classify
from newsflow.stages.index.stories import Alone
from tests.factories import enriched

NOW = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
Record = namedtuple("Record", "topic partition offset")


def item(status: int, error: dict | None = None) -> dict:
    return {"index": {"status": status, **({"error": error} if error else {})}}


def pending(n: int) -> list:
    return [(Record("t", 0, i), enriched(i)) for i in range(n)]


def context(stop: threading.Event | None = None) -> tuple[Context, Health]:
    metrics = stage_metrics(stage("index"), ("bulk",))
    health = Health(stage("index"), metrics)
    return Context(health, metrics, stop or threading.Event(), max_backoff_s=0.001), health


def test_each_answer_decides_the_documents_fate():
    docs = pending(6)
    out = classify(
        docs,
        [
            item(201),
            item(200),
            item(409),
            item(429),
            item(503),
            item(400, {"type": "strict_dynamic_mapping_exception", "reason": "no field x"}),
        ],
    )
    assert [r.offset for r, _ in out.stored] == [0, 1]
    assert [r.offset for r, _ in out.current] == [2]
    assert [r.offset for r, _ in out.retry] == [3, 4]
    assert [(r.offset, reason) for r, reason, _ in out.rejected] == [(5, "rejected-by-elasticsearch")]
    assert out.rejected[0][2] == "400 strict_dynamic_mapping_exception: no field x"


def test_an_answer_that_does_not_fit_the_request_retries_everything():
    docs = pending(3)
    out = classify(docs, [item(201), item(201)])
    assert out.retry == docs and not out.stored and not out.rejected


def test_documents_refused_for_now_are_sent_again_until_stored():
    answers = [[item(201), item(429), item(400, {"type": "mapper_parsing_exception", "reason": "bad"})], [item(201)]]
    sent: list[list] = []

    def bulk(operations):
        sent.append(operations)
        return {"items": answers[len(sent) - 1]}

    ctx, health = context()
    rejected = IndexStep(bulk, "articles-v1", Alone(), clock=lambda: NOW)(pending(3), ctx)
    assert [r.offset for r, _, _ in rejected] == [2]
    assert len(sent) == 2 and len(sent[1]) == 2, "only the refused-for-now document goes again (action + source)"
    assert sent[1][0]["index"]["_id"] == enriched(1).id
    assert health.ok, "stored in the end: healthy again"


def test_an_unreachable_elasticsearch_holds_the_batch_and_says_so():
    calls = 0
    stop = threading.Event()

    def bulk(operations):
        nonlocal calls
        calls += 1
        if calls == 3:
            stop.set()  # asked to stop while it is down: the batch is abandoned, not committed
        raise ESConnectionError("connection refused")

    ctx, health = context(stop)
    with pytest.raises(Stopping):
        IndexStep(bulk, "articles-v1", Alone(), clock=lambda: NOW)(pending(2), ctx)
    assert calls == 3 and not health.ok and health.last_error.startswith("ConnectionError")


class Racing(Alone):
    """Stories whose second look finds the batch's first article copied by another indexer meanwhile."""

    def __init__(self):
        self.settled: list[list] = []

    def settle(self, stored, indexed_at):
        from newsflow.stages.index.stories import Placement, Rewrite

        self.settled.append([a.id for a, _ in stored])
        article, placement = stored[0]
        return [Rewrite(article.id, None, article.version, Placement("rival", "rival", placement.sketch), None)]


def test_after_the_batch_is_stored_a_story_rewrite_is_written_with_the_stored_version_and_retried_for_now():
    answers = [[item(201), item(201)], [item(503)], [item(200)]]
    sent: list[list] = []

    def bulk(operations):
        sent.append(operations)
        return {"items": answers[len(sent) - 1]}

    stories = Racing()
    ctx, health = context()
    assert IndexStep(bulk, "articles-v1", stories, clock=lambda: NOW)(pending(2), ctx) == []
    assert stories.settled == [[enriched(0).id, enriched(1).id]] * 2, "settled after storing, again after the 503"
    action, source = sent[2]
    assert action == {
        "index": {"_index": "articles-v1", "_id": enriched(0).id, "version": 1, "version_type": "external_gte"}
    }
    assert (source["story_id"], source["duplicate_of"], source["is_duplicate"]) == ("rival", "rival", True)
    assert health.ok
