"""Metrics every consuming service exports under the same name, so one dashboard query covers them all."""

from prometheus_client import Gauge

CONSUMER_LAG = Gauge(
    "newsflow_consumer_lag", "End offset minus committed offset, per partition, as this consumer sees it",
    ["group", "topic", "partition"],
)
