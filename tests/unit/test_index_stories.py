"""index's stories without Elasticsearch: how a batch is placed among the earlier articles a search found."""

from __future__ import annotations

import pytest

from newsflow.stages.index.stories import (
    CANDIDATES,
    StoryLookup,
    StoryLookupFailed,
    candidates_query,
    place_batch,
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
    assert again.bands() == mine.bands() and again.size == mine.size and again.title == mine.title
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


def test_the_candidate_search_asks_for_bands_and_title_and_never_the_article_itself():
    mine = sketch("Eastborough closes its harbour bridge to cars", STORY)
    body = candidates_query("abc", mine)
    terms = [c["term"] for c in body["query"]["bool"]["should"]]
    assert {"story_sketch.title": mine.title} in terms and len(terms) == len(mine.bands()) + 1
    assert body["query"]["bool"]["must_not"] == [{"ids": {"values": ["abc"]}}] and body["size"] == CANDIDATES
    assert candidates_query("abc", sketch(None, ""))["size"] == 0  # nothing to file it by, nothing to find


def test_a_failed_candidate_search_fails_the_lookup_for_now():
    articles = [enriched(1), enriched(2)]
    refreshed: list[bool] = []
    ok = {"hits": {"hits": []}}
    with pytest.raises(StoryLookupFailed, match="1 candidate searches failed"):
        StoryLookup(
            lambda bodies: [ok, {"error": {"type": "search_phase_execution_exception"}}], lambda: refreshed.append(True)
        )(articles)
    with pytest.raises(StoryLookupFailed, match="1 answers to 2"):
        StoryLookup(lambda bodies: [ok], lambda: None)(articles)
    assert refreshed == [True]  # what was stored before the batch is visible to its search
    out = StoryLookup(lambda bodies: [ok] * len(bodies), lambda: None)(articles)
    assert set(out) == {a.id for a in articles}
