"""The pure heart of enrich: raw articles in, enriched articles out. No Kafka, no clock, no I/O.

Batches go through the recogniser once (the expensive step); everything around it
is cheap string work. One article that fails does not fail its batch: it comes
back as a ``Failure`` for the caller to dead-letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from newsflow.contract import DateMention, EnrichedArticle, Enrichment, Entity, EntityFacet, RawArticle
from newsflow.nlp.dates import normalise_date
from newsflow.nlp.entities import merge_entities
from newsflow.nlp.recognise import ModelInfo, Recogniser, Span
from newsflow.text.clean import CleanArticle, clean_article

# Bump when the enrichment's output changes for the same input and model.
PIPELINE_VERSION = "1.0.0"


@dataclass(frozen=True)
class Failure:
    article_id: str
    reason: str
    message: str


def reference_day(published: date | datetime | None) -> date | None:
    if isinstance(published, datetime):
        return published.date()
    return published


def enrich_batch(raws: list[RawArticle], recogniser: Recogniser, now: datetime) -> list[EnrichedArticle | Failure]:
    """Enrich a batch; ``now`` stamps the version (monotonic per article across re-enrichments)."""
    cleaned: list[CleanArticle | Failure] = []
    results: list[EnrichedArticle | Failure] = []
    for raw in raws:
        try:
            cleaned.append(clean_article(raw.content, raw.content_type, raw.title))
        except Exception as exc:  # noqa: BLE001 - a cleaner bug must cost one article, not the batch
            cleaned.append(Failure(raw.id, "enrich-crashed", f"cleaning failed: {type(exc).__name__}: {exc}"))
    texts = [c.body if not isinstance(c, Failure) else "" for c in cleaned]
    found = recogniser.spans(texts)
    model = recogniser.info
    version = int(now.timestamp() * 1_000_000)
    for raw, clean, spans in zip(raws, cleaned, found, strict=True):
        if isinstance(clean, Failure):
            results.append(clean)
        elif isinstance(spans, Exception):
            results.append(Failure(raw.id, "enrich-crashed", f"spaCy failed: {type(spans).__name__}: {spans}"))
        elif not clean.body.strip():
            results.append(Failure(raw.id, "no-article-text", "nothing is left once site clutter is removed"))
        else:
            try:
                results.append(build(raw, clean, spans, model, now, version))
            except Exception as exc:  # noqa: BLE001
                results.append(Failure(raw.id, "enrich-crashed", f"{type(exc).__name__}: {exc}"))
    return results


def build(raw: RawArticle, clean, spans: list[Span], model: ModelInfo, now: datetime, version: int) -> EnrichedArticle:
    if raw.published is not None:
        published, published_source = raw.published, "given"
    elif clean.published is not None:
        published, published_source = clean.published, "extracted"
    else:
        published, published_source = None, "none"
    reference = reference_day(published)

    merged = merge_entities(spans)
    dates = []
    for text, label, start, end in spans:
        if label != "DATE":
            continue
        value = normalise_date(text, reference)
        dates.append(
            DateMention(
                text=text,
                start=start,
                end=end,
                value=value.value,
                granularity=value.granularity,
                relative=value.relative,
            )
        )

    def facets(group) -> list[EntityFacet]:
        return [EntityFacet(name=f.name, label=f.label, count=f.count, variants=list(f.variants)) for f in group]

    return EnrichedArticle(
        id=raw.id,
        version=version,
        title=clean.title,
        title_source=clean.title_source,
        body=clean.body,
        url=raw.url,
        source=raw.source,
        language=raw.language,
        published=published,
        published_source=published_source,
        entities=[
            Entity(text=m.text, label=m.label, start=m.start, end=m.end, canonical=m.canonical) for m in merged.mentions
        ],
        people=facets(merged.people),
        organisations=facets(merged.organisations),
        places=facets(merged.places),
        other_entities=facets(merged.other),
        dates=dates,
        ingested_at=raw.ingested_at,
        enrichment=Enrichment(
            model=model.name, model_version=model.version, pipeline_version=PIPELINE_VERSION, enriched_at=now
        ),
    )
