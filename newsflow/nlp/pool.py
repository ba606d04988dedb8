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
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from newsflow.contract import RawArticle
from newsflow.nlp.enrichment import Failure, enrich_batch
from newsflow.nlp.recognise import recognisers

log = logging.getLogger(__name__)

# Per-worker-process state, set by _init.
_state: dict = {}


def _die_with_parent(parent: int) -> None:
    """A worker must not outlive the process that owns it: when that one is SIGKILLed (the OOM killer, a crash),
    nobody shuts the pool down, and the workers would hold their memory for ever, and `newsflow up` would start
    two more beside them. Linux tells the worker at once (PR_SET_PDEATHSIG); a watch on the parent covers the
    rest, and the moment between fork and prctl."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


@dataclass(frozen=True)
class WorkerSettings:
    """What a worker process loads and how it runs: the recognisers (NEWSFLOW_RECOGNISER, _SPACY_MODEL,
    _SPACY_COMPONENTS), when it reloads them, the fault-injection marker and the default language."""

    kind: str
    model: str
    components: str
    reload_every: int
    crash_marker: str = ""
    default_language: str = "en"
    corenlp_url: str = ""


def _init(worker: WorkerSettings, parent: int | None = None) -> None:
    if parent is not None and "parent-watch" not in {t.name for t in threading.enumerate()}:
        _die_with_parent(parent)
    _state.update(
        worker=worker, done=0, recogniser=recognisers(worker.kind, worker.model, worker.components, worker.corenlp_url)
    )


def _work(raws: list[RawArticle], now: datetime):
    worker: WorkerSettings = _state["worker"]
    if worker.crash_marker and any(worker.crash_marker in raw.content for raw in raws):
        os._exit(70)  # fault injection (NEWSFLOW_ENRICH_CRASH_MARKER): die as a native crash would, mid-batch
    results = enrich_batch(raws, _state["recogniser"], now, worker.default_language)
    _state["done"] += len(raws)
    if _state["done"] >= worker.reload_every:
        _init(worker)
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


class SharedExclusive:
    """Batches share the pool; isolating a crashing batch takes it alone (asyncio, one event loop)."""

    def __init__(self) -> None:
        self._cond = asyncio.Condition()
        self._shared = 0
        self._exclusive = False
        self._waiting = 0  # exclusive requests queued: new shared users wait behind them

    @asynccontextmanager
    async def shared(self):
        async with self._cond:
            await self._cond.wait_for(lambda: not self._exclusive and not self._waiting)
            self._shared += 1
        try:
            yield
        finally:
            async with self._cond:
                self._shared -= 1
                self._cond.notify_all()

    @asynccontextmanager
    async def exclusive(self):
        async with self._cond:
            self._waiting += 1
            try:
                await self._cond.wait_for(lambda: not self._exclusive and not self._shared)
            finally:
                self._waiting -= 1
            self._exclusive = True
        try:
            yield
        finally:
            async with self._cond:
                self._exclusive = False
                self._cond.notify_all()


class EnrichPool:
    def __init__(self, worker: WorkerSettings, processes: int):
        self.worker = worker
        self.processes = processes
        self.executor = self._new_executor()
        self.broken = False
        self.gate = SharedExclusive()

    def _new_executor(self) -> ProcessPoolExecutor:
        # One worker is one core's worth of work. numpy's OpenBLAS (the language detector's matrix products) would
        # start a thread per core in every worker, and its threads spin while they wait: measured, a third more
        # CPU per article and 15% less throughput end to end on two cores. The workers read these at their start.
        for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(variable, "1")
        # spawn, not fork: forking a process that runs an event loop and Kafka clients' threads is unsafe.
        return ProcessPoolExecutor(
            self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init,
            initargs=(self.worker, os.getpid()),
        )

    def warm(self) -> list[int]:
        """Start every worker and load its model before the first batch arrives."""
        pids: set[int] = set()
        while len(pids) < self.processes:
            futures = [self.executor.submit(_ping) for _ in range(self.processes * 2)]
            pids |= {f.result() for f in futures}
        return sorted(pids)

    def worker_pids(self) -> list[int]:
        """The pool's worker processes (the only processes this one starts through multiprocessing)."""
        return sorted(p.pid for p in multiprocessing.active_children() if p.pid)

    @property
    def healthy(self) -> bool:
        """False from a worker's death until the fresh pool that replaces it is in place."""
        return not self.broken

    async def enrich(self, raws: list[RawArticle], now: datetime) -> list:
        """Enrich a batch across the worker processes; raises if a worker dies on it."""
        async with self.gate.shared():
            return await self._run(raws, now)

    async def enrich_isolated(self, raws: list[RawArticle], now: datetime) -> list:
        """Enrich article by article with the pool to ourselves, so a worker that dies can only have died
        on the article it was given: that one comes back as a Failure, every other one is enriched."""
        async with self.gate.exclusive():
            results: list = []
            for raw in raws:
                try:
                    results.extend(await self._run([raw], now))
                except Exception as exc:  # noqa: BLE001
                    results.append(
                        Failure(
                            raw.id, "enrich-crashed", f"the enrich worker failed on it: {type(exc).__name__}: {exc}"
                        )
                    )
            return results

    async def _run(self, raws: list[RawArticle], now: datetime) -> list:
        loop = asyncio.get_running_loop()
        executor = self.executor
        groups = split(raws, self.processes)
        try:
            parts = await asyncio.gather(
                *[loop.run_in_executor(executor, _work, [raws[i] for i in g], now) for g in groups]
            )
        except BrokenProcessPool:
            # A worker died (killed, out of memory, a native crash): start a fresh pool for the next attempt,
            # once, whichever of the batches that were on it notices first.
            if executor is self.executor:
                self.broken = True
                log.error("enrich worker pool broke; starting a new one")
                executor.shutdown(wait=False, cancel_futures=True)
                self.executor = self._new_executor()
                self.broken = False
            raise
        results: list = [None] * len(raws)
        for g, part in zip(groups, parts, strict=True):
            for i, r in zip(g, part, strict=True):
                results[i] = r
        return results

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
