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
"""

from __future__ import annotations

from typing import Any

from kafka.coordinator.base import BaseCoordinator

_MENDED = "_newsflow_join_mended"


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
    setattr(BaseCoordinator, _MENDED, True)
