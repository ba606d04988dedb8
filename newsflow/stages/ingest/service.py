"""ingest: the pipeline's edge. Articles come in two ways, are validated the same way, and go to the raw topic.

    POST /v1/articles ─┐
                       ├→ validate (pure: prepare.py) → produce with acks=all → answer / dead-letter
    articles.submitted.v1 ┘   (plain JSON from any producer: a scraper, Kafka Connect, kcat, the feed stage)

An article is reported accepted only once the broker has acknowledged it, so a client that sees "accepted"
never loses it; one that sees an error may resend safely, because the id is stable and the index stage writes
idempotently. From the topic, a submission that fails validation becomes a dead letter with the reason, and
a batch is committed only once every valid article of it is on the raw topic (the consumer runtime's policy).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaAdminClient, KafkaProducer
from kafka.errors import KafkaError
from prometheus_client import Counter, Histogram

from newsflow.contract import ArticleSubmission, RawArticle, Topics, encode
from newsflow.contract.api import openapi
from newsflow.contract.codec import HEADER_ORIGIN, MAX_JSON_DEPTH, decode_plain, header_map, loads_bounded
from newsflow.contract.stages import stage
from newsflow.runtime.consumer import ConsumerRuntime, Context, Limits, Rejection, declare_metrics
from newsflow.runtime.http import Route
from newsflow.runtime.process import begin, give_back_large_buffers, serve
from newsflow.runtime.produce import send_acknowledged
from newsflow.runtime.topics import MAX_MESSAGE_BYTES, group_sizes
from newsflow.stages.ingest.keys import Keys, key_reader
from newsflow.stages.ingest.limits import Replicas, TokenBuckets
from newsflow.stages.ingest.prepare import Rejected, prepare, submission_of
from newsflow.stages.ingest.settings import IngestSettings

log = logging.getLogger("newsflow.ingest")

STAGE = stage("ingest")
REASONS = ("refused",)  # beside the decode reasons ("invalid": not the submission schema)
RETRIES = ("produce",)
declare_metrics(STAGE, REASONS, RETRIES)

RECEIVED = Counter("newsflow_ingest_received_total", "Articles received", ["via"])
PRODUCED = Counter("newsflow_ingest_produced_total", "Articles acknowledged by the broker")
REJECTED = Counter("newsflow_ingest_rejected_total", "Articles rejected at the edge", ["reason"])
BATCH = Histogram("newsflow_ingest_batch_size", "Articles per request", buckets=(1, 5, 10, 50, 100, 500, 1000))
LATENCY = Histogram("newsflow_ingest_request_seconds", "Time to validate and publish one request")
for _reason in ("invalid", "broker", "rate-limited"):  # every series exists from the start at 0
    REJECTED.labels(_reason)
for _via in ("http", "topic"):
    RECEIVED.labels(_via)


def validate(
    item: object, settings: IngestSettings, now: datetime, key_name: str | None = None
) -> tuple[RawArticle | None, str | None]:
    """One request item → (RawArticle, None) or (None, reason); ``key_name``: the API key that sent it."""
    if not isinstance(item, dict) or "article" not in item or set(item) - {"origin", "article"}:
        return None, 'each item must be an object {"origin": ..., "article": {...}}, nothing else'
    origin = item.get("origin")
    try:
        sub = submission_of(item["article"])
        raw = prepare(sub, origin if isinstance(origin, str) else None, now, settings.max_article_bytes)
        return (raw.model_copy(update={"submitted_by": key_name}) if key_name else raw), None
    except Rejected as exc:
        return None, str(exc)


class Publisher:
    """The raw topic's producer: a batch of articles out, and for each whether the broker acknowledged it."""

    def __init__(self, settings: IngestSettings):
        self.topic = settings.scoped(Topics.RAW)
        self.timeout_s = settings.produce_timeout_s
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

    def publish(self, articles: list[RawArticle]) -> list[tuple[Any, str | None]]:
        """(where the broker stored it, None), or (None, why it did not), for each article, in order."""
        records = [(self.topic, raw.id.encode(), *encode(raw)) for raw in articles]
        out = send_acknowledged(self.producer, records, self.timeout_s)
        for _, error in out:
            if error is None:
                PRODUCED.inc()
            else:
                REJECTED.labels("broker").inc()
            self.last_error = error
        return out

    def health(self) -> tuple[bool, dict]:
        try:
            partitions = len(self.producer.partitions_for(self.topic) or ())
        except KafkaError as exc:
            partitions, self.last_error = 0, f"{type(exc).__name__}: {exc}"
        return partitions > 0, {"raw_partitions": partitions, "last_error": self.last_error}

    def close(self) -> None:
        self.producer.close(timeout=10)


