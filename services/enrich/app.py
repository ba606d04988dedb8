"""enrich: a faust-streaming app. Raw articles in, enriched articles (or dead letters) out.

    take a batch of raw events → decode → enrich in worker processes (pure) → produce → ack

Events are acknowledged (and so their offsets committed) only after every
message produced from them was acknowledged by the broker.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone

import faust
from prometheus_client import Counter, Gauge, Histogram

from newsflow.runtime import fetch_backoff
from schemas import DecodeError, RawArticle, Topics, dead_letter, decode, encode
from services.enrich.pool import EnrichPool
from services.enrich.settings import EnrichSettings
from services.enrich.transform import Failure

log = logging.getLogger("newsflow.enrich")

CONSUMED = Counter("newsflow_enrich_consumed_total", "Raw messages consumed")
PRODUCED = Counter("newsflow_enrich_produced_total", "Enriched articles produced")
DEADLETTERED = Counter("newsflow_enrich_deadlettered_total", "Messages sent to the dead-letter topic", ["reason"])
RETRIED = Counter("newsflow_enrich_retries_total", "Batches retried after a worker failure")
BATCH = Histogram("newsflow_enrich_batch_size", "Articles per batch", buckets=(1, 4, 8, 16, 32, 64, 128, 256))
SECONDS = Histogram("newsflow_enrich_batch_seconds", "Time to enrich and publish one batch",
                    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60))
LAST_BATCH = Gauge("newsflow_enrich_last_batch_timestamp_seconds", "When the last batch was published")

settings = EnrichSettings()
fetch_backoff.install(settings.kafka_empty_fetch_backoff_ms)

app = faust.App(
    settings.enrich_group,
    broker=[f"kafka://{host}" for host in settings.kafka_bootstrap.split(",")],
    store="memory://",
    web_enabled=False,  # our own /healthz and /metrics server runs beside it
    producer_acks=-1,
    topic_partitions=settings.topic_partitions,
    topic_replication_factor=settings.topic_replication,
    topic_disable_leader=True,
    consumer_auto_offset_reset="earliest",
    stream_buffer_maxsize=settings.enrich_batch * 4,
    broker_commit_interval=1.0,
    # A killed worker's partitions move to the survivors after this, not after faust's default minute.
    broker_session_timeout=settings.enrich_session_timeout_s,
    broker_heartbeat_interval=min(3.0, settings.enrich_session_timeout_s / 3),
    broker_rebalance_timeout=settings.enrich_session_timeout_s * 2,
)

# Raw bytes both ways: decoding is ours, so a message that is not JSON is a dead letter, not a crash.
raw_topic = app.topic(Topics.RAW, key_serializer="raw", value_serializer="raw", acks=True)
enriched_topic = app.topic(Topics.ENRICHED, key_serializer="raw", value_serializer="raw")
deadletter_topic = app.topic(Topics.DEADLETTER, key_serializer="raw", value_serializer="raw")

pool: EnrichPool | None = None
# Set once the group has given this worker its partitions (possibly none): ready to make progress.
assigned: set = set()
membership = {"joined": False}


@app.on_partitions_assigned.connect
async def _assigned(sender, assigned_tps, **kwargs) -> None:
    assigned.clear()
    assigned.update(assigned_tps)
    membership["joined"] = True
    log.info("partitions assigned", extra={"partitions": sorted(f"{tp.topic}/{tp.partition}" for tp in assigned_tps)})


@app.on_partitions_revoked.connect
async def _revoked(sender, revoked, **kwargs) -> None:
    membership["joined"] = False


def headers_of(event) -> list[tuple[str, bytes]]:
    headers = event.message.headers or []
    return list(headers.items()) if isinstance(headers, dict) else list(headers)


async def send_dead_letter(event, reason: str, message: str):
    DEADLETTERED.labels(reason).inc()
    msg = event.message
    log.warning("dead-lettered", extra={"reason": reason, "error": message, "topic": msg.topic,
                                        "partition": msg.partition, "offset": msg.offset})
    letter = dead_letter("enrich", reason, message, topic=msg.topic, partition=msg.partition, offset=msg.offset,
                         key=msg.key, headers=headers_of(event), value=msg.value, failed_at=datetime.now(timezone.utc))
    value, headers = encode(letter)
    return await deadletter_topic.send(key=msg.key, value=value, headers=headers)


async def enrich_isolating(raws: list[RawArticle], now: datetime) -> list:
    """Enrich a batch; if a worker dies on it, find the article that kills it by going one by one."""
    try:
        return await pool.enrich(raws, now)
    except Exception as exc:  # noqa: BLE001
        RETRIED.inc()
        log.error("batch failed in a worker; retrying article by article", extra={"error": repr(exc)})
    results = []
    for raw in raws:
        try:
            results.extend(await pool.enrich([raw], now))
        except Exception as exc:  # noqa: BLE001
            results.append(Failure(raw.id, "enrich-crashed", f"the enrich worker failed on it: {type(exc).__name__}: {exc}"))
    return results


async def process(events) -> None:
    started = time.perf_counter()
    CONSUMED.inc(len(events))
    BATCH.observe(len(events))
    deliveries, accepted, raws = [], [], []
    for event in events:
        try:
            raws.append(decode(event.message.value, headers_of(event), RawArticle))
            accepted.append(event)
        except DecodeError as exc:
            deliveries.append(await send_dead_letter(event, exc.reason, exc.detail))
    if raws:
        results = await enrich_isolating(raws, datetime.now(timezone.utc))
        for event, result in zip(accepted, results):
            if isinstance(result, Failure):
                deliveries.append(await send_dead_letter(event, result.reason, result.message))
                continue
            value, headers = encode(result)
            deliveries.append(await enriched_topic.send(key=result.id.encode(), value=value, headers=headers))
            PRODUCED.inc()
    # Wait for the broker's acks before these events are acked (and their offsets committed).
    await asyncio.gather(*deliveries)
    SECONDS.observe(time.perf_counter() - started)
    LAST_BATCH.set_to_current_time()


# Several batches in flight: while one batch's slowest article (or its produce round-trip) is pending,
# the other spaCy processes work on the next batch. Faust commits only up to the lowest offset not yet
# acknowledged, so out-of-order completion never commits past unfinished work.
@app.agent(raw_topic, concurrency=settings.enrich_concurrency or settings.enrich_processes)
async def enrich(stream):
    async for events in stream.take_events(settings.enrich_batch, within=settings.enrich_batch_wait_s):
        await process(events)
