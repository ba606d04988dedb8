"""The ways in, without a broker: other tools' field names, OPML, intervals, plain JSON on the submitted topic,
ingest's step for it, the feed table's ownership, and progress as a log shows it."""

from __future__ import annotations

import io
import json
import threading
from collections import namedtuple
from datetime import UTC, datetime

import pytest
import typer
from kafka import TopicPartition
from rich.console import Console

from newsflow.cli.feeds import parse_interval, read_opml
from newsflow.cli.mapping import MapError, apply, field_map, parse_map
from newsflow.cli.progress import tracked
from newsflow.contract import ArticleSubmission, DecodeError, encode
from newsflow.contract.codec import HEADER_ORIGIN, decode_plain
from newsflow.contract.feeds import FeedState, FeedSubscription, feed_id
from newsflow.contract.stages import stage
from newsflow.contract.urls import canonical_url, without_tracking
from newsflow.runtime.consumer import Context, Health, stage_metrics
from newsflow.stages.feeds.service import Table
from newsflow.stages.ingest.service import SubmittedStep
from tests.feedserver import article_text, opml

NOW = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)

# -- other tools' names ------------------------------------------------------------------------------------------


def test_news_please_fields_become_newsflows_and_its_extras_are_dropped():
    theirs = {
        "maintext": "The council met.",
        "date_publish": "2026-03-01 10:00:00",
        "title": "Council",
        "url": "http://x.test/a",
        "source_domain": "x.test",
        "authors": ["Jo Reed"],
        "language": "en-GB",
        "image_url": "http://x.test/a.jpg",
        "date_download": "2026-03-02",
        "description": None,
    }
    ours = apply(theirs, field_map("news-please", None))
    assert ours == {
        "text": "The council met.",
        "published": "2026-03-01 10:00:00",
        "title": "Council",
        "url": "http://x.test/a",
        "source": "x.test",
        "authors": ["Jo Reed"],
        "language": "en",
    }
    ArticleSubmission.model_validate(ours)


def test_newspaper_fields_map_and_a_single_author_string_becomes_a_list():
    ours = apply(
        {"text": "Body.", "publish_date": "2026-03-01", "authors": "Jo Reed", "top_image": "x"},
        field_map("newspaper", None),
    )
    assert ours == {"text": "Body.", "published": "2026-03-01", "authors": ["Jo Reed"]}


def test_a_hand_map_adds_to_a_preset_and_can_keep_what_it_drops():
    fmap = field_map("news-please", "description=text")
    assert apply({"description": "Lead.", "maintext": None}, fmap) == {"text": "Lead."}


def test_an_unmapped_field_stays_so_ingest_refuses_it_with_the_hint():
    ours = apply({"body": "x", "title": "t"}, field_map(None, "title=title"))
    assert ours == {"body": "x", "title": "t"}
    with pytest.raises(DecodeError) as caught:
        decode_plain(json.dumps(ours).encode(), None, ArticleSubmission)
    assert "body: unknown field" in str(caught.value) and "--map theirs=ours" in str(caught.value)


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ("body", "theirs=ours pairs"),
        ("body=", "theirs=ours pairs"),
        ("body=content", "'content' is not an article field"),
    ],
)
def test_a_bad_map_is_refused_naming_the_part(spec, error):
    with pytest.raises(MapError, match=error):
        parse_map(spec)


def test_an_unknown_preset_is_refused_naming_the_known_ones():
    with pytest.raises(MapError, match="news-please, newspaper"):
        field_map("gdelt", None)
    assert field_map(None, None) is None


# -- feeds commands' input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("10m", 600), ("1h30m", 5400), ("2d", 172800)])
def test_intervals(text, seconds):
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "ten minutes", "10x", "0", "8d", "5m3"])
def test_a_bad_interval_is_refused(text):
    with pytest.raises(typer.BadParameter):
        parse_interval(text)


def test_opml_gives_every_feed_once_nested_categories_included():
    body = opml([("http://a.test/rss", "A"), ("http://b.test/atom", "B"), ("http://a.test/rss", "A again")])
    assert read_opml(body) == [("http://a.test/rss", "A"), ("http://b.test/atom", "B")]


