"""Saved queries and the alerts they raise.

A saved query is written by people (`newsflow alerts add`) to the compacted ``alerts.queries.v1`` topic, keyed by
its name, and read whole by every indexer: each article is matched against every saved query in the batch that
stores it (newsflow/stages/index/alerts.py). A removed query is a tombstone.

An alert is one (saved query, story) pair, on ``alerts.v1``, keyed by its id: the first article of a story that
matches raises it, later copies of the story do not. The webhook stage POSTs it where the query asks.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import AwareDatetime, Field, StringConstraints

from newsflow.contract.codec import Message

QUERY_NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,62}$"
EntityName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class SavedQuery(Message):
    """What to watch for: the words of `newsflow search`, and entities every match must name."""

    SCHEMA_NAME: ClassVar[str] = "newsflow.saved-query"
    SCHEMA_VERSION: ClassVar[str] = "1.0"

    name: str = Field(pattern=QUERY_NAME_PATTERN, description="Lower-case letters, digits, '.', '_' or '-'.")
    query: str = Field(
        max_length=1_000, description="Words, as `newsflow search` takes them; empty: only the entity filters."
    )
    people: list[EntityName] = Field(
        default_factory=list, max_length=20, description="Each must be a person of the article."
    )
    places: list[EntityName] = Field(
        default_factory=list, max_length=20, description="Each must be a place of the article."
    )
    organisations: list[EntityName] = Field(
        default_factory=list, max_length=20, description="Each must be an organisation of the article."
    )
    webhook: str | None = Field(
        None, max_length=2_048, pattern=r"^https?://\S+$", description="Where each alert is POSTed as JSON."
    )
    created_at: AwareDatetime


def alert_id(query: str, story_id: str) -> str:
    """One alert per story per query: the id every copy of the story would raise is the same."""
    return f"{query}:{story_id}"


class Alert(Message):
    """A saved query matched a story's first article it saw, on ``alerts.v1``."""

    SCHEMA_NAME: ClassVar[str] = "newsflow.alert"
    SCHEMA_VERSION: ClassVar[str] = "1.0"

    id: str = Field(max_length=400, description="alert_id(query, story_id): a receiver may drop a repeat by it.")
    query: str = Field(pattern=QUERY_NAME_PATTERN)
    story_id: str = Field(max_length=200)
    article_id: str = Field(max_length=200)
    title: str | None = Field(None, max_length=2_000)
    url: str | None = Field(None, max_length=4_096)
    source: str | None = Field(None, max_length=200)
    published: str | None = Field(None, max_length=40)
    indexed_at: AwareDatetime = Field(description="When index began writing the article's batch.")
    searchable_at: AwareDatetime = Field(description="When the refresh before matching ended: searchable since.")
    matched_at: AwareDatetime
    webhook: str | None = Field(None, max_length=2_048)
