"""Saved-query alerts without Kafka or Elasticsearch: the query a saved query becomes, what a match answer says,
and the matcher's one-alert-per-story rule over created, re-delivered and foreign alert records."""

import threading
from collections import namedtuple
from datetime import UTC, datetime

import pytest

from newsflow.cli.search import query_body
from newsflow.contract import decode
from newsflow.contract.alerts import Alert, SavedQuery
from newsflow.contract.queries import LABELS, article_query, words
from newsflow.contract.stages import stage
from newsflow.runtime.consumer import Context, Health, stage_metrics
from newsflow.stages.index.alerts import AlertMatcher, AlertsFailed, SavedQueries, match_body, owner, read_matches
from newsflow.stages.index.step import IndexStep
from newsflow.stages.index.stories import Alone
from tests.factories import enriched

NOW = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
Record = namedtuple("Record", "topic partition offset")


def saved(name: str, query: str = "bridge", **kw) -> SavedQuery:
    return SavedQuery(name=name, query=query, created_at=NOW, **kw)


# -- the query -----------------------------------------------------------------------------------------------


def test_words_alone_are_the_search_newsflow_search_always_sent():
    assert article_query("harbour bridge") == words("harbour bridge")
    assert query_body("harbour bridge", 10)["query"] == words("harbour bridge")


def test_entities_are_filters_on_a_facet_of_their_kind_by_name_or_variant():
    q = article_query("bridge", people=["Ada Lind"], places=["Riverton"])
    assert q["bool"]["must"] == [words("bridge")]
    person, place = q["bool"]["filter"]
    facet = person["nested"]["query"]["bool"]["filter"]
    assert person["nested"]["path"] == "entity_facets"
    assert facet[1] == {"terms": {"entity_facets.label": ["PERSON"]}}
    said = facet[0]["bool"]["should"]
    assert {"term": {"entity_facets.variants": {"value": "Ada Lind", "case_insensitive": True}}} in said
    assert place["nested"]["query"]["bool"]["filter"][1]["terms"]["entity_facets.label"] == LABELS["places"]
    assert set(LABELS["places"]) == {"GPE", "LOC", "FAC"} and LABELS["organisations"] == ["ORG"]


def test_entities_alone_need_no_words_and_nothing_at_all_is_refused():
    assert "must" not in article_query("", organisations=["WHO"])["bool"]
    with pytest.raises(ValueError, match="needs words"):
        article_query("  ")


def test_a_saved_query_refuses_a_bad_name_and_a_webhook_that_is_not_http():
    for bad in ({"name": "Has Spaces"}, {"name": "ok", "webhook": "ftp://x"}, {"name": "ok", "people": [""]}):
        with pytest.raises(ValueError):
            SavedQuery(**{"query": "x", "created_at": NOW, **bad})


# -- the match answer -----------------------------------------------------------------------------------------


def test_one_filter_per_saved_query_over_the_batch_alone():
    queries = [saved("a"), saved("b", "", people=["Ada Lind"])]
    body = match_body(queries, ["id1", "id2"])
    assert body["query"] == {"ids": {"values": ["id1", "id2"]}} and body["size"] == 0
    filters = body["aggs"]["queries"]["filters"]["filters"]
    assert filters == {"a": article_query("bridge"), "b": article_query("", people=["Ada Lind"])}


def answer(buckets: dict[str, dict[str, str]]) -> dict:
    """A filters-aggregation answer: query name → {story id: its first article id}."""
    return {
        "aggregations": {
            "queries": {
                "buckets": {
                    name: {
                        "doc_count": len(stories),
                        "stories": {
                            "buckets": [
                                {"key": s, "first": {"buckets": [{"key": a, "doc_count": 1}]}}
                                for s, a in stories.items()
                            ]
                        },
                    }
                    for name, stories in buckets.items()
                }
            }
        }
    }


