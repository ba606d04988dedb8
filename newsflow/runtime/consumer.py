"""The consumer runtime: what a kafka-python stage runs on, so that the stage itself is one step.

    poll → batch (records, bytes, wait) → decode → step(articles) → dead-letter what it gave back → commit → lag

Shaped after arroyo's stream processor: the runtime owns the group membership and its rebalances, the batch,
the commit policy, the dead letters and their brake, retries with backoff, the lag gauge and the stage's health;
the step is handed decoded messages and a `Context` (Kafka Connect's "reporter": what the step may tell the
runtime) and returns the messages it gives up on. It never sees a consumer, a producer or an offset.

The commit policy: a batch is committed once its step returned and the broker acknowledged every dead letter
of it, so a crash re-delivers at most the batch in flight, and the step must make a re-delivery harmless (index
does it with external versions). A step that cannot finish for now (its sink is down) retries through
``Context.failed_for_now`` and so holds the batch, uncommitted, until it can, or until the stage is stopped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata
from prometheus_client import Counter, Gauge

from newsflow.contract import DecodeError, Topics, decode
from newsflow.contract.codec import DECODE_REASONS
from newsflow.contract.stages import Stage
from newsflow.runtime import kafka_mends
from newsflow.runtime.deadletters import DeadLetters, letter_counter
from newsflow.runtime.kafka_mends import assignment_view, rejoin_if_assigned_blind
from newsflow.runtime.metrics import report_lag
from newsflow.runtime.pacing import Pacer
from newsflow.runtime.retry import backoff_delay
from newsflow.runtime.settings import CommonSettings
from newsflow.runtime.topics import MAX_MESSAGE_BYTES

log = logging.getLogger("newsflow.consumer")

# A message the step gives up on: the record it came in, a reason (one of the stage's declared reasons) and why.
Rejection = tuple[Any, str, str]


# What the runtime itself retries (a stage declares its own beside them).
RUNTIME_RETRIES = ("commit", "deadletter")


class Stopping(Exception):
    """Raised out of a retry when the stage is asked to stop: the batch is abandoned uncommitted."""


@dataclass(frozen=True)
class Limits:
    """When a batch is handed to the step: at this many records, or bytes, or when its oldest is this old."""

    max_records: int
    max_bytes: int
    max_wait_s: float


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

    def due(self, limits: Limits) -> bool:
        return bool(self.records) and (
            len(self.records) >= limits.max_records
            or self.size >= limits.max_bytes
            or time.monotonic() - self.started >= limits.max_wait_s
        )

    def seconds_until_due(self, limits: Limits) -> float:
        """How long an unfilled batch may still wait before it is processed (no limit for an empty one)."""
        if not self.records:
            return float("inf")
        return max(0.0, self.started + limits.max_wait_s - time.monotonic())

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


@dataclass(frozen=True)
class StageMetrics:
    consumed: Counter
    retried: Counter
    healthy: Gauge


_METRICS: dict[str, StageMetrics] = {}


def stage_metrics(stage: Stage, retries: tuple[str, ...] = ()) -> StageMetrics:
    """The series every consuming stage exports under its own prefix (``newsflow_<stage>_...``), each at 0 from
    the start so that rate() and increase() see the first occurrence too; made once per stage and process."""
    if stage.name not in _METRICS:
        p = stage.metrics_prefix
        _METRICS[stage.name] = StageMetrics(
            consumed=Counter(f"{p}consumed_total", f"Messages {stage.name} consumed"),
            retried=Counter(f"{p}retries_total", "Attempts retried after a failure that may pass", ["what"]),
            healthy=Gauge(f"{p}healthy", f"1 while {stage.name} can make progress"),
        )
        _METRICS[stage.name].healthy.set(1)
    made = _METRICS[stage.name]
    for what in retries:
        made.retried.labels(what)
    return made


def declare_metrics(stage: Stage, reasons: tuple[str, ...], retries: tuple[str, ...]) -> StageMetrics:
    """Everything a consuming stage exports, its dead-letter reasons included, made at import of the stage's module so
    that /metrics lists every series before the first message: call it there, with every reason and retry."""
    letter_counter(stage.name, (*DECODE_REASONS, *reasons))
    return stage_metrics(stage, (*RUNTIME_RETRIES, *retries))


class Health:
    """Whether the stage can make progress, and if not the last reason; logged on each change."""

    def __init__(self, stage: Stage, metrics: StageMetrics):
        self.stage, self.metrics = stage, metrics
        self.ok = True
        self.last_error: str | None = None

    def set(self, ok: bool, reason: str | None = None) -> None:
        if ok != self.ok:
            log.log(
                logging.INFO if ok else logging.WARNING,
                "making progress again" if ok else "cannot make progress",
                extra={"stage": self.stage.name, "error": reason},
            )
        self.ok = ok
        if not ok:
            self.last_error = reason
        self.metrics.healthy.set(1 if ok else 0)


class Context:
    """What a step may tell the runtime: that an attempt failed for now (so wait and try again), that it worked."""

    def __init__(self, health: Health, metrics: StageMetrics, stop: threading.Event, max_backoff_s: float):
        self._health, self._metrics, self._stop, self._max_backoff_s = health, metrics, stop, max_backoff_s

    def failed_for_now(self, what: str, attempt: int, reason: str) -> None:
        """Attempt ``attempt`` (1, 2, ...) at ``what`` failed for a reason that may pass: mark the stage unhealthy,
        count the retry and wait the backoff. Raises `Stopping` if the stage is asked to stop meanwhile."""
        self._health.set(False, reason)
        self._metrics.retried.labels(what).inc()
        if self._stop.wait(backoff_delay(attempt, self._max_backoff_s)):
            raise Stopping()

    def succeeded(self) -> None:
        self._health.set(True)


class Step(Protocol):
    """A stage's work on one batch: the decoded messages in (with their records), the ones it gives up on out.
    Whatever it does not give back counts as done, and is committed."""

    def __call__(self, messages: list[tuple[Any, Any]], ctx: Context) -> list[Rejection]: ...


def group_consumer(stage: Stage, settings: CommonSettings, session_timeout_s: float = 10.0, **options) -> KafkaConsumer:
    """A consumer in the stage's group, as every stage runs it; ``options`` add to kafka-python's or override them."""
    config: dict[str, Any] = dict(
        client_id=f"newsflow-{stage.name}",
        group_id=settings.stage_group(stage.name),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        # A step retrying through a long outage of its sink must not cost us the group.
        max_poll_interval_ms=600_000,
        # A killed member's partitions move to another after this, and a join completes sooner.
        session_timeout_ms=int(session_timeout_s * 1000),
        heartbeat_interval_ms=int(min(3.0, session_timeout_s / 3) * 1000),
        # A group leader that joins before its client has the topic's metadata assigns no partition to anyone
        # (kafka-python's range assignor: "No partition metadata for topic"), and the group rebalances only
        # once the metadata is refreshed: after 5 minutes by default, during which nothing is consumed (seen
        # on Apache Kafka when index restarted). Java's consumer asks for a refresh in that case (KAFKA-4779);
        # kafka-python 3.0.12 does not. Refreshed every 5 s, a group so formed is mended in seconds.
        metadata_max_age_ms=5_000,
    )
    return kafka_mends.consumer(**settings.kafka_client_config(), **(config | options))


class ConsumerRuntime:
    def __init__(
        self,
        stage: Stage,
        settings: CommonSettings,
        step: Step,
        message_type: type,
        *,
        limits: Limits,
        reasons: tuple[str, ...],
        retries: tuple[str, ...] = (),
        session_timeout_s: float = 10.0,
        stop: threading.Event | None = None,
        decoder: Callable[[bytes | None, Any, type], Any] = decode,
    ):
        assert stage.reads and stage.group, f"{stage.name} is not a consuming stage"
        self.topic = settings.scoped(stage.reads)
        self.stage, self.settings, self.step, self.message_type, self.limits = (
            stage,
            settings,
            step,
            message_type,
            limits,
        )
        self.stop = stop or threading.Event()
        self.decoder = decoder  # `decode` holds a message to the schema its headers name; see codec.decode_plain
        self.metrics = declare_metrics(stage, reasons, retries)
        self.health = Health(stage, self.metrics)
        self.ctx = Context(self.health, self.metrics, self.stop, settings.retry_max_backoff_s)
        self.letters = DeadLetters(
            stage.name, (*DECODE_REASONS, *reasons), settings.dlq_max_consecutive, settings.dlq_max_ratio
        )
        self.group = settings.stage_group(stage.name)
        self.batch = Batch()
        self.committed: dict = {}
        self.joining = True  # until the group first gives us partitions, and again while it rebalances
        self.session_timeout_s = session_timeout_s
        self.consumer = group_consumer(stage, settings, session_timeout_s, max_poll_records=limits.max_records)
        self.producer = KafkaProducer(
            **settings.kafka_client_config(),
            client_id=f"newsflow-{stage.name}-dlq",
            acks="all",
            compression_type="gzip",
            max_request_size=MAX_MESSAGE_BYTES,
        )

    # -- consume ---------------------------------------------------------
    def run(self) -> None:
        self.consumer.subscribe([self.topic], listener=_Rebalance(self))
        pacer = Pacer(self.stop)
        empty_since: float | None = None  # since when a settled group has given this member nothing
        joining_since: float | None = None
        try:
            while not self.stop.is_set():
                empty_since = self._mend_a_blind_assignment(empty_since)
                joining_since = self._start_over_if_stuck(joining_since)
                room = self.limits.max_records - len(self.batch.records)
                # A member of a settled group polls for 1 ms and waits on its own (runtime/pacing.py says why).
                # While the group forms or rebalances the poll keeps a real timeout: kafka-python completes a join
                # only inside poll (a join finishing between polls is taken at the next one since
                # runtime/kafka_mends.py; before it, a 5 ms poll never completed one on Tansu), and a waiting poll
                # takes it at once.
                settled = not self.joining and bool(self.consumer.assignment())
                polled = self.consumer.poll(timeout_ms=1 if settled else 100, max_records=max(room, 1))
                for records in polled.values():
                    for record in records:
                        self.batch.add(record)
                if self.batch.due(self.limits):
                    self.process()
                if self.letters.brake.tripped:
                    # Stay in the group (polling keeps the membership), take nothing, commit nothing.
                    self.consumer.pause(*self.consumer.assignment())
                    self.batch = Batch()
                # No wait of ours while the group forms: the join needs poll() to go on.
                pacer.polled(bool(polled) or not settled, self.batch.seconds_until_due(self.limits))
            if self.batch.records:
                self.process()  # finish the batch in flight on a clean shutdown
        except Stopping:
            log.warning(
                "stopped during a retry; the batch in flight is left uncommitted and will be re-delivered",
                extra={"stage": self.stage.name},
            )
        finally:
            self.consumer.close(autocommit=False)
            self.producer.close(timeout=10)

    STUCK_JOINING_S = 90.0

    def _start_over_if_stuck(self, joining_since: float | None) -> float | None:
        """A member that has been joining its group for ``STUCK_JOINING_S`` starts over with a consumer of its own.
        Seen once in a benchmark run on Apache Kafka: an indexer's first join gave it nothing ("No partition
        metadata for topic"), it began another, and 18 minutes later it was still joining, its poll spinning on a
        core, while the broker knew no member of the group at all (describe_groups: Dead). Nothing was committed
        or held, so a new consumer joins as any member starting would."""
        if not self.joining:
            return None
        now = time.monotonic()
        if joining_since is None or now - joining_since < self.STUCK_JOINING_S:
            return joining_since or now
        log.warning(
            "still joining the group: starting over with a new consumer",
            extra={"stage": self.stage.name, "seconds": round(now - joining_since)},
        )
        try:
            self.consumer.close(autocommit=False, timeout_ms=5_000)
        except Exception as exc:  # noqa: BLE001 - the old consumer is given up whatever it says
            log.warning("the stuck consumer did not close cleanly", extra={"error": repr(exc)})
        self.batch = Batch()
        self.consumer = group_consumer(
            self.stage, self.settings, self.session_timeout_s, max_poll_records=self.limits.max_records
        )
        self.consumer.subscribe([self.topic], listener=_Rebalance(self))
        return now

    def _mend_a_blind_assignment(self, empty_since: float | None) -> float | None:
        """Every 10 s that a joined member holds nothing, ask whether it led a join that gave out nothing while the
        topic has partitions (runtime/kafka_mends.py says why); a member given nothing because others hold every
        partition is left be, and says so in the log."""
        if self.joining or self.consumer.assignment():
            return None
        now = time.monotonic()
        if empty_since is None or now - empty_since < 10:
            return empty_since or now
        try:
            if rejoin_if_assigned_blind(self.consumer, self.topic):
                log.warning("the group's leader gave out no partition: rejoining", extra={"stage": self.stage.name})
            else:
                view = assignment_view(self.consumer, self.topic)
                log.info("holding no partition for 10 s", extra={"stage": self.stage.name, **view})
        except Exception as exc:  # noqa: BLE001 - a check that fails must never end the stage; the next one may pass
            log.warning("cannot check an empty assignment", extra={"stage": self.stage.name, "error": str(exc)})
        return now

    # -- step + produce + commit ----------------------------------------
    def process(self) -> None:
        batch, self.batch = self.batch, Batch()
        self.metrics.consumed.inc(len(batch.records))
        messages: list[tuple[Any, Any]] = []
        rejected: list[Rejection] = []
        for record in batch.records:
            try:
                messages.append((record, self.decoder(record.value, record.headers, self.message_type)))
            except DecodeError as exc:
                rejected.append((record, exc.reason, exc.detail))
        if messages:
            rejected += self.step(messages, self.ctx)
        self.letters.processed(len(batch.records) - len(rejected))
        self.send_dead_letters(rejected)
        if self.letters.brake.tripped:
            return  # uncommitted: re-delivered once the cause is fixed and the stage restarted
        self.commit(batch.offsets())
        report_lag(self.group, self.consumer, self.committed.get)

    def commit(self, offsets: dict) -> None:
        """Commit the batch; retry while the broker cannot take the commit."""
        attempt = 0
        while True:
            try:
                self.consumer.commit(offsets=offsets, timeout_ms=10_000)
                self.committed.update({tp: meta.offset for tp, meta in offsets.items()})
                if attempt:
                    self.ctx.succeeded()
                return
            except CommitFailedError as exc:
                # The group moved these partitions elsewhere: the new owner re-reads from the last commit, and
                # the step made a re-delivery harmless.
                log.warning(
                    "commit refused after a rebalance; the batch will be re-delivered",
                    extra={"stage": self.stage.name, "error": str(exc)},
                )
                return
            except KafkaError as exc:
                attempt += 1
                self.ctx.failed_for_now("commit", attempt, f"cannot commit offsets: {type(exc).__name__}: {exc}")

    def send_dead_letters(self, rejected: list[Rejection]) -> None:
        """Publish the letters and wait for the broker's acks, resending those it did not take."""
        attempt = 0
        messages = [self.letters.letter(record, reason, why) for record, reason, why in rejected]
        topic = self.settings.scoped(Topics.DEADLETTER)
        while messages:
            futures = [
                self.producer.send(topic, key=key, value=value, headers=headers) for key, value, headers in messages
            ]
            try:
                self.producer.flush(timeout=30)
            except KafkaError:
                pass  # the futures say which ones did not make it
            failed = [m for m, f in zip(messages, futures, strict=True) if not (f.is_done and f.succeeded())]
            if not failed:
                if attempt:
                    self.ctx.succeeded()
                return
            attempt += 1
            messages = failed
            self.ctx.failed_for_now("deadletter", attempt, f"cannot publish {len(failed)} dead letters")

    def ready(self, extra: Callable[[], dict] | None = None) -> tuple[bool, dict]:
        brake = self.letters.brake
        body = {
            "service": self.stage.name,
            "healthy": self.health.ok,
            "last_error": self.health.last_error,
            "deadletter_brake": brake.reason,
            **(extra() if extra else {}),
        }
        return self.health.ok and not brake.tripped, body


class _Rebalance(ConsumerRebalanceListener):
    # Called on kafka-python's IO thread, where a blocking call (a commit) raises and ends the stage. So the
    # batch's records of revoked (or lost) partitions are dropped uncommitted: their next owner, maybe this one,
    # reads them again from the last commit.
    def __init__(self, runtime: ConsumerRuntime):
        self.runtime = runtime

    def on_partitions_revoked(self, revoked):
        self.runtime.joining = True
        dropped = self.runtime.batch.drop(revoked)
        if dropped:
            log.info(
                "partitions revoked; their records will be re-delivered",
                extra={"stage": self.runtime.stage.name, "dropped": dropped, "partitions": _names(revoked)},
            )

    def on_partitions_assigned(self, assigned):
        self.runtime.joining = False
        log.info("partitions assigned", extra={"stage": self.runtime.stage.name, "partitions": _names(assigned)})
        if self.runtime.letters.brake.tripped:
            self.runtime.consumer.pause(*assigned)


def _names(partitions) -> list[str]:
    return sorted(f"{tp.topic}/{tp.partition}" for tp in partitions)
