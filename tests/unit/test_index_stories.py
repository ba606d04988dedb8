"""index's stories without Elasticsearch: how a batch is placed among the earlier articles a search found."""

from __future__ import annotations

import pytest

from newsflow.stages.index.stories import (
    CANDIDATES,
    CHUNK,
    Placement,
    StoryLookup,
    StoryLookupFailed,
    candidates_query,
    place_batch,
    settle_one,
    settle_query,
)
from newsflow.text.copies import Sketch, containment, sketch
from tests.factories import enriched
from tests.unit.test_copies import SAME_TOPIC, STORY


def kept(n, body, story=None, indexed_at="2026-03-01T00:00:00+00:00", title=None) -> dict:
    """A hit as Elasticsearch gives back a document index wrote."""
    article = enriched(n, body=body, title=title)
    return {
        "_id": article.id,
        "_source": {
            "story_id": story or article.id,
            "story_sketch": sketch(article.title, body).encode(),
            "indexed_at": indexed_at,
        },
    }


def placed(articles, found):
    return place_batch(articles, {a.id: sketch(a.title, a.body) for a in articles}, found)


def test_a_kept_sketch_reads_back_as_the_same_sketch():
    mine = sketch("Eastborough closes its harbour bridge to cars", STORY)
    again = Sketch.decode(mine.encode())
    assert again.bands == mine.bands and again.size == mine.size and again.title == mine.title
    assert containment(again, mine) == 1.0
    with pytest.raises(ValueError, match="hash values"):
        Sketch.decode({**mine.encode(), "minhash": "AAAAAAAAAAA="})  # one value


def test_a_copy_joins_the_story_of_the_earlier_article_elasticsearch_keeps():
    original = kept("wire", STORY, story="the-story")
    copy = enriched("copy", title="Bridge shut after cracks", body=STORY[: int(len(STORY) * 0.6)])
    other = enriched("other", title="Westborough builds a bridge", body=SAME_TOPIC)
    out = placed([copy, other], [[original], [original]])
    assert (out[copy.id].story_id, out[copy.id].duplicate_of) == ("the-story", original["_id"])
    assert out[copy.id].fields()["is_duplicate"] is True
    assert (out[other.id].story_id, out[other.id].duplicate_of) == (other.id, None)
    assert out[other.id].fields()["is_duplicate"] is False


def test_the_first_of_two_copies_in_one_batch_starts_the_story_the_second_joins():
    first = enriched("first", body=STORY)
    second = enriched("second", title="UPDATE: bridge closed", body=STORY[:400] + " More to follow.")
    out = placed([first, second], [[], []])
    assert out[first.id].story_id == first.id and out[first.id].duplicate_of is None
    assert (out[second.id].story_id, out[second.id].duplicate_of) == (first.id, first.id)


def test_of_several_earlier_copies_the_oldest_indexed_is_the_one_copied():
    newer = kept("newer", STORY, indexed_at="2026-03-02T00:00:00+00:00")
    older = kept("older", STORY, indexed_at="2026-03-01T00:00:00+00:00")
    copy = enriched("copy", body=STORY)
    assert placed([copy], [[newer, older]])[copy.id].duplicate_of == older["_id"]


def test_a_new_version_of_a_storys_first_article_stays_its_first():
    first = enriched("first", version=2, body=STORY + " Corrected: the vote was nine to two.")
    its_copy = kept("copy", STORY, story=first.id)
    out = placed([first], [[its_copy]])
    assert (out[first.id].story_id, out[first.id].duplicate_of) == (first.id, None)


def test_a_kept_sketch_this_code_did_not_write_is_passed_over_not_fatal():
    broken = {"_id": "x", "_source": {"story_id": "x", "story_sketch": {"minhash": "not base64!"}}}
    copy = enriched("copy", body=STORY)
    out = placed([copy], [[broken, kept("original", STORY)]])
    assert out[copy.id].duplicate_of == enriched("original").id