def test_an_answer_gives_each_query_its_stories_and_an_error_is_retried():
    queries = [saved("a"), saved("b")]
    matches = read_matches(queries, answer({"a": {"s1": "x1", "s2": "x2"}, "b": {}}))
    assert [(m.query.name, m.story_id, m.article_id, m.id) for m in matches] == [
        ("a", "s1", "x1", "a:s1"),
        ("a", "s2", "x2", "a:s2"),
    ]
    with pytest.raises(AlertsFailed, match="429"):
        read_matches(queries, {"error": {"reason": "too many requests"}, "status": 429})
    with pytest.raises(AlertsFailed, match="without its buckets"):
        read_matches(queries, {"hits": {}})


# -- the matcher ---------------------------------------------------------------------------------------------


class FakeStore:
    """The alerts index and alerts.v1 as the matcher sees them."""

    def __init__(self, stories: dict[str, str], queries: list[SavedQuery]):
        self.stories = stories  # article id → its story id, as stored
        self.docs: dict[str, dict] = {}
        self.published: list[Alert] = []
        self.fail_publish = 0
        self.queries = SavedQueries()
        for q in queries:
            self.queries.apply(q.name, q)
        self.queries.loaded.set()

    def search(self, bodies):
        out = []
        for body in bodies:
            ids = body["query"]["ids"]["values"]
            buckets = {}
            for name in body["aggs"]["queries"]["filters"]["filters"]:
                stories: dict[str, str] = {}
                for i in sorted(ids):  # every article matches every query here
                    stories.setdefault(self.stories[i], i)
                buckets[name] = stories
            out.append(answer(buckets))
        return out

    def bulk(self, operations, refresh=False):
        items = []
        for action, doc in zip(operations[::2], operations[1::2], strict=True):
            ((op, meta),) = action.items()
            if op == "create":
                created = meta["_id"] not in self.docs
                if created:
                    self.docs[meta["_id"]] = dict(doc)
                items.append({"create": {"status": 201 if created else 409}})
            else:
                self.docs[meta["_id"]].update(doc["doc"])
                items.append({"update": {"status": 200}})
        return {"items": items}

    def mget(self, ids):
        return [{"_id": i, "found": i in self.docs, "_source": self.docs.get(i)} for i in ids]

    def publish(self, records):
        if self.fail_publish:
            self.fail_publish -= 1
            return ["KafkaTimeoutError: no broker"] * len(records)
        self.published += [decode(value, headers, Alert) for _, value, headers in records]
        return [None] * len(records)

    def matcher(self) -> AlertMatcher:
        return AlertMatcher(
            self.queries, "alerts-v1", self.search, lambda: None, self.bulk, self.mget, self.publish, lambda: NOW
        )


def batch(*ns, offset: int = 0):
    return [(Record("articles.enriched.v1", 0, offset + i), enriched(n)) for i, n in enumerate(ns)]


def test_one_alert_per_story_and_query_whatever_the_copies():
    b = batch(1, 2, 3)
    ids = [a.id for _, a in b]
    store = FakeStore({ids[0]: "story-a", ids[1]: "story-a", ids[2]: "story-b"}, [saved("q1"), saved("q2")])
    assert store.matcher()(b, NOW) == 4
    assert sorted(a.id for a in store.published) == ["q1:story-a", "q1:story-b", "q2:story-a", "q2:story-b"]
    first = next(a for a in store.published if a.id == "q1:story-a")
    expected = min((a for _, a in b[:2]), key=lambda a: a.id)  # the story's first article of the batch, by id
    assert first.article_id == expected.id and first.title == expected.title and first.indexed_at == NOW
    assert all(doc["sent_at"] for doc in store.docs.values())
    # A later copy of story a, in another batch: nothing new.
    later = batch(4, offset=10)
    store.stories[later[0][1].id] = "story-a"
    assert store.matcher()(later, NOW) == 0 and len(store.published) == 4


