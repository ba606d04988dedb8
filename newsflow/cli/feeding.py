"""Sending articles to ingest in batches, resending what it could not take yet.

A request holds at most ``batch`` articles and, past its first, at most ``max_bytes`` of JSON, so feeding never
meets ingest's request limit; one ingest finds too large all the same (its limit set lower) is split in two.
An article ingest *rejected* is final (it is invalid). One it could not take (ingest unreachable or
restarting, a 5xx, the broker not acknowledging it) is sent again with capped, jittered backoff. Resending
is safe: an article's id is stable, and the index stage writes each id once.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from newsflow.cli.sources import Item
from newsflow.runtime.retry import backoff_delay


class Unavailable(Exception):
    """Ingest gave no usable answer; the same request may succeed later (after ``retry_after_s``, if it said)."""

    def __init__(self, reason: str, retry_after_s: float | None = None):
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class Refused(Exception):
    """Ingest refused the request as a whole (4xx): sending it again would not help."""


class TooLarge(Refused):
    """413: the request was over ingest's limit. Fewer articles at a time may pass."""


def item_json(item: Item) -> dict:
    return {"origin": item.origin, "article": item.article}


def requests_of(items: Sequence[Item], batch: int, max_bytes: int) -> list[list[Item]]:
    """``items`` cut into requests of at most ``batch`` articles and ``max_bytes`` of JSON (an article larger than
    that goes alone), in order."""
    out: list[list[Item]] = []
    size = 0
    for item in items:
        n = len(json.dumps(item_json(item)).encode()) + 2  # the comma and a little room
        if not out or len(out[-1]) >= batch or size + n > max_bytes:
            out.append([])
            size = len('{"articles": []}')
        out[-1].append(item)
        size += n
    return out


def post_articles(url: str, items: Sequence[Item], api_key: str | None = None, timeout: float = 120) -> list[dict]:
    """One request to ingest's POST /v1/articles; its per-article results."""
    payload = {"articles": [item_json(i) for i in items]}
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {api_key}"} if api_key else {})
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())["results"]
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:500]
        wait = exc.headers.get("Retry-After", "")
        # Over the key's rate (429), or ingest holding all the bytes it may (503): wait what it says, then send the
        # same articles again.
        if exc.code == 429 or exc.code >= 500:
            raise Unavailable(
                f"ingest answered {exc.code}: {detail}", float(wait) if wait.isdigit() else None
            ) from None
        if exc.code == 413:
            raise TooLarge(f"ingest answered 413: {detail}") from None
        raise Refused(f"ingest answered {exc.code}: {detail}") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError, KeyError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise Unavailable(f"ingest at {url} did not answer: {reason}") from None


@dataclass
class Outcome:
    accepted: list[tuple[str, str]] = field(default_factory=list)  # (origin, id)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (origin, reason)
    resent: int = 0  # articles sent again after ingest could not take them


def feed(
    items: Sequence[Item],
    post: Callable[[Sequence[Item]], list[dict]],
    batch: int,
    retry_s: float,
    max_bytes: int = 8 * 1024 * 1024,
    on_done: Callable[[int], None] = lambda n: None,
    on_retry: Callable[[int, str, float], None] = lambda n, reason, delay: None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Outcome:
    """Send ``items`` in requests of at most ``batch`` and ``max_bytes``; resend the ones ingest could not take for
    up to ``retry_s`` seconds of it being unable to (reset by any progress)."""
    out = Outcome()
    queue: deque[Sequence[Item]] = deque(requests_of(items, batch, max_bytes))
    stuck_since: float | None = None
    attempt = 0
    while queue:
        chunk = queue.popleft()
        try:
            results = post(chunk)
        except TooLarge as exc:
            if len(chunk) > 1:
                half = len(chunk) // 2
                queue.extendleft([chunk[half:], chunk[:half]])
                continue
            out.rejected.append((chunk[0].origin, f"the article alone is over ingest's request limit ({exc})"))
            on_done(1)
            continue
        except Refused as exc:
            out.rejected.extend((i.origin, str(exc)) for i in chunk)
            on_done(len(chunk))
            continue
        except Unavailable as exc:
            again, reason, progressed = list(chunk), str(exc), False
            asked = exc.retry_after_s
        else:
            again, reason, progressed, asked = [], "", False, None
            for item, result in zip(chunk, results, strict=True):
                if result["status"] == "accepted":
                    out.accepted.append((item.origin, result["id"]))
                elif result["status"] == "failed":
                    again.append(item)
                    reason = result["reason"]
                    continue
                else:
                    out.rejected.append((item.origin, result["reason"]))
                progressed = True
            on_done(len(chunk) - len(again))
        if progressed or asked is not None:
            # A rate limit is no outage: ingest is up, and says when to send again.
            stuck_since, attempt = None, 0
        if not again:
            continue
        now = clock()
        stuck_since = now if stuck_since is None else stuck_since
        if now - stuck_since >= retry_s:
            # Ingest has taken nothing for retry_s: give up on everything not yet taken.
            left = again + [i for c in queue for i in c]
            out.rejected.extend(
                (i.origin, f"not taken by ingest after {retry_s:.0f} s of retries: {reason}") for i in left
            )
            on_done(len(left))
            break
        attempt += 1
        # Ingest's Retry-After when it gave one; else the stages' formula, capped for a person waiting.
        delay = asked if asked is not None else backoff_delay(attempt, cap_s=5.0, base_s=0.25)
        on_retry(len(again), reason, delay)
        out.resent += len(again)
        sleep(delay)
        queue.appendleft(again)
    return out