def test_opml_entities_are_not_expanded_and_nothing_is_read_from_disk(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("root:x:0:0")
    body = (
        f"<?xml version='1.0'?><!DOCTYPE opml [<!ENTITY x SYSTEM 'file://{secret}'>]>"
        "<opml><body><outline title='&x;' xmlUrl='http://a.test/rss'/></body></opml>"
    ).encode()
    with pytest.raises(ValueError, match="not an OPML file: .*external entity 'x'"):
        read_opml(body)


def test_a_file_that_is_no_opml_is_refused():
    with pytest.raises(ValueError, match="not an OPML file"):
        read_opml(b"<html><body>hi</body></html>")
    with pytest.raises(ValueError, match="not an OPML file"):
        read_opml(b"{'json': 1}")


# -- URLs --------------------------------------------------------------------------------------------------------


def test_one_url_however_spelled_and_campaign_parameters_dropped():
    assert canonical_url("HTTP://News.Test/a/#top") == canonical_url("http://news.test/a")
    assert without_tracking("http://n.test/a?utm_source=rss&id=3&fbclid=z#c") == "http://n.test/a?id=3#c"
    assert feed_id("http://News.test/feed/") == feed_id("http://news.test/feed")


# -- plain JSON on the submitted topic -------------------------------------------------------------------------


def test_plain_json_is_read_without_headers_and_a_message_naming_its_schema_is_held_to_it():
    sub = decode_plain(b'{"text": "Body.", "title": "T"}', None, ArticleSubmission)
    assert sub.text == "Body." and sub.title == "T"
    value, headers = encode(ArticleSubmission(text="Body."))
    assert decode_plain(value, headers, ArticleSubmission).text == "Body."
    with pytest.raises(DecodeError, match="newsflow.feed"):
        decode_plain(
            value, [(n, b"newsflow.feed" if n == "newsflow-schema" else v) for n, v in headers], ArticleSubmission
        )


@pytest.mark.parametrize(
    ("value", "reason"), [(b"\xff", "not-utf8"), (b"{", "not-json"), (b"[1]", "invalid"), (None, "invalid")]
)
def test_what_is_no_submission_is_refused_with_its_reason(value, reason):
    with pytest.raises(DecodeError) as caught:
        decode_plain(value, [], ArticleSubmission)
    assert caught.value.reason == reason


Record = namedtuple("Record", "topic partition offset headers")


def context() -> Context:
    metrics = stage_metrics(stage("ingest"), ("produce",))
    return Context(Health(stage("ingest"), metrics), metrics, threading.Event(), max_backoff_s=0.001)


def test_ingest_step_publishes_the_valid_refuses_the_empty_and_resends_what_the_broker_missed():
    answers = [[(None, None), (None, "timed out")], [(None, None)]]
    published: list[list] = []

    def publish(raws):
        published.append(raws)
        return answers.pop(0)

    step = SubmittedStep(publish, max_article_bytes=1_000_000, clock=lambda: NOW)
    messages = [
        (Record("articles.submitted.v1", 0, 0, []), ArticleSubmission(text=article_text(1))),
        (Record("articles.submitted.v1", 0, 1, []), ArticleSubmission(html="<nav>Home</nav>")),
        (
            Record("articles.submitted.v1", 0, 2, [(HEADER_ORIGIN, b"feed:http://n.test/rss")]),
            ArticleSubmission(text=article_text(2)),
        ),
    ]
    rejected = step(messages, context())
    assert [(r.offset, reason) for r, reason, _ in rejected] == [(1, "refused")]
    assert "no article text" in rejected[0][2]
    assert [len(batch) for batch in published] == [2, 1]
    assert (
        published[1][0].origin == "feed:http://n.test/rss" and published[0][0].origin == "kafka:articles.submitted.v1"
    )


# -- the feed table --------------------------------------------------------------------------------------------

Msg = namedtuple("Msg", "topic partition offset key value headers")


def sub_record(url: str, partition: int, offset: int = 0) -> Msg:
    value, headers = encode(FeedSubscription(id=feed_id(url), url=url, every_s=60, added_at=NOW))
    return Msg("feeds.subscriptions.v1", partition, offset, feed_id(url).encode(), value, headers)


def state_record(url: str, partition: int, polled_at: datetime, next_poll_at: datetime) -> Msg:
    st = FeedState(id=feed_id(url), url=url, status="ok", polled_at=polled_at, next_poll_at=next_poll_at)
    value, headers = encode(st)
    return Msg("feeds.state.v1", partition, 0, feed_id(url).encode(), value, headers)


def test_the_table_polls_only_loaded_partitions_and_forgets_revoked_and_removed_feeds():
    table = Table("feeds.subscriptions.v1", "feeds.state.v1")
    a, b, c = "http://a.test/rss", "http://b.test/rss", "http://c.test/rss"
    table.assign([TopicPartition("feeds.subscriptions.v1", 0), TopicPartition("feeds.subscriptions.v1", 1)])
    for record in (sub_record(a, 0), sub_record(b, 1), sub_record(c, 1)):
        table.apply(record)
    table.apply(state_record(b, 1, NOW, datetime(2099, 1, 1, tzinfo=UTC)))  # not due yet
    assert table.due(NOW, set()) == [] and not table.loaded()  # nothing before its partition is read whole
    table.loading.clear()
    assert [f.url for f, _ in table.due(NOW, set())] == [a, c]
    assert [f.url for f, _ in table.due(NOW, {feed_id(a)})] == [c]
    table.apply(Msg("feeds.subscriptions.v1", 1, 1, feed_id(c).encode(), None, []))  # removed: a tombstone
    table.revoke([TopicPartition("feeds.subscriptions.v1", 0)])
    assert table.due(NOW, set()) == [] and set(table.feeds) == {feed_id(b)}


def test_an_older_state_read_back_does_not_replace_the_stages_own_newer_one():
    table = Table("feeds.subscriptions.v1", "feeds.state.v1")
    url = "http://a.test/rss"
    table.apply(sub_record(url, 0))
    newer = FeedState(id=feed_id(url), url=url, status="ok", polled_at=NOW, next_poll_at=NOW, polls=2)
    table.set_state(newer)
    table.apply(state_record(url, 0, datetime(2026, 3, 1, tzinfo=UTC), NOW))
    assert table.states[feed_id(url)].polls == 2


def test_an_unreadable_subscription_is_skipped_not_fatal():
    table = Table("feeds.subscriptions.v1", "feeds.state.v1")
    table.apply(Msg("feeds.subscriptions.v1", 0, 0, b"k", b"{not json", [("newsflow-schema", b"newsflow.feed")]))
    assert table.feeds == {}


# -- progress, as a log reads it ----------------------------------------------------------------------------------


def test_off_a_terminal_progress_is_a_line_now_and_then_and_one_at_the_end():
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=False, width=200)
    with tracked(console, "feeding", total=10, every_s=0.0) as progress:
        for _ in range(10):
            progress.advance()
        progress.say("waiting")
    lines = buffer.getvalue().splitlines()
    assert lines[0].startswith("feeding: 0/10 (0%)")
    assert any(line.startswith("feeding: 5/10 (50%)") and "ETA" in line and "/s" in line for line in lines)
    assert lines[-1].startswith("feeding: 10/10 (100%), done in") and lines[-1].endswith("; waiting")


