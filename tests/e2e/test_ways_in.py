"""The three ways articles reach newsflow besides `newsflow feed` of its own files, end to end on each local
stack: RSS and Atom feeds polled by the feed stage, plain JSON from any Kafka producer, and other tools' files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kafka import KafkaProducer

from newsflow.cli.procs import Proc, alive
from newsflow.contract import ArticleSubmission, DeadLetter, Topics
from newsflow.contract.codec import HEADER_ORIGIN, header_map
from newsflow.runtime.servers import wait_until
from newsflow.runtime.settings import CommonSettings
from newsflow.runtime.topics import read_whole
from newsflow.stages.ingest.prepare import article_id
from tests.e2e.test_pipeline import search
from tests.feedserver import Item, Resource, article_page, article_text, atom, feed_server, opml, rss
from tests.running import cli, cli_json

pytestmark = pytest.mark.e2e


def es(env):
    return CommonSettings(es_url=env["NEWSFLOW_ES_URL"]).elasticsearch(request_timeout=30)


def searchable(env, ids: list[str]) -> set[str]:
    res = es(env).search(index="articles", query={"ids": {"values": ids}}, size=len(ids), source=False)
    return {h["_id"] for h in res["hits"]["hits"]}


def url_id(url: str) -> str:
    return article_id(ArticleSubmission(url=url, text="-"))


def feed_rows(env) -> dict[str, dict]:
    return {row["url"]: row for row in cli_json(["feeds", "list", "--json"], env)}


class Feeds:
    """The test's 20 feeds: 15 good ones (full text and summary-only, RSS and Atom) and 5 bad ones."""

    def __init__(self, fs):
        self.fs = fs
        self.items: dict[str, list[Item]] = {}
        self.kind: dict[str, str] = {}
        self.n = 0
        for i in range(8):
            self.kind[f"/rss/full-{i}.xml"] = "rss-full"
        for i in range(4):
            self.kind[f"/rss/summary-{i}.xml"] = "rss-summary"
        for i in range(2):
            self.kind[f"/atom/full-{i}.xml"] = "atom-full"
        self.kind["/atom/summary-0.xml"] = "atom-summary"
        for path in self.kind:
            self.items[path] = []
            for _ in range(2):
                self.add(path)
        fs.put("/bad/malformed.xml", Resource(b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>Half'))
        fs.put("/bad/500.xml", Resource(b"oops", status=500))
        fs.put("/bad/loop.xml", Resource(b"", status=302, location=fs.url("/bad/loop-2.xml"), conditional=False))
        fs.put("/bad/loop-2.xml", Resource(b"", status=302, location=fs.url("/bad/loop.xml"), conditional=False))
        fs.put("/bad/huge.xml", Resource(b"<rss>" + b"x" * 1_500_000, length=False))
        fs.put("/bad/page.html", Resource(article_page("Not a feed", 0), "text/html; charset=utf-8"))
        self.bad = ["/bad/malformed.xml", "/bad/500.xml", "/bad/loop.xml", "/bad/huge.xml", "/bad/page.html"]

    def add(self, path: str) -> Item:
        self.n += 1
        n, kind = self.n, self.kind[path]
        name = f"{Path(path).stem}-{len(self.items[path])}"
        link = self.fs.url(f"/articles/{Path(path).parent.name}-{name}.html") + "?utm_source=rss"
        title = f"Council plan {n} approved"
        if kind.endswith("full"):
            html = "".join(f"<p>{p}.</p>" for p in article_text(n).split(". "))
            item = Item(title, link, f"{path}#{n}", "Tue, 04 Mar 2025 10:00:00 GMT", "Ana Writer", content=html)
        else:
            item = Item(title, link, f"{path}#{n}", "Tue, 04 Mar 2025 10:00:00 GMT", "Ana Writer", summary="Teaser.")
            page = link.split(str(self.fs.port), 1)[1].split("?")[0]
            self.fs.put(page, Resource(article_page(title, n), "text/html; charset=utf-8"))
        self.items[path].append(item)
        body = (atom if kind.startswith("atom") else rss)(Path(path).stem, self.items[path])
        # A new version of the feed: a new ETag, a later Last-Modified.
        self.fs.put(
            path,
            Resource(
                body,
                "application/atom+xml" if kind.startswith("atom") else "application/rss+xml",
                modified=1_700_000_000.0 + n,
            ),
        )
        return item

    @property
    def urls(self) -> list[str]:
        return [self.fs.url(p) for p in [*self.kind, *self.bad]]

    def article_urls(self) -> list[str]:
        return [it.link.split("?")[0] for items in self.items.values() for it in items]

    def pages(self) -> list[str]:
        return [
            it.link.split(str(self.fs.port), 1)[1].split("?")[0]
            for path, items in self.items.items()
            if "summary" in path
            for it in items
        ]


def test_an_opml_of_feeds_is_polled_politely_and_every_article_indexed_once(deployment):
    env = deployment
    with feed_server() as fs:
        feeds = Feeds(fs)
        fs.put("/subscriptions.opml", Resource(opml([(u, u.rsplit("/", 1)[1]) for u in feeds.urls]), "text/x-opml"))
        done = cli(["feeds", "import", fs.url("/subscriptions.opml"), "--every", "20s"], env)
        assert done.returncode == 0, done.stderr.decode()
        assert "subscribed 20 feeds" in done.stdout.decode()

        # Round one: every feed polled once, the good ones' 30 articles searchable, each bad one's error shown.
        wait_until(
            lambda: all((r["state"] or {}).get("polls", 0) >= 1 for r in feed_rows(env).values()),
            120,
            "every feed polled once",
        )
        first = feeds.article_urls()
        assert len(first) == 30
        wait_until(lambda: len(searchable(env, [url_id(u) for u in first])) == 30, 240, "30 feed articles searchable")
        rows = feed_rows(env)
        errors = {path: rows[fs.url(path)]["state"]["error"] or "" for path in feeds.bad}
        assert "malformed feed" in errors["/bad/malformed.xml"], errors
        assert "HTTP 500" in errors["/bad/500.xml"], errors
        assert "redirect loop" in errors["/bad/loop.xml"], errors
        assert "over the cap of 1,000,000 bytes" in errors["/bad/huge.xml"], errors
        assert "not an RSS or Atom feed (text/html)" in errors["/bad/page.html"], errors
        assert all(rows[fs.url(p)]["state"]["status"] == "error" for p in feeds.bad)
        assert all(rows[fs.url(p)]["state"]["status"] == "ok" for p in feeds.kind), rows
        listed = cli(["feeds", "list"], env)
        assert listed.returncode == 0 and "HTTP 500" in listed.stdout.decode() and "5 failing" in listed.stdout.decode()

        # The stage stops (and is gone); five feeds gain an entry meanwhile; `newsflow up` starts it again.
        home = Path(env["NEWSFLOW_HOME"])
        stage = Proc("feeds", ["newsflow.stages.feeds"], home)
        pid = stage.pid()
        assert pid and stage.stop()
        assert not alive(pid)
        # The first process may have polled again (304s) before it stopped: round two is counted from here.
        polls_before = {u: r["state"]["polls"] for u, r in feed_rows(env).items()}
        not_modified_before = dict(fs.not_modified)
        answered_before = len(fs.answers)
        changed = [
            "/rss/full-0.xml",
            "/rss/full-1.xml",
            "/rss/summary-0.xml",
            "/atom/full-0.xml",
            "/atom/summary-0.xml",
        ]
        for path in changed:
            feeds.add(path)
        done = cli(["up"], env)
        assert done.returncode == 0, done.stderr.decode()
        assert Proc("feeds", ["newsflow.stages.feeds"], home).pid() not in (None, pid)

        # Round two, from the state the first process left in Kafka: conditional GETs, 304 for the unchanged.
        good = [fs.url(p) for p in feeds.kind]
        wait_until(
            lambda: all(feed_rows(env)[u]["state"]["polls"] > polls_before[u] for u in good),
            120,
            "good feeds polled again by the new process",
        )
        new_304 = {p: fs.not_modified[p] - not_modified_before.get(p, 0) for p in feeds.kind}
        unchanged = [p for p in feeds.kind if p not in changed]
        assert all(new_304[p] >= 1 for p in unchanged), new_304
        # A changed feed's first answer to the new process is the whole feed (later polls may well get 304s).
        first_answer = {p: next(st for q, st in fs.answers[answered_before:] if q == p) for p in changed}
        assert all(st == 200 for st in first_answer.values()), first_answer
        every = feeds.article_urls()
        assert len(every) == 35
        wait_until(lambda: len(searchable(env, [url_id(u) for u in every])) == 35, 240, "35 feed articles searchable")

    # Exactly once: each article submitted once (through a restart), each summary-only page fetched once, and
    # a full-text entry's page never; one document per URL, the tracking parameter gone from it.
    prefix = f"feed:{fs.url('/')}"
    submitted = [
        r
        for r in read_whole({"bootstrap_servers": env["NEWSFLOW_KAFKA_BOOTSTRAP"]}, [Topics.SUBMITTED], "t")
        if header_map(r.headers).get(HEADER_ORIGIN, b"").decode().startswith(prefix)
    ]
    assert sorted(json.loads(r.value)["url"] for r in submitted) == sorted(every)
    assert all(fs.gets[p] == 1 for p in feeds.pages()), {p: fs.gets[p] for p in feeds.pages()}
    assert not any(fs.gets[u.split(str(fs.port), 1)[1]] for u in every if "full" in u)
    res = es(env).search(index="articles", query={"terms": {"url": every}}, size=100)
    assert res["hits"]["total"]["value"] == 35
    doc = next(h["_source"] for h in res["hits"]["hits"] if "rss-summary" in h["_source"]["url"])
    assert doc["authors"] == ["Ana Writer"] and doc["title"].startswith("Council plan") and "Mayor" in doc["body"]
    assert doc["source"] and doc["published"].startswith("2025-03-04")
    assert fs.agents and all(a.startswith("newsflow/") for a in fs.agents), fs.agents


JS_SHELL = (
    b"<!doctype html><html><head><title>Riverton Daily</title><script src='/static/app.js'></script></head>"
    b"<body><div id='root'></div><noscript>You need to enable JavaScript to run this app.</noscript></body></html>"
)


def test_a_short_article_carried_whole_by_its_feed_is_indexed_from_the_feed_when_its_page_is_an_empty_shell(
    deployment,
):
    """A feed reader shows an entry's content:encoded. Its page, fetched because the entry is under 150 words, is a
    script's empty shell: the feed's text was thrown away for it, and ingest dead-lettered "no article text"."""
    env = deployment
    with feed_server() as fs:
        shell_link, page_link = fs.url("/app/story-1"), fs.url("/articles/story-2.html")
        short = [article_text(7_001, words=80), article_text(7_002, words=80)]
        items = [
            Item("Short story from the feed", shell_link, "shell-1", "Tue, 04 Mar 2025 10:00:00 GMT", content=short[0]),
            Item("Short story with a page", page_link, "page-2", "Tue, 04 Mar 2025 11:00:00 GMT", content=short[1]),
        ]
        fs.put("/shell.xml", Resource(rss("Riverton Daily", items)))
        fs.put("/app/story-1", Resource(JS_SHELL, "text/html; charset=utf-8"))
        fuller = "".join(
            f"<p>Part {i} of the full report on plan 7002 says the council will meet the engineers in week {i}.</p>"
            for i in range(20)
        )
        page = (
            f"<html><head><title>Short story with a page</title></head><body><article>{fuller}</article></body></html>"
        )
        fs.put("/articles/story-2.html", Resource(page.encode(), "text/html"))
        done = cli(["feeds", "add", fs.url("/shell.xml"), "--every", "20s"], env)
        assert done.returncode == 0, done.stderr.decode()
        ids = [url_id(shell_link), url_id(page_link)]
        wait_until(lambda: len(searchable(env, ids)) == 2, 240, "both feed articles searchable")
        assert fs.gets["/app/story-1"] == 1 and fs.gets["/articles/story-2.html"] == 1  # each page was tried
    docs = {
        h["_id"]: h["_source"] for h in es(env).search(index="articles", query={"ids": {"values": ids}})["hits"]["hits"]
    }
    from_feed, from_page = docs[ids[0]], docs[ids[1]]
    assert from_feed["title"] == "Short story from the feed" and "plan number 7001" in from_feed["body"]
    assert "JavaScript" not in from_feed["body"]
    # The page held more than the feed (20 paragraphs against its 80 words): taken from there.
    assert "Part 19 of the full report" in from_page["body"] and "plan number 7002" not in from_page["body"]


def test_plain_json_produced_by_any_client_is_searchable_and_bad_messages_are_dead_lettered(deployment):
    env = deployment
    producer = KafkaProducer(bootstrap_servers=env["NEWSFLOW_KAFKA_BOOTSTRAP"], acks="all")
    good = [
        {"url": f"https://scraper.example.com/story-{n}", "title": f"Scraped story {n}", "text": article_text(900 + n)}
        for n in range(3)
    ]
    bad = [
        b"{not json",
        json.dumps({"url": "https://scraper.example.com/x", "body": "text under the wrong name"}).encode(),
        json.dumps({"title": "no body at all"}).encode(),
        json.dumps({"text": "Too short."}).encode(),
    ]
    for article in good:
        producer.send(Topics.SUBMITTED, json.dumps(article).encode())  # no key, no headers: as kcat would
    for value in bad:
        producer.send(Topics.SUBMITTED, value)
    producer.flush()
    producer.close()
    ids = [url_id(a["url"]) for a in good]
    wait_until(lambda: len(searchable(env, ids)) == 3, 240, "the produced articles searchable")
    assert search(env, "Scraped story")

    def letters():
        out = []
        for r in read_whole({"bootstrap_servers": env["NEWSFLOW_KAFKA_BOOTSTRAP"]}, [Topics.DEADLETTER], "t"):
            letter = DeadLetter.model_validate_json(r.value)
            if letter.stage == "ingest":
                out.append(letter)
        return out

    wait_until(lambda: len(letters()) >= 4, 120, "four dead letters from ingest")
    reasons = {letter.payload: (letter.error_type, letter.error_message) for letter in letters()}
    assert reasons["{not json"][0] == "not-json"
    wrong_name = reasons[bad[1].decode()]
    assert wrong_name[0] == "invalid" and "body: unknown field" in wrong_name[1] and "--map" in wrong_name[1]
    assert reasons[bad[2].decode()][0] == "invalid" and "exactly one of 'text' or 'html'" in reasons[bad[2].decode()][1]
    assert (
        reasons[bad[3].decode()]
        == (
            "refused",
            reasons[bad[3].decode()][1],
        )
        and "no article text" in reasons[bad[3].decode()][1]
    )


def test_a_news_please_file_is_fed_with_its_preset(deployment, tmp_path):
    env = deployment
    records = [
        {
            "authors": ["Ines Carvalho"],
            "date_download": "2025-03-05 08:00:00",
            "date_modify": None,
            "date_publish": "2025-03-04 09:30:00",
            "description": "A teaser.",
            "filename": "x.json",
            "image_url": None,
            "language": "en",
            "localpath": None,
            "maintext": article_text(700 + n),
            "source_domain": "crawl.example.net",
            "title": f"Crawled council story {n}",
            "title_page": None,
            "title_rss": None,
            "url": f"https://crawl.example.net/council-{n}",
        }
        for n in range(2)
    ]
    path = tmp_path / "news-please.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    refused = cli(["feed", str(path)], env)
    assert (
        refused.returncode == 1 and "unknown field" in refused.stderr.decode() and "--preset" in refused.stderr.decode()
    )
    done = cli(["feed", "--preset", "news-please", str(path), "--wait", "--timeout", "240"], env)
    assert done.returncode == 0, done.stderr.decode()
    assert "accepted 2, rejected 0" in done.stdout.decode()
    # Every article: the two bodies are one template with other places, and may well be judged one story.
    hits = {h["title"]: h for h in search(env, "Crawled council story", every=True)}
    story = hits["Crawled council story 1"]
    assert story["authors"] == ["Ines Carvalho"] and story["source"] == "crawl.example.net"
    assert story["published"].startswith("2025-03-04T09:30") and story["url"] == "https://crawl.example.net/council-1"
