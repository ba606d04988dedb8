"""Progress of a long command: a bar with rate and time left on a terminal; elsewhere (CI, a log, a pipe) a line
every few seconds, and one at the end, so a person reading the log sees that it moves and how fast."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text("-/s" if task.speed is None else f"{task.speed:,.1f}/s", style="progress.data.speed")


class Tracker:
    """What a command tells its progress: how many more are done, and what it is doing now."""

    def __init__(self, console: Console, what: str, total: int, every_s: float):
        self.console, self.what, self.total, self.every_s = console, what, total, every_s
        self.done = 0
        self.note = ""
        self.started = self.last_line = time.monotonic()
        self.bar: Progress | None = None
        self.task = TaskID(0)

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.bar is not None:
            self.bar.update(self.task, advance=count, description=self._description())
        elif time.monotonic() - self.last_line >= self.every_s:
            self._line()

    def say(self, note: str) -> None:
        changed, self.note = note != self.note, note
        if self.bar is not None:
            self.bar.update(self.task, description=self._description())
        elif note and changed:
            self._line()  # a log shows what happens (a retry, a wait) when it happens, not at the next line

    def _description(self) -> str:
        return f"{self.what} ({self.note})" if self.note else self.what

    def _line(self, final: bool = False) -> None:
        self.last_line = now = time.monotonic()
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        share = f" ({self.done / self.total:.0%})" if self.total else ""
        if final:
            tail = f"done in {elapsed:.1f} s ({rate:,.1f}/s)"
        else:
            left = (self.total - self.done) / rate if rate > 0 else None
            tail = f"{rate:,.1f}/s, ETA {'?' if left is None else f'{left:.0f} s'}"
        note = f"; {self.note}" if self.note else ""
        self.console.print(
            f"{self.what}: {self.done:,}/{self.total:,}{share}, {tail}{note}", markup=False, highlight=False
        )


@contextmanager
def tracked(console: Console, what: str, total: int, every_s: float = 5.0) -> Iterator[Tracker]:
    tracker = Tracker(console, what, total, every_s)
    if not console.is_terminal:
        tracker._line()
        yield tracker
        tracker._line(final=True)
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as bar:
        tracker.bar, tracker.task = bar, bar.add_task(what, total=total)
        yield tracker


def duration(seconds: float, digits: int = 0) -> str:
    """How long, for a person: seconds under 2 minutes, minutes under 2 hours, hours past that (to a tenth);
    ``digits`` after the point for seconds and minutes."""
    if seconds < 120:
        return f"{seconds:.{digits}f} s"
    return f"{seconds / 60:.{digits}f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"
