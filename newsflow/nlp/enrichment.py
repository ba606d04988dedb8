"""The pure heart of enrich: raw articles in, enriched articles out. No Kafka, no clock, no I/O.

Batches go through the recogniser once (the expensive step); everything around it
is cheap string work. One article that fails does not fail its batch: it comes
back as a ``Failure`` for the caller to dead-letter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime

from newsflow.contract import DateMention, EnrichedArticle, Enrichment, Entity, EntityFacet, RawArticle
from newsflow.nlp.dates import looks_ahead, normalise_date
from newsflow.nlp.entities import merge_entities
from newsflow.nlp.facets import LOWER_CASE, TITLE, decide, earned
from newsflow.nlp.language import Language, detect_language
from newsflow.nlp.recognise import ModelInfo, Recogniser, Recognisers, Span
from newsflow.text.clean import CleanArticle, clean_article
from newsflow.text.dateline import take_dateline_in
from newsflow.text.datewords import search_dates_in

# Bump when the enrichment's output changes for the same input and model.
PIPELINE_VERSION = "1.2.0"


@dataclass(frozen=True)
class Failure:
    article_id: str
    reason: str
    message: str


def reference_day(published: date | datetime | None) -> date | None:
    if isinstance(published, datetime):
        return published.date()
    return published


def enrich_batch(
    raws: list[RawArticle], recognisers: Recogniser | Recognisers, now: datetime, default_language: str = "en"
) -> list[EnrichedArticle | Failure]:
    """Enrich a batch; ``now`` stamps the version (monotonic per article across re-enrichments). Each article
    goes to the recogniser of its language (given, else detected from its cleaned text); one whose language no
    recogniser reads is indexed without entities, and says so."""
    readers = Recognisers.of(recognisers)
    cleaned: list[CleanArticle | Failure] = []
    results: list[EnrichedArticle | Failure] = []
    for raw in raws:
        try:
            cleaned.append(clean_article(raw.content, raw.content_type, raw.title))
        except Exception as exc:  # noqa: BLE001 - a cleaner bug must cost one article, not the batch
            cleaned.append(Failure(raw.id, "enrich-crashed", f"cleaning failed: {type(exc).__name__}: {exc}"))
    languages = [
        detect_language(c.body, raw.language if raw.language_given else None, default_language)
        if not isinstance(c, Failure)
        else None
        for raw, c in zip(raws, cleaned, strict=True)
    ]
    for i, (clean, language) in enumerate(zip(cleaned, languages, strict=True)):
        if language is not None and language.code != "en" and not isinstance(clean, Failure) and not clean.published:
            published, body = take_dateline_in(clean.body, language.code)
            if published is not None:
                cleaned[i] = replace(clean, body=body, published=published, published_source="extracted")
    # One pass of each recogniser over its language's articles: the model's batching is where the speed is.
    found: list[list[Span] | Exception | None] = [None] * len(raws)
    readers_of: dict[int, tuple[Recogniser, list[int]]] = {}
    for i, language in enumerate(languages):
        reader = readers.for_language(language.code) if language else None
        if reader is not None:
            readers_of.setdefault(id(reader), (reader, []))[1].append(i)
    for reader, positions in readers_of.values():
        texts = [read_text(cleaned[i], reads_title(reader.info, languages[i].code)) for i in positions]  # type: ignore
        for i, got in zip(positions, reader.spans(texts), strict=True):
            found[i] = got
    version = int(now.timestamp() * 1_000_000)
    for i, (raw, clean) in enumerate(zip(raws, cleaned, strict=True)):
        language, spans = languages[i], found[i]
        if isinstance(clean, Failure):
            results.append(clean)
        elif isinstance(spans, Exception):
            model = readers.for_language(languages[i].code).info.name  # type: ignore[union-attr]
            results.append(Failure(raw.id, "enrich-crashed", f"{model} failed: {type(spans).__name__}: {spans}"))
        elif not clean.body.strip():
            results.append(Failure(raw.id, "no-article-text", "nothing is left once site clutter is removed"))
        else:
            assert language is not None
            reader = readers.for_language(language.code)
            try:
                results.append(build(raw, clean, spans or [], language, reader.info if reader else None, now, version))
            except Exception as exc:  # noqa: BLE001
                results.append(Failure(raw.id, "enrich-crashed", f"{type(exc).__name__}: {exc}"))
    return results


NO_MODEL = ModelInfo("none", "-", ())
_AFTER_TITLE = "\n\n"


def reads_title(model: ModelInfo | None, language: str) -> bool:
    """Whether the recogniser reads the title before the body (facets.TITLE, earned per recogniser: spaCy's small
    English model takes the capitals of a Title Case headline for names, "Regime Forces Continue")."""
    return model is not None and TITLE in earned(model.kind, language)


def read_text(clean: CleanArticle, title: bool) -> str:
    """What the recogniser reads: with ``title``, the title, then the body; a name only the headline gives is the
    article's too (a reader searching for that person expects the story). The body reads as it always did."""
    return f"{clean.title}{_AFTER_TITLE}{clean.body}" if title and clean.title else clean.body