class FakeProducer:
    def __init__(self):
        self.events: list[tuple[str, object]] = []

    def send(self, topic, key=None, value=None, headers=None):
        self.events.append(("send", key))

    def flush(self, timeout=None):
        self.events.append(("flush", None))


def test_a_member_hands_a_feed_over_only_once_its_poll_in_flight_is_saved_and_acknowledged():
    from concurrent.futures import ThreadPoolExecutor

    from newsflow.stages.feeds.service import FeedStage
    from newsflow.stages.feeds.settings import FeedsSettings

    moving, staying = "http://a.test/rss", "http://b.test/rss"
    stage_ = FeedStage.__new__(FeedStage)  # its Kafka clients are not what this test is about
    stage_.s, stage_.producer = FeedsSettings(), FakeProducer()
    stage_.table = Table("feeds.subscriptions.v1", "feeds.state.v1")
    stage_.table.apply(sub_record(moving, 1))
    stage_.table.apply(sub_record(staying, 2))
    finish, hold = threading.Event(), threading.Event()

    def poll(url, gate):
        gate.wait(30)
        return FeedState(id=feed_id(url), url=url, status="ok", polled_at=NOW, next_poll_at=NOW, polls=1)

    with ThreadPoolExecutor(2) as pool:
        stage_.busy = {
            feed_id(moving): pool.submit(poll, moving, finish),
            feed_id(staying): pool.submit(poll, staying, hold),
        }
        settling = threading.Thread(target=stage_.settle, args=([TopicPartition("feeds.state.v1", 1)],))
        settling.start()
        settling.join(0.5)
        assert settling.is_alive() and stage_.producer.events == []  # waiting for the poll of the feed that moves
        finish.set()
        settling.join(30)
        assert not settling.is_alive()
        # Its state sent and flushed before the partition goes; the other feed's poll, still running, not waited on.
        assert stage_.producer.events == [("send", feed_id(moving).encode()), ("flush", None)]
        assert list(stage_.busy) == [feed_id(staying)] and not stage_.busy[feed_id(staying)].done()
        hold.set()


@pytest.mark.parametrize("depth", [33, 100_000])
def test_json_nested_past_the_limit_is_refused_naming_it_not_crashing_the_reader(depth):
    value = b'{"text": ' + b"[" * depth + b"]" * depth + b"}"
    with pytest.raises(DecodeError) as caught:
        decode_plain(value, None, ArticleSubmission)
    assert caught.value.reason == "invalid" and "nested more than 32 levels deep" in str(caught.value)
