"""index's stories: the story each article of a batch belongs to, decided before it is written.

    batch → sketches → refresh → one _msearch: earlier articles sharing an LSH band or the title key
          → `Stories` (newsflow/text/copies.py), known ones oldest first, then the batch in its order → placements

The state is the archive itself: every document keeps its sketch (``story_sketch``: bands and title key indexed,
the MinHash as bytes), so a restarted indexer, or the one on another partition, finds the earlier articles where
it finds everything else. The refresh makes every document acknowledged before this batch visible to its search.
What it cannot see is a copy in another indexer's batch in flight at the same moment: each then starts a story.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from newsflow.contract import EnrichedArticle
from newsflow.text.copies import Sketch, Stories, sketch

log = logging.getLogger("newsflow.index")

CANDIDATES = 50  # per article, the most band-sharing ones first: a copy shares most of its bands


class StoryLookupFailed(RuntimeError):
    """Elasticsearch could not answer the candidate search for now: the batch waits and asks again."""


@dataclass(frozen=True)
class Placement:
    story_id: str
    duplicate_of: str | None
    sketch: Sketch

    def fields(self) -> dict:
        return {
            "story_id": self.story_id,
            "duplicate_of": self.duplicate_of,
            "is_duplicate": self.duplicate_of is not None,
            "story_sketch": self.sketch.encode(),
        }


def alone(article: EnrichedArticle) -> Placement:
    """An article in a story of its own, not compared with anything (the benchmark's generated archive)."""
    return Placement(article.id, None, sketch(article.title, article.body))


def candidates_query(article_id: str, mine: Sketch) -> dict:
    should = [{"term": {"story_sketch.bands": band}} for band in mine.bands()]
    if mine.title:
        should.append({"term": {"story_sketch.title": mine.title}})
    return {
        "size": CANDIDATES if should else 0,
        "_source": ["story_id", "story_sketch", "indexed_at"],
        "query": {
            "bool": {
                "should": should or [{"match_none": {}}],
                "minimum_should_match": 1,
                # Its own earlier version is not an earlier article.
                "must_not": [{"ids": {"values": [article_id]}}],
            }
        },
    }


def place_batch(
    articles: list[EnrichedArticle], sketches: dict[str, Sketch], found: list[list[dict]]
) -> dict[str, Placement]:
    """Pure: the batch's placements from its sketches and the candidate hits found for each article."""
    stories = Stories()
    hits = {hit["_id"]: hit for hits in found for hit in hits}
    for hit in sorted(hits.values(), key=lambda h: (h["_source"].get("indexed_at") or "", h["_id"])):
        src = hit["_source"]
        try:
            kept = Sketch.decode(src["story_sketch"])
        except (KeyError, TypeError, ValueError) as exc:
            # Not a sketch this code wrote: that article is not compared, the batch goes on.
            log.warning("unreadable kept sketch", extra={"id": hit["_id"], "error": f"{type(exc).__name__}: {exc}"})
            continue
        stories.remember(hit["_id"], kept, src.get("story_id") or hit["_id"])
    placed = {}
    for article in articles:
        mine = sketches[article.id]
        story, original = stories.place(article.id, mine)
        stories.remember(article.id, mine, story)
        placed[article.id] = Placement(story, original, mine)
    return placed


class StoryLookup:
    """Place a batch: its sketches, the earlier articles Elasticsearch has that share a band or title with them."""

    def __init__(self, search_many: Callable[[list[dict]], list[dict]], refresh: Callable[[], object]):
        self.search_many, self.refresh = search_many, refresh

    def __call__(self, articles: list[EnrichedArticle]) -> dict[str, Placement]:
        sketches = {a.id: sketch(a.title, a.body) for a in articles}
        self.refresh()
        responses = self.search_many([candidates_query(a.id, sketches[a.id]) for a in articles])
        if len(responses) != len(articles):
            raise StoryLookupFailed(f"{len(responses)} answers to {len(articles)} candidate searches")
        failed = [r["error"] for r in responses if "error" in r]
        if failed:
            raise StoryLookupFailed(f"{len(failed)} candidate searches failed, the first: {failed[0]}")
        return place_batch(articles, sketches, [r["hits"]["hits"] for r in responses])
