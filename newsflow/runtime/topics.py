"""Creating the pipeline's topics, idempotently, with kafka-python's admin client."""

from __future__ import annotations

import logging
import time

from kafka import KafkaAdminClient, TopicPartition
from kafka.admin import MemberToRemove, NewTopic
from kafka.errors import TopicAlreadyExistsError

from newsflow.contract import DecodeError, Topics, decode
from newsflow.contract.codec import M
from newsflow.contract.stages import topics
from newsflow.runtime import kafka_mends

log = logging.getLogger(__name__)


# The largest message any stage writes. Kafka's default (1 MB) is below what a 2 MB article becomes once
# enriched (its body plus every entity mention), and a message the broker refuses would hold its partition.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
_DAY_MS = 24 * 3600 * 1000


def pipeline_topics(partitions: int, replication: int, namespace: str = "") -> list[NewTopic]:
    """Every topic a stage of the registry reads or writes."""
    common = {"max.message.bytes": str(MAX_MESSAGE_BYTES)}
    out = []
    for name in topics():
        if name in Topics.COMPACTED:
            # A table, not a stream: the newest value of each key is kept for ever, a tombstone removes the key.
            out.append(
                NewTopic(
                    namespace + name,
                    partitions,
                    replication,
                    topic_configs=common | {"cleanup.policy": "compact", "min.compaction.lag.ms": str(3600 * 1000)},
                )
            )
        elif name == Topics.DEADLETTER:
            # Dead letters are rare and read by people: one partition keeps them in order, and they are kept
            # long enough to be fixed and replayed.
            out.append(
                NewTopic(namespace + name, 1, replication, topic_configs=common | {"retention.ms": str(90 * _DAY_MS)})
            )
        else:
            out.append(
                NewTopic(
                    namespace + name, partitions, replication, topic_configs=common | {"retention.ms": str(7 * _DAY_MS)}
                )
            )
    return out


def ensure_topics(client_config: dict, partitions: int, replication: int, namespace: str = "") -> list[str]:
    """Create whichever pipeline topics (of ``namespace``) are missing; return the names created."""
    admin = KafkaAdminClient(**client_config, client_id="newsflow-admin")
    try:
        existing = set(admin.list_topics())
        missing = [t for t in pipeline_topics(partitions, replication, namespace) if t.name not in existing]
        created = []
        for topic in missing:
            try:
                admin.create_topics([topic])
                created.append(topic.name)
            except TopicAlreadyExistsError:  # another process won the race: fine
                pass
        if created:
            log.info("created topics", extra={"topics": created})
            await_leaders(admin, created)
        return created
    finally:
        admin.close()


def await_leaders(admin: KafkaAdminClient, names: list[str], timeout_s: float = 30.0) -> None:
    """Return once every partition of ``names`` has a leader. Apache Kafka answers CreateTopics before it elects
    them; a group member that joins in between is given no partitions (seen: an indexer started by `newsflow up`
    right after its init, its assignment empty for minutes). Asked with the admin client, never the group's own
    consumer: kafka-python 3.0.12's consumer asked for a topic's partitions before it subscribed fetched nothing
    after (measured: the index integration tests on Apache Kafka hung)."""
    deadline = time.monotonic() + timeout_s
    while True:
        described = admin.describe_topics(names)
        waiting = [
            t["name"]
            for t in described
            if t["error_code"] or not t["partitions"] or any(p["leader_id"] < 0 for p in t["partitions"])
        ]
        if not waiting:
            return
        if time.monotonic() > deadline:
            log.warning("topics without a leader yet", extra={"topics": waiting, "waited_s": timeout_s})
            return
        time.sleep(0.2)


def evict_group_members(client_config: dict, group: str) -> list[str]:
    """Remove every member of ``group`` from it; return their member ids.

    Only for a group whose consumers are known to be dead (`newsflow up` restarting a killed service on the
    local stack): noida-db never expires the session of a member killed mid-rebalance, so without this the
    group would wait for it forever. A real Kafka broker expires it after the session timeout."""
    admin = KafkaAdminClient(**client_config, client_id="newsflow-admin")
    try:
        described = admin.describe_groups([group]).get(group) or {}
        members = [m["member_id"] for m in described.get("members", [])]
        if members:
            admin.remove_group_members(group, [MemberToRemove(member_id=m) for m in members])
            log.warning("evicted dead consumer-group members", extra={"group": group, "members": members})
        return members
    finally:
        admin.close()


def table_entry(record, model: type[M]) -> tuple[str, M | None] | None:
    """A compacted topic's record as a table entry: (its key, the message), the message None for a tombstone; None
    for a record that does not decode (someone else's, or damaged), which is logged and skipped."""
    key = (record.key or b"").decode("utf-8", "replace")
    if record.value is None:
        return key, None
    try:
        return key, decode(record.value, record.headers, model)
    except DecodeError as exc:
        log.warning(
            "unreadable record skipped",
            extra={"topic": record.topic, "offset": record.offset, "schema": model.SCHEMA_NAME, "error": str(exc)},
        )
        return None


def group_sizes(admin: KafkaAdminClient, groups: list[str]) -> dict[str, int]:
    """How many members each group has now."""
    described = admin.describe_groups(groups)
    return {g: len((described.get(g) or {}).get("members", [])) for g in groups}


def read_whole(client_config: dict, topics: list[str], client_id: str) -> list:
    """Every record of ``topics`` from the start to the end offsets as they are now, outside any group: what a
    command reads to show a table (the dead letters, the feeds)."""
    consumer = kafka_mends.consumer(**client_config, client_id=client_id, enable_auto_commit=False)
    try:
        tps = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        if not tps:
            return []
        remaining = {tp: end for tp, end in consumer.end_offsets(tps).items() if end > 0}
        consumer.assign(tps)
        consumer.seek_to_beginning()
        records: list = []
        while remaining:
            batch = consumer.poll(timeout_ms=2000)
            if not batch:
                break  # an end offset that is never reached (a compacted or emulated log): what was read is all
            for tp, got in batch.items():
                records.extend(got)
                if got and got[-1].offset + 1 >= remaining.get(tp, 0):
                    remaining.pop(tp, None)
        return records
    finally:
        consumer.close()
