"""Consumer lag per group, topic and partition, as the broker sees it: end offset minus committed offset, and
the time the oldest unconsumed message of each lagging partition was written (its age is the lag in seconds).

One reader serves `newsflow lag`, its `--watch` view and the Prometheus lag exporter, so the terminal
and the dashboards show the same figures.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from newsflow.contract.stages import consuming, topics
from newsflow.runtime.topics import group_sizes


def pipeline_groups(s) -> dict[str, str]:
    """Each consuming stage's group and the topic it reads (the stage registry), in the settings' namespace."""
    return {s.stage_group(entry.name): s.scoped(entry.reads) for entry in consuming()}


def pipeline_topic_names(s) -> list[str]:
    return [s.scoped(t) for t in topics()]


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed: int  # the group's committed offset, or the partition's first offset where it never committed
    end: int
    oldest_at: float | None = None  # the timestamp of the message at the committed offset, where there is lag

    @property
    def lag(self) -> int:
        return max(0, self.end - self.committed)

    def as_dict(self) -> dict:
        return {
            "group": self.group,
            "topic": self.topic,
            "partition": self.partition,
            "committed": self.committed,
            "end": self.end,
            "lag": self.lag,
            "oldest_at": self.oldest_at,
        }


class LagReader:
    """Keeps one admin and one (group-less) consumer connection open across readings; thread-safe."""

    def __init__(self, client_config: dict, client_id: str = "newsflow-lag"):
        self.admin = KafkaAdminClient(**client_config, client_id=client_id)
        self.consumer = KafkaConsumer(**client_config, client_id=client_id, enable_auto_commit=False)
        # Reads one message at each lagging partition's committed offset, for its timestamp.
        self.peek = KafkaConsumer(**client_config, client_id=client_id, enable_auto_commit=False, max_poll_records=50)
        # A message's timestamp never changes: a group stopped at one offset is read once, not at every scrape.
        self.stamps: dict[tuple[str, int, int], float] = {}
        self.lock = threading.Lock()

    def partitions(self, topic: str) -> list[TopicPartition]:
        return [TopicPartition(topic, p) for p in sorted(self.consumer.partitions_for_topic(topic) or ())]

    def end_offsets(self, topics: list[str]) -> dict[TopicPartition, int]:
        with self.lock:
            tps = [tp for topic in topics for tp in self.partitions(topic)]
            return self.consumer.end_offsets(tps) if tps else {}

    def lag(self, groups: dict[str, str], with_age: bool = True) -> list[PartitionLag]:
        """One row per (group, topic, partition) of the topic each group consumes; ``with_age``: with the time
        its oldest unconsumed message was written."""
        with self.lock:
            rows = []
            for group, topic in groups.items():
                tps = self.partitions(topic)
                if not tps:
                    continue
                ends = self.consumer.end_offsets(tps)
                firsts = self.consumer.beginning_offsets(tps)
                committed = self.admin.list_group_offsets(group).get(group, {})
                for tp in tps:
                    meta = committed.get(tp)
                    done = meta.offset if meta is not None and meta.offset >= 0 else firsts[tp]
                    rows.append(PartitionLag(group, topic, tp.partition, done, ends[tp]))
            if not with_age:
                return rows
            wanted = {(r.topic, r.partition, r.committed) for r in rows if r.lag > 0}
            if len(self.stamps) > 10_000:
                self.stamps.clear()
            self.stamps.update(self._timestamps(wanted - self.stamps.keys()))
            found = self.stamps
            return [replace(r, oldest_at=found.get((r.topic, r.partition, r.committed))) for r in rows]

    def _timestamps(self, wanted: set[tuple[str, int, int]], timeout_s: float = 1.0) -> dict:
        """The timestamp (seconds) of the first message at or after each (topic, partition, offset), where
        one is read within ``timeout_s``; a message without a timestamp is left out."""
        found: dict[tuple[str, int, int], float] = {}
        if not wanted:
            return found
        by_tp: dict[TopicPartition, list[int]] = {}
        for topic, partition, offset in wanted:
            by_tp.setdefault(TopicPartition(topic, partition), []).append(offset)
        for offsets in by_tp.values():
            offsets.sort()
        # One offset per partition at a time: two groups on one topic take two rounds.
        rounds = max(len(offsets) for offsets in by_tp.values())
        deadline = time.monotonic() + timeout_s
        for i in range(rounds):
            todo = {tp: offsets[i] for tp, offsets in by_tp.items() if i < len(offsets)}
            self.peek.assign(list(todo))
            for tp, offset in todo.items():
                self.peek.seek(tp, offset)
            while todo and time.monotonic() < deadline:
                for tp, records in self.peek.poll(timeout_ms=200).items():
                    if tp not in todo or not records:
                        continue
                    if records[0].timestamp is not None and records[0].timestamp >= 0:
                        found[(tp.topic, tp.partition, todo[tp])] = records[0].timestamp / 1000
                    del todo[tp]
                    self.peek.pause(tp)
        self.peek.unsubscribe()
        return found

    def read(self, groups: dict[str, str]) -> Reading:
        rows = self.lag(groups)
        return Reading(time.time(), tuple(rows), self.members(list(groups)))

    def members(self, groups: list[str]) -> dict[str, int]:
        with self.lock:
            return group_sizes(self.admin, groups)

    def close(self) -> None:
        self.peek.close()
        self.consumer.close()
        self.admin.close()


def consumer_lag(client_config: dict, groups: dict[str, str]) -> list[dict]:
    reader = LagReader(client_config)
    try:
        return [row.as_dict() for row in reader.lag(groups, with_age=False)]
    finally:
        reader.close()


@dataclass(frozen=True)
class Reading:
    """One reading of every group's partitions, and of its members."""

    at: float  # wall-clock seconds, when the offsets were read
    rows: tuple[PartitionLag, ...]
    members: dict[str, int]  # group → members at that reading


@dataclass(frozen=True)
class LagRate:
    """How a partition's lag moved between two readings."""

    row: PartitionLag
    lag_per_s: float | None  # positive: falling behind
    consumed_per_s: float | None


def rates(before: list[PartitionLag] | None, after: list[PartitionLag], seconds: float) -> list[LagRate]:
    """Pair two readings by (group, topic, partition); a partition new in ``after`` has no rate yet."""
    old = {(r.group, r.topic, r.partition): r for r in before or []}
    out = []
    for row in after:
        prev = old.get((row.group, row.topic, row.partition))
        if prev is None or seconds <= 0:
            out.append(LagRate(row, None, None))
        else:
            out.append(LagRate(row, (row.lag - prev.lag) / seconds, (row.committed - prev.committed) / seconds))
    return out
