"""index's stories: the story each article of a batch belongs to, decided before it is written.

    batch → sketches → refresh → one _msearch, a search per 250 articles: the documents sharing an LSH band or
          a title key → `Stories` (newsflow/text/copies.py), known ones oldest first, then the batch in its order
          → placements → (stored) → settle

The state is the archive itself: every document keeps its sketch (``story_sketch``: bands and title key indexed,
the MinHash as bytes), so a restarted indexer, or the one on another partition, finds the earlier articles where
it finds everything else. The refresh makes every document acknowledged before this batch visible to its search.

What that search cannot see is a copy in another indexer's batch in flight at the same moment: both would start a
story. So once a batch is stored, each article of it that started a story looks again (`settle`): any other
story-starting copy it finds now is one such, and of them all the first indexed (then the smaller id) keeps the
story and the others become its copies. Both indexers decide the same way, whichever looks first; the rewrites
use ``external_gte`` with the version already stored, so a newer version written meanwhile is never undone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from newsflow.contract import EnrichedArticle
from newsflow.text.copies import Sketch, Stories, same_story, sketch

log = logging.getLogger("newsflow.index")

# Articles per candidate search: noida-db scans its documents once a search, whatever it asks (measured at 1,000
# documents: 176 ms for 50 articles, 184 ms for 500), and Elasticsearch takes up to 65,536 terms in one.
CHUNK = 250
CANDIDATES = 10_000  # documents per candidate search, the most recent first: more is logged


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


def candidates_query(ids: list[str], sketches: list[Sketch]) -> dict:
    """One search for a chunk of the batch: the documents filed under any band or title key of its articles, the
    most recently indexed first (a copy comes days after its original, not years).

    One ``terms`` filter per chunk, not a scored search per article: Elasticsearch answers either in milliseconds,
    but noida-db scans its documents for every clause (measured at 1,000 documents: 244 ms for one article's
    29-clause search, 27 ms for a ``terms`` filter; a 100-search ``_msearch`` 22.5 s)."""
    keys = sorted({band for sk in sketches for band in sk.bands})
    titles = sorted({sk.title for sk in sketches if sk.title})
    should = [{"terms": {"story_sketch.bands": keys}}] if keys else []
    if titles:
        should.append({"terms": {"story_sketch.title": titles}})
    return {
        "size": CANDIDATES if should else 0,
        "_source": ["story_id", "story_sketch", "indexed_at"],
        "sort": [{"indexed_at": "desc"}],
        "track_total_hits": True,
        "query": {
            "bool": {
                "filter": [{"bool": {"should": should or [{"match_none": {}}], "minimum_should_match": 1}}],
                # Their own earlier versions are not earlier articles.
                "must_not": [{"ids": {"values": ids}}],
            }
        },
    }


def settle_query(ids: list[str], sketches: list[Sketch]) -> dict:
    """The candidates again, whole and with their versions: one may have to be rewritten. The chunk's own
    documents are stored now and among them."""
    body = candidates_query(ids, sketches)
    body["query"]["bool"].pop("must_not")
    return {**body, "_source": True, "version": True}


def chunks(items: list, size: int = CHUNK) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@dataclass(frozen=True)
class Rewrite:
    """A document stored already, to be written again in another story (``source`` None: the batch's own article,
    which index renders again; else another indexer's document, as found)."""

    id: str
    index: str | None
    version: int
    placement: Placement | None
    source: dict | None


def kept_sketch(hit: dict) -> Sketch | None:
    """The sketch a found document keeps, or None (logged) where it is not one this code wrote: that article is
    not compared, the batch goes on."""
    try:
        return Sketch.decode(hit["_source"]["story_sketch"])
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("unreadable kept sketch", extra={"id": hit["_id"], "error": f"{type(exc).__name__}: {exc}"})
        return None


def settle_one(article: EnrichedArticle, placed: Placement, indexed_at: str, hits: list[dict]) -> list[Rewrite]:
    """Pure: for an article that started a story, the rewrites that make one story of it and the story-starting
    copies found now, the first indexed of them all (then the smaller id) keeping the story."""
    if placed.duplicate_of is not None:
        return []
    rivals = []
    for hit in hits:
        src = hit["_source"]
        if hit["_id"] == article.id or src.get("story_id") != hit["_id"]:
            continue  # itself, or a copy: its story's first is what counts, and a hit of its own if it matches
        kept = kept_sketch(hit)
        if kept is not None and same_story(placed.sketch, kept):
            rivals.append(hit)
    if not rivals:
        return []
    first = min(
        [*rivals, None],
        key=lambda h: (indexed_at, article.id) if h is None else (h["_source"].get("indexed_at") or "", h["_id"]),
    )
    if first is not None:
        moved = Placement(first["_id"], first["_id"], placed.sketch)
        return [Rewrite(article.id, None, article.version, moved, None)]
    return [
        Rewrite(
            h["_id"],
            h["_index"],
            h["_version"],
            None,
            {**h["_source"], "story_id": article.id, "duplicate_of": article.id, "is_duplicate": True},
        )
        for h in rivals
    ]


def place_batch(
    articles: list[EnrichedArticle], sketches: dict[str, Sketch], found: list[list[dict]]
) -> dict[str, Placement]:
    """Pure: the batch's placements from its sketches and the candidate hits found for each article."""
    stories = Stories()
    hits = {hit["_id"]: hit for hits in found for hit in hits}
    for hit in sorted(hits.values(), key=lambda h: (h["_source"].get("indexed_at") or "", h["_id"])):
        kept = kept_sketch(hit)
        if kept is not None:
            stories.remember(hit["_id"], kept, hit["_source"].get("story_id") or hit["_id"])
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
        parts = chunks(articles)
        self.refresh()
        responses = self.search_many([candidates_query([a.id for a in c], [sketches[a.id] for a in c]) for c in parts])
        return place_batch(articles, sketches, self._hits(responses, len(parts)))

    def settle(self, stored: list[tuple[EnrichedArticle, Placement]], indexed_at: str) -> list[Rewrite]:
        """After the batch is stored: what another indexer stored meanwhile, made one story with it."""
        starting = [(a, p) for a, p in stored if p.duplicate_of is None]
        if not starting:
            return []
        parts = chunks(starting)
        self.refresh()
        responses = self.search_many([settle_query([a.id for a, _ in c], [p.sketch for _, p in c]) for c in parts])
        found = self._hits(responses, len(parts))
        return [
            r
            for part, hits in zip(parts, found, strict=True)
            for a, p in part
            for r in settle_one(a, p, indexed_at, hits)
        ]

    @staticmethod
    def _hits(responses: list[dict], asked: int) -> list[list[dict]]:
        if len(responses) != asked:
            raise StoryLookupFailed(f"{len(responses)} answers to {asked} candidate searches")
        failed = [r["error"] for r in responses if "error" in r]
        if failed:
            raise StoryLookupFailed(f"{len(failed)} candidate searches failed, the first: {failed[0]}")
        for r in responses:
            total = r["hits"].get("total", {}).get("value", 0)
            if total > CANDIDATES:
                log.warning("more candidates than compared", extra={"found": total, "compared": CANDIDATES})
        return [r["hits"]["hits"] for r in responses]


class StoryKeeper(Protocol):
    """What index's step needs of stories: a batch placed before it is written, and settled after."""

    def __call__(self, articles: list[EnrichedArticle]) -> dict[str, Placement]: ...

    def settle(self, stored: list[tuple[EnrichedArticle, Placement]], indexed_at: str) -> list[Rewrite]: ...


class Alone:
    """Every article a story of its own, nothing compared (step tests and the benchmark's generated archive)."""

    def __call__(self, articles: list[EnrichedArticle]) -> dict[str, Placement]:
        return {a.id: alone(a) for a in articles}

    def settle(self, stored: list[tuple[EnrichedArticle, Placement]], indexed_at: str) -> list[Rewrite]:
        return []