def test_one_candidate_search_a_chunk_asks_for_its_bands_and_titles_and_never_its_own_articles():
    mine = sketch("Eastborough closes its harbour bridge to cars", STORY)
    other = sketch("Westborough builds a footbridge", SAME_TOPIC)
    body = candidates_query(["a", "b"], [mine, other])
    (anything,) = body["query"]["bool"]["filter"]
    bands, titles = (c["terms"] for c in anything["bool"]["should"])
    assert bands == {"story_sketch.bands": sorted(set(mine.bands) | set(other.bands))}
    assert titles == {"story_sketch.title": sorted([mine.title, other.title])}
    assert body["query"]["bool"]["must_not"] == [{"ids": {"values": ["a", "b"]}}] and body["size"] == CANDIDATES
    assert body["sort"] == [{"indexed_at": "desc"}]
    assert candidates_query(["a"], [sketch(None, "")])["size"] == 0  # nothing to file it by, nothing to find
    again = settle_query(["a"], [mine])
    assert "must_not" not in again["query"]["bool"] and again["_source"] is True and again["version"] is True


def test_a_batch_is_searched_in_chunks():
    articles = [enriched(n, body=f"{STORY} {n}") for n in range(CHUNK * 2 + 1)]
    asked: list[int] = []

    def search_many(bodies):
        asked.append(len(bodies))
        return [{"hits": {"hits": [], "total": {"value": 0}}}] * len(bodies)

    placed = StoryLookup(search_many, lambda: None)(articles)
    assert asked == [3] and len(placed) == len(articles)
    assert len({p.story_id for p in placed.values()}) == 1, "copies of one another within the batch"


def test_a_failed_candidate_search_fails_the_lookup_for_now():
    articles = [enriched(1), enriched(2)]
    refreshed: list[bool] = []
    ok = {"hits": {"hits": []}}
    with pytest.raises(StoryLookupFailed, match="1 candidate searches failed"):
        StoryLookup(
            lambda bodies: [{"error": {"type": "search_phase_execution_exception"}}], lambda: refreshed.append(True)
        )(articles)
    with pytest.raises(StoryLookupFailed, match="2 answers to 1"):
        StoryLookup(lambda bodies: [ok, ok], lambda: None)(articles)
    assert refreshed == [True]  # what was stored before the batch is visible to its search
    out = StoryLookup(lambda bodies: [ok] * len(bodies), lambda: None)(articles)
    assert set(out) == {a.id for a in articles}


def stored_root(n, body, indexed_at, version=1):
    """An article placed as a story's first, and its document as another indexer's search finds it."""
    article = enriched(n, body=body, version=version)
    placement = place_batch([article], {article.id: sketch(article.title, body)}, [[]])[article.id]
    hit = {
        "_id": article.id,
        "_index": "articles-v1",
        "_version": version,
        "_source": {"id": article.id, "indexed_at": indexed_at, **placement.fields()},
    }
    return article, placement, hit


def test_two_copies_stored_at_the_same_moment_by_two_indexers_end_in_the_first_indexed_story():
    """Each indexer's second look finds the other's copy; both decide alike, so one story results whichever
    looks first: the later one is rewritten as the earlier one's copy, by either side."""
    early, early_placed, early_hit = stored_root("early", STORY, "2026-03-02T13:00:00.100000+00:00", version=3)
    late, late_placed, late_hit = stored_root("late", STORY[:500], "2026-03-02T13:00:00.200000+00:00", version=7)

    (by_late,) = settle_one(late, late_placed, late_hit["_source"]["indexed_at"], [early_hit])
    assert (by_late.id, by_late.version, by_late.source) == (late.id, 7, None)
    assert (by_late.placement.story_id, by_late.placement.duplicate_of) == (early.id, early.id)

    (by_early,) = settle_one(early, early_placed, early_hit["_source"]["indexed_at"], [late_hit])
    assert (by_early.id, by_early.index, by_early.version) == (late.id, "articles-v1", 7)
    assert {k: by_early.source[k] for k in ("story_id", "duplicate_of", "is_duplicate")} == {
        "story_id": early.id,
        "duplicate_of": early.id,
        "is_duplicate": True,
    }


def test_settling_leaves_copies_other_stories_and_articles_already_copies_alone():
    me, placed_me, hit_me = stored_root("me", STORY, "2026-03-02T13:00:00+00:00")
    _, _, other_story = stored_root("other", SAME_TOPIC, "2026-03-02T12:00:00+00:00")
    _, _, copy_hit = stored_root("copy", STORY, "2026-03-02T12:00:00+00:00")
    copy_hit["_source"] = {**copy_hit["_source"], "story_id": "someone-else"}  # a copy in another story
    assert settle_one(me, placed_me, hit_me["_source"]["indexed_at"], [other_story, copy_hit]) == []
    already = Placement("s", "s", placed_me.sketch)
    assert settle_one(me, already, "2026-03-02T13:00:00+00:00", [other_story]) == []