def test_a_redelivered_batch_sends_what_it_created_and_did_not_send_and_nothing_twice():
    b = batch(1)
    store = FakeStore({b[0][1].id: "story-a"}, [saved("q1")])
    store.fail_publish = 1
    with pytest.raises(AlertsFailed, match="not acknowledged"):
        store.matcher()(b, NOW)
    assert "q1:story-a" in store.docs and not store.published  # created, not sent: a crash here
    assert store.matcher()(b, NOW) == 1  # the same record again: its own unsent alert
    assert store.matcher()(b, NOW) == 0  # and again, once sent: nothing
    assert [a.id for a in store.published] == ["q1:story-a"]


def test_an_alert_record_another_article_created_is_left_to_it():
    mine, theirs = batch(1), batch(2, offset=50)
    store = FakeStore({mine[0][1].id: "story-a", theirs[0][1].id: "story-a"}, [saved("q1")])
    store.docs["q1:story-a"] = {"raised_by": owner(theirs[0][0])}  # created by another indexer, not sent yet
    assert store.matcher()(mine, NOW) == 0 and not store.published


def test_no_query_no_work_and_a_table_half_read_is_waited_for():
    store = FakeStore({}, [])
    assert store.matcher()(batch(1), NOW) == 0
    store.queries.loaded.clear()
    with pytest.raises(AlertsFailed, match="not read yet"):
        store.matcher()(batch(1), NOW)


def test_index_retries_the_alerts_of_a_stored_batch_and_matches_re_deliveries_too():
    metrics = stage_metrics(stage("index"), ("alerts",))
    ctx = Context(Health(stage("index"), metrics), metrics, threading.Event(), max_backoff_s=0.001)
    calls = []

    def alerts(written, now):
        calls.append([r.offset for r, _ in written])
        if len(calls) == 1:
            raise AlertsFailed("the saved queries are not read yet")
        return 0

    def bulk(operations):
        return {"items": [{"index": {"status": 201}}, {"index": {"status": 409}}]}

    before = metrics.retried.labels("alerts")._value.get()
    step = IndexStep(bulk, "articles-v1", Alone(), clock=lambda: NOW, alerts=alerts)
    assert step(batch(1, 2), ctx) == []
    assert calls == [[0, 1], [0, 1]]  # the stored one and the one already there (an earlier attempt stored it)
    assert metrics.retried.labels("alerts")._value.get() == before + 1


def test_matching_on_a_copy_asks_part_by_part_and_merges_each_story_to_its_first_article():
    from types import SimpleNamespace

    from newsflow.stages.index.alerts import BatchCopy, match_body, merge_matches

    story_of = {f"a{n:02d}": f"s{n % 3}" for n in range(12)}  # 12 articles in 3 stories
    queries = [saved(f"q{k}") for k in range(4)]
    asked: list[list[str]] = []

    class FakeES:
        copy: dict = {}

        def mget(self, index, ids):
            return {"docs": [{"_id": i, "found": True, "_source": {"story_id": story_of[i]}} for i in ids]}

        def bulk(self, operations, refresh=False):
            return {"items": []}

        def search(self, index, query, aggs, size):
            ids = query["ids"]["values"]
            asked.append(ids)
            stories: dict[str, str] = {}
            for i in ids:  # every query matches every article, as the copy holds only the batch
                stories[story_of[i]] = min(stories.get(story_of[i], i), i)
            buckets = [{"key": k, "first": {"buckets": [{"key": v}]}} for k, v in stories.items()]
            body = {
                "aggregations": {"queries": {"buckets": {q.name: {"stories": {"buckets": buckets}} for q in queries}}}
            }
            return SimpleNamespace(body=body)

    copy = BatchCopy(FakeES(), "articles", "matching-articles")
    copy.PAIRS = 12  # 4 queries: 3 articles a search
    (answer,) = copy.search([match_body(queries, sorted(story_of))])
    assert [len(ids) for ids in asked] == [3, 3, 3, 3]
    matches = read_matches(queries, answer)
    assert sorted((m.query.name, m.story_id, m.article_id) for m in matches) == sorted(
        (q.name, f"s{n}", f"a{n:02d}") for q in queries for n in range(3)
    )
    assert merge_matches([{"error": {"reason": "no"}, "status": 500}])["error"]
