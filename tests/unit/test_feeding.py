"""`newsflow feed`'s sending: what is resent, what is final, when it gives up."""

import json

import pytest

from newsflow.cli.feeding import Refused, TooLarge, Unavailable, feed, item_json, requests_of
from newsflow.cli.sources import Item


def items(n):
    return [Item(f"f{i}.txt", {"text": f"article {i}"}) for i in range(n)]


class Clock:
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def sleep(self, s):
        self.slept.append(s)
        self.now += s

    def __call__(self):
        return self.now


def accepted(chunk):
    return [{"status": "accepted", "id": i.article["text"]} for i in chunk]


def test_batches_are_no_larger_than_asked():
    sizes = []
    out = feed(items(23), lambda chunk: sizes.append(len(chunk)) or accepted(chunk), batch=10, retry_s=5)
    assert sizes == [10, 10, 3] and len(out.accepted) == 23 and out.resent == 0


def test_an_unreachable_ingest_is_retried_until_it_answers():
    clock, calls = Clock(), {"n": 0}

    def post(chunk):
        calls["n"] += 1
        if calls["n"] <= 3:
            raise Unavailable("connection refused")
        return accepted(chunk)

    out = feed(items(5), post, batch=10, retry_s=60, sleep=clock.sleep, clock=clock)
    assert len(out.accepted) == 5 and out.rejected == [] and out.resent == 15
    assert len(clock.slept) == 3 and max(clock.slept) <= 5  # capped backoff


def test_only_the_articles_the_broker_did_not_acknowledge_are_resent():
    clock, seen = Clock(), []

    def post(chunk):
        seen.append([i.origin for i in chunk])
        if len(seen) == 1:
            return [
                {"status": "accepted", "id": "a"},
                {"status": "failed", "reason": "not acknowledged"},
                {"status": "rejected", "reason": "invalid"},
            ]
        return accepted(chunk)

    out = feed(items(3), post, batch=10, retry_s=60, sleep=clock.sleep, clock=clock)
    assert seen == [["f0.txt", "f1.txt", "f2.txt"], ["f1.txt"]]
    assert [o for o, _ in out.accepted] == ["f0.txt", "f1.txt"] and out.rejected == [("f2.txt", "invalid")]


def test_it_gives_up_on_everything_left_once_ingest_took_nothing_for_the_retry_time():
    clock = Clock()

    def post(chunk):
        raise Unavailable("connection refused")

    out = feed(items(25), post, batch=10, retry_s=10, sleep=clock.sleep, clock=clock)
    assert out.accepted == [] and len(out.rejected) == 25
    assert {r for _, r in out.rejected} == {"not taken by ingest after 10 s of retries: connection refused"}
    assert 10 <= clock.now <= 16


def test_a_refused_request_is_final_and_the_rest_still_goes():
    def post(chunk):
        if chunk[0].origin == "f0.txt":
            raise Refused("ingest answered 403: the key may not submit")
        return accepted(chunk)

    out = feed(items(4), post, batch=2, retry_s=10)
    assert [o for o, _ in out.rejected] == ["f0.txt", "f1.txt"] and len(out.accepted) == 2


@pytest.mark.parametrize("retry_s", [0.0])
def test_no_retry_time_means_no_resending(retry_s):
    out = feed(
        items(2),
        lambda chunk: (_ for _ in ()).throw(Unavailable("down")),
        batch=5,
        retry_s=retry_s,
        sleep=lambda s: pytest.fail("slept"),
    )
    assert len(out.rejected) == 2 and out.resent == 0


def test_a_rate_limit_is_waited_out_as_ingest_asks_and_never_gives_up_the_articles():
    clock, answers = Clock(), iter([None, 7.0, 3.0, None, None])

    def post(chunk):
        wait = next(answers)
        if wait is not None:
            raise Unavailable("ingest answered 429: over its rate limit", retry_after_s=wait)
        return accepted(chunk)

    # retry_s is shorter than the waits: a rate limit is not ingest being down, so nothing is given up.
    out = feed(items(3), post, batch=1, retry_s=5, sleep=clock.sleep, clock=clock)
    assert len(out.accepted) == 3 and not out.rejected and clock.slept == [7.0, 3.0]


def sized(*sizes: int) -> list[Item]:
    return [Item(f"f{i}.txt", {"text": "x" * n}) for i, n in enumerate(sizes)]


def json_bytes(chunk) -> int:
    return len(json.dumps({"articles": [item_json(i) for i in chunk]}).encode())


def test_requests_stay_under_the_byte_limit_and_an_article_larger_goes_alone():
    chunks = requests_of(sized(400, 400, 400, 2_000, 100, 100), batch=10, max_bytes=1_000)
    assert [[i.origin for i in c] for c in chunks] == [
        ["f0.txt", "f1.txt"],
        ["f2.txt"],
        ["f3.txt"],
        ["f4.txt", "f5.txt"],
    ]
    assert all(json_bytes(c) <= 1_000 for c in chunks if len(c) > 1)
    assert [len(c) for c in requests_of(sized(*[10] * 25), batch=10, max_bytes=1_000_000)] == [10, 10, 5]


def test_a_request_ingest_finds_too_large_is_split_until_it_passes_and_one_article_too_large_is_rejected():
    sent: list[int] = []

    def post(chunk):
        sent.append(len(chunk))
        if json_bytes(chunk) > 1_000:  # ingest's limit, lower than the feeder's
            raise TooLarge("ingest answered 413: the body is over 1,000 bytes")
        return accepted(chunk)

    out = feed(sized(300, 300, 300, 300, 300, 5_000), post, batch=10, retry_s=5, max_bytes=100_000)
    assert sorted(len(i) for _, i in out.accepted) == [300] * 5
    assert [(o, r.split(" (")[0]) for o, r in out.rejected] == [
        ("f5.txt", "the article alone is over ingest's request limit")
    ]
    assert sent == [6, 3, 1, 2, 3, 1, 2, 1, 1]  # halves, first half first, until each passes


def test_ingest_busy_with_other_requests_bytes_is_waited_out_as_it_asks():
    clock, answers = Clock(), iter([1.0, None])

    def post(chunk):
        wait = next(answers)
        if wait is not None:
            raise Unavailable("ingest answered 503: bytes in flight", retry_after_s=wait)
        return accepted(chunk)

    out = feed(items(2), post, batch=5, retry_s=60, sleep=clock.sleep, clock=clock)
    assert len(out.accepted) == 2 and clock.slept == [1.0]
