"""Which offsets enrich may commit: per partition, up to the first message not yet finished.

Several batches are in flight at once and finish in any order. A partition's commit point is the
lowest offset taken but not finished (or one past the highest finished when nothing is in flight),
so a crash at any moment re-delivers everything unfinished and nothing finished is lost.

faust's own ack-based commits are not used for the raw topic: in faust-streaming 0.15.3 a partition
with no committed offset yet (or one unfinished message just after the committed offset) can be
committed past messages still in flight, and a batch whose processing raised or was cancelled at
shutdown is acked anyway. Pure bookkeeping, no Kafka: the app feeds it and commits what it answers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable

Partition = Hashable


class OffsetTracker:
    def __init__(self) -> None:
        self._order: dict[Partition, deque[int]] = {}  # offsets taken, in the order the partition gave them
        self._taken: dict[Partition, set[int]] = {}
        self._finished: dict[Partition, set[int]] = {}
        self._next: dict[Partition, int] = {}  # the commit point known so far
        self._committed: dict[Partition, int] = {}

    def taken(self, partition: Partition, offset: int) -> None:
        self._order.setdefault(partition, deque()).append(offset)
        self._taken.setdefault(partition, set()).add(offset)
        self._finished.setdefault(partition, set())

    def finished(self, messages: Iterable[tuple[Partition, int]]) -> None:
        """Mark (partition, offset) pairs done: everything produced from them was acknowledged."""
        touched = set()
        for partition, offset in messages:
            if offset in self._taken.get(partition, ()):  # not a partition forgotten since it was taken
                self._finished[partition].add(offset)
                touched.add(partition)
        for partition in touched:
            order, done, taken = self._order[partition], self._finished[partition], self._taken[partition]
            while order and order[0] in done:
                offset = order.popleft()
                if offset not in order:  # the same offset taken twice (a re-seek) leaves once both are done
                    done.discard(offset)
                    taken.discard(offset)
                self._next[partition] = max(self._next.get(partition, 0), offset + 1)  # never backwards

    def to_commit(self) -> dict[Partition, int]:
        """Commit points that moved since they were last reported committed."""
        return {p: o for p, o in self._next.items() if self._committed.get(p) != o}

    def committed(self, offsets: dict[Partition, int]) -> None:
        self._committed.update(offsets)

    def last_committed(self, partition: Partition) -> int | None:
        """The commit point last reported committed for ``partition`` (None before the first, or once forgotten)."""
        return self._committed.get(partition)

    def in_flight(self) -> int:
        return sum(len(order) for order in self._order.values())

    def forget(self, partitions: Iterable[Partition]) -> None:
        """Partitions this worker no longer owns: their unfinished work is re-delivered to the new owner."""
        for p in partitions:
            for table in (self._order, self._taken, self._finished, self._next, self._committed):
                table.pop(p, None)
