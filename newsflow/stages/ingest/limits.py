"""Rate limits per API key: a token bucket of articles, shared out among ingest's replicas.

Each replica holds ``1/N`` of a key's rate and burst, N being the members of ingest's consumer group (one per
replica), counted again every few seconds. Spread across replicas by a load balancer, a key's traffic is held
to its limit in all; a client stuck to one replica gets 1/N of it: the limit is never exceeded, only
approached from below. No replica waits on another to decide.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.lock = threading.Lock()
        self.buckets: dict[str, _Bucket] = {}

    def take(self, key: str, n: int, rate_per_s: float, burst: float, share: float = 1.0) -> float | None:
        """Take ``n`` articles from ``key``'s bucket: None if they may go, else the seconds until they may.

        A full bucket lets a batch larger than itself through, into debt, so a batch is never refused for ever;
        the debt is paid back at the rate before the next batch goes."""
        rate, capacity = rate_per_s * share, max(burst * share, 1.0)
        now = self.clock()
        with self.lock:
            bucket = self.buckets.get(key)
            if bucket is None:
                bucket = self.buckets[key] = _Bucket(capacity, now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
            needed = min(float(n), capacity)
            if bucket.tokens >= needed:
                bucket.tokens -= n
                return None
            return (needed - bucket.tokens) / rate


class Replicas:
    """How many ingest replicas share the limits: the members of ingest's group, counted every few seconds in a
    thread of its own, so no request waits on the broker for it."""

    def __init__(self, count: Callable[[], int], stop: threading.Event, every_s: float = 5.0):
        self.count, self.stop, self.every_s = count, stop, every_s
        self.n = 1
        self.thread = threading.Thread(target=self._run, name="replicas", daemon=True)

    def start(self) -> Replicas:
        self.thread.start()
        return self

    def _run(self) -> None:
        while True:
            try:
                self.n = max(1, self.count())
            except Exception:  # noqa: BLE001 the broker unreachable: keep the last count, and ask again later
                pass
            if self.stop.wait(self.every_s):
                return

    def share(self) -> float:
        return 1.0 / self.n
