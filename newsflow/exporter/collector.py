"""`newsflow exporter`: consumer lag and topic offsets as Prometheus metrics, as the broker sees them.

It reads what `newsflow lag` reads, on every scrape. The series carry kafka-exporter's names and labels
(kafka_consumergroup_lag{consumergroup, topic, partition}, ...), so dashboards and alert rules written
for that exporter work on these too, and the lag of a group whose consumers are all down is still seen.
Its own series add the lag in seconds and each group's status, judged over the scrapes of the last
``lag_window_s`` (status.py).
"""

from __future__ import annotations

import logging
import threading

from kafka.errors import KafkaError
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY

from newsflow.exporter.lag import LagReader
from newsflow.exporter.status import GroupStatus, Status, Window

log = logging.getLogger("newsflow.exporter")

# Every series it exports (kafka-exporter's names, and one of its own).
KAFKA_UP = "newsflow_lag_exporter_kafka_up"
GROUP_LAG = "kafka_consumergroup_lag"
GROUP_OFFSET = "kafka_consumergroup_current_offset"
TOPIC_OFFSET = "kafka_topic_partition_current_offset"
GROUP_MEMBERS = "kafka_consumergroup_members"
TOPIC_PARTITIONS = "kafka_topic_partitions"
LAG_SECONDS = "newsflow_consumergroup_lag_seconds"
GROUP_STATUS = "newsflow_consumergroup_status"
GROUP_STATUS_CODE = "newsflow_consumergroup_status_code"
DEADLINE = "newsflow_lag_deadline_seconds"
SERIES = (
    KAFKA_UP,
    GROUP_LAG,
    GROUP_OFFSET,
    TOPIC_OFFSET,
    GROUP_MEMBERS,
    TOPIC_PARTITIONS,
    LAG_SECONDS,
    GROUP_STATUS,
    GROUP_STATUS_CODE,
    DEADLINE,
)


class LagCollector:
    def __init__(
        self, reader: LagReader, groups: dict[str, str], topics: list[str], window_s: float, deadline_s: float
    ):
        self.reader = reader
        self.groups = groups
        self.topics = topics
        self.window = Window(window_s)
        self.deadline_s = deadline_s
        self.lock = threading.Lock()  # two scrapes at once add their readings in turn
        self.ok: bool | None = None  # None until the first scrape
        self.last_error: str | None = None

    def describe(self):
        return []  # nothing to read at registration: the series are only known once Kafka answers

    def check(self) -> tuple[bool, dict]:
        """Readiness: whether Kafka answers now (the first probe reads before any scrape has)."""
        try:
            self.reader.end_offsets(self.topics[:1])
            self.ok, self.last_error = True, None
        except (KafkaError, OSError) as exc:
            self.ok, self.last_error = False, repr(exc)
        return self.health()

    def collect(self):
        up = GaugeMetricFamily(KAFKA_UP, "1 when the last reading from Kafka succeeded")
        try:
            # A scrape waits for no message read: an age still being read shows at a later scrape.
            reading = self.reader.read(self.groups, age_wait_s=0.0)
            ends = self.reader.end_offsets(self.topics)
        except (KafkaError, OSError) as exc:
            if self.ok is not False:
                log.warning("cannot read offsets from Kafka", extra={"error": repr(exc)})
            self.ok, self.last_error = False, repr(exc)
            up.add_metric([], 0)
            yield up
            return
        if self.ok is False:
            log.info("reading offsets from Kafka again")
        self.ok, self.last_error = True, None
        up.add_metric([], 1)
        yield up

        by_partition = ["consumergroup", "topic", "partition"]
        lag = GaugeMetricFamily(GROUP_LAG, "End offset minus the group's committed offset", labels=by_partition)
        current = GaugeMetricFamily(GROUP_OFFSET, "The group's committed offset", labels=by_partition)
        for row in reading.rows:
            labels = [row.group, row.topic, str(row.partition)]
            lag.add_metric(labels, row.lag)
            current.add_metric(labels, row.committed)
        yield lag
        yield current

        topic_end = GaugeMetricFamily(TOPIC_OFFSET, "End offset of the partition", labels=["topic", "partition"])
        partitions: dict[str, int] = {}
        for tp, end in sorted(ends.items()):
            topic_end.add_metric([tp.topic, str(tp.partition)], end)
            partitions[tp.topic] = partitions.get(tp.topic, 0) + 1
        yield topic_end
        per_topic = GaugeMetricFamily(TOPIC_PARTITIONS, "Partitions of the topic", labels=["topic"])
        for topic, n in partitions.items():
            per_topic.add_metric([topic], n)
        yield per_topic

        count = GaugeMetricFamily(GROUP_MEMBERS, "Members of the consumer group", labels=["consumergroup"])
        for group, n in reading.members.items():
            count.add_metric([group], n)
        yield count

        with self.lock:
            self.window.add(reading)
            verdicts = self.window.evaluate()
        yield from status_metrics(verdicts, self.deadline_s)

    def health(self) -> tuple[bool, dict]:
        return self.ok is not False, {"service": "lag-exporter", "kafka_ok": self.ok, "last_error": self.last_error}


def status_metrics(verdicts: list[GroupStatus], deadline_s: float):
    """The lag in seconds per partition (where known) and each group's status, as state set and as code."""
    by_partition = ["consumergroup", "topic", "partition"]
    seconds = GaugeMetricFamily(
        LAG_SECONDS, "Age of the oldest message the group has not consumed (0: caught up)", labels=by_partition
    )
    state = GaugeMetricFamily(
        GROUP_STATUS,
        "1 for the group's status over the window (OK, WARN, STALL, STOP)",
        labels=["consumergroup", "status"],
    )
    code = GaugeMetricFamily(
        GROUP_STATUS_CODE, "The group's status: 0 OK, 1 WARN, 2 STALL, 3 STOP", labels=["consumergroup"]
    )
    for verdict in verdicts:
        for p in verdict.partitions:
            if p.lag_seconds is not None:
                seconds.add_metric([p.row.group, p.row.topic, str(p.row.partition)], p.lag_seconds)
        if verdict.status is None:
            continue  # a status needs two readings
        for s in Status:
            state.add_metric([verdict.group, s.name], 1 if s == verdict.status else 0)
        code.add_metric([verdict.group], int(verdict.status))
    yield seconds
    yield state
    yield code
    yield GaugeMetricFamily(
        DEADLINE, "Lag in seconds past which a group is late (NEWSFLOW_LAG_DEADLINE_S)", value=deadline_s
    )


def register(
    reader: LagReader, groups: dict[str, str], topics: list[str], window_s: float, deadline_s: float
) -> LagCollector:
    collector = LagCollector(reader, groups, topics, window_s, deadline_s)
    REGISTRY.register(collector)
    return collector
