"""`newsflow exporter`: consumer lag and topic offsets as Prometheus metrics, as the broker sees them.

It reads what `newsflow lag` reads, on every scrape. The series carry kafka-exporter's names and labels
(kafka_consumergroup_lag{consumergroup, topic, partition}, ...), so dashboards and alert rules written
for that exporter work on these too, and the lag of a group whose consumers are all down is still seen.
"""

from __future__ import annotations

import logging

from kafka.errors import KafkaError
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY

from newsflow.exporter.lag import LagReader

log = logging.getLogger("newsflow.exporter")

# Every series it exports (kafka-exporter's names, and one of its own).
KAFKA_UP = "newsflow_lag_exporter_kafka_up"
GROUP_LAG = "kafka_consumergroup_lag"
GROUP_OFFSET = "kafka_consumergroup_current_offset"
TOPIC_OFFSET = "kafka_topic_partition_current_offset"
GROUP_MEMBERS = "kafka_consumergroup_members"
TOPIC_PARTITIONS = "kafka_topic_partitions"
SERIES = (KAFKA_UP, GROUP_LAG, GROUP_OFFSET, TOPIC_OFFSET, GROUP_MEMBERS, TOPIC_PARTITIONS)


class LagCollector:
    def __init__(self, reader: LagReader, groups: dict[str, str], topics: list[str]):
        self.reader = reader
        self.groups = groups
        self.topics = topics
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
            rows = self.reader.lag(self.groups)
            ends = self.reader.end_offsets(self.topics)
            members = self.reader.members(list(self.groups))
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
        for row in rows:
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
        for group, n in members.items():
            count.add_metric([group], n)
        yield count

    def health(self) -> tuple[bool, dict]:
        return self.ok is not False, {"service": "lag-exporter", "kafka_ok": self.ok, "last_error": self.last_error}


def register(reader: LagReader, groups: dict[str, str], topics: list[str]) -> LagCollector:
    collector = LagCollector(reader, groups, topics)
    REGISTRY.register(collector)
    return collector
