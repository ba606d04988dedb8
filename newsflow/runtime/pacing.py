"""How a consumer waits between polls while nothing comes, the same for every reader of Kafka newsflow runs.

A poll is a pass of 1 ms (what has arrived, and the next fetch sent), and the wait between passes is ours: none
while records come, then twice as long after each empty pass, up to ``most_s``. On a broker that holds fetches
this costs nothing; on one that answers them at once (noida-db) a poll with a real timeout spins for all of it
(measured: a quarter of a core idle with poll(50 ms)), and even a held fetch leaves kafka-python's own loop
waking ten times a second. A pass costs kafka-python 3.0.12 about 2.4 ms of CPU, so one a second is 0.25% of
a core per reader, and a stack runs six. At rest a reader wakes every two seconds; a message that comes then
waits at most ``most_s`` for it.
"""

from __future__ import annotations

import threading


class Pacer:
    def __init__(self, stop: threading.Event, most_s: float = 2.0, first_s: float = 0.02):
        self.stop, self.most_s, self.first_s = stop, most_s, first_s
        self.empty = 0  # passes in a row that brought nothing

    def polled(self, got: bool, due_in_s: float | None = None) -> None:
        """After a pass: go on at once if it ``got`` something, else wait, at most until ``due_in_s`` (something
        else falls due then: a batch to send, a feed to poll)."""
        if got:
            self.empty = 0
            return
        self.empty += 1
        wait = min(self.most_s, self.first_s * 2 ** min(self.empty, 10))
        if due_in_s is not None:
            wait = min(wait, max(0.0, due_in_s))
        self.stop.wait(wait)
