"""A stage's group consumer completes a join that finished while no poll was waiting for it.

A stage polls briefly and does its own work between polls (feeds polls for 200 ms, then waits). kafka-python
3.0.12 threw away a join that completed in between and sent another (runtime/kafka_mends.py). Here each poll is
far shorter than a join takes on Tansu (seconds), so every join completes between polls: without the mend, the
member never gets a partition; with it, it has them all within a few seconds, and a second member shares them.
"""

from __future__ import annotations

import threading

import pytest
from kafka.admin import KafkaAdminClient, NewTopic

from newsflow.contract.stages import stage
from newsflow.runtime.consumer import group_consumer
from newsflow.runtime.servers import wait_until
from newsflow.runtime.settings import CommonSettings
from newsflow.runtime.topics import await_leaders

PARTITIONS = 4
# Read in its debug log: the member rejoins, Tansu answers the JoinGroup with the same generation (0), the leader
# syncs an assignment of every partition, and the SyncGroup answer carries the empty one stored for generation 0.
TANSU_KEEPS_THE_FIRST_ASSIGNMENT = (
    "Tansu does not start a new generation when a lone member rejoins, and answers its SyncGroup with the first "
    "assignment: a group's first assignment, if empty, stays so there"
)


class Blind:
    """Cluster metadata as a client has it before the topic's partitions arrive."""

    def __init__(self, cluster):
        self.cluster = cluster

    def partitions_for_topic(self, topic):
        return None

    def __getattr__(self, name):
        return getattr(self.cluster, name)


class Member:
    """A group consumer polled as a busy stage polls it: 20 ms polls, 300 ms of other work between them."""

    def __init__(self, settings: CommonSettings, topic: str, name: str, poll_ms: int = 20):
        self.poll_ms = poll_ms
        self.consumer = group_consumer(stage("feeds"), settings, client_id=f"join-test-{name}")
        self.consumer.subscribe([topic])
        self.stop = threading.Event()
        self.owned = 0
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                self.consumer.poll(timeout_ms=self.poll_ms)
                self.owned = len(self.consumer.assignment())
                self.stop.wait(0.3)
        finally:
            self.consumer.close(autocommit=False)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(30)


def _topic(stack, name: str) -> tuple[CommonSettings, str]:
    settings = CommonSettings(kafka_bootstrap=stack.kafka_bootstrap, namespace=stack.namespace)
    topic = stack.topic(name)
    admin = KafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap)
    try:
        admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
        # As ensure_topics does: a member joining before the partitions have leaders is given none (seen here once).
        await_leaders(admin, [topic])
    finally:
        admin.close()
    return settings, topic


def test_a_join_completed_between_polls_is_taken_not_thrown_away(stack):
    settings, topic = _topic(stack, "join-test")
    a = Member(settings, topic, "a")
    try:
        wait_until(lambda: a.owned == PARTITIONS, 30, "the first member owning every partition")
        b = Member(settings, topic, "b")
        try:
            wait_until(lambda: a.owned > 0 and b.owned > 0, 45, "both members owning partitions")
            wait_until(lambda: a.owned + b.owned == PARTITIONS, 15, "the partitions shared, none twice")
        finally:
            b.close()
        wait_until(lambda: a.owned == PARTITIONS, 45, "the first member owning every partition again")
    finally:
        a.close()


def test_a_rejoin_for_new_metadata_completed_between_polls_is_taken(stack, monkeypatch):
    """The first join made before the member had the topic's metadata (it assigns nothing, and records that it
    assigned from no partitions). The metadata arrives, the snapshots differ, a poll begins a rejoin; assigning,
    the leader records the metadata it assigned from, so the reason to rejoin is gone before the join completes.
    Every join here completes between polls (polls do not wait), so only a coordinator that counts a join begun
    and not yet taken as a reason to go on joining takes it (runtime/kafka_mends.py); without that the member
    holds nothing for good."""
    from kafka.coordinator.consumer import ConsumerCoordinator

    original = ConsumerCoordinator._perform_assignment
    calls: list[dict] = []

    def perform_assignment(self, leader_id, protocol_name, members):
        calls.append(dict(self._metadata_snapshot))
        if len(calls) > 1:
            return original(self, leader_id, protocol_name, members)
        self._metadata_snapshot = {name: set() for name in self._metadata_snapshot}
        cluster, self._cluster = self._cluster, Blind(self._cluster)
        try:
            return original(self, leader_id, protocol_name, members)
        finally:
            self._cluster = cluster

    if stack.kind == "tansu":
        pytest.skip(TANSU_KEEPS_THE_FIRST_ASSIGNMENT)
    monkeypatch.setattr(ConsumerCoordinator, "_perform_assignment", perform_assignment)
    settings, topic = _topic(stack, "join-metadata-test")
    a = Member(settings, topic, "a", poll_ms=0)
    try:
        wait_until(lambda: len(calls) >= 2, 30, "a second assignment, for the metadata that arrived")
        wait_until(lambda: a.owned == PARTITIONS, 30, "the member owning every partition after the rejoin")
    finally:
        a.close()


def test_a_member_alone_and_assigned_blind_rejoins_and_takes_its_partitions(stack, monkeypatch):
    """The leader's first assignment made as if the topic had no metadata (what kafka-python's range assignor logs
    as "No partition metadata for topic"): the member holds nothing while the topic has partitions, and
    kafka-python, whose metadata already had them, sees no reason to rejoin. The runtime asks for it."""
    from kafka.coordinator.assignors.range import RangePartitionAssignor

    from newsflow.contract import EnrichedArticle, Topics, encode
    from newsflow.runtime.consumer import ConsumerRuntime, Limits
    from newsflow.runtime.topics import ensure_topics
    from tests.factories import enriched
    from tests.integration.kafka_util import produce

    original = RangePartitionAssignor.assign.__func__
    blinded: list[bool] = []

    def assign(cls, cluster, members):
        if not blinded:
            blinded.append(True)
            return original(cls, Blind(cluster), members)
        return original(cls, cluster, members)

    if stack.kind == "tansu":
        pytest.skip(TANSU_KEEPS_THE_FIRST_ASSIGNMENT)
    monkeypatch.setattr(RangePartitionAssignor, "assign", classmethod(assign))
    settings = CommonSettings(kafka_bootstrap=stack.kafka_bootstrap, namespace=stack.namespace)
    ensure_topics(stack.kafka_config, 3, 1, stack.namespace)
    seen: list = []

    def step(messages, ctx):
        seen.extend(messages)
        return []

    stop = threading.Event()
    runtime = ConsumerRuntime(
        stage("index"),
        settings,
        step,
        EnrichedArticle,
        limits=Limits(10, 1_000_000, 0.1),
        reasons=("rejected-by-elasticsearch",),
        stop=stop,
    )
    thread = threading.Thread(target=runtime.run, daemon=True)
    thread.start()
    try:
        article = enriched("blind")
        produce(stack.kafka_bootstrap, stack.topic(Topics.ENRICHED), [(article.id.encode(), *encode(article))])
        wait_until(lambda: len(seen) == 1, 90, "the article consumed after the blind assignment")
        assert blinded, "the first assignment was not made blind"
    finally:
        stop.set()
        thread.join(30)
