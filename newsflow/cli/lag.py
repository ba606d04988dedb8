"""Consumer lag per group, topic and partition: end offset minus committed offset."""

from __future__ import annotations

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from schemas import Topics


def pipeline_groups(enrich_group: str, index_group: str) -> dict[str, str]:
    return {enrich_group: Topics.RAW, index_group: Topics.ENRICHED}


def consumer_lag(client_config: dict, groups: dict[str, str]) -> list[dict]:
    """One row per (group, topic, partition). A partition the group never committed counts from 0."""
    admin = KafkaAdminClient(**client_config, client_id="newsflow-lag")
    consumer = KafkaConsumer(**client_config, client_id="newsflow-lag", enable_auto_commit=False)
    try:
        rows = []
        for group, topic in groups.items():
            partitions = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in sorted(partitions)]
            if not tps:
                continue
            ends = consumer.end_offsets(tps)
            committed = admin.list_group_offsets(group).get(group, {})
            for tp in tps:
                meta = committed.get(tp)
                done = meta.offset if meta is not None and meta.offset >= 0 else 0
                rows.append({"group": group, "topic": topic, "partition": tp.partition, "committed": done,
                             "end": ends[tp], "lag": max(0, ends[tp] - done)})
        return rows
    finally:
        consumer.close()
        admin.close()