class Ingest:
    """POST /v1/articles: {"articles": [{"origin": ..., "article": {...}}, ...]} → a result per article."""

    def __init__(
        self,
        settings: IngestSettings,
        publisher: Publisher,
        limit: Callable[[str, int], float | None] | None = None,
    ):
        # ``limit(key name, articles)``: None if they may go now, else the seconds to wait (a 429).
        self.settings, self.publisher, self.limit = settings, publisher, limit

    def submit(
        self, body: bytes | bytearray, key_name: str | None = None
    ) -> tuple[int, object] | tuple[int, object, dict]:
        started = time.perf_counter()
        try:
            request = loads_bounded(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return 400, {"error": f"request body is not JSON: {exc}"}
        except ValueError as exc:  # nested too deep
            return 400, {"error": f"request body refused: {exc}", "limit_depth": MAX_JSON_DEPTH}
        if not isinstance(request, dict) or not isinstance(items := request.get("articles"), list):
            return 400, {"error": 'request body must be {"articles": [...]} (see /openapi.json)'}
        unknown = sorted(set(request) - {"articles"})
        if unknown:
            return 400, {"error": f'unknown field(s) {", ".join(unknown)}: the body is {{"articles": [...]}}'}
        if len(items) > self.settings.max_batch:
            return 413, {
                "error": f"{len(items)} articles in one request; "
                f"the limit is {self.settings.max_batch} (NEWSFLOW_MAX_BATCH)"
            }
        if key_name is not None and self.limit is not None:
            wait = self.limit(key_name, len(items))
            if wait is not None:
                REJECTED.labels("rate-limited").inc(len(items))
                return (
                    429,
                    {
                        "error": f"the key {key_name!r} is over its rate limit; retry in {wait:.1f} s",
                        "retry_after_s": wait,
                    },
                    {"Retry-After": str(max(1, math.ceil(wait)))},
                )
        RECEIVED.labels("http").inc(len(items))
        BATCH.observe(len(items))
        now = datetime.now(UTC)
        results: list[dict] = []
        valid: list[tuple[dict, RawArticle]] = []
        for index, item in enumerate(items):
            raw, reason = validate(item, self.settings, now, key_name)
            if raw is None:
                REJECTED.labels("invalid").inc()
                results.append({"index": index, "status": "rejected", "reason": reason})
            else:
                results.append({"index": index, "status": "accepted", "id": raw.id})
                valid.append((results[-1], raw))
        for (result, _), (meta, error) in zip(valid, self.publisher.publish([r for _, r in valid]), strict=True):
            if error is None:
                result.update(partition=meta.partition, offset=meta.offset)  # where the broker says it stored it
            else:
                # "failed", not "rejected": the article is fine, and `newsflow feed` sends it again.
                result.update(status="failed", reason=f"the broker did not acknowledge it ({error}); resend")
                result.pop("id", None)
        LATENCY.observe(time.perf_counter() - started)
        return 200, {"results": results}


class SubmittedStep:
    """The consumer runtime's step for ``articles.submitted.v1``: each submission validated as over HTTP; the valid
    ones on the raw topic (resent until the broker takes them), the others given back to be dead-lettered."""

    def __init__(
        self,
        publish: Callable[[list[RawArticle]], list[tuple[Any, str | None]]],
        max_article_bytes: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.publish, self.max_article_bytes, self.clock = publish, max_article_bytes, clock

    def __call__(self, messages: list[tuple[Any, ArticleSubmission]], ctx: Context) -> list[Rejection]:
        RECEIVED.labels("topic").inc(len(messages))
        now = self.clock()
        rejected: list[Rejection] = []
        pending: list[RawArticle] = []
        for record, sub in messages:
            try:
                pending.append(prepare(sub, origin_of(record), now, self.max_article_bytes))
            except Rejected as exc:
                REJECTED.labels("invalid").inc()
                rejected.append((record, "refused", str(exc)))
        attempt = 0
        while pending:
            failed = [(raw, error) for raw, (_, error) in zip(pending, self.publish(pending), strict=True) if error]
            if not failed:
                break
            attempt += 1
            pending = [raw for raw, _ in failed]
            ctx.failed_for_now("produce", attempt, f"the broker took {len(failed)} articles not: {failed[0][1]}")
        if attempt:
            ctx.succeeded()
        return rejected


def origin_of(record) -> str:
    given = header_map(record.headers).get(HEADER_ORIGIN)
    if given:
        return given.decode("utf-8", "replace")[:1_000]
    return f"kafka:{record.topic}"


class RateLimit:
    """Each key's token bucket, its rate and burst shared out among the replicas (the members of ingest's group)."""

    def __init__(self, settings: IngestSettings, keys: Keys, stop: threading.Event):
        self.settings, self.keys, self.buckets = settings, keys, TokenBuckets()
        admin = KafkaAdminClient(**settings.kafka_client_config(), client_id="newsflow-ingest-replicas")
        group = settings.stage_group(STAGE.name)
        self.replicas = Replicas(lambda: group_sizes(admin, [group])[group], stop).start()

    def __call__(self, name: str, articles: int) -> float | None:
        key = self.keys.by_name.get(name)
        rate = (key.rate_per_s if key else None) or self.settings.ingest_rate_per_s
        burst = (key.burst if key else None) or self.settings.ingest_burst
        return self.buckets.take(name, articles, rate, burst, self.replicas.share())


def main() -> None:
    settings = IngestSettings()
    stop = begin(STAGE, settings)
    give_back_large_buffers()  # request bodies of tens of MB come and go
    publisher = Publisher(settings)
    runtime = ConsumerRuntime(
        STAGE,
        settings,
        SubmittedStep(publisher.publish, settings.max_article_bytes),
        ArticleSubmission,
        limits=Limits(settings.submitted_max_records, 16 * 1024 * 1024, 0.2),
        reasons=REASONS,
        retries=RETRIES,
        stop=stop,
        decoder=decode_plain,
    )

    keys = Keys()
    guard, limit = None, None
    if settings.auth_required:
        reader = key_reader(settings, keys, stop).start()
        guard, limit = keys.check, RateLimit(settings, keys, stop)
    log.info("API keys", extra={"required": settings.auth_required, "setting": settings.ingest_auth})

    def ready() -> tuple[bool, dict]:
        # Readiness is the HTTP way in (what a load balancer asks): the broker takes articles, and the keys are
        # read where they are asked for. The topic's consumer reports beside it; its dead-letter brake has its
        # own gauge and alert.
        ok, body = publisher.health()
        _, consumer = runtime.ready()
        auth: dict[str, object] = {"required": settings.auth_required}
        if guard is not None:
            ok = ok and keys.loaded
            auth |= {"keys_loaded": keys.loaded, "keys": len(keys.by_name), "error": reader.error}
            auth |= {"replicas": limit.replicas.n if limit else None}
        return ok, {"service": STAGE.name, **body, "auth": auth, "submitted_topic": consumer}

    front_door = Route(
        Ingest(settings, publisher, limit).submit,
        settings.max_request_bytes,
        "NEWSFLOW_MAX_REQUEST_BYTES",
        guard=guard,
    )
    contract = openapi(settings.max_batch, settings.max_request_bytes, settings.auth_required)
    http = serve(STAGE, settings, ready, {"/v1/articles": front_door}, {"/openapi.json": contract})
    log.info("ingest ready", extra={"port": http.port, "topic": publisher.topic, "submitted": runtime.topic})
    consuming = threading.Thread(target=runtime.run, name="submitted", daemon=True)
    consuming.start()
    stop.wait()
    log.info("ingest stopping")
    http.stop()  # finishes the requests in flight: their articles are acknowledged or reported failed
    consuming.join(timeout=60)
    publisher.close()


if __name__ == "__main__":
    main()
