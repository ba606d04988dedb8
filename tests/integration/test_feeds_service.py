"""The feeds stage as several processes: the feeds are shared out by the consumer group, and when a member joins
or leaves, the feeds it hands over are taken up from the state it left, so no entry is submitted twice."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from newsflow.contract import Topics
from newsflow.runtime.servers import http_json, wait_until
from tests.feedserver import Item, Resource, article_text, feed_server, rss
from tests.integration.kafka_util import read_all
from tests.running import cli, cli_json, service, service_env

pytestmark = pytest.mark.integration

FEEDS = 12


class Feeds:
    def __init__(self, fs):
        self.fs, self.items = fs, {f"/f/{i}.xml": [] for i in range(FEEDS)}

    def grow(self) -> None:
        """One more entry in every feed (a new ETag each)."""
        for path, items in self.items.items():
            n = len(items)
            html = f"<p>{article_text(n * FEEDS + int(path[3:-4]))}</p>"
            items.append(Item(f"{path} story {n}", self.fs.url(f"{path}/{n}.html"), f"{path}#{n}", "", content=html))
            self.fs.put(path, Resource(rss(path, items), modified=1_700_000_000.0 + len(items)))


def owned(env) -> int:
    status, body = http_json(f"http://127.0.0.1:{env['NEWSFLOW_FEEDS_PORT']}/readyz")
    return (body or {}).get("feeds", 0) if status == 200 else -1


def polls(env) -> dict[str, int]:
    return {r["url"]: (r["state"] or {}).get("polls", 0) for r in cli_json(["feeds", "list", "--json"], env)}


def submitted(stack, expect: int) -> Counter:
    records = read_all(stack.kafka_bootstrap, stack.topic(Topics.SUBMITTED), expect=expect)
    return Counter(json.loads(r.value)["url"] for r in records)


def test_two_members_share_the_feeds_and_hand_them_over_without_taking_an_entry_twice(stack, tmp_path):
    tuning = {"NEWSFLOW_FEEDS_MIN_INTERVAL_S": "1", "NEWSFLOW_FEEDS_ALLOW_PRIVATE": "true"}
    env_a = service_env(stack, tmp_path / "a", **tuning)
    env_b = service_env(stack, tmp_path / "b", **tuning)
    with feed_server() as fs:
        feeds = Feeds(fs)
        feeds.grow()
        for path in feeds.items:
            done = cli(["feeds", "add", fs.url(path), "--every", "2s"], env_a)
            assert done.returncode == 0, done.stderr.decode()
        with service("feeds", env_a, tmp_path / "a"):
            wait_until(lambda: owned(env_a) == FEEDS, 60, "member A owning every feed")
            wait_until(lambda: min(polls(env_a).values()) >= 1, 60, "every feed polled by A")
            feeds.grow()
            with service("feeds", env_b, tmp_path / "b"):
                # The group shares the partitions out; each member polls only its own feeds.
                wait_until(lambda: owned(env_a) > 0 and owned(env_b) > 0, 90, "both members owning feeds")
                assert owned(env_a) + owned(env_b) == FEEDS
                after_join = polls(env_a)
                feeds.grow()
                wait_until(lambda: all(polls(env_a)[u] >= after_join[u] + 2 for u in after_join), 90, "polled by both")
                assert sum(submitted(stack, FEEDS * 3).values()) == FEEDS * 3
            # B gone: A takes every feed back, from the state B left.
            wait_until(lambda: owned(env_a) == FEEDS, 90, "member A owning every feed again")
            feeds.grow()
            wait_until(lambda: sum(submitted(stack, FEEDS * 4).values()) >= FEEDS * 4, 90, "the fourth entries")
            after_leave = polls(env_a)
            wait_until(lambda: all(polls(env_a)[u] >= after_leave[u] + 1 for u in after_leave), 60, "one more poll")
    counts = submitted(stack, FEEDS * 4)
    assert len(counts) == FEEDS * 4, len(counts)
    assert all(n == 1 for n in counts.values()), [u for u, n in counts.items() if n > 1]
    # Every poll of every feed after its first asked conditionally: an unchanged feed cost a 304.
    assert sum(fs.not_modified.values()) > 0
