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
    """Every record of ``topic`` (without a consumer group), once at least ``expect`` are there."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=500)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic)
            if partitions:
                tps = [TopicPartition(topic, p) for p in partitions]
                ends = consumer.end_offsets(tps)
                if sum(ends.values()) >= expect:
                    consumer.assign(tps)
                    consumer.seek_to_beginning()
                    records = []
                    while sum(1 for _ in records) < sum(ends.values()) and time.monotonic() < deadline:
                        records.extend(consumer)
                    return records
            time.sleep(0.2)
        raise TimeoutError(f"fewer than {expect} records on {topic} after {timeout} s")
    finally:
        consumer.close()
