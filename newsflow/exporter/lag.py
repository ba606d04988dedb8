"""Consumer lag per group, topic and partition, as the broker sees it: end offset minus committed offset.

One reader serves `newsflow lag`, its `--watch` view and the Prometheus lag exporter, so the terminal
and the dashboards show the same figures.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

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
        }


class LagReader:
    """Keeps one admin and one (group-less) consumer connection open across readings; thread-safe."""

    def __init__(self, client_config: dict, client_id: str = "newsflow-lag"):
        self.admin = KafkaAdminClient(**client_config, client_id=client_id)
        self.consumer = KafkaConsumer(**client_config, client_id=client_id, enable_auto_commit=False)
        self.lock = threading.Lock()

    def partitions(self, topic: str) -> list[TopicPartition]:
        return [TopicPartition(topic, p) for p in sorted(self.consumer.partitions_for_topic(topic) or ())]

    def end_offsets(self, topics: list[str]) -> dict[TopicPartition, int]:
        with self.lock:
            tps = [tp for topic in topics for tp in self.partitions(topic)]
            return self.consumer.end_offsets(tps) if tps else {}

    def lag(self, groups: dict[str, str]) -> list[PartitionLag]:
        """One row per (group, topic, partition) of the topic each group consumes."""
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
            return rows

    def members(self, groups: list[str]) -> dict[str, int]:
        with self.lock:
            return group_sizes(self.admin, groups)

    def close(self) -> None:
        self.consumer.close()
        self.admin.close()


def consumer_lag(client_config: dict, groups: dict[str, str]) -> list[dict]:
    reader = LagReader(client_config)
    try:
        return [row.as_dict() for row in reader.lag(groups)]
    finally:
        reader.close()


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


def watch(reader: LagReader, groups: dict[str, str], interval: float, on_reading, stop: threading.Event) -> None:
    """Call ``on_reading(list[LagRate])`` every ``interval`` seconds until ``stop`` is set."""
    before, then = None, time.monotonic()
    while True:
        rows = reader.lag(groups)
        now = time.monotonic()
        on_reading(rates(before, rows, now - then))
        before, then = rows, now
        if stop.wait(interval):
            return
