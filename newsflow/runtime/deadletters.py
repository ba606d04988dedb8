"""Dead letters for every consuming stage: the envelope, the metric, the log line, and the brake.

A stage hands over what it could not process (the original record and why); this builds the versioned
envelope with the record's bytes intact, counts it under the stage's own metric, and logs it. The brake is
arroyo's DLQ limit: a stage that dead-letters everything is almost always a stage with a bug (a cleaner that
raises on every article, a mapping that refuses every document), and draining the input topic into the
dead-letter topic would hide it behind a healthy lag of zero. Past a run of consecutive failures, or a ratio
of failures over a window, the brake trips: the stage stops taking messages and stops committing, reports
itself unready with the reason, sets a gauge the alert rules watch, and stays so until it is restarted
(after the fix). What it held uncommitted is re-delivered then.
"""

from __future__ import annotations

import logging
from collections import deque
from datetime import UTC, datetime

from prometheus_client import Counter, Gauge

from newsflow.contract import dead_letter, encode
from newsflow.contract.stages import stage as stage_entry

log = logging.getLogger("newsflow.deadletters")

BRAKE = Gauge(
    "newsflow_deadletter_brake_tripped", "1 once a stage stopped because it dead-lettered too much", ["stage"]
)
_COUNTERS: dict[str, Counter] = {}


def letter_counter(stage: str, reasons: tuple[str, ...]) -> Counter:
    """The stage's dead-letter counter (``newsflow_<stage>_deadlettered_total``), every reason's series at 0 from
    the start so rate() sees the first letter; made once per process, at import, so /metrics shows it at once."""
    if stage not in _COUNTERS:
        _COUNTERS[stage] = Counter(
            f"{stage_entry(stage).metrics_prefix}deadlettered_total",
            "Messages sent to the dead-letter topic",
            ["reason"],
        )
        BRAKE.labels(stage).set(0)
    for reason in reasons:
        _COUNTERS[stage].labels(reason)
    return _COUNTERS[stage]


class DeadLetterBrake:
    """Pure bookkeeping: told the outcome of each message, says whether the stage must stop."""

    def __init__(self, max_consecutive: int, max_ratio: float, window: int = 1000, min_seen: int = 100):
        self.max_consecutive, self.max_ratio, self.min_seen = max_consecutive, max_ratio, min_seen
        self.recent: deque[bool] = deque(maxlen=window)  # True: dead-lettered
        self.consecutive = 0
        self.reason: str | None = None

    @property
    def tripped(self) -> bool:
        return self.reason is not None

    def record(self, failed: bool) -> None:
        self.recent.append(failed)
        self.consecutive = self.consecutive + 1 if failed else 0
        if self.tripped:
            return
        if self.max_consecutive and self.consecutive >= self.max_consecutive:
            self.reason = f"{self.consecutive} messages in a row dead-lettered (NEWSFLOW_DLQ_MAX_CONSECUTIVE)"
        elif len(self.recent) >= self.min_seen:
            ratio = sum(self.recent) / len(self.recent)
            if ratio > self.max_ratio:
                self.reason = (
                    f"{ratio:.0%} of the last {len(self.recent)} messages dead-lettered "
                    f"(NEWSFLOW_DLQ_MAX_RATIO {self.max_ratio:g})"
                )


class DeadLetters:
    """One stage's dead letters: ``letter(...)`` for each record it gives up on, ``processed(n)`` for those it
    did not, and ``brake`` to ask whether it may go on."""

    def __init__(self, stage: str, reasons: tuple[str, ...], max_consecutive: int, max_ratio: float):
        self.stage = stage
        self.counter = letter_counter(stage, reasons)
        self.brake = DeadLetterBrake(max_consecutive, max_ratio)

    def letter(self, record, reason: str, message: str) -> tuple[bytes | None, bytes, list]:
        """The dead-letter message (key, value, headers) for ``record``, counted, logged and told to the brake.
        ``record`` is what the stage's consumer gave it: kafka-python's ConsumerRecord or faust's Message, both of
        which carry topic, partition, offset, key, value and headers (a list of pairs, or faust's dict)."""
        self.counter.labels(reason).inc()
        where = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
        log.warning("dead-lettered", extra={"stage": self.stage, "reason": reason, "error": message, **where})
        envelope = dead_letter(
            self.stage,
            reason,
            message,
            **where,
            key=record.key,
            headers=record.headers,
            value=record.value,
            failed_at=datetime.now(UTC),
        )
        self._outcome(True)
        value_bytes, envelope_headers = encode(envelope)
        return record.key, value_bytes, envelope_headers

    def processed(self, count: int = 1) -> None:
        for _ in range(count):
            self._outcome(False)

    def _outcome(self, failed: bool) -> None:
        was = self.brake.tripped
        self.brake.record(failed)
        if self.brake.tripped and not was:
            BRAKE.labels(self.stage).set(1)
            log.error(
                "dead-letter brake tripped: taking and committing nothing more until restarted",
                extra={"stage": self.stage, "why": self.brake.reason},
            )
