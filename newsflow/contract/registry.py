"""Topic names and the schema each carries. A topic's major version is in its name."""

from __future__ import annotations

from dataclasses import dataclass

from newsflow.contract.articles import ArticleSubmission, EnrichedArticle, RawArticle
from newsflow.contract.deadletter import DeadLetter


class Topics:
    RAW = "articles.raw.v1"
    ENRICHED = "articles.enriched.v1"
    DEADLETTER = "articles.deadletter.v1"


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
    for m in (ArticleSubmission, RawArticle, EnrichedArticle, DeadLetter)
}
