"""A consuming stage still joining its group after a minute and a half starts over with a new consumer."""

from __future__ import annotations

import time

import newsflow.runtime.consumer as runtime_module
from newsflow.contract.stages import stage
from newsflow.runtime.consumer import Batch, ConsumerRuntime


class FakeConsumer:
    def __init__(self):
        self.closed, self.subscribed = False, None

    def close(self, autocommit=True, timeout_ms=None):
        self.closed = True

    def subscribe(self, topics, listener=None):
        self.subscribed = topics


def runtime_with(consumer) -> ConsumerRuntime:
    rt = object.__new__(ConsumerRuntime)  # the state the check reads, without a broker
    rt.joining, rt.consumer, rt.topic, rt.batch = True, consumer, "t", Batch()
    rt.stage, rt.settings, rt.session_timeout_s = stage("index"), None, 10.0
    rt.limits = runtime_module.Limits(10, 1_000_000, 0.1)
    return rt


def test_a_member_joining_for_too_long_gets_a_new_consumer_and_one_that_joined_keeps_its_own(monkeypatch):
    made: list[FakeConsumer] = []
    monkeypatch.setattr(runtime_module, "group_consumer", lambda *a, **k: made.append(FakeConsumer()) or made[-1])
    old = FakeConsumer()
    rt = runtime_with(old)
    now = time.monotonic()
    assert rt._start_over_if_stuck(None) is not None and rt.consumer is old  # the clock starts
    assert rt._start_over_if_stuck(now - 10) == now - 10 and rt.consumer is old  # not long yet
    assert rt._start_over_if_stuck(now - ConsumerRuntime.STUCK_JOINING_S - 1) >= now
    assert old.closed and rt.consumer is made[0] and made[0].subscribed == ["t"]
    rt.joining = False
    assert rt._start_over_if_stuck(now - 1_000) is None and rt.consumer is made[0]
