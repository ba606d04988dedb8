"""A consumer group's status over a window of lag readings, after Burrow's: OK, WARN, STALL or STOP.

Pure: readings in, verdicts out. The exporter keeps a window of the readings it takes at each scrape and
`newsflow lag` takes its own over ``--window``; both judge them here, so the dashboard and the terminal agree.

Per partition, over the readings of the window (oldest to newest):

- OK: no lag at the last reading, or the committed offset moves and the lag does not grow throughout.
- WARN: the committed offset moves, yet the lag grew at every reading (the group falls behind).
- STALL: lag throughout, the committed offset unmoved, while the group has members: a consumer is there and
  takes nothing (a sink retried through an outage, a stuck step).
- STOP: lag throughout, the committed offset unmoved, and no member in the whole window: nothing can commit.

Burrow tells STOP from STALL by the time of the last commit, which it reads from ``__consumer_offsets``. The
broker's offset API gives no commit times, and the emulators have no such topic, so "no commits for the whole
window" is judged by what makes commits possible: a member of the group.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from itertools import pairwise

from newsflow.exporter.lag import LagRate, LagReader, PartitionLag, Reading, rates


class Status(IntEnum):
    # The value is the severity, so a group's status is its worst partition's, and Prometheus gets a number.
    OK = 0
    WARN = 1
    STALL = 2
    STOP = 3


@dataclass(frozen=True)
class PartitionStatus:
    row: PartitionLag  # the newest reading of the partition
    status: Status
    lag_seconds: float | None  # None: not known (see lag_seconds)
    reason: str

    def as_dict(self) -> dict:
        return self.row.as_dict() | {"status": self.status.name, "lag_seconds": _round(self.lag_seconds)}


@dataclass(frozen=True)
class GroupStatus:
    group: str
    status: Status | None  # None until the window holds two readings
    members: int
    span_s: float  # how much time the window's readings cover
    partitions: list[PartitionStatus] = field(default_factory=list)

    @property
    def lag(self) -> int:
        return sum(p.row.lag for p in self.partitions)

    @property
    def lag_seconds(self) -> float | None:
        known = [p.lag_seconds for p in self.partitions if p.lag_seconds is not None]
        return max(known) if known else None

    @property
    def reason(self) -> str:
        if self.status is None:
            return "one reading so far: a status needs two"
        worst = max(self.partitions, key=lambda p: p.status, default=None)
        return worst.reason if worst else "no partitions"

    def as_dict(self) -> dict:
        return {
            "group": self.group,
            "status": self.status.name if self.status is not None else None,
            "reason": self.reason,
            "members": self.members,
            "window_s": round(self.span_s, 1),
            "lag": self.lag,
            "lag_seconds": _round(self.lag_seconds),
            "partitions": [p.as_dict() for p in self.partitions],
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


class Window:
    """The readings of the last ``seconds``: the newest one older than that is kept too, so the readings
    cover the whole window once it has run that long."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.readings: deque[Reading] = deque()

    def add(self, reading: Reading) -> None:
        self.readings.append(reading)
        start = reading.at - self.seconds
        while len(self.readings) > 2 and self.readings[1].at <= start:
            self.readings.popleft()

    def evaluate(self) -> list[GroupStatus]:
        return evaluate(list(self.readings))


def evaluate(readings: list[Reading]) -> list[GroupStatus]:
    """Each group's status over ``readings`` (oldest first), one verdict per partition of its newest reading."""
    if not readings:
        return []
    last = readings[-1]
    span = last.at - readings[0].at
    series: dict[tuple[str, str, int], list[tuple[Reading, PartitionLag]]] = {}
    for reading in readings:
        for row in reading.rows:
            series.setdefault((row.group, row.topic, row.partition), []).append((reading, row))
    out: dict[str, GroupStatus] = {}
    for group in dict.fromkeys(row.group for row in last.rows):
        parts = [_partition(series[(r.group, r.topic, r.partition)]) for r in last.rows if r.group == group]
        enough = any(len(series[(r.group, r.topic, r.partition)]) >= 2 for r in last.rows if r.group == group)
        status = max((p.status for p in parts), default=Status.OK) if enough else None
        out[group] = GroupStatus(group, status, last.members.get(group, 0), span, parts)
    return list(out.values())


def _partition(points: list[tuple[Reading, PartitionLag]]) -> PartitionStatus:
    first_reading, first = points[0]
    last_reading, last = points[-1]
    seconds = lag_seconds(points)
    if last.lag == 0:
        return PartitionStatus(last, Status.OK, seconds, "caught up")
    span = last_reading.at - first_reading.at
    if len(points) < 2:
        return PartitionStatus(last, Status.OK, seconds, "one reading so far")
    lags = [row.lag for _, row in points]
    if last.committed == first.committed and all(lag > 0 for lag in lags):
        if all(reading.members.get(last.group, 0) == 0 for reading, _ in points):
            why = f"no member, offset {last.committed} unmoved for {span:.0f} s with lag {last.lag}"
            return PartitionStatus(last, Status.STOP, seconds, why)
        why = f"offset {last.committed} unmoved for {span:.0f} s with lag {last.lag}, members present"
        return PartitionStatus(last, Status.STALL, seconds, why)
    if all(b >= a for a, b in pairwise(lags)) and lags[-1] > lags[0]:
        return PartitionStatus(last, Status.WARN, seconds, f"lag grew from {lags[0]} to {lags[-1]} in {span:.0f} s")
    return PartitionStatus(last, Status.OK, seconds, "consuming")


def lag_seconds(points: list[tuple[Reading, PartitionLag]]) -> float | None:
    """How far behind the partition is in time: the age of its oldest unconsumed message where the reading
    found it; else the lag over the rate the group consumed at in the window; else unknown."""
    last_reading, last = points[-1]
    if last.lag == 0:
        return 0.0
    if last.oldest_at is not None:
        return max(0.0, last_reading.at - last.oldest_at)
    first_reading, first = points[0]
    span = last_reading.at - first_reading.at
    rate = (last.committed - first.committed) / span if span > 0 else 0.0
    return last.lag / rate if rate > 0 else None


def watch(
    reader: LagReader,
    groups: dict[str, str],
    interval: float,
    window_s: float,
    on_reading: Callable[[list[LagRate], list[GroupStatus]], None],
    stop: threading.Event,
) -> None:
    """Read every ``interval`` seconds until ``stop`` is set; after each reading call ``on_reading`` with each
    partition's rates since the one before and each group's status over the last ``window_s``."""
    window = Window(window_s)
    before: Reading | None = None
    while True:
        reading = reader.read(groups)
        window.add(reading)
        seconds = reading.at - before.at if before else 0.0
        on_reading(rates(list(before.rows) if before else None, list(reading.rows), seconds), window.evaluate())
        before = reading
        if stop.wait(interval):
            return
