"""The feed stage's HTTP client against a real local server: every way a request goes wrong is a FetchError that
says why and whether to try again, and one host never gets more than its share of connections."""

from __future__ import annotations

import gzip
import threading

import pytest

from newsflow.runtime.servers import free_port, wait_until
from newsflow.stages.feeds.fetch import Fetcher, FetchError, user_agent
from tests.feedserver import Resource, feed_server


@pytest.fixture
def server():
    with feed_server() as fs:
        yield fs


@pytest.fixture
def fetcher():
    """This test's server is on loopback, which a feed stage refuses by default: this one is told it may."""
    f = Fetcher(user_agent("desk@example.org"), timeout_s=1.0, per_host=2, max_redirects=5, allow_private=True)
    yield f
    f.close()


def test_an_answer_comes_whole_with_its_validators_and_a_matching_conditional_get_is_a_304(server, fetcher):
    server.put("/feed.xml", Resource(b"<rss/>"))
    resp = fetcher.get(server.url("/feed.xml"), 1_000)
    assert (resp.status, resp.body, resp.content_type) == (200, b"<rss/>", "application/rss+xml")
    again = fetcher.get(server.url("/feed.xml"), 1_000, {"If-None-Match": resp.headers["etag"]})
    assert again.status == 304 and server.not_modified["/feed.xml"] == 1
    assert server.agents == {user_agent("desk@example.org")}
    assert user_agent("desk@example.org").startswith("newsflow/") and "+desk@example.org" in server.agents.pop()


def test_a_body_over_the_cap_is_refused_declared_or_not(server, fetcher):
    server.put("/declared.xml", Resource(b"x" * 5_000))
    server.put("/streamed.xml", Resource(b"x" * 50_000, length=False))
    with pytest.raises(FetchError, match=r"5,000 bytes \(Content-Length\), over the cap of 1,000") as declared:
        fetcher.get(server.url("/declared.xml"), 1_000)
    with pytest.raises(FetchError, match=r"over the cap of 1,000 bytes \(stopped reading\)") as streamed:
        fetcher.get(server.url("/streamed.xml"), 1_000)
    assert not declared.value.transient and not streamed.value.transient


def test_the_cap_counts_what_a_compressed_body_becomes(server, fetcher):
    bomb = gzip.compress(b"\0" * 5_000_000)
    server.put("/bomb.xml", Resource(bomb, headers={"Content-Encoding": "gzip"}))
    assert len(bomb) < 10_000
    with pytest.raises(FetchError, match="over the cap of 100,000 bytes"):
        fetcher.get(server.url("/bomb.xml"), 100_000)


def test_a_redirect_loop_is_named_and_not_retried(server, fetcher):
    server.put("/a", Resource(b"", status=302, location=server.url("/b"), conditional=False))
    server.put("/b", Resource(b"", status=302, location=server.url("/a"), conditional=False))
    with pytest.raises(FetchError, match="redirect loop") as caught:
        fetcher.get(server.url("/a"), 1_000)
    assert not caught.value.transient and server.gets["/a"] + server.gets["/b"] == 6  # the first and 5 redirects


def test_http_errors_say_their_status_and_whether_to_retry(server, fetcher):
    server.put("/busy", Resource(b"slow down", status=503, headers={"Retry-After": "120"}))
    server.put("/gone", Resource(b"no", status=404))
    with pytest.raises(FetchError) as busy:
        fetcher.get(server.url("/busy"), 1_000)
    with pytest.raises(FetchError) as gone:
        fetcher.get(server.url("/gone"), 1_000)
    assert (busy.value.reason, busy.value.transient, busy.value.retry_after_s) == (
        "HTTP 503 Service Unavailable",
        True,
        120.0,
    )
    assert (gone.value.reason, gone.value.transient) == ("HTTP 404 Not Found", False)


def test_a_server_that_does_not_answer_times_out_and_one_not_there_is_refused(server, fetcher):
    hold = threading.Event()
    server.put("/hang", Resource(b"<rss/>", hold=hold))
    try:
        with pytest.raises(FetchError, match=r"timed out \(ReadTimeout\) after 1 s") as slow:
            fetcher.get(server.url("/hang"), 1_000)
    finally:
        hold.set()
    with pytest.raises(FetchError, match="ConnectError") as refused:
        fetcher.get(f"http://127.0.0.1:{free_port()}/feed.xml", 1_000)
    assert slow.value.transient and refused.value.transient


def test_one_host_gets_at_most_its_share_of_requests_at_once_and_others_are_not_held_up(server):
    fetcher = Fetcher(user_agent(None), timeout_s=20.0, per_host=2, max_redirects=5, allow_private=True)
    hold = threading.Event()
    server.put("/slow.xml", Resource(b"<rss/>", hold=hold))
    server.put("/quick.xml", Resource(b"<rss/>"))
    results: list = []
    threads = [
        threading.Thread(target=lambda: results.append(fetcher.get(server.url("/slow.xml"), 1_000).status))
        for _ in range(5)
    ]
    try:
        for t in threads:
            t.start()
        wait_until(lambda: server.in_flight == 2, 10, "two requests to the slow host in flight")
        # Another host (the same server by another name) is served while the first one's slots are taken.
        other = server.url("/quick.xml").replace("127.0.0.1", "localhost")
        assert fetcher.get(other, 1_000).status == 200
        assert server.in_flight == 2 and server.gets["/slow.xml"] == 2
    finally:
        hold.set()
        for t in threads:
            t.join(30)
        fetcher.close()
    assert results == [200] * 5 and server.most_in_flight == 2


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:{port}/feed.xml", "http://localhost:{port}/feed.xml", "http://[::1]:{port}/feed.xml"]
    + ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/feed.xml", "http://192.168.1.1/feed.xml"],
)
def test_by_default_nothing_is_read_from_this_machine_or_a_private_network(server, url):
    """A feed's entry links are someone else's choice: a link to a cloud's metadata service, or to a service
    on this machine, is refused before any connection."""
    server.put("/feed.xml", Resource(b"<rss/>"))
    fetcher = Fetcher(user_agent(None), timeout_s=1.0, per_host=2, max_redirects=5)
    try:
        with pytest.raises(FetchError, match="not a public address") as caught:
            fetcher.get(url.format(port=server.port), 1_000)
    finally:
        fetcher.close()
    assert not caught.value.transient and server.gets["/feed.xml"] == 0
