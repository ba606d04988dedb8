"""The webhook stage's step: each alert of a batch POSTed as JSON where its saved query asks, retried with
backoff, and dead-lettered after repeated failure, so that one endpoint down never holds the others.

An answer 2xx is delivered. 408, 429, 5xx and no answer at all (refused, timed out) may pass: POSTed again, up to
``attempts`` times, then dead-lettered as ``webhook-unreachable``. Any other answer (a 404, a 401) will not
change by asking again: dead-lettered at once as ``webhook-refused``. A dead letter keeps the alert, so
`newsflow replay` sends it again once the endpoint is mended.

Delivery is at least once: the batch is committed after every alert of it was delivered or dead-lettered, and a
crash in between POSTs its alerts again. Each POST carries the alert's id (``Idempotency-Key``), the same for
every attempt, so a receiver can drop a repeat.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from prometheus_client import Counter

from newsflow.contract.alerts import Alert
from newsflow.runtime.consumer import Context, Rejection, Stopping
from newsflow.runtime.retry import backoff_delay

log = logging.getLogger("newsflow.webhooks")

REASONS = ("webhook-refused", "webhook-unreachable")
TRANSIENT = frozenset({408, 425, 429, 500, 502, 503, 504})

POSTS = Counter("newsflow_webhooks_posts_total", "POSTs of alerts to webhooks, by their outcome", ["result"])
for _result in ("delivered", "failed-for-now", "refused"):
    POSTS.labels(_result)

# POST(url, body, headers) → the answer's status; raises (any exception) when there was no answer.
Post = Callable[[str, bytes, dict[str, str]], int]


def payload(alert: Alert) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(alert.model_dump(mode="json", exclude={"webhook"}), ensure_ascii=False).encode("utf-8")
    return body, {
        "Content-Type": "application/json",
        "Idempotency-Key": alert.id,
        "User-Agent": "newsflow-webhooks",
    }


class WebhookStep:
    def __init__(self, post: Post, attempts: int, max_backoff_s: float, concurrency: int, stop: threading.Event):
        self.post, self.attempts, self.max_backoff_s, self.stop = post, attempts, max_backoff_s, stop
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="webhook")

    def __call__(self, messages: list[tuple[Any, Alert]], ctx: Context) -> list[Rejection]:
        wanted = [(record, alert) for record, alert in messages if alert.webhook]
        outcomes = list(self.pool.map(lambda pair: self.deliver(pair[1]), wanted))
        if self.stop.is_set():
            raise Stopping()  # some may be undelivered: the batch is left uncommitted, re-delivered on restart
        rejected = [(record, *failure) for (record, _), failure in zip(wanted, outcomes, strict=True) if failure]
        ctx.succeeded()
        return rejected

    def deliver(self, alert: Alert) -> tuple[str, str] | None:
        """None once delivered; else (reason, why) for its dead letter."""
        assert alert.webhook
        body, headers = payload(alert)
        why = ""
        for attempt in range(1, self.attempts + 1):
            try:
                status = self.post(alert.webhook, body, headers)
            except Exception as exc:  # noqa: BLE001 - no answer, for whatever reason: one more attempt
                why = f"no answer: {type(exc).__name__}: {exc}"
            else:
                if 200 <= status < 300:
                    POSTS.labels("delivered").inc()
                    return None
                if status not in TRANSIENT:
                    POSTS.labels("refused").inc()
                    log.warning("webhook refused an alert", extra={"alert": alert.id, "status": status})
                    return "webhook-refused", f"{alert.webhook} answered {status}; not retried"
                why = f"answered {status}"
            POSTS.labels("failed-for-now").inc()
            if attempt < self.attempts and self.stop.wait(backoff_delay(attempt, self.max_backoff_s)):
                return "webhook-unreachable", "stopped while retrying"
        log.warning("webhook unreachable", extra={"alert": alert.id, "attempts": self.attempts, "error": why})
        return "webhook-unreachable", f"{alert.webhook}: {self.attempts} attempts, the last {why}"
