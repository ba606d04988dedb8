"""The one place newsflow reaches into kafka-python, and why. Every consumer newsflow makes comes from ``consumer()``
here, with the mends below in place.

1. Unawaited joins.

kafka-python 3.0.12 (the newest release) runs a group join (JoinGroup, then SyncGroup) as a task on its IO
thread, awaited by whichever ``poll()`` is in progress. When the join completes while no ``poll()`` awaits it
(the stage is between polls, or its poll timed out first), the next ``poll()`` finds the task done and sends a
new JoinGroup instead of taking the result: the assignment is thrown away. On Tansu, whose joins take seconds,
a member was seen to go round that loop for minutes, and a member already in the group, rejoining when another
arrived, kept polling partitions the group had given to the newcomer (the two-member feeds test, 2 runs in 3).

The mend: a join that succeeded unawaited is handed back to kafka-python's own loop as a future that resolves
on the IO loop's next turn, so the loop completes that join (state, heartbeat, the rebalance listener) exactly
as if a poll had been waiting. A join that failed is left alone: kafka-python retries it, as it should.

A poll enters that loop only while ``need_rejoin()`` holds, and kafka-python's says nothing of a join begun and
not yet taken (Java's consumer asks ``rejoinNeededOrPending()``). A rejoin that the leader begins because the
topic's metadata changed ends that reason itself: assigning, it records the metadata it assigned from. If that
join then completes between polls, no later poll asks for it: the member stays "rebalancing" with its heartbeat
off, the broker drops it, and it holds nothing for good. Seen on Apache Kafka after a first join made without the
topic's metadata (a raw group member holding nothing for 30 s; an indexer after a restart, for over 60 s; in a
benchmark, 18 minutes). So a join begun and not taken counts as a reason to go on joining.

2. A leader that gave out nothing for want of metadata rejoins (`rejoin_if_assigned_blind`).

3. Empty fetches answered at once. A fetch asks the broker to hold it until records come or ``fetch_max_wait_ms``
passes (500 ms); Apache Kafka does, noida-db answers at once. kafka-python then sends the next fetch at once, and a
consumer waiting in ``poll(300)`` sends hundreds a second: the index stage's saved-query table burned 95% of a core
on a stack at rest. The mend holds the next fetch to that node for what is left of ``fetch_max_wait_ms`` after an
empty answer, as the broker would have held this one. Where the broker holds fetches nothing is left to wait, so
this changes nothing there; records that arrive meanwhile wait at most that long, as they never do on a broker
that holds fetches (it answers as soon as they come).
"""

from __future__ import annotations

import time
from typing import Any

from kafka import KafkaConsumer
from kafka.consumer.fetcher import Fetcher
from kafka.coordinator.base import BaseCoordinator
from kafka.coordinator.consumer import ConsumerCoordinator

_MENDED = "_newsflow_join_mended"
_MEMBERS = "_newsflow_members_assigned"
_GIVEN = "_newsflow_partitions_assigned"  # on the leader: partitions its last assignment gave out, to all members
_HELD = "_newsflow_held_until"  # on a Fetcher: node id → when its next fetch may go


def consumer(**config: Any) -> KafkaConsumer:
    """A kafka-python consumer with the mends in place."""
    mend_unawaited_joins()
    hold_empty_fetches()
    return KafkaConsumer(**config)


def hold_empty_fetches() -> None:
    """Patch kafka-python's fetcher once per process (the module's third mend); harmless to call again."""
    if getattr(Fetcher, _MENDED, False):
        return
    handle, create = Fetcher._handle_fetch_response, Fetcher._create_fetch_requests

    def _handle_fetch_response(self: Any, node_id: Any, fetch_offsets: Any, send_time: float, response: Any) -> Any:
        out = handle(self, node_id, fetch_offsets, send_time, response)
        partitions = [p for topic in response.responses for p in topic.partitions]
        if not any(p.records or p.error_code for p in partitions):
            left = self.config["fetch_max_wait_ms"] / 1000 - (time.monotonic() - send_time)
            if left > 0:
                self.__dict__.setdefault(_HELD, {})[node_id] = time.monotonic() + left
        return out

    def _create_fetch_requests(self: Any) -> Any:
        # A node held counts as one with a fetch in flight, which kafka-python already sends nothing to.
        now, held = time.monotonic(), self.__dict__.get(_HELD, {})
        waiting = {node for node, until in held.items() if until > now} - self._nodes_with_pending_fetch_requests
        self._nodes_with_pending_fetch_requests |= waiting
        try:
            return create(self)
        finally:
            self._nodes_with_pending_fetch_requests -= waiting

    Fetcher._handle_fetch_response = _handle_fetch_response
    Fetcher._create_fetch_requests = _create_fetch_requests
    setattr(Fetcher, _MENDED, True)


