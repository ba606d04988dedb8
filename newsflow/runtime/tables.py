"""A compacted topic read whole into a table, in every replica, and kept up to date: ingest's API keys, the
indexers' saved queries.

Every partition is read from its start without a consumer group (every replica needs every entry), and the
reading goes on: an entry written by a command reaches all replicas within a poll. ``loaded`` is set once the
topic has been read to the end offsets taken at start, so a stage can refuse to act on a table it has only
half read (a key created a minute ago refused as unknown, an article matched against half the queries).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic

from kafka import TopicPartition
from kafka.errors import KafkaError

from newsflow.contract.codec import M
from newsflow.runtime import kafka_mends
from newsflow.runtime.pacing import Pacer
from newsflow.runtime.settings import CommonSettings
from newsflow.runtime.topics import table_entry

log = logging.getLogger("newsflow.tables")


class TableReader(Generic[M]):
    """Reads ``topic`` into ``apply(key, message or None for a tombstone)``, in a thread of its own, until stopped."""

    def __init__(
        self,
        settings: CommonSettings,
        topic: str,
        model: type[M],
        apply: Callable[[str, M | None], None],
        client_id: str,
        stop: threading.Event,
    ):
        self.topic, self.model, self.apply, self.stop = settings.scoped(topic), model, apply, stop
        self.consumer = kafka_mends.consumer(
            **settings.kafka_client_config(), client_id=client_id, enable_auto_commit=False
        )
        self.thread = threading.Thread(target=self._run, name=f"table-{topic}", daemon=True)
        self.loaded = threading.Event()
        self.error: str | None = None

    def start(self) -> TableReader[M]:
        self.thread.start()
        return self

    def _run(self) -> None:
        ends: dict[TopicPartition, int] | None = None
        pacer = Pacer(self.stop)
        try:
            while not self.stop.is_set():
                try:
                    if ends is None:
                        partitions = self.consumer.partitions_for_topic(self.topic)
                        if not partitions:
                            self.stop.wait(0.5)
                            continue
                        tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
                        self.consumer.assign(tps)
                        self.consumer.seek_to_beginning(*tps)
                        ends = self.consumer.end_offsets(tps)
                    # Read to the end with a waiting poll; then a pass of 1 ms and a wait of our own (pacing.py):
                    # a poll(300) sent hundreds of fetches a second at rest on noida-db, 95% of a core.
                    polled = self.consumer.poll(timeout_ms=1 if self.loaded.is_set() else 300)
                    for records in polled.values():
                        for record in records:
                            entry = table_entry(record, self.model)
                            if entry is not None:
                                self.apply(*entry)
                    if not self.loaded.is_set() and all(self.consumer.position(tp) >= end for tp, end in ends.items()):
                        self.loaded.set()
                        log.info("table read", extra={"topic": self.topic})
                    self.error = None
                    pacer.polled(bool(polled) or not self.loaded.is_set())
                except KafkaError as exc:
                    self.error = f"cannot read {self.topic}: {exc}"
                    self.stop.wait(1.0)
        finally:
            self.consumer.close()
