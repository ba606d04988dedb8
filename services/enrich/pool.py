"""spaCy in worker processes behind one consumer.

The event loop that keeps the consumer's group membership never runs spaCy
itself: a long article occupies a worker process, while heartbeats, fetches and
produces go on. Each worker loads the model once and reloads it now and then,
because spaCy's string store only grows.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime

from schemas import RawArticle
from services.enrich.nlp import load
from services.enrich.transform import enrich_batch

log = logging.getLogger(__name__)

# Per-worker-process state, set by _init.
_state: dict = {}


def _init(model: str, components: str, reload_every: int) -> None:
    nlp, info = load(model, components)
    _state.update(model=model, components=components, reload_every=reload_every, nlp=nlp, info=info, done=0)


def _work(raws: list[RawArticle], now: datetime):
    results = enrich_batch(raws, _state["nlp"], _state["info"], now)
    _state["done"] += len(raws)
    if _state["done"] >= _state["reload_every"]:
        _init(_state["model"], _state["components"], _state["reload_every"])
    return results


def _ping() -> int:
    time.sleep(0.05)  # long enough that one worker cannot answer every ping while the others load
    return os.getpid()


def split(raws: list[RawArticle], parts: int) -> list[list[int]]:
    """Indices of ``raws`` in ``parts`` groups of about equal text length (longest first, to the lightest group)."""
    groups: list[list[int]] = [[] for _ in range(min(parts, len(raws)))]
    loads = [0] * len(groups)
    for i in sorted(range(len(raws)), key=lambda i: -len(raws[i].content)):
        lightest = loads.index(min(loads))
        groups[lightest].append(i)
        loads[lightest] += len(raws[i].content)
    return [sorted(g) for g in groups if g]


class EnrichPool:
    def __init__(self, model: str, components: str, processes: int, reload_every: int):
        self.args = (model, components, reload_every)
        self.processes = processes
        self.executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        # spawn, not fork: forking a process that runs an event loop and Kafka clients' threads is unsafe.
        return ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init, initargs=self.args)

    def warm(self) -> list[int]:
        """Start every worker and load its model before the first batch arrives."""
        pids: set[int] = set()
        while len(pids) < self.processes:
            futures = [self.executor.submit(_ping) for _ in range(self.processes * 2)]
            pids |= {f.result() for f in futures}
        return sorted(pids)

    def worker_pids(self) -> list[int]:
        return sorted(p.pid for p in (self.executor._processes or {}).values())

    async def enrich(self, raws: list[RawArticle], now: datetime) -> list:
        loop = asyncio.get_running_loop()
        groups = split(raws, self.processes)
        try:
            parts = await asyncio.gather(*[
                loop.run_in_executor(self.executor, _work, [raws[i] for i in g], now) for g in groups
            ])
        except Exception:
            # A worker died (killed, out of memory): start a fresh pool so the next attempt can run.
            if getattr(self.executor, "_broken", False):
                log.error("enrich worker pool broke; starting a new one")
                self.executor.shutdown(wait=False, cancel_futures=True)
                self.executor = self._new_executor()
            raise
        results: list = [None] * len(raws)
        for g, part in zip(groups, parts):
            for i, r in zip(g, part):
                results[i] = r
        return results

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
