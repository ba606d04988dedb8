"""The feed stage's decisions without a server or a broker: reading feeds, what is new, what each entry becomes,
when a feed is polled next, and one whole poll against a fake fetcher."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest

from newsflow.contract.feeds import FeedState, FeedSubscription, feed_id
from newsflow.stages.feeds.fetch import FetchError, Response
from newsflow.stages.feeds.poll import (
    NotAFeed,
    Schedule,
    conditional_headers,
    fresh,
    full_text_of,
    read_feed,
    remember,
    richer,
    submission,
)
from newsflow.stages.feeds.service import Poller, SubmitFailed
from newsflow.stages.feeds.settings import FeedsSettings
from tests.feedserver import Item, article_page, article_text, atom, rss

NOW = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
URL = "http://news.test/feed.xml"


def feed(every_s: int = 600, source: str | None = None) -> FeedSubscription:
    return FeedSubscription(id=feed_id(URL), url=URL, source=source, every_s=every_s, added_at=NOW)


def items(n: int, full: bool, start: int = 0) -> list[Item]:
    return [
        Item(
            title=f"Plan {i} approved",
            link=f"http://news.test/a/{i}?utm_source=rss&id={i}",
            guid=f"tag:news.test,2026:{i}",
            published="Mon, 02 Mar 2026 10:00:00 GMT",
            author="Jo Reed",
            content=f"<p>{article_text(i)}</p>" if full else None,
            summary=f"Plan {i} in short.",
        )
        for i in range(start, start + n)
    ]


# -- reading -------------------------------------------------------------------------------------------------


def test_an_rss_feed_gives_its_entries_with_link_guid_date_and_author():
    parsed = read_feed(rss("Example News", items(2, full=True)), "application/rss+xml", URL)
    assert parsed.title == "Example News" and parsed.warning is None
    first = parsed.entries[0]
    assert first.keys == ("guid:tag:news.test,2026:0", "url:http://news.test/a/0?utm_source=rss&id=0")
    assert first.link == "http://news.test/a/0?id=0"  # the campaign parameter is not part of the article's URL
    assert first.title == "Plan 0 approved" and first.authors == ("Jo Reed",)
    assert first.published == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert "council" in first.content and first.summary == "Plan 0 in short."


def test_an_atom_feed_reads_the_same():
    parsed = read_feed(atom("Atom News", items(3, full=False)), "application/atom+xml", URL)
    assert [e.title for e in parsed.entries] == ["Plan 0 approved", "Plan 1 approved", "Plan 2 approved"]
    assert parsed.entries[1].authors == ("Jo Reed",) and parsed.entries[1].content is None


def test_an_html_page_is_no_feed():
    with pytest.raises(NotAFeed, match=r"not an RSS or Atom feed \(text/html\)"):
        read_feed(article_page("Home", 1), "text/html", URL)


def test_xml_broken_before_any_entry_is_a_malformed_feed():
    with pytest.raises(NotAFeed, match="malformed feed"):
        read_feed(b"<?xml version='1.0'?><rss version='2.0'><channel><title>x</ti", "application/xml", URL)


def test_a_feed_broken_after_its_entries_is_read_with_a_warning():
    body = rss("Cut", items(2, full=True))
    parsed = read_feed(body[: body.rindex(b"</channel>")] + b"<item><title>broken", "application/rss+xml", URL)
    assert len(parsed.entries) == 2 and parsed.warning.startswith("malformed XML, read anyway")


def test_an_entry_without_link_guid_or_text_is_left_out():
    body = (
        b"<rss version='2.0'><channel><title>t</title>"
        b"<item><title>only a title</title></item>"
        b"<item><title>a link</title><link>http://news.test/x</link></item></channel></rss>"
    )
    (entry,) = read_feed(body, "application/rss+xml", URL).entries
    assert entry.keys == ("url:http://news.test/x",)


def test_a_javascript_link_is_no_link():
    body = (
        b"<rss version='2.0'><channel><title>t</title><item><title>x</title><link>javascript:alert(1)</link>"
        b"<guid isPermaLink='false'>g1</guid><description>short</description></item></channel></rss>"
    )
    (entry,) = read_feed(body, "application/rss+xml", URL).entries
    assert entry.link is None and entry.keys == ("guid:g1",)


# -- what is new -----------------------------------------------------------------------------------------------


def state(**update) -> FeedState:
    return FeedState(id=feed_id(URL), url=URL, status="ok", polled_at=NOW, next_poll_at=NOW).model_copy(update=update)


def test_an_entry_seen_by_its_guid_or_its_link_is_not_taken_again():
    entries = read_feed(rss("n", items(4, full=True)), "application/rss+xml", URL).entries
    seen = remember([], entries[:1], keep=100) + ["url:http://news.test/a/1?utm_source=rss&id=1"]
    assert [e.title for e in fresh(entries, state(seen=seen))] == ["Plan 2 approved", "Plan 3 approved"]


def test_the_same_entry_twice_in_one_feed_is_taken_once():
    entries = read_feed(rss("n", items(2, full=True) + items(1, full=True)), "application/rss+xml", URL).entries
    assert len(entries) == 3 and len(fresh(entries, None)) == 2


def test_the_memory_of_seen_entries_is_bounded_and_keeps_the_newest():
    entries = read_feed(rss("n", items(5, full=True)), "application/rss+xml", URL).entries
    kept = remember(["old:1", "old:2"], entries, keep=4)
    assert kept == [*entries[3].keys, *entries[4].keys]


# -- what each entry becomes -------------------------------------------------------------------------------------


def test_full_text_is_the_content_or_a_long_summary_never_a_teaser():
    full, teaser = (read_feed(rss("n", items(1, full=f)), "application/rss+xml", URL).entries[0] for f in (1, 0))
    assert "council" in full_text_of(full, 150)
    assert full_text_of(teaser, 150) is None


def test_a_submission_carries_what_the_feed_says_and_the_subscriptions_source_first():
    entry = read_feed(rss("Example News", items(1, full=True)), "application/rss+xml", URL).entries[0]
    out = submission(entry, feed(source="Desk A"), "Example News", "<p>body</p>")
    assert out == {
        "html": "<p>body</p>",
        "url": "http://news.test/a/0?id=0",
        "title": "Plan 0 approved",
        "published": "2026-03-02T10:00:00+00:00",
        "source": "Desk A",
        "authors": ["Jo Reed"],
    }
    assert submission(entry, feed(), "Example News", "x")["source"] == "Example News"


# -- when next ---------------------------------------------------------------------------------------------------


def test_the_interval_is_the_feeds_own_with_jitter_never_below_the_minimum():
    schedule = Schedule(min_interval_s=60, jitter=0.1, max_backoff_s=3600)
    rng = random.Random(1)
    delays = {(schedule.after_success(feed(600), NOW, rng) - NOW).total_seconds() for _ in range(200)}
    assert 540 <= min(delays) < 560 and 640 < max(delays) <= 660 and len(delays) > 100
    assert schedule.after_success(feed(5), NOW, random.Random(1)) - NOW >= timedelta(seconds=54)


def test_failures_back_off_exponentially_up_to_the_cap_and_honour_retry_after():
    schedule = Schedule(min_interval_s=1, jitter=0.0, max_backoff_s=3600)
    rng = random.Random(1)
    delays = [(schedule.after_failure(feed(60), n, NOW, rng, None) - NOW).total_seconds() for n in range(1, 9)]
    assert delays == [60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert schedule.after_failure(feed(60), 1, NOW, rng, retry_after_s=900) - NOW == timedelta(seconds=900)
    assert schedule.after_failure(feed(60), 3, NOW, rng, retry_after_s=5) - NOW == timedelta(seconds=240)


def test_conditional_get_sends_back_the_validators():
    assert "If-None-Match" not in conditional_headers(None)
    headers = conditional_headers(state(etag='"abc"', last_modified="Mon, 02 Mar 2026 10:00:00 GMT"))
    assert headers["If-None-Match"] == '"abc"' and headers["If-Modified-Since"] == "Mon, 02 Mar 2026 10:00:00 GMT"


# -- one poll, with a fake fetcher -------------------------------------------------------------------------------


class FakeFetcher:
    def __init__(self, answers: dict):
        self.answers, self.asked = answers, []

    def get(self, url, max_bytes, headers=None):
        self.asked.append((url, dict(headers or {})))
        answer = self.answers[url]
        if isinstance(answer, FetchError):
            raise answer
        return answer


def ok(body: bytes, content_type: str = "application/rss+xml", **headers) -> Response:
    return Response(200, URL, {"content-type": content_type, **headers}, body)


def poller(fetcher, submitted: list, fail: bool = False) -> Poller:
    def submit(articles, _feed):
        if fail:
            raise SubmitFailed("the broker took 2 of 2 articles not")
        submitted.extend(articles)

    settings = FeedsSettings(feeds_min_interval_s=1, feeds_page_attempts=2)
    return Poller(settings, fetcher, submit, threading.Event(), rng=random.Random(1))


def test_a_summary_only_feed_fetches_each_page_once_and_a_second_poll_asks_conditionally():
    pages = {f"http://news.test/a/{i}?id={i}": ok(article_page(f"Plan {i}", i), "text/html") for i in range(3)}
    fetcher = FakeFetcher({URL: ok(rss("n", items(3, full=False)), etag='"v1"'), **pages})
    submitted: list = []
    first = poller(fetcher, submitted).poll(feed(), None)
    assert (first.status, first.articles, first.etag, first.error) == ("ok", 3, '"v1"', None)
    assert [a.url for a in submitted] == list(pages) and all("council" in a.html for a in submitted)
    assert submitted[0].authors == ["Jo Reed"] and submitted[0].title == "Plan 0 approved"

    fetcher.answers[URL] = Response(304, URL, {}, b"")
    second = poller(fetcher, submitted).poll(feed(), first)
    assert fetcher.asked[-1] == (URL, conditional_headers(first)) and conditional_headers(first)["If-None-Match"]
    assert (second.status, second.not_modified, second.articles, len(submitted)) == ("not-modified", 1, 3, 3)


JS_SHELL = (
    b"<!doctype html><html><head><title>News</title><script src='/app.js'></script></head>"
    b"<body><div id='root'></div><noscript>You need to enable JavaScript to run this app.</noscript></body></html>"
)


def test_the_richer_of_the_feed_and_its_page_is_taken():
    short = f"<p>{article_text(1, words=80)}</p>"  # under the 150 words that make an entry the article itself
    assert richer(short, JS_SHELL.decode()) == (short, "feed")
    page = article_page("Plan 1", 1).decode()
    assert richer(short, page) == (page, "page")  # the page holds the article, and more of it
    assert richer("<p>Teaser.</p>", page)[1] == "page" and richer(None, JS_SHELL.decode())[1] == "page"


def test_a_short_full_text_whose_page_is_an_empty_shell_is_submitted_from_the_feed():
    entries = items(2, full=False)
    entries = [
        Item(e.title, e.link, e.guid, e.published, e.author, content=f"<p>{article_text(i, words=80)}</p>")
        for i, e in enumerate(entries)
    ]
    shell, page = "http://news.test/a/0?id=0", "http://news.test/a/1?id=1"
    fetcher = FakeFetcher(
        {URL: ok(rss("n", entries)), shell: ok(JS_SHELL, "text/html"), page: ok(article_page("Plan 1", 1), "text/html")}
    )
    submitted: list = []
    done = poller(fetcher, submitted).poll(feed(), None)
    assert done.status == "ok" and done.articles == 2 and [u for u, _ in fetcher.asked[1:]] == [shell, page]
    assert submitted[0].html == entries[0].content  # the shell has none of it: what the feed carried
    assert "<article>" in submitted[1].html  # the page has more than the feed's 80 words


def test_a_page_failing_for_now_is_tried_at_the_next_poll_then_its_summary_taken():
    link = "http://news.test/a/0?id=0"
    fetcher = FakeFetcher({URL: ok(rss("n", items(1, full=False)), etag='"v1"'), link: FetchError("503", True, 503)})
    submitted: list = []
    first = poller(fetcher, submitted).poll(feed(), None)
    assert submitted == [] and first.retrying == {"guid:tag:news.test,2026:0": 1} and "503" in first.error
    # The entry still to be taken needs the whole feed: no conditional GET while retrying.
    second = poller(fetcher, submitted).poll(feed(), first)
    assert "If-None-Match" not in fetcher.asked[-2][1]
    assert second.retrying == {} and [a.html for a in submitted] == ["Plan 0 in short."]


def test_a_page_that_will_never_work_gives_the_summary_at_once():
    link = "http://news.test/a/0?id=0"
    fetcher = FakeFetcher({URL: ok(rss("n", items(1, full=False))), link: FetchError("404 Not Found", False, 404)})
    submitted: list = []
    done = poller(fetcher, submitted).poll(feed(), None)
    assert [a.html for a in submitted] == ["Plan 0 in short."] and "404 Not Found" in done.error


def test_a_failed_feed_keeps_what_it_knew_and_backs_off():
    fetcher = FakeFetcher({URL: FetchError("500 Internal Server Error", True, 500)})
    before = state(etag='"v1"', seen=["guid:x"], articles=7, next_poll_at=NOW)
    after = poller(fetcher, []).poll(feed(60), before)
    assert (after.status, after.error, after.http_status, after.failures) == (
        "error",
        "500 Internal Server Error",
        500,
        1,
    )
    assert (after.etag, after.seen, after.articles) == ('"v1"', ["guid:x"], 7)
    again = poller(fetcher, []).poll(feed(60), after)
    assert again.failures == 2 and again.next_poll_at - again.polled_at > after.next_poll_at - after.polled_at


def test_articles_the_broker_did_not_take_are_not_marked_seen():
    fetcher = FakeFetcher({URL: ok(rss("n", items(2, full=True)))})
    after = poller(fetcher, [], fail=True).poll(feed(), None)
    assert after.status == "error" and after.seen == [] and after.articles == 0 and "sent again" not in after.error
    assert "the broker took 2 of 2" in after.error


def test_a_non_feed_answer_is_an_error_of_that_feed():
    fetcher = FakeFetcher({URL: ok(article_page("Home", 1), "text/html")})
    after = poller(fetcher, []).poll(feed(), None)
    assert after.status == "error" and after.error == "not an RSS or Atom feed (text/html)"
