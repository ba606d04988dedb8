"""Valid messages for tests that need one without running spaCy."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from newsflow.contract import DateMention, EnrichedArticle, Enrichment, Entity, EntityFacet
from newsflow.contract.alerts import Alert

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def alert(n: int, webhook: str | None) -> Alert:
    """Saved query "q"'s alert for story n."""
    return Alert(
        id=f"q:story-{n}",
        query="q",
        story_id=f"story-{n}",
        article_id=f"article-{n}",
        title=f"Story {n}",
        indexed_at=T0,
        searchable_at=T0,
        matched_at=T0,
        webhook=webhook,
    )


def article_id(n: int | str) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()[:32]


def enriched(n: int | str, version: int = 1, title: str | None = None, body: str | None = None) -> EnrichedArticle:
    body = body or f"Mayor Ada Lind opened the Riverton bridge on 3 March 2025. Story {n}."
    return EnrichedArticle(
        id=article_id(n),
        version=version,
        title=title or f"Bridge story {n}",
        title_source="given",
        body=body,
        url=None,
        source="Example Wire",
        published=datetime(2025, 3, 3).date(),
        published_source="given",
        entities=[
            Entity(text="Ada Lind", label="PERSON", start=6, end=14, canonical="Ada Lind"),
            Entity(text="Riverton", label="GPE", start=30, end=38, canonical="Riverton"),
        ],
        people=[EntityFacet(name="Ada Lind", label="PERSON", count=1)],
        organisations=[],
        places=[EntityFacet(name="Riverton", label="GPE", count=1)],
        other_entities=[],
        dates=[DateMention(text="3 March 2025", start=49, end=61, value="2025-03-03", granularity="day")],
        ingested_at=T0,
        enrichment=Enrichment(model="en_test", model_version="0", pipeline_version="test", enriched_at=T0),
    )


class FakeRecogniser:
    """A recogniser for tests that need no model: finds each name of ``names`` wherever it stands, with its
    label. ``model`` is "fail" for one that raises on every text containing "boom"."""

    def __init__(self, model: str = "", components: str = "", names: dict[str, str] | None = None, language: str = "*"):
        from newsflow.nlp.recognise import ModelInfo

        self.info = ModelInfo("fake_model", "0.1", ("ner",), language)
        self.labels: dict[str, str] = {}
        self.names = names or {
            "Ada Lind": "PERSON",
            "Riverton": "GPE",
            "Monday": "DATE",
            "Northern Ports Authority": "ORG",
        }
        self.fail = model == "fail"

    def spans(self, texts: list[str]):
        out = []
        for text in texts:
            if self.fail and "boom" in text:
                out.append(RuntimeError("the fake model broke"))
                continue
            found = []
            for name, label in self.names.items():
                start = text.find(name)
                while start >= 0:
                    found.append((name, label, start, start + len(name)))
                    start = text.find(name, start + 1)
            out.append(sorted(found, key=lambda s: s[2]))
        return out