def body_spans(spans: list[Span], clean: CleanArticle, title: bool) -> list[Span]:
    """The spans of ``read_text(clean, title)`` with offsets into the body: the title's come out negative."""
    if not (title and clean.title):
        return spans
    shift = len(clean.title) + len(_AFTER_TITLE)
    return [(text, label, start - shift, end - shift) for text, label, start, end in spans]


def build(
    raw: RawArticle,
    clean: CleanArticle,
    spans: list[Span],
    language: Language,
    model: ModelInfo | None,
    now: datetime,
    version: int,
) -> EnrichedArticle:
    if raw.published is not None:
        published, published_source = raw.published, "given"
    elif clean.published is not None:
        published, published_source = clean.published, "extracted"
    else:
        published, published_source = None, "none"
    reference = reference_day(published)

    # The title's names count in the facets; the entities and dates are the body's, at their offsets in it.
    title = reads_title(model, language.code)
    spans = body_spans(spans, clean, title)
    kind = model.kind if model else "spacy"
    lower_case = LOWER_CASE not in earned(kind, language.code)
    decided = decide(merge_entities(spans, lower_case), read_text(clean, title), language.code, kind)
    merged = decided.merged
    dates = []
    for text, label, start, end in spans:
        if label != "DATE" or start < 0:
            continue
        value = normalise_date(text, reference, ahead=looks_ahead(clean.body, start))
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

    if not dates and language.code != "en":
        # The recogniser of this language finds no dates (spaCy's French and other WikiNER models have no DATE
        # label), or there is none: dateparser's multilingual search instead.
        base = datetime(reference.year, reference.month, reference.day) if reference else None
        for text, start, end, iso, granularity in search_dates_in(clean.body, language.code, base):
            dates.append(
                DateMention(
                    text=text,
                    start=start,
                    end=end,
                    value=iso,
                    granularity=granularity,
                    relative=not re.search(r"\d", text),
                )
            )

    def facets(group) -> list[EntityFacet]:
        out = []
        for f in group:
            where = decided.places.get(f.name) if group is merged.places else None
            geo = {}
            if where is not None:
                geo = {
                    "country_code": where.country_code,
                    "geonames_id": where.geonames_id,
                    "latitude": where.latitude,
                    "longitude": where.longitude,
                }
            out.append(EntityFacet(name=f.name, label=f.label, count=f.count, variants=list(f.variants), **geo))
        return out

    return EnrichedArticle(
        id=raw.id,
        version=version,
        title=clean.title,
        title_source=clean.title_source,
        body=clean.body,
        url=raw.url,
        source=raw.source,
        language=language.code,
        language_source=language.source,
        language_confidence=language.confidence,
        entities_status="ok" if model is not None else f"no model for {language.code}",
        authors=list(raw.authors) or list(clean.authors),
        published=published,
        published_source=published_source,
        entities=[
            Entity(text=m.text, label=m.label, start=m.start, end=m.end, canonical=m.canonical)
            for m in merged.mentions
            if m.start >= 0
        ],
        people=facets(merged.people),
        organisations=facets(merged.organisations),
        places=facets(merged.places),
        other_entities=facets(merged.other),
        dates=dates,
        ingested_at=raw.ingested_at,
        enrichment=Enrichment(
            model=(model or NO_MODEL).name,
            model_version=(model or NO_MODEL).version,
            pipeline_version=PIPELINE_VERSION,
            enriched_at=now,
        ),
    )
