"""Topic names and the schema each carries. A topic's major version is in its name."""

from __future__ import annotations

from dataclasses import dataclass

from newsflow.contract.alerts import Alert, SavedQuery
from newsflow.contract.articles import ArticleSubmission, EnrichedArticle, RawArticle
from newsflow.contract.deadletter import DeadLetter
from newsflow.contract.feeds import FeedState, FeedSubscription
from newsflow.contract.keys import ApiKey


class Topics:
    # Plain JSON submissions from any producer (no newsflow headers needed), validated by ingest.
    SUBMITTED = "articles.submitted.v1"
    RAW = "articles.raw.v1"
    ENRICHED = "articles.enriched.v1"
    DEADLETTER = "articles.deadletter.v1"
    # Compacted, keyed by feed id: what to poll (written by people), and what the feed stage knows of each feed.
    FEEDS = "feeds.subscriptions.v1"
    FEED_STATE = "feeds.state.v1"
    # Compacted, keyed by key name: ingest's API keys (hashed), read whole by every ingest replica.
    KEYS = "keys.v1"
    # Compacted, keyed by query name: the saved queries (written by people), read whole by every indexer.
    SAVED_QUERIES = "alerts.queries.v1"
    # Keyed by alert id: one record per (saved query, story), written by index, POSTed by the webhook stage.
    ALERTS = "alerts.v1"

    COMPACTED = (FEEDS, FEED_STATE, KEYS, SAVED_QUERIES)


@dataclass(frozen=True)
class SchemaInfo:
    model: type
    name: str
    version: str

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    @property
    def json_file(self) -> str:
        return f"{self.name.removeprefix('newsflow.')}.v{self.major}.json"


REGISTRY: dict[str, SchemaInfo] = {
    m.SCHEMA_NAME: SchemaInfo(m, m.SCHEMA_NAME, m.SCHEMA_VERSION)
    for m in (
        ArticleSubmission,
        RawArticle,
        EnrichedArticle,
        DeadLetter,
        FeedSubscription,
        FeedState,
        ApiKey,
        SavedQuery,
        Alert,
    )
}
