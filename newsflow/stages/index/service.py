"""index: enriched articles from Kafka into Elasticsearch, committing only what Elasticsearch stored.

    poll → decode → bulk index (external versions) → dead-letter the unindexable → commit

Offsets are committed after Elasticsearch acknowledged every document of the
batch (or the document went to the dead-letter topic), so a crash at any point
re-delivers at most the batch in flight, and external versioning turns that
re-delivery into a no-op.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from elastic_transport import ConnectionError as ESConnectionError
from elastic_transport import TransportError
from elasticsearch import ApiError
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import CommitFailedError, KafkaError
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.structs import OffsetAndMetadata
from prometheus_client import Counter, Gauge, Histogram

from newsflow.runtime.deadletters import DeadLetters, letter_counter
from newsflow.runtime.http import ServiceHTTP
from newsflow.runtime.logs import configure_logging
from newsflow.runtime.metrics import CONSUMER_LAG
from newsflow.runtime.retry import backoff_delay
from newsflow.runtime.shutdown import stop_on_signals
from newsflow.runtime.topics import MAX_MESSAGE_BYTES, ensure_topics
from newsflow.contract import DecodeError, EnrichedArticle, Topics, decode
from newsflow.contract.codec import DECODE_REASONS
from newsflow.stages.index.document import bulk_action
from newsflow.contract.mapping import ensure_index, index_name
from newsflow.stages.index.settings import IndexSettings

log = logging.getLogger("newsflow.index")

CONSUMED = Counter("newsflow_index_consumed_total", "Enriched messages consumed")
INDEXED = Counter("newsflow_index_indexed_total", "Documents Elasticsearch stored", ["result"])
RETRIED = Counter("newsflow_index_retries_total", "Attempts retried after a transient failure", ["what"])
BULK_DOCS = Histogram("newsflow_index_bulk_docs", "Documents per bulk request", buckets=(1, 10, 50, 100, 250, 500, 1000, 2000))
BULK_SECONDS = Histogram("newsflow_index_bulk_seconds", "Time of one bulk request")
FRESHNESS = Histogram(
    "newsflow_index_freshness_seconds", "From ingest to stored in Elasticsearch",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900),
)
LETTER_REASONS = (*DECODE_REASONS, "rejected-by-elasticsearch")
letter_counter("index", LETTER_REASONS)
HEALTHY = Gauge("newsflow_index_healthy", "1 while the index service can make progress")
# Every series exists from the start at 0, so rate() and increase() see the first occurrence too.
for _what in ("bulk", "commit", "deadletter"):
    RETRIED.labels(_what)
for _result in ("stored", "already-current"):
    INDEXED.labels(_result)

# Statuses Elasticsearch answers for a document that a later attempt may store.
TRANSIENT = {408, 429, 500, 502, 503, 504}


@dataclass
class Batch:
    records: list = field(default_factory=list)
    size: int = 0
    started: float = 0.0

    def add(self, record) -> None:
        if not self.records:
            self.started = time.monotonic()
        self.records.append(record)
        self.size += len(record.value or b"")

    def due(self, settings: IndexSettings) -> bool:
        return bool(self.records) and (
            len(self.records) >= settings.bulk_max_docs
            or self.size >= settings.bulk_max_bytes
            or time.monotonic() - self.started >= settings.bulk_max_wait_s
        )

    def seconds_until_due(self, settings: IndexSettings) -> float:
        """How long an unfilled batch may still wait before it is sent (no limit for an empty one)."""
        if not self.records:
            return float("inf")
        return max(0.0, self.started + settings.bulk_max_wait_s - time.monotonic())

    def drop(self, partitions) -> int:
        """Forget the records of ``partitions``; return how many there were."""
        gone = {(tp.topic, tp.partition) for tp in partitions}
        keep = [r for r in self.records if (r.topic, r.partition) not in gone]
        dropped, self.records = len(self.records) - len(keep), keep
        self.size = sum(len(r.value or b"") for r in keep)
        return dropped

    def offsets(self) -> dict:
        """The offsets to commit: one past the last record of each partition."""
        top: dict = {}
        for r in self.records:
            tp = TopicPartition(r.topic, r.partition)
            top[tp] = max(top.get(tp, -1), r.offset)
        return {tp: OffsetAndMetadata(off + 1, "", -1) for tp, off in top.items()}


class Stopping(Exception):
    """Raised out of a retry loop when the service is asked to stop: the batch is abandoned uncommitted."""


class Indexer:
    def __init__(self, settings: IndexSettings, es, stop: threading.Event):
        self.settings = settings
        self.es = es
        self.stop = stop
        self.index = index_name(settings.alias, settings.es_index_version)
        self.batch = Batch()
        self.committed: dict = {}
        self.healthy = True
        self.last_error: str | None = None
        self.joining = True  # until the group first gives us partitions, and again while it rebalances
        self.letters = DeadLetters("index", LETTER_REASONS, settings.dlq_max_consecutive, settings.dlq_max_ratio)
        self.consumer = KafkaConsumer(
            **settings.kafka_client_config(),
            client_id="newsflow-index",
            group_id=settings.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=settings.bulk_max_docs,
            # A bulk retried through a long Elasticsearch outage must not cost us the group.
            max_poll_interval_ms=600_000,
            # A killed indexer's partitions move to another after this, and a join completes sooner.
            session_timeout_ms=int(settings.index_session_timeout_s * 1000),
            heartbeat_interval_ms=int(min(3.0, settings.index_session_timeout_s / 3) * 1000),
        )
        self.producer = KafkaProducer(**settings.kafka_client_config(), client_id="newsflow-index-dlq", acks="all",
                                      compression_type="gzip", max_request_size=MAX_MESSAGE_BYTES)

    # -- consume ---------------------------------------------------------
    def run(self) -> None:
        indexer = self

        class DropOnRevoke(ConsumerRebalanceListener):
            # Called on kafka-python's IO thread, where a blocking call (a commit) raises and ends the
            # service. So the batch's records of revoked (or lost) partitions are dropped uncommitted:
            # their next owner, maybe this one, reads them again from the last commit, and writing the
            # same versions again changes nothing.
            def on_partitions_revoked(self, revoked):
                indexer.joining = True
                dropped = indexer.batch.drop(revoked)
                if dropped:
                    log.info("partitions revoked; their records will be re-delivered",
                             extra={"dropped": dropped, "partitions": sorted(f"{tp.topic}/{tp.partition}" for tp in revoked)})

            def on_partitions_assigned(self, assigned):
                indexer.joining = False
                log.info("partitions assigned", extra={"partitions": sorted(f"{tp.topic}/{tp.partition}" for tp in assigned)})
                if indexer.letters.brake.tripped:
                    indexer.consumer.pause(*assigned)

        self.consumer.subscribe([self.settings.scoped(Topics.ENRICHED)], listener=DropOnRevoke())
        idle = 0  # polls in a row that brought nothing
        try:
            while not self.stop.is_set():
                room = self.settings.bulk_max_docs - len(self.batch.records)
                # A broker that does not hold an empty fetch (noida-db) keeps poll() spinning for all of its
                # timeout: measured, a quarter of a core while idle with poll(50 ms) and a fixed 0.15 s pause. So
                # a member of a settled group polls for 1 ms (one pass: what has arrived, and the next fetch
                # sent), and pauses on its own when nothing came, longer the longer nothing comes (to 1 s, the
                # most an article waits for it). While the group forms or rebalances the poll keeps a real
                # timeout: kafka-python completes a join only inside poll, and a 5 ms poll never completed one
                # on Tansu.
                settled = not self.joining and bool(self.consumer.assignment())
                polled = self.consumer.poll(timeout_ms=1 if settled else 100, max_records=max(room, 1))
                for records in polled.values():
                    for record in records:
                        self.batch.add(record)
                if self.batch.due(self.settings):
                    self.flush()
                if self.letters.brake.tripped:
                    # Stay in the group (polling keeps the membership), take nothing, commit nothing.
                    self.consumer.pause(*self.consumer.assignment())
                    self.batch = Batch()
                if polled or not settled:
                    idle = 0  # no pause of ours while the group forms: the join needs poll() to go on
                else:
                    idle += 1
                    self.stop.wait(min(1.0, 0.02 * 2 ** min(idle, 6), self.batch.seconds_until_due(self.settings)))
            if self.batch.records:
                self.flush()  # finish the batch in flight on a clean shutdown
        except Stopping:
            log.warning("stopped during a retry; the batch in flight is left uncommitted and will be re-delivered")
        finally:
            self.consumer.close(autocommit=False)
            self.producer.close(timeout=10)

    # -- transform + produce ---------------------------------------------
    def flush(self) -> None:
        batch, self.batch = self.batch, Batch()
        CONSUMED.inc(len(batch.records))
        now = datetime.now(timezone.utc)
        pending: list[tuple[object, EnrichedArticle]] = []
        letters: list[tuple[object, str, str]] = []
        for record in batch.records:
            try:
                pending.append((record, decode(record.value, record.headers, EnrichedArticle)))
            except DecodeError as exc:
                letters.append((record, exc.reason, exc.detail))
        letters += self.index_all(pending, now)
        self.send_dead_letters(letters)
        if self.letters.brake.tripped:
            return  # uncommitted: re-delivered once the cause is fixed and the stage restarted
        self.commit(batch.offsets())
        self.report_lag()

    def commit(self, offsets: dict) -> None:
        """Commit what Elasticsearch stored; retry while the broker cannot take the commit."""
        attempt = 0
        while True:
            try:
                self.consumer.commit(offsets=offsets, timeout_ms=10_000)
                self.committed.update({tp: meta.offset for tp, meta in offsets.items()})
                if attempt:
                    self.set_healthy(True)
                return
            except CommitFailedError as exc:
                # The group moved these partitions elsewhere: the new owner re-reads from the last commit,
                # and writing the same versions again changes nothing.
                log.warning("commit refused after a rebalance; the batch will be re-delivered", extra={"error": str(exc)})
                return
            except KafkaError as exc:
                attempt += 1
                self.set_healthy(False, f"cannot commit offsets: {type(exc).__name__}: {exc}")
                RETRIED.labels("commit").inc()
                self.backoff(attempt)

    def report_lag(self) -> None:
        for tp in self.consumer.assignment():
            end = self.consumer.highwater(tp)
            done = self.committed.get(tp)
            if end is not None and done is not None:
                CONSUMER_LAG.labels(self.settings.group, tp.topic, str(tp.partition)).set(max(0, end - done))

    def index_all(self, pending, now: datetime) -> list:
        """Write every article, retrying the transient failures; return the ones to dead-letter."""
        attempt = 0
        letters = []
        while pending:
            operations = []
            for _, article in pending:
                operations.extend(bulk_action(article, self.index, now))
            try:
                with BULK_SECONDS.time():
                    response = self.es.bulk(operations=operations)
                BULK_DOCS.observe(len(pending))
                pending, rejected = self.settle(pending, response["items"], now)
                letters += rejected
                if not pending:
                    self.set_healthy(True)
                    return letters
                reason = "some documents were refused for now (429/5xx)"
            except (ESConnectionError, TransportError, ApiError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            attempt += 1
            self.set_healthy(False, reason)
            RETRIED.labels("bulk").inc()
            self.backoff(attempt)
        return letters

    def settle(self, pending, items, now: datetime) -> tuple[list, list]:
        """Sort bulk results into stored, still pending (retried) and rejected (dead-lettered)."""
        retry, rejected = [], []
        for (record, article), item in zip(pending, items):
            result = item["index"]
            status = result.get("status", 500)
            if status in (200, 201):
                self.letters.processed()
                INDEXED.labels("stored").inc()
                FRESHNESS.observe(max(0.0, (now - article.ingested_at).total_seconds()))
            elif status == 409:
                # Same or newer version already stored: the write is done (idempotence).
                self.letters.processed()
                INDEXED.labels("already-current").inc()
            elif status in TRANSIENT:
                retry.append((record, article))
            else:
                error = result.get("error") or {}
                rejected.append((record, "rejected-by-elasticsearch", f"{status} {error.get('type')}: {error.get('reason')}"))
        return retry, rejected

    def send_dead_letters(self, letters: list[tuple[object, str, str]]) -> None:
        """Publish the letters and wait for the broker's acks, resending those it did not take."""
        attempt = 0
        messages = [self.letters.letter(reason, message, topic=record.topic, partition=record.partition,
                                        offset=record.offset, key=record.key, headers=record.headers, value=record.value)
                    for record, reason, message in letters]
        topic = self.settings.scoped(Topics.DEADLETTER)
        while messages:
            futures = [self.producer.send(topic, key=key, value=value, headers=headers) for key, value, headers in messages]
            try:
                self.producer.flush(timeout=30)
            except KafkaError:
                pass  # the futures say which ones did not make it
            failed = [m for m, f in zip(messages, futures) if not (f.is_done and f.succeeded())]
            if not failed:
                if attempt:
                    self.set_healthy(True)
                return
            attempt += 1
            messages = failed
            self.set_healthy(False, f"cannot publish {len(failed)} dead letters")
            RETRIED.labels("deadletter").inc()
            self.backoff(attempt)

    def backoff(self, attempt: int) -> None:
        if self.stop.wait(backoff_delay(attempt, self.settings.retry_max_backoff_s)):
            raise Stopping()

    def set_healthy(self, ok: bool, reason: str | None = None) -> None:
        if ok != self.healthy:
            log.log(logging.INFO if ok else logging.WARNING, "elasticsearch " + ("reachable again" if ok else "unavailable"),
                    extra={"error": reason})
        self.healthy, self.last_error = ok, (reason if not ok else self.last_error)
        HEALTHY.set(1 if ok else 0)

    def ready(self) -> tuple[bool, dict]:
        brake = self.letters.brake
        return self.healthy and not brake.tripped, {"service": "index", "elasticsearch_ok": self.healthy,
                                                    "last_error": self.last_error, "deadletter_brake": brake.reason}


def main() -> None:
    settings = IndexSettings()
    configure_logging("index", settings.log_level)
    stop = stop_on_signals()
    ensure_topics(settings.kafka_client_config(), settings.topic_partitions, settings.topic_replication,
                  settings.namespace)
    es = settings.elasticsearch(request_timeout=30)
    ensure_index(es, settings.alias, settings.es_index_version)
    indexer = Indexer(settings, es, stop)
    HEALTHY.set(1)
    http = ServiceHTTP(settings.http_host, settings.index_port, health=lambda: (True, {"service": "index"}),
                       ready=indexer.ready).start()
    log.info("index ready", extra={"port": http.port, "topic": settings.scoped(Topics.ENRICHED), "index": indexer.index})
    indexer.run()
    http.stop()
    log.info("index stopped")


if __name__ == "__main__":
    main()
