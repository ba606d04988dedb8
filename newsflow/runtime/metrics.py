"""Metrics every consuming service exports under the same name, so one dashboard query covers them all."""

from collections.abc import Callable
from typing import Any

from prometheus_client import Gauge

CONSUMER_LAG = Gauge(
    "newsflow_consumer_lag",
    "End offset minus committed offset, per partition, as this consumer sees it",
    ["group", "topic", "partition"],
)


def report_lag(group: str, consumer, committed: Callable[[Any], int | None]) -> None:
    """Set the lag of each partition ``consumer`` holds: its high watermark minus ``committed(tp)``. kafka-python's
    consumer and aiokafka's (faust's) answer the same ``assignment()`` and ``highwater(tp)``."""
    for tp in consumer.assignment():
        end = consumer.highwater(tp)
        done = committed(tp)
        if end is not None and done is not None:
            CONSUMER_LAG.labels(group, tp.topic, str(tp.partition)).set(max(0, end - done))
