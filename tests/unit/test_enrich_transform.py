"""enrich's transform without Kafka: events in, the messages to publish out. The app is built but never started,
and the worker pool is replaced by one that runs the enrichment in this process on a recogniser with no model."""

import asyncio
from types import SimpleNamespace

from newsflow.contract import ArticleSubmission, DeadLetter, EnrichedArticle, decode, encode
from newsflow.nlp.enrichment import Failure, enrich_batch
from newsflow.stages.enrich.app import METRICS, build
from newsflow.stages.enrich.settings import EnrichSettings
from newsflow.stages.ingest.prepare import prepare
from tests.factories import FakeRecogniser
from tests.unit.test_enrichment import NOW

STORY = "Mayor Ada Lind of Riverton opened the new harbour bridge on Monday, the city said in a statement."


class InlinePool:
    """EnrichPool's interface, in this process. A worker "dies" on any article containing ``crash``."""

    healthy = True

    def __init__(self, crash: str = "\x00never"):
        self.crash = crash
        self.calls: list[int] = []

    async def enrich(self, raws, now):
        self.calls.append(len(raws))
        if any(self.crash in r.content for r in raws):
            raise RuntimeError("a worker process died")
        return enrich_batch(raws, FakeRecogniser(), now)

    async def enrich_isolated(self, raws, now):
        out = []
        for raw in raws:
            try:
                out += await self.enrich([raw], now)
            except RuntimeError as exc:
                out.append(Failure(raw.id, "enrich-crashed", str(exc)))
        return out

    def worker_pids(self):
        return []


def event(value: bytes, headers, offset: int):
    message = SimpleNamespace(
        topic="articles.raw.v1", partition=0, offset=offset, key=b"k", value=value, headers=headers, tp=("t", 0)
    )
    return SimpleNamespace(message=message)


def raw_event(text: str, offset: int, title: str = "Bridge"):
    value, headers = encode(prepare(ArticleSubmission(text=text, title=title), "test", NOW, 10**7))
    return event(value, headers, offset)


def test_good_articles_are_enriched_and_bad_messages_dead_lettered_in_one_batch():
    app, enricher = build(EnrichSettings(), InlinePool())
    headers = raw_event(STORY, 0).message.headers
    events = [raw_event(STORY, 0), event(b"{not json", headers, 1), event(b"\xff", dict(headers), 2)]
    out = asyncio.run(enricher.transform(events))
    assert [topic for topic, *_ in out[:2]] == [enricher.deadletter_topic] * 2  # letters first, as decoded
    letters = [decode(value, h, DeadLetter) for _, _, value, h in out[:2]]
    assert [(x.offset, x.error_type) for x in letters] == [(1, "not-json"), (2, "not-utf8")]
    topic, key, value, h = out[2]
    article = decode(value, h, EnrichedArticle)
    assert topic is enricher.enriched_topic and key == article.id.encode()
    assert [p.name for p in article.people] == ["Ada Lind"] and [p.name for p in article.places] == ["Riverton"]


def test_a_worker_crash_costs_only_the_article_it_died_on():
    pool = InlinePool(crash="KILLS-THE-WORKER")
    app, enricher = build(EnrichSettings(), pool)
    before = METRICS.retried.labels("batch-split")._value.get()
    events = [raw_event(STORY, 0, "A"), raw_event("KILLS-THE-WORKER " + STORY, 1, "B"), raw_event(STORY, 2, "C")]
    out = asyncio.run(enricher.transform(events))
    assert pool.calls == [3, 1, 1, 1], "the batch once, then article by article"
    assert [topic is enricher.enriched_topic for topic, *_ in out] == [True, False, True]
    assert decode(out[1][2], out[1][3], DeadLetter).error_type == "enrich-crashed"
    assert METRICS.retried.labels("batch-split")._value.get() == before + 1
    assert enricher.ready()[0] is False, "not in a group yet: not ready"
