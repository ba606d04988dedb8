"""The index stage's batch: what a revocation drops and what it commits."""

from collections import namedtuple

from kafka import TopicPartition

from newsflow.runtime.consumer import Batch

Record = namedtuple("Record", "topic partition offset value")


def test_a_revocation_drops_only_the_revoked_partitions_records():
    batch = Batch()
    for partition, offset in [(0, 5), (1, 7), (0, 6), (2, 1)]:
        batch.add(Record("articles.enriched.v1", partition, offset, b"x" * 10))
    assert batch.drop([TopicPartition("articles.enriched.v1", 0)]) == 2
    assert [(r.partition, r.offset) for r in batch.records] == [(1, 7), (2, 1)] and batch.size == 20
    assert {tp.partition: meta.offset for tp, meta in batch.offsets().items()} == {1: 8, 2: 2}
    assert batch.drop([TopicPartition("articles.enriched.v1", 0)]) == 0
