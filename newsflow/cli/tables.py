"""The compacted topics people write through commands (API keys, saved queries): read one whole, write an entry."""

from __future__ import annotations

from kafka import KafkaProducer

from newsflow.cli.settings import CliSettings
from newsflow.contract import encode
from newsflow.contract.codec import M, Message
from newsflow.runtime.topics import ensure_topics, read_whole, table_entry


def read_table(s: CliSettings, topic: str, model: type[M], client_id: str) -> dict[str, M]:
    """Every entry by key, as the topic holds it now (the last record of each key; a tombstone removes it)."""
    table: dict[str, M] = {}
    records = read_whole(s.kafka_client_config(), [s.scoped(topic)], client_id)
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        entry = table_entry(r, model)
        if entry is None:
            continue
        key, message = entry
        if message is None:
            table.pop(key, None)
        else:
            table[key] = message
    return table


def write_entry(s: CliSettings, topic: str, key: str, message: Message | None, client_id: str) -> None:
    """Write ``message`` under ``key`` (None: a tombstone), once the broker acknowledged it."""
    ensure_topics(s.kafka_client_config(), s.topic_partitions, s.topic_replication, s.namespace)
    producer = KafkaProducer(**s.kafka_client_config(), client_id=client_id, acks="all")
    try:
        value, headers = encode(message) if message is not None else (None, [])
        producer.send(s.scoped(topic), key=key.encode(), value=value, headers=headers).get(timeout=60)
    finally:
        producer.close(timeout=10)
