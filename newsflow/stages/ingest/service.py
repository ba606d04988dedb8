"""ingest: accept articles over HTTP, validate them at the edge, publish them to the raw topic.

    request → validate (pure) → produce with acks=all → answer per article

An article is reported accepted only once the broker has acknowledged it, so a
client that sees "accepted" never loses it; one that sees an error may resend
safely, because the id is stable and the index stage writes idempotently.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime

from kafka import KafkaProducer
from kafka.errors import KafkaError
from prometheus_client import Counter, Histogram
from pydantic import ValidationError

from newsflow.contract import ArticleSubmission, Topics, encode
from newsflow.contract.codec import describe_validation_error
from newsflow.runtime.http import ServiceHTTP
from newsflow.runtime.logs import configure_logging
from newsflow.runtime.shutdown import stop_on_signals
from newsflow.runtime.topics import MAX_MESSAGE_BYTES, ensure_topics
from newsflow.stages.ingest.prepare import Rejected, prepare
from newsflow.stages.ingest.settings import IngestSettings

log = logging.getLogger("newsflow.ingest")

RECEIVED = Counter("newsflow_ingest_received_total", "Articles received")
PRODUCED = Counter("newsflow_ingest_produced_total", "Articles acknowledged by the broker")
REJECTED = Counter("newsflow_ingest_rejected_total", "Articles rejected at the edge", ["reason"])
BATCH = Histogram("newsflow_ingest_batch_size", "Articles per request", buckets=(1, 5, 10, 50, 100, 500, 1000))
LATENCY = Histogram("newsflow_ingest_request_seconds", "Time to validate and publish one request")
for _reason in ("invalid", "broker"):  # every series exists from the start at 0
    REJECTED.labels(_reason)


def validate(item: object, settings: IngestSettings, now: datetime):
    """One request item → (RawArticle, None) or (None, reason)."""
    if not isinstance(item, dict) or "article" not in item:
        return None, 'each item must be an object {"origin": ..., "article": {...}}'
    origin = item.get("origin")
    try:
        sub = ArticleSubmission.model_validate(item["article"])
        return prepare(sub, origin if isinstance(origin, str) else None, now, settings.max_article_bytes), None
    except ValidationError as exc:
        return None, "does not match the article schema: " + describe_validation_error(exc)
    except Rejected as exc:
        return None, str(exc)


class Ingest:
    def __init__(self, settings: IngestSettings):
        self.settings = settings
        self.topic = settings.scoped(Topics.RAW)
        self.producer = KafkaProducer(
            **settings.kafka_client_config(),
            client_id="newsflow-ingest",
            acks="all",
            linger_ms=5,
            compression_type="gzip",
            max_request_size=MAX_MESSAGE_BYTES,
            max_block_ms=10_000,
        )
        self.last_error: str | None = None

    def submit(self, body: bytes) -> tuple[int, object]:
        started = time.perf_counter()
        try:
            request = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return 400, {"error": f"request body is not JSON: {exc}"}
        items = request.get("articles") if isinstance(request, dict) else None
        if not isinstance(items, list):
            return 400, {"error": 'request body must be {"articles": [...]}'}
        if len(items) > self.settings.max_batch:
            return 413, {
                "error": f"{len(items)} articles in one request; "
                f"the limit is {self.settings.max_batch} (NEWSFLOW_MAX_BATCH)"
            }
        RECEIVED.inc(len(items))
        BATCH.observe(len(items))
        now = datetime.now(UTC)
        results: list[dict] = []
        pending = []
        for index, item in enumerate(items):
            raw, reason = validate(item, self.settings, now)
            if raw is None:
                REJECTED.labels("invalid").inc()
                results.append({"index": index, "status": "rejected", "reason": reason})
                continue
            value, headers = encode(raw)
            results.append({"index": index, "status": "accepted", "id": raw.id})
            try:
                future = self.producer.send(self.topic, key=raw.id.encode(), value=value, headers=headers)
            except KafkaError as exc:  # no metadata within max_block_ms: the broker is away
                self._failed(results[-1], exc)
                continue
            pending.append((results[-1], future))
        self._await_acks(pending)
        LATENCY.observe(time.perf_counter() - started)
        return 200, {"results": results}

    def _await_acks(self, pending) -> None:
        try:
            self.producer.flush(timeout=self.settings.produce_timeout_s)
        except KafkaError:
            pass  # each future below says whether its article made it
        for result, future in pending:
            try:
                meta = future.get(timeout=0)
                result.update(partition=meta.partition, offset=meta.offset)  # where the broker says it stored it
                PRODUCED.inc()
                self.last_error = None
            except Exception as exc:  # noqa: BLE001 - any failure, a timeout included, means "not stored"
                self._failed(result, exc)

    def _failed(self, result: dict, exc: Exception) -> None:
        self.last_error = f"{type(exc).__name__}: {exc}"
        REJECTED.labels("broker").inc()
        # "failed", not "rejected": the article is fine, and `newsflow feed` sends it again.
        result.update(status="failed", reason=f"the broker did not acknowledge it ({self.last_error}); resend")
        result.pop("id", None)

    def health(self) -> tuple[bool, dict]:
        try:
            partitions = len(self.producer.partitions_for(self.topic) or ())
        except KafkaError as exc:
            partitions, self.last_error = 0, f"{type(exc).__name__}: {exc}"
        ok = partitions > 0
        return ok, {"service": "ingest", "raw_partitions": partitions, "last_error": self.last_error}

    def close(self) -> None:
        self.producer.close(timeout=10)


def main() -> None:
    settings = IngestSettings()
    configure_logging("ingest", settings.log_level)
    stop = stop_on_signals()
    ensure_topics(
        settings.kafka_client_config(), settings.topic_partitions, settings.topic_replication, settings.namespace
    )
    ingest = Ingest(settings)
    http = ServiceHTTP(
        settings.http_host,
        settings.stage_port("ingest"),
        health=lambda: (True, {"service": "ingest"}),
        ready=ingest.health,
        routes={"/v1/articles": ingest.submit},
    ).start()
    log.info("ingest ready", extra={"port": http.port, "topic": ingest.topic})
    stop.wait()
    log.info("ingest stopping")
    http.stop()  # finishes the requests in flight: their articles are acknowledged or reported failed
    ingest.close()


if __name__ == "__main__":
    main()
