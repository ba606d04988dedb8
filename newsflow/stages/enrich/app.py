"""enrich: a faust-streaming app. Raw articles in, enriched articles (or dead letters) out.

    take a batch of raw events → decode → enrich in worker processes (pure) → produce → mark finished → commit

One reader takes batches in partition order and hands each to a task of its own, so several batches are in
flight while the spaCy processes work. A batch counts as finished only once the broker has acknowledged
everything produced from it; offsets are committed up to the first unfinished message of each partition
(newsflow/runtime/offsets.py), never by faust's own acks.

`build(settings, pool)` makes the app and the `Enricher` that holds one worker's state; the app's agent, timer
and signal handlers are its methods, and the worker pool is a service of the app, started before the consumer
and stopped after it. Nothing here lives in a module global.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faust
import mode
from prometheus_client import Counter, Gauge, Histogram

from newsflow.contract import DecodeError, RawArticle, Topics, decode, encode
from newsflow.contract.codec import DECODE_REASONS
from newsflow.contract.stages import stage
from newsflow.nlp.enrichment import Failure
from newsflow.nlp.pool import EnrichPool
from newsflow.runtime.consumer import declare_metrics
from newsflow.runtime.deadletters import DeadLetters
from newsflow.runtime.metrics import report_lag
from newsflow.runtime.offsets import OffsetTracker
from newsflow.runtime.retry import backoff_delay
from newsflow.runtime.shutdown import exit_after
from newsflow.runtime.topics import MAX_MESSAGE_BYTES
from newsflow.stages.enrich import framework
from newsflow.stages.enrich.settings import EnrichSettings

log = logging.getLogger("newsflow.enrich")

STAGE = stage("enrich")
REASONS = ("no-article-text", "enrich-crashed")
METRICS = declare_metrics(STAGE, REASONS, ("batch-split", "publish"))
PRODUCED = Counter("newsflow_enrich_produced_total", "Enriched articles produced")
BATCH = Histogram("newsflow_enrich_batch_size", "Articles per batch", buckets=(1, 4, 8, 16, 32, 64, 128, 256))
SECONDS = Histogram(
    "newsflow_enrich_batch_seconds",
    "Time to enrich and publish one batch",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
IN_FLIGHT = Gauge("newsflow_enrich_in_flight", "Raw messages taken and not yet finished")
LAST_BATCH = Gauge("newsflow_enrich_last_batch_timestamp_seconds", "When the last batch was published")


class PoolService(mode.Service):
    """The spaCy worker processes as a service of the app: warm before the consumer starts taking batches,
    closed after it stopped. Warmed on the event loop's thread, before anything else runs on it: the workers'
    parent-death signal is tied to the thread that starts them, and this one lives as long as the process."""

    def __init__(self, pool: EnrichPool, **kwargs):
        self.pool = pool
        super().__init__(**kwargs)

    async def on_start(self) -> None:
        log.info("spaCy workers ready", extra={"workers": self.pool.warm()})

    async def on_stop(self) -> None:
        self.pool.close()


class Enricher:
    """One enrich worker: what it has taken and not finished, its batches in flight, and its steps."""

    def __init__(self, settings: EnrichSettings, app: faust.App, pool: EnrichPool):
        self.settings, self.app, self.pool = settings, app, pool
        self.letters = DeadLetters(
            STAGE.name, (*DECODE_REASONS, *REASONS), settings.dlq_max_consecutive, settings.dlq_max_ratio
        )
        # Raw bytes both ways: decoding is ours, so a message that is not JSON is a dead letter, not a crash.
        # acks=False: faust does not commit this topic; commit_finished() does (see offsets.py for why).
        self.raw_topic = app.topic(
            settings.scoped(Topics.RAW), key_serializer="raw", value_serializer="raw", acks=False
        )
        self.enriched_topic = app.topic(settings.scoped(Topics.ENRICHED), key_serializer="raw", value_serializer="raw")
        self.deadletter_topic = app.topic(
            settings.scoped(Topics.DEADLETTER), key_serializer="raw", value_serializer="raw"
        )
        self.tracker = OffsetTracker()
        self.batches: set[asyncio.Task] = set()
        self.assigned: set = set()
        self.joined = False  # the group gave this worker its partitions (possibly none): it can make progress
        self.draining = False
        self.publishing_ok = True

    # -- group membership ---------------------------------------------------
    async def on_assigned(self, sender, assigned_tps, **kwargs) -> None:
        self.assigned = set(assigned_tps)
        self.joined = True
        log.info(
            "partitions assigned", extra={"partitions": sorted(f"{tp.topic}/{tp.partition}" for tp in assigned_tps)}
        )

    async def on_revoked(self, sender, revoked, **kwargs) -> None:
        self.joined = False
        await self.commit_finished()
        # Their unfinished messages go to the partitions' next owner; what our tasks still produce for them is
        # a duplicate, which the index stage writes once.
        self.tracker.forget(revoked)

    # -- consume --------------------------------------------------------------
    async def take(self, stream) -> None:
        # One reader, so batches are registered in the order their partitions gave them; the work runs in
        # tasks, at most `concurrency` batches at once, so no spaCy process waits on another's batch.
        slots = asyncio.Semaphore(self.settings.enrich_concurrency or self.settings.enrich_processes)
        async for events in stream.take_events(self.settings.enrich_batch, within=self.settings.enrich_batch_wait_s):
            if self.draining or self.letters.brake.tripped:
                continue  # shutting down, or braked: left uncommitted, re-delivered to whoever runs next
            METRICS.consumed.inc(len(events))
            BATCH.observe(len(events))
            for event in events:
                self.tracker.taken(event.message.tp, event.message.offset)
            IN_FLIGHT.set(self.tracker.in_flight())
            await slots.acquire()
            task = asyncio.create_task(self.run_batch(events, slots))
            self.batches.add(task)
            task.add_done_callback(self.batches.discard)

    async def run_batch(self, events, slots: asyncio.Semaphore) -> None:
        started = time.perf_counter()
        try:
            if self.letters.brake.tripped:
                return  # taken before the brake tripped: left uncommitted like the rest
            try:
                messages = await self.transform(events)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug of ours must cost these articles, not block their partitions
                log.exception("enriching a batch failed; dead-lettering its messages")
                messages = [
                    (self.deadletter_topic, *self.letter_for(e, "enrich-crashed", f"{type(exc).__name__}: {exc}"))
                    for e in events
                ]
            await self.publish(messages)
            PRODUCED.inc(sum(1 for m in messages if m[0] is self.enriched_topic))
            if self.letters.brake.tripped:
                return  # not finished, so never committed: re-delivered once the stage is fixed and restarted
            self.tracker.finished((e.message.tp, e.message.offset) for e in events)
            IN_FLIGHT.set(self.tracker.in_flight())
            SECONDS.observe(time.perf_counter() - started)
            LAST_BATCH.set_to_current_time()
        finally:
            slots.release()

    # -- transform --------------------------------------------------------------
    async def transform(self, events) -> list[tuple[Any, bytes | None, bytes, list]]:
        """Events → the messages to publish for them: (topic, key, value, headers)."""
        out, accepted, raws = [], [], []
        for event in events:
            try:
                raws.append(decode(event.message.value, event.message.headers, RawArticle))
                accepted.append(event)
            except DecodeError as exc:
                out.append((self.deadletter_topic, *self.letter_for(event, exc.reason, exc.detail)))
        if raws:
            results = await self.enrich_isolating(raws, datetime.now(UTC))
            for event, result in zip(accepted, results, strict=True):
                if isinstance(result, Failure):
                    out.append((self.deadletter_topic, *self.letter_for(event, result.reason, result.message)))
                else:
                    self.letters.processed()
                    value, headers = encode(result)
                    out.append((self.enriched_topic, result.id.encode(), value, headers))
        return out

    async def enrich_isolating(self, raws: list[RawArticle], now: datetime) -> list:
        """Enrich a batch; if a worker dies on it, find the article that kills it by going one by one."""
        try:
            return await self.pool.enrich(raws, now)
        except Exception as exc:  # noqa: BLE001
            METRICS.retried.labels("batch-split").inc()
            log.error("batch failed in a worker; retrying article by article", extra={"error": repr(exc)})
        return await self.pool.enrich_isolated(raws, now)

    def letter_for(self, event, reason: str, message: str) -> tuple[bytes | None, bytes, list]:
        return self.letters.letter(event.message, reason, message)

    # -- produce ----------------------------------------------------------------
    async def publish(self, messages) -> None:
        """Produce every message and wait for the broker's acks; resend all of them while it cannot take them
        (a broker restarting, a leader moving). Duplicates are harmless downstream; a loss is not."""
        attempt = 0
        while True:
            try:
                # Bounded: after a broker restart a producer can be left waiting on a request that will never be
                # answered, and an unbounded wait would hold the batch's slot, and so its partitions, for ever.
                await asyncio.wait_for(self._send_all(messages), timeout=self.settings.enrich_publish_timeout_s)
                if not self.publishing_ok:
                    log.info("publishing again")
                self.publishing_ok = True
                METRICS.healthy.set(1)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any producer failure: the broker has not got them
                attempt += 1
                METRICS.retried.labels("publish").inc()
                if self.publishing_ok:
                    log.warning("cannot publish; retrying", extra={"error": repr(exc), "messages": len(messages)})
                self.publishing_ok = False
                METRICS.healthy.set(0)
                await asyncio.sleep(backoff_delay(attempt, self.settings.retry_max_backoff_s))

    @staticmethod
    async def _send_all(messages) -> None:
        deliveries = [
            await topic.send(key=key, value=value, headers=headers) for topic, key, value, headers in messages
        ]
        await asyncio.gather(*deliveries)

    # -- commit -----------------------------------------------------------------
    async def commit_finished(self) -> None:
        offsets = self.tracker.to_commit()
        if offsets:
            try:
                if await framework.commit(self.app, offsets):
                    self.tracker.committed(offsets)
            except Exception as exc:  # noqa: BLE001 - the next round commits the same points, or further
                log.warning("commit failed; retrying", extra={"error": repr(exc)})
        report_lag(self.app.conf.id, self.app.consumer, self.tracker.last_committed)

    async def drain(self, sender, **kwargs) -> None:
        """SIGTERM: take nothing new, give the batches in flight a bounded time, commit what finished."""
        self.draining = True
        # faust then stops its consumer and producer; should that hang, the process still ends.
        exit_after(self.settings.enrich_shutdown_grace_s + 15, "enrich's stop")
        pending = set(self.batches)
        if pending:
            log.info(
                "finishing batches in flight",
                extra={"batches": len(pending), "grace_s": self.settings.enrich_shutdown_grace_s},
            )
            _, unfinished = await asyncio.wait(pending, timeout=self.settings.enrich_shutdown_grace_s)
            for task in unfinished:
                task.cancel()
            if unfinished:
                log.warning(
                    "abandoned batches in flight; they will be re-delivered", extra={"batches": len(unfinished)}
                )
        await self.commit_finished()

    # -- health -------------------------------------------------------------------
    def ready(self) -> tuple[bool, dict]:
        brake = self.letters.brake
        ok = self.joined and self.pool.healthy and self.publishing_ok and not brake.tripped
        return ok, {
            "service": STAGE.name,
            "in_group": self.joined,
            "workers_ok": self.pool.healthy,
            "deadletter_brake": brake.reason,
            "publishing_ok": self.publishing_ok,
            "assigned_partitions": len(self.assigned),
            "in_flight": self.tracker.in_flight(),
            "workers": self.pool.worker_pids(),
        }


def build(settings: EnrichSettings, pool: EnrichPool) -> tuple[faust.App, Enricher]:
    framework.hold_empty_fetches()
    app = faust.App(
        settings.stage_group(STAGE.name),
        broker=[f"kafka://{host}" for host in settings.kafka_bootstrap.split(",")],
        store="memory://",
        # faust makes its data directory (empty with a memory store) wherever it is started, by default in the
        # working directory: a checkout or a user's folder collected one per test namespace. The system's
        # temporary directory holds it instead.
        # (faust makes only the last level: its parent must exist.)
        datadir=str(Path(tempfile.gettempdir()) / f"newsflow-faust-{settings.stage_group(STAGE.name)}"),
        web_enabled=False,  # our own /healthz and /metrics server runs beside it
        producer_acks=-1,
        producer_compression_type="gzip",
        producer_max_request_size=MAX_MESSAGE_BYTES,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        stream_buffer_maxsize=settings.enrich_batch * 4,
        # A killed worker's partitions move to the survivors after this, not after faust's default minute.
        broker_session_timeout=settings.enrich_session_timeout_s,
        broker_heartbeat_interval=min(3.0, settings.enrich_session_timeout_s / 3),
        broker_rebalance_timeout=settings.enrich_session_timeout_s * 2,
    )
    # Added before the app starts, so it is the app's first child: started before the consumer, stopped after.
    app.add_dependency(PoolService(pool))
    enricher = Enricher(settings, app, pool)
    app.agent(enricher.raw_topic, name="enrich")(enricher.take)
    app.timer(interval=settings.enrich_commit_interval_s, name="commit")(enricher.commit_finished)
    # mode types a handler as taking a keyword-only `signal`; these take it in **kwargs, which mypy cannot match.
    app.on_partitions_assigned.connect(enricher.on_assigned)  # type: ignore[arg-type]
    app.on_partitions_revoked.connect(enricher.on_revoked)  # type: ignore[arg-type]
    app.on_before_shutdown.connect(enricher.drain)  # type: ignore[arg-type]
    return app, enricher
