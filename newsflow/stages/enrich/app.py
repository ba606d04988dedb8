"""enrich: a faust-streaming app. Raw articles in, enriched articles (or dead letters) out.

    take a batch of raw events → decode → enrich in worker processes (pure) → produce → mark finished → commit

One reader takes batches in partition order and hands each to a task of its own, so several batches
are in flight while the spaCy processes work. A batch counts as finished only once the broker has
acknowledged everything produced from it; offsets are committed up to the first unfinished message
of each partition (services/enrich/offsets.py), never by faust's own acks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone

import faust
from prometheus_client import Counter, Gauge, Histogram

from newsflow.runtime.deadletters import DeadLetters
from newsflow.stages.enrich import framework
from newsflow.runtime.metrics import CONSUMER_LAG
from newsflow.runtime.retry import backoff_delay
from newsflow.runtime.shutdown import exit_after
from newsflow.runtime.topics import MAX_MESSAGE_BYTES
from newsflow.contract import DecodeError, RawArticle, Topics, decode, encode
from newsflow.contract.codec import DECODE_REASONS
from newsflow.runtime.offsets import OffsetTracker
from newsflow.nlp.pool import EnrichPool
from newsflow.stages.enrich.settings import EnrichSettings
from newsflow.nlp.enrichment import Failure

log = logging.getLogger("newsflow.enrich")

CONSUMED = Counter("newsflow_enrich_consumed_total", "Raw messages consumed")
PRODUCED = Counter("newsflow_enrich_produced_total", "Enriched articles produced")
RETRIED = Counter("newsflow_enrich_retries_total", "Retries: batches re-run article by article, publishes resent",
                  ["what"])
BATCH = Histogram("newsflow_enrich_batch_size", "Articles per batch", buckets=(1, 4, 8, 16, 32, 64, 128, 256))
SECONDS = Histogram("newsflow_enrich_batch_seconds", "Time to enrich and publish one batch",
                    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60))
IN_FLIGHT = Gauge("newsflow_enrich_in_flight", "Raw messages taken and not yet finished")
LAST_BATCH = Gauge("newsflow_enrich_last_batch_timestamp_seconds", "When the last batch was published")
# Every series exists from the start at 0, so rate() and increase() see the first occurrence too.
for _what in ("batch-split", "publish"):
    RETRIED.labels(_what)

settings = EnrichSettings()
letters = DeadLetters("enrich", (*DECODE_REASONS, "no-article-text", "enrich-crashed"), settings.dlq_max_consecutive,
                      settings.dlq_max_ratio)
framework.install_fetch_backoff(settings.kafka_empty_fetch_backoff_ms)

app = faust.App(
    settings.scoped(settings.enrich_group),
    broker=[f"kafka://{host}" for host in settings.kafka_bootstrap.split(",")],
    store="memory://",
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

# Raw bytes both ways: decoding is ours, so a message that is not JSON is a dead letter, not a crash.
# acks=False: faust does not commit this topic; commit_finished() does (see offsets.py for why).
raw_topic = app.topic(settings.scoped(Topics.RAW), key_serializer="raw", value_serializer="raw", acks=False)
enriched_topic = app.topic(settings.scoped(Topics.ENRICHED), key_serializer="raw", value_serializer="raw")
deadletter_topic = app.topic(settings.scoped(Topics.DEADLETTER), key_serializer="raw", value_serializer="raw")

pool: EnrichPool | None = None
tracker = OffsetTracker()
batches: set[asyncio.Task] = set()
state = {"joined": False, "draining": False, "publishing_ok": True}
# Set once the group has given this worker its partitions (possibly none): ready to make progress.
assigned: set = set()


@app.on_partitions_assigned.connect
async def _assigned(sender, assigned_tps, **kwargs) -> None:
    assigned.clear()
    assigned.update(assigned_tps)
    state["joined"] = True
    log.info("partitions assigned", extra={"partitions": sorted(f"{tp.topic}/{tp.partition}" for tp in assigned_tps)})


@app.on_partitions_revoked.connect
async def _revoked(sender, revoked, **kwargs) -> None:
    state["joined"] = False
    await commit_finished()
    # Their unfinished messages go to the partitions' next owner; what our tasks still produce for
    # them is a duplicate, which the index stage writes once.
    tracker.forget(revoked)


def headers_of(event) -> list[tuple[str, bytes]]:
    headers = event.message.headers or []
    return list(headers.items()) if isinstance(headers, dict) else list(headers)


def letter_for(event, reason: str, message: str) -> tuple[bytes | None, bytes, list]:
    msg = event.message
    return letters.letter(reason, message, topic=msg.topic, partition=msg.partition, offset=msg.offset, key=msg.key,
                          headers=headers_of(event), value=msg.value)


async def enrich_isolating(raws: list[RawArticle], now: datetime) -> list:
    """Enrich a batch; if a worker dies on it, find the article that kills it by going one by one."""
    try:
        return await pool.enrich(raws, now)
    except Exception as exc:  # noqa: BLE001
        RETRIED.labels("batch-split").inc()
        log.error("batch failed in a worker; retrying article by article", extra={"error": repr(exc)})
    return await pool.enrich_isolated(raws, now)


async def transform(events) -> list[tuple[object, bytes | None, bytes, list]]:
    """Events → the messages to publish for them: (topic, key, value, headers)."""
    out, accepted, raws = [], [], []
    for event in events:
        try:
            raws.append(decode(event.message.value, headers_of(event), RawArticle))
            accepted.append(event)
        except DecodeError as exc:
            out.append((deadletter_topic, *letter_for(event, exc.reason, exc.detail)))
    if raws:
        results = await enrich_isolating(raws, datetime.now(timezone.utc))
        for event, result in zip(accepted, results):
            if isinstance(result, Failure):
                out.append((deadletter_topic, *letter_for(event, result.reason, result.message)))
            else:
                letters.processed()
                value, headers = encode(result)
                out.append((enriched_topic, result.id.encode(), value, headers))
    return out


async def publish(messages) -> None:
    """Produce every message and wait for the broker's acks; resend all of them while it cannot take them
    (a broker restarting, a leader moving). Duplicates are harmless downstream; a loss is not."""
    attempt = 0
    while True:
        try:
            # Bounded: after a broker restart a producer can be left waiting on a request that will never be
            # answered, and an unbounded wait would hold the batch's slot, and so its partitions, for ever.
            await asyncio.wait_for(_send_all(messages), timeout=settings.enrich_publish_timeout_s)
            if not state["publishing_ok"]:
                log.info("publishing again")
            state["publishing_ok"] = True
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - any producer failure: the broker has not got them
            attempt += 1
            RETRIED.labels("publish").inc()
            if state["publishing_ok"]:
                log.warning("cannot publish; retrying", extra={"error": repr(exc), "messages": len(messages)})
            state["publishing_ok"] = False
            await asyncio.sleep(backoff_delay(attempt, settings.retry_max_backoff_s))


async def _send_all(messages) -> None:
    deliveries = [await topic.send(key=key, value=value, headers=headers) for topic, key, value, headers in messages]
    await asyncio.gather(*deliveries)


async def run_batch(events, slots: asyncio.Semaphore) -> None:
    started = time.perf_counter()
    try:
        if letters.brake.tripped:
            return  # taken before the brake tripped: left uncommitted like the rest
        try:
            messages = await transform(events)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a bug of ours must cost these articles, not block their partitions
            log.exception("enriching a batch failed; dead-lettering its messages")
            messages = [(deadletter_topic, *letter_for(e, "enrich-crashed", f"{type(exc).__name__}: {exc}")) for e in events]
        await publish(messages)
        PRODUCED.inc(sum(1 for m in messages if m[0] is enriched_topic))
        if letters.brake.tripped:
            return  # not finished, so never committed: re-delivered once the stage is fixed and restarted
        tracker.finished((e.message.tp, e.message.offset) for e in events)
        IN_FLIGHT.set(tracker.in_flight())
        SECONDS.observe(time.perf_counter() - started)
        LAST_BATCH.set_to_current_time()
    finally:
        slots.release()


@app.agent(raw_topic)
async def enrich(stream):
    # One reader, so batches are registered in the order their partitions gave them; the work runs in
    # tasks, at most `concurrency` batches at once, so no spaCy process waits on another's batch.
    slots = asyncio.Semaphore(settings.enrich_concurrency or settings.enrich_processes)
    async for events in stream.take_events(settings.enrich_batch, within=settings.enrich_batch_wait_s):
        if state["draining"] or letters.brake.tripped:
            continue  # shutting down, or braked: left uncommitted, re-delivered to whoever runs next
        CONSUMED.inc(len(events))
        BATCH.observe(len(events))
        for event in events:
            tracker.taken(event.message.tp, event.message.offset)
        IN_FLIGHT.set(tracker.in_flight())
        await slots.acquire()
        task = asyncio.create_task(run_batch(events, slots))
        batches.add(task)
        task.add_done_callback(batches.discard)


async def commit_finished() -> None:
    offsets = tracker.to_commit()
    if offsets:
        try:
            if await framework.commit(app, offsets):
                tracker.committed(offsets)
        except Exception as exc:  # noqa: BLE001 - the next round commits the same points, or further
            log.warning("commit failed; retrying", extra={"error": repr(exc)})
    report_lag()


def report_lag() -> None:
    consumer = app.consumer
    for tp in consumer.assignment():
        end = consumer.highwater(tp)
        done = tracker.last_committed(tp)
        if end is not None and done is not None:
            CONSUMER_LAG.labels(app.conf.id, tp.topic, str(tp.partition)).set(max(0, end - done))


@app.timer(interval=settings.enrich_commit_interval_s)
async def _commit_timer() -> None:
    await commit_finished()


@app.on_before_shutdown.connect
async def _drain(sender, **kwargs) -> None:
    """SIGTERM: take nothing new, give the batches in flight a bounded time, commit what finished."""
    state["draining"] = True
    # faust then stops its consumer and producer; should that hang, the process still ends.
    exit_after(settings.enrich_shutdown_grace_s + 15, "enrich's stop")
    pending = set(batches)
    if pending:
        log.info("finishing batches in flight", extra={"batches": len(pending), "grace_s": settings.enrich_shutdown_grace_s})
        done, unfinished = await asyncio.wait(pending, timeout=settings.enrich_shutdown_grace_s)
        for task in unfinished:
            task.cancel()
        if unfinished:
            log.warning("abandoned batches in flight; they will be re-delivered", extra={"batches": len(unfinished)})
    await commit_finished()