def mend_unawaited_joins() -> None:
    """Patch the coordinator class once per process (the first two mends); harmless to call again."""
    if getattr(BaseCoordinator, _MENDED, False):
        return
    original = BaseCoordinator.join_group_async

    async def join_group_async(self: Any, timeout_ms: Any = None) -> Any:
        task = self._join_task
        if task is not None and task.succeeded() and self.rejoining:
            result = task.value
            self._join_task = self._manager.call_soon(lambda: result)
        return await original(self, timeout_ms)

    BaseCoordinator.join_group_async = join_group_async
    need_rejoin = ConsumerCoordinator.need_rejoin

    def need_rejoin_or_pending(self: Any) -> bool:
        if need_rejoin(self):
            return True
        if not self._subscription.partitions_auto_assigned() or self._auto_assign_all_partitions():
            return False
        return bool(self.rejoining or self._join_task is not None)

    ConsumerCoordinator.need_rejoin = need_rejoin_or_pending
    _count_members()
    setattr(BaseCoordinator, _MENDED, True)


def rejoin_if_assigned_blind(consumer: Any, topic: str) -> bool:
    """Ask for a new join when this member led its group's last join and gave nobody anything (alone, or with
    members the leader assigned nothing either), holds no partition itself, and ``topic`` has some: the
    assignment was made without the topic's metadata ("No partition metadata for topic", kafka-python's range
    assignor) and kafka-python did not notice the metadata arriving after it. Seen twice in one CI run on
    Apache Kafka, each time an indexer restarted right after another stopped, its assignment still empty a minute
    and three minutes later; the refresh every 5 s (``metadata_max_age_ms``) mends most such joins, not those.
    Seen again with two members (the one stopped not yet gone): the leader gave out nothing, and nobody had a
    member count of one. Returns whether a rejoin was asked for."""
    view = assignment_view(consumer, topic)
    blind = view["leader"] and (view["members"] == 1 or view["given"] == 0)
    # The consumer's own metadata: in the case mended it has the partitions, which is why kafka-python saw no
    # change to rejoin for.
    if not blind or not view["known_partitions"]:
        return False
    consumer._coordinator.request_rejoin()
    return True


def assignment_view(consumer: Any, topic: str) -> dict:
    """What the mend above decides by, for the log of a member that holds nothing."""
    coordinator = consumer._coordinator
    return {
        "leader": bool(coordinator._is_leader),
        "members": getattr(coordinator, _MEMBERS, 0),
        "given": getattr(coordinator, _GIVEN, 1),
        "known_partitions": len(consumer._cluster.partitions_for_topic(topic) or ()),
    }


def _count_members() -> None:
    """Keep the number of members the leader last assigned to (a lone member cannot be left out by others), and
    how many partitions it gave them."""
    original = ConsumerCoordinator._perform_assignment

    def _perform_assignment(self: Any, leader_id: Any, protocol_name: Any, members: Any) -> Any:
        setattr(self, _MEMBERS, len(members))
        out = original(self, leader_id, protocol_name, members)
        try:
            setattr(self, _GIVEN, sum(len(a.partitions()) for a in out.values()))
        except (AttributeError, TypeError):  # another shape of assignment: say nothing, as before this count
            setattr(self, _GIVEN, 1)
        return out

    ConsumerCoordinator._perform_assignment = _perform_assignment
