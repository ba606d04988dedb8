"""Feed subscriptions and what the feed stage remembers of each feed, both on compacted topics keyed by feed id.

Two topics, not one record: a subscription is written by people (`newsflow feeds add`), the state by the stage
after every poll, and neither may overwrite the other. Both are keyed by the same id and have as many partitions,
so the consumer group hands a feed's subscription and its state to the same member (co-partitioning, as Kafka
Streams does it). A removed feed is a tombstone on both.
"""

from __future__ import annotations

import hashlib
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from newsflow.contract.codec import Message
from newsflow.contract.urls import canonical_url

FEED_ID_PATTERN = r"^[0-9a-f]{24}$"


def feed_id(url: str) -> str:
    """Same feed, same id, however its URL is spelled (case of the host, a fragment, a trailing slash)."""
    return hashlib.sha256(canonical_url(url).encode("utf-8")).hexdigest()[:24]


class FeedSubscription(Message):
    """A feed to poll, on ``feeds.subscriptions.v1``."""

    SCHEMA_NAME: ClassVar[str] = "newsflow.feed"
    SCHEMA_VERSION: ClassVar[str] = "1.0"

    id: str = Field(pattern=FEED_ID_PATTERN, description="feed_id(url).")
    url: str = Field(max_length=4_096, pattern=r"^https?://\S+$")
    source: str | None = Field(None, max_length=200, description="Given to every article of the feed.")
    every_s: int = Field(ge=1, le=7 * 24 * 3600, description="Seconds between polls (the stage adds jitter).")
    added_at: AwareDatetime


class FeedState(Message):
    """What the feed stage knows of one feed after its last poll, on ``feeds.state.v1``."""

    SCHEMA_NAME: ClassVar[str] = "newsflow.feed-state"
    SCHEMA_VERSION: ClassVar[str] = "1.0"

    id: str = Field(pattern=FEED_ID_PATTERN)
    url: str
    status: Literal["ok", "not-modified", "error"]
    error: str | None = Field(None, description="Why the last poll failed, or what it read despite a fault.")
    http_status: int | None = None
    etag: str | None = Field(None, description="The feed's ETag, sent back as If-None-Match.")
    last_modified: str | None = Field(None, description="The feed's Last-Modified, sent back as If-Modified-Since.")
    polled_at: AwareDatetime
    next_poll_at: AwareDatetime
    polls: int = Field(0, ge=0)
    not_modified: int = Field(0, ge=0, description="Polls answered 304 Not Modified.")
    failures: int = Field(0, ge=0, description="Failed polls in a row (the backoff grows with them).")
    articles: int = Field(0, ge=0, description="Articles submitted from this feed, in all.")
    last_articles: int = Field(0, ge=0, description="Articles submitted by the last poll.")
    seen: list[str] = Field(
        default_factory=list, description="Keys (GUIDs, canonical links) of the entries taken, newest last, bounded."
    )
    retrying: dict[str, int] = Field(
        default_factory=dict, description="Entries whose page could not be fetched for now: key → attempts."
    )
