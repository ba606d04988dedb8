"""The one place newsflow reaches into kafka-python's group coordinator, and why.

kafka-python 3.0.12 (the newest release) runs a group join (JoinGroup, then SyncGroup) as a task on its IO
thread, awaited by whichever ``poll()`` is in progress. When the join completes while no ``poll()`` awaits it
(the stage is between polls, or its poll timed out first), the next ``poll()`` finds the task done and sends a
new JoinGroup instead of taking the result: the assignment is thrown away. On Tansu, whose joins take seconds,
a member was seen to go round that loop for minutes, and a member already in the group, rejoining when another
arrived, kept polling partitions the group had given to the newcomer (the two-member feeds test, 2 runs in 3).

The mend: a join that succeeded unawaited is handed back to kafka-python's own loop as a future that resolves
on the IO loop's next turn, so the loop completes that join (state, heartbeat, the rebalance listener) exactly
as if a poll had been waiting. A join that failed is left alone: kafka-python retries it, as it should.

And a second one (`rejoin_if_assigned_blind`): a lone member assigned nothing for want of metadata rejoins.
"""

from __future__ import annotations

from typing import Any

from kafka.coordinator.base import BaseCoordinator
from kafka.coordinator.consumer import ConsumerCoordinator

_MENDED = "_newsflow_join_mended"
_MEMBERS = "_newsflow_members_assigned"


def mend_unawaited_joins() -> None:
    """Patch the coordinator class once per process; harmless to call again."""
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
    _count_members()
    setattr(BaseCoordinator, _MENDED, True)


def rejoin_if_assigned_blind(consumer: Any, topic: str) -> bool:
    """Ask for a new join when this member led its group's last join alone, holds no partition, and ``topic`` has
    some: the assignment was made without the topic's metadata ("No partition metadata for topic", kafka-python's
    range assignor) and kafka-python did not notice the metadata arriving after it. Seen twice in one CI run on
    Apache Kafka, each time an indexer restarted right after another stopped, its assignment still empty a minute
    and three minutes later; the refresh every 5 s (``metadata_max_age_ms``) mends most such joins, not those.
    Returns whether a rejoin was asked for."""
    coordinator = consumer._coordinator
    alone = coordinator._is_leader and getattr(coordinator, _MEMBERS, 0) == 1
    # The consumer's own metadata: in the case mended it has the partitions, which is why kafka-python saw no
    # change to rejoin for.
    if not alone or not consumer._cluster.partitions_for_topic(topic):
        return False
    coordinator.request_rejoin()
    return True


def _count_members() -> None:
    """Keep the number of members the leader last assigned to (a lone member cannot be left out by others)."""
    original = ConsumerCoordinator._perform_assignment

    def _perform_assignment(self: Any, leader_id: Any, protocol_name: Any, members: Any) -> Any:
        setattr(self, _MEMBERS, len(members))
        return original(self, leader_id, protocol_name, members)

    ConsumerCoordinator._perform_assignment = _perform_assignment
