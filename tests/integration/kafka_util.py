"""Small Kafka helpers for the tests: produce raw records, read a whole topic."""

from __future__ import annotations

import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition


def produce(bootstrap: str, topic: str, records: list[tuple[bytes | None, bytes | None, list]]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        for key, value, headers in records:
            producer.send(topic, key=key, value=value, headers=headers)
        producer.flush(30)
    finally:
        producer.close()


def read_all(bootstrap: str, topic: str, expect: int, timeout: float = 60) -> list:
    """Every record of ``topic`` (without a consumer group), once at least ``expect`` are there and a poll finds
    nothing more. Counted by reading, not from end offsets: Tansu's end offset counts a batch of several
    records as one (measured: 5 records sent in 3 batches, end offsets summing to 3)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        deadline = time.monotonic() + timeout
        partitions = None
        while not partitions and time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic)
            if not partitions:
                time.sleep(0.2)
        if not partitions:
            raise TimeoutError(f"no topic {topic} after {timeout} s")
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        consumer.seek_to_beginning()
        records: list = []
        while time.monotonic() < deadline:
            batch = consumer.poll(timeout_ms=500)
            for part in batch.values():
                records.extend(part)
            if not batch and len(records) >= expect:
                return records
        raise TimeoutError(f"{len(records)} records on {topic} after {timeout} s, fewer than {expect}")
    finally:
        consumer.close()
