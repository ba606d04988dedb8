"""Article messages: what a user submits, what ingest publishes, what enrich publishes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, ConfigDict, Field, model_validator

from newsflow.contract.codec import Message

ARTICLE_ID_PATTERN = r"^[0-9a-f]{32}$"


class ArticleSubmission(Message):
    """One article as a user hands it to ingest (a ``.json`` file, a ``.jsonl`` line, an HTTP body)."""

    # Typed by people: an unknown field is far more likely a typo than a newer client.
    model_config = ConfigDict(extra="forbid", frozen=True)

    SCHEMA_NAME: ClassVar[str] = "newsflow.article.submission"
    SCHEMA_VERSION: ClassVar[str] = "1.2"
    UNKNOWN_FIELD_HINT: ClassVar[str] = (
        " (the fields are text, html, title, url, source, published, language and authors; another tool's names are "
        "mapped with `newsflow feed --map theirs=ours` or `--preset news-please|newspaper`)"
    )

    text: str | None = Field(None, description="The article as plain text (or Markdown).")
    html: str | None = Field(None, description="The article as an HTML page; its main content is extracted.")
    title: str | None = Field(None, max_length=1_000)
    url: str | None = Field(None, max_length=4_096, pattern=r"^https?://\S+$")
    source: str | None = Field(None, max_length=200, description="Publisher or feed name.")
    published: date | datetime | None = Field(None, description="Publication date or time, ISO 8601.")
    language: str | None = Field(
        None, pattern=r"^[a-z]{2}$", description="ISO 639-1; when absent, enrich detects it from the text."
    )
    authors: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        None, max_length=50, description="1.2: the article's authors, as its source names them; else the byline's."
    )

    @model_validator(mode="after")
    def _exactly_one_body(self) -> ArticleSubmission:
        if (self.text is None) == (self.html is None):
            raise ValueError("give exactly one of 'text' or 'html'")
        body = self.text if self.text is not None else self.html
        if not (body or "").strip():
            raise ValueError("the article body is empty")
        return self


class RawArticle(Message):
    """An accepted article on ``articles.raw.v1``: the input as received, with a stable id."""

    SCHEMA_NAME: ClassVar[str] = "newsflow.article.raw"
    SCHEMA_VERSION: ClassVar[str] = "1.3"

    id: str = Field(pattern=ARTICLE_ID_PATTERN, description="Stable id: same article, same id.")
    content: str = Field(min_length=1, description="The body exactly as received.")
    content_type: Literal["text/plain", "text/markdown", "text/html"]
    title: str | None = None
    url: str | None = None
    source: str | None = None
    published: date | datetime | None = None
    language: str = "en"
    language_given: bool = Field(
        False, description="Whether the submitter stated the language (1.1); else enrich detects it."
    )
    origin: str | None = Field(None, description="Where it came from: a file name, 'http', 'stdin', a feed's URL.")
    authors: list[str] = Field(default_factory=list, description="1.2: the authors the submission named.")
    submitted_by: str | None = Field(
        None,
        description="1.3: the name of the API key that sent it (None where ingest asks for no key, or from a topic).",
    )
    ingested_at: AwareDatetime


class Entity(Message):
    """A named-entity mention; offsets are character offsets into ``EnrichedArticle.body``."""

    SCHEMA_NAME: ClassVar[str] = "newsflow.entity"
    SCHEMA_VERSION: ClassVar[str] = "1.0"

    text: str
    label: str = Field(description="spaCy label: PERSON, ORG, GPE, LOC, NORP, EVENT, ...")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    canonical: str = Field(description="The name this mention was merged under.")


class EntityFacet(Message):
    """One distinct entity of an article, after merging variants, with its mention count: the title's mentions
    count too, while ``EnrichedArticle.entities`` holds the body's."""

    SCHEMA_NAME: ClassVar[str] = "newsflow.entity-facet"
    SCHEMA_VERSION: ClassVar[str] = "1.1"

    name: str
    label: str
    count: int = Field(ge=1)
    variants: list[str] = Field(default_factory=list)
    # 1.1, places the gazetteer knows (GeoNames): where the place is. A country or state has no single point.
    country_code: str | None = Field(None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")
    geonames_id: int | None = Field(None, ge=1)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class DateMention(Message):
    """A date the text mentions, with its ISO value where the text allows one."""

    SCHEMA_NAME: ClassVar[str] = "newsflow.date-mention"
    SCHEMA_VERSION: ClassVar[str] = "1.0"

    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    value: str | None = Field(None, description="ISO 8601: YYYY-MM-DD, YYYY-MM, YYYY, or start/end for a range.")
    granularity: Literal["day", "month", "year", "range"] | None = None
    relative: bool = Field(False, description="Whether the text is relative ('last Monday').")


class Enrichment(Message):
    """Which model and pipeline produced an enrichment, so re-enrichments can be told apart."""

    SCHEMA_NAME: ClassVar[str] = "newsflow.enrichment"
    SCHEMA_VERSION: ClassVar[str] = "1.0"

    model: str
    model_version: str
    pipeline_version: str
    enriched_at: AwareDatetime


class EnrichedArticle(Message):
    """An article on ``articles.enriched.v1``: clean body, entities, dates."""

    SCHEMA_NAME: ClassVar[str] = "newsflow.article.enriched"
    SCHEMA_VERSION: ClassVar[str] = "1.1"

    id: str = Field(pattern=ARTICLE_ID_PATTERN)
    version: int = Field(
        ge=1,
        description="Monotonic per article (microseconds since the epoch at enrichment): a stale copy never "
        "overwrites a newer one.",
    )
    title: str | None
    title_source: Literal["given", "extracted", "none"]
    body: str
    url: str | None = None
    source: str | None = None
    language: str = "en"
    language_source: Literal["given", "detected", "default"] | None = Field(
        None,
        description="1.1: given with the article, detected from its text, or the deployment's default (the text "
        "too short or unclear to tell).",
    )
    language_confidence: float | None = Field(None, ge=0, le=1, description="1.1: the detector's confidence.")
    entities_status: str = Field(
        "ok",
        description="1.1: 'ok', or why the article has no entities (e.g. 'no model for vi': no recogniser reads "
        "its language).",
    )
    authors: list[str] = Field(default_factory=list, description="1.1: the byline's names.")
    published: date | datetime | None
    published_source: Literal["given", "extracted", "none"]
    entities: list[Entity]
    people: list[EntityFacet]
    organisations: list[EntityFacet]
    places: list[EntityFacet]
    other_entities: list[EntityFacet]
    dates: list[DateMention]
    ingested_at: AwareDatetime
    enrichment: Enrichment
