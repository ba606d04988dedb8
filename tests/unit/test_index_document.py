from datetime import UTC, datetime

from kafka.consumer.fetcher import ConsumerRecord

from newsflow.contract.mapping import MAPPINGS, template_body
from newsflow.runtime.consumer import Batch, Limits
from newsflow.stages.index.document import bulk_action, to_document
from newsflow.stages.index.stories import alone
from tests.factories import enriched

NOW = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)


def test_document_has_flat_facets_for_search_and_counts_for_display():
    doc = to_document(enriched(1), NOW, alone(enriched(1)))
    assert doc["people"] == ["Ada Lind"] and doc["places"] == ["Riverton"] and doc["organisations"] == []
    assert doc["entity_facets"] == [
        {"name": "Ada Lind", "label": "PERSON", "count": 1, "variants": []},
        {"name": "Riverton", "label": "GPE", "count": 1, "variants": []},
    ]
    assert doc["mentioned_days"] == ["2025-03-03"] and doc["mentioned_periods"] == []
    assert doc["indexed_at"] == NOW.isoformat()
    assert doc["story_id"] == enriched(1).id and doc["duplicate_of"] is None and doc["is_duplicate"] is False


def test_an_impossible_day_is_kept_in_dates_but_not_made_a_searchable_day():
    article = enriched(1)
    bad = article.dates[0].model_copy(update={"value": "2025-13-45"})
    doc = to_document(article.model_copy(update={"dates": [bad, *article.dates]}), NOW, alone(article))
    assert doc["mentioned_days"] == ["2025-03-03"]
    assert [d["value"] for d in doc["dates"]] == ["2025-13-45", "2025-03-03"]


def test_every_document_field_is_in_the_strict_mapping():
    doc = to_document(enriched(1), NOW, alone(enriched(1)))
    assert set(doc) <= set(MAPPINGS["properties"]), set(doc) - set(MAPPINGS["properties"])
    assert set(doc["story_sketch"]) == set(MAPPINGS["properties"]["story_sketch"]["properties"])
    assert MAPPINGS["dynamic"] == "strict"
    assert template_body("articles")["index_patterns"] == ["articles-v*"]


def test_bulk_action_uses_the_article_id_and_an_external_version():
    action, source = bulk_action(enriched(7, version=42), "articles-v1", NOW, alone(enriched(7)))
    assert action == {
        "index": {"_index": "articles-v1", "_id": enriched(7).id, "version": 42, "version_type": "external"}
    }
    assert source["id"] == enriched(7).id


def record(partition: int, offset: int, size: int = 10) -> ConsumerRecord:
    return ConsumerRecord("articles.enriched.v1", partition, -1, offset, 0, 0, None, b"x" * size, [], None, 0, size, -1)


def test_batch_commits_one_past_the_last_offset_of_each_partition():
    batch = Batch()
    for p, o in [(0, 5), (1, 2), (0, 6), (1, 3), (0, 7)]:
        batch.add(record(p, o))
    offsets = {tp.partition: meta.offset for tp, meta in batch.offsets().items()}
    assert offsets == {0: 8, 1: 4}


def test_batch_is_due_by_count_bytes_or_age():
    settings = Limits(max_records=3, max_bytes=10_000, max_wait_s=3600)
    batch = Batch()
    assert not batch.due(settings)
    batch.add(record(0, 1))
    assert not batch.due(settings)
    batch.add(record(0, 2))
    batch.add(record(0, 3))
    assert batch.due(settings)
    big = Batch()
    big.add(record(0, 1, size=20_000))
    assert big.due(settings)
    old = Batch()
    old.add(record(0, 1))
    old.started -= 4000
    assert old.due(settings)
