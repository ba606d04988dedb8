"""Consumer lag per group, topic and partition, as the broker sees it: end offset minus committed offset, and
the time the oldest unconsumed message of each lagging partition was written (its age is the lag in seconds).

One reader serves `newsflow lag`, its `--watch` view and the Prometheus lag exporter, so the terminal
and the dashboards show the same figures.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace

from kafka import KafkaAdminClient, TopicPartition
from kafka.errors import KafkaError

from newsflow.contract.stages import consuming, topics
from newsflow.runtime import kafka_mends
from newsflow.runtime.topics import group_sizes

log = logging.getLogger("newsflow.exporter")


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
        self.consumer = kafka_mends.consumer(**client_config, client_id=client_id, enable_auto_commit=False)
        self.client_config, self.client_id = client_config, client_id
        self.stamps: Stamps | None = None  # started at the first reading that asks for ages
        self.lock = threading.Lock()

    def partitions(self, topic: str) -> list[TopicPartition]:
        return [TopicPartition(topic, p) for p in sorted(self.consumer.partitions_for_topic(topic) or ())]

    def end_offsets(self, topics: list[str]) -> dict[TopicPartition, int]:
        with self.lock:
            tps = [tp for topic in topics for tp in self.partitions(topic)]
            return self.consumer.end_offsets(tps) if tps else {}

    def lag(self, groups: dict[str, str], age_wait_s: float | None = 1.0) -> list[PartitionLag]:
        """One row per (group, topic, partition) of the topic each group consumes, with the time its oldest
        unconsumed message was written where that is known after waiting up to ``age_wait_s`` (None: without)."""
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
            if age_wait_s is None:
                return rows
            if self.stamps is None:
                self.stamps = Stamps(self.client_config, self.client_id)
            found = self.stamps.get({(r.topic, r.partition, r.committed) for r in rows if r.lag > 0}, age_wait_s)
            return [replace(r, oldest_at=found.get((r.topic, r.partition, r.committed))) for r in rows]

    def read(self, groups: dict[str, str], age_wait_s: float = 1.0) -> Reading:
        rows = self.lag(groups, age_wait_s)
        return Reading(time.time(), tuple(rows), self.members(list(groups)))

    def members(self, groups: list[str]) -> dict[str, int]:
        with self.lock:
            return group_sizes(self.admin, groups)

    def close(self) -> None:
        if self.stamps is not None:
            self.stamps.close()
        self.consumer.close()
        self.admin.close()


class Stamps:
    """The timestamps of the messages at (topic, partition, offset), read by a thread of their own.

    A read fetches the batch that holds the message, which can take longer than a scrape may wait (the local
    Prometheus gives a scrape 1 s). The thread finishes each read whoever waits for it; a reader waits as long as
    it can afford and takes what is known. A message's timestamp never changes, so each is read once."""

    READ_TIMEOUT_S = 10.0

    def __init__(self, client_config: dict, client_id: str):
        self.client_config, self.client_id = client_config, client_id
        self.known: dict[tuple[str, int, int], float] = {}
        self.pending: set[tuple[str, int, int]] = set()
        self.cv = threading.Condition()
        self.closed = False
        self.thread = threading.Thread(target=self._run, name="lag-timestamps", daemon=True)
        self.thread.start()

    def get(self, wanted: set[tuple[str, int, int]], wait_s: float) -> dict[tuple[str, int, int], float]:
        deadline = time.monotonic() + wait_s
        with self.cv:
            if len(self.known) > 10_000:
                self.known.clear()
            missing = wanted - self.known.keys()
            if missing - self.pending:
                self.pending |= missing
                self.cv.notify_all()
            while missing & self.pending and (left := deadline - time.monotonic()) > 0:
                self.cv.wait(left)
            return {key: self.known[key] for key in wanted if key in self.known}

    def close(self) -> None:
        with self.cv:
            self.closed = True
            self.cv.notify_all()
        # A read in progress sees `closed` within a poll (0.2 s); one still connecting is abandoned, the thread
        # being a daemon, rather than holding up the exit of `newsflow lag` or of the exporter.
        self.thread.join(2.0)

    def _run(self) -> None:
        while True:
            with self.cv:
                while not self.pending and not self.closed:
                    self.cv.wait()
                if self.closed:
                    return
                todo = set(self.pending)
            try:
                found = self._read(todo)
            except (KafkaError, OSError) as exc:  # Kafka away: the next reading asks again
                log.warning("cannot read message timestamps", extra={"error": repr(exc)})
                found = {}
            with self.cv:
                self.known.update(found)
                self.pending -= todo  # read or not: a miss is asked for again by the next reading
                self.cv.notify_all()

    def _read(self, wanted: set[tuple[str, int, int]]) -> dict[tuple[str, int, int], float]:
        """The timestamp (seconds) of the first message at or after each (topic, partition, offset), where
        one is read within READ_TIMEOUT_S; a message without a timestamp is left out."""
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
        deadline = time.monotonic() + self.READ_TIMEOUT_S
        for i in range(rounds):
            todo = {tp: offsets[i] for tp, offsets in by_tp.items() if i < len(offsets)}
            # A consumer of its own for each round: one kept across reads and seeks (kafka-python 3.0.12) missed
            # messages that were there, 44 of 100 in a test, each miss waiting out the whole timeout.
            peek = kafka_mends.consumer(
                **self.client_config, client_id=self.client_id, enable_auto_commit=False, max_poll_records=50
            )
            try:
                peek.assign(list(todo))
                for tp, offset in todo.items():
                    peek.seek(tp, offset)
                while todo and time.monotonic() < deadline and not self.closed:
                    for tp, records in peek.poll(timeout_ms=200).items():
                        if tp not in todo or not records:
                            continue
                        if records[0].timestamp is not None and records[0].timestamp >= 0:
                            found[(tp.topic, tp.partition, todo[tp])] = records[0].timestamp / 1000
                        del todo[tp]
            finally:
                peek.close()
        return found


def consumer_lag(client_config: dict, groups: dict[str, str]) -> list[dict]:
    reader = LagReader(client_config)
    try:
        return [row.as_dict() for row in reader.lag(groups, age_wait_s=None)]
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
