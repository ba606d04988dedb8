"""`newsflow feeds`: the subscriptions the feed stage polls, written to and read from their compacted topics."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import typer
from kafka import KafkaProducer
from lxml import etree
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from newsflow.cli.progress import duration, tracked
from newsflow.cli.settings import CliSettings
from newsflow.contract import Topics, encode
from newsflow.contract.codec import describe_validation_error
from newsflow.contract.feeds import FeedState, FeedSubscription, feed_id
from newsflow.runtime.topics import ensure_topics, read_whole, table_entry
from newsflow.stages.feeds.fetch import user_agent

app = typer.Typer(help="RSS and Atom feeds, polled by the feed stage: add, import (OPML), list, remove.")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_OPML_BYTES = 20 * 1024 * 1024


def parse_interval(text: str) -> int:
    """``"10m"``, ``"90s"``, ``"1h30m"``, ``"2d"`` or a number of seconds → seconds."""
    spec = text.strip().lower()
    if spec.isdigit():
        seconds = int(spec)
    else:
        parts = re.findall(r"(\d+)\s*([smhd])", spec)
        if not parts or re.sub(r"(\d+)\s*([smhd])", "", spec).strip():
            raise typer.BadParameter(f"{text!r} is not an interval like 90s, 10m, 1h30m or 2d")
        seconds = sum(int(n) * _UNITS[u] for n, u in parts)
    if not 1 <= seconds <= 7 * 86400:
        raise typer.BadParameter(f"{text!r}: an interval is between 1 s and 7 days")
    return seconds


def read_opml(data: bytes) -> list[tuple[str, str | None]]:
    """The (feed URL, title) of every outline with an xmlUrl, nested categories included. Hostile input is XML:
    no entity is expanded and nothing is fetched."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not an OPML file: {exc}") from None
    feeds: dict[str, str | None] = {}
    for outline in root.iter("outline"):
        url = next((v for k, v in outline.attrib.items() if k.lower() == "xmlurl"), "").strip()
        if url and url not in feeds:
            feeds[url] = (outline.get("title") or outline.get("text") or "").strip() or None
    if not feeds and root.tag != "opml":
        raise ValueError(f"not an OPML file: its root is <{root.tag}>, and it has no outline with an xmlUrl")
    return list(feeds.items())


def _load(where: str, timeout_s: float = 30) -> bytes:
    if re.match(r"^https?://", where):
        headers = {"User-Agent": user_agent(None)}
        with httpx.stream("GET", where, headers=headers, timeout=timeout_s, follow_redirects=True) as resp:
            resp.raise_for_status()
            chunks, size = [], 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > MAX_OPML_BYTES:
                    raise ValueError(f"{where}: over {MAX_OPML_BYTES:,} bytes, not an OPML file of subscriptions")
                chunks.append(chunk)
            return b"".join(chunks)
    path = Path(where)
    if path.stat().st_size > MAX_OPML_BYTES:
        raise ValueError(f"{where}: over {MAX_OPML_BYTES:,} bytes, not an OPML file of subscriptions")
    return path.read_bytes()


def subscription(url: str, every_s: int, source: str | None) -> FeedSubscription:
    try:
        return FeedSubscription(
            id=feed_id(url), url=url.strip(), source=source, every_s=every_s, added_at=datetime.now(UTC)
        )
    except ValidationError as exc:
        raise ValueError(f"{url}: {describe_validation_error(exc)}") from None


class Writer:
    """Writes subscriptions (and tombstones) to the feed topics, waiting for the broker's acknowledgement."""

    def __init__(self, s: CliSettings):
        self.s = s
        ensure_topics(s.kafka_client_config(), s.topic_partitions, s.topic_replication, s.namespace)
        self.producer = KafkaProducer(**s.kafka_client_config(), client_id="newsflow-feeds-cli", acks="all")

    def put(self, feed: FeedSubscription):
        value, headers = encode(feed)
        return self.producer.send(self.s.scoped(Topics.FEEDS), key=feed.id.encode(), value=value, headers=headers)

    def remove(self, fid: str) -> None:
        for topic in (Topics.FEEDS, Topics.FEED_STATE):
            self.producer.send(self.s.scoped(topic), key=fid.encode(), value=None)

    def close(self) -> None:
        self.producer.flush(timeout=60)
        self.producer.close(timeout=10)


def read_feeds(s: CliSettings) -> list[tuple[FeedSubscription, FeedState | None]]:
    """Every subscription, with the feed stage's last state of it, read whole from the two topics."""
    subs: dict[str, FeedSubscription] = {}
    states: dict[str, FeedState] = {}
    topics = [s.scoped(Topics.FEEDS), s.scoped(Topics.FEED_STATE)]
    for r in read_whole(s.kafka_client_config(), topics, "newsflow-feeds-list"):
        table: dict = subs if r.topic == topics[0] else states
        entry = table_entry(r, FeedSubscription if table is subs else FeedState)
        if entry is None:
            continue
        key, message = entry
        if message is None:
            table.pop(key, None)
        elif not (isinstance(message, FeedState) and key in states and states[key].polled_at > message.polled_at):
            table[key] = message
    return [(sub, states.get(fid)) for fid, sub in sorted(subs.items(), key=lambda kv: kv[1].url)]


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "-"
    seconds = (when - now).total_seconds()
    text = duration(abs(seconds))
    return f"in {text}" if seconds > 0 else f"{text} ago"


# -- the commands ----------------------------------------------------------------------------------------------


@app.command("add")
def add(
    url: str = typer.Argument(..., help="The feed's URL (RSS or Atom)."),
    every: str = typer.Option("10m", "--every", help="How often to poll it: 90s, 10m, 1h..."),
    source: str | None = typer.Option(
        None, "--source", help="Source name for its articles (default: the feed's title)."
    ),
) -> None:
    """Subscribe to a feed (again: its interval and source are replaced, its state kept)."""
    s = CliSettings()
    try:
        feed = subscription(url, parse_interval(every), source)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    writer = Writer(s)
    try:
        writer.put(feed).get(timeout=60)
    finally:
        writer.close()
    out.print(f"subscribed {feed.url} (id {feed.id}), every {every}", highlight=False)


@app.command("import")
def import_(
    opml: str = typer.Argument(..., help="An OPML file of subscriptions, a path or an http(s) URL."),
    every: str = typer.Option("10m", "--every", help="How often to poll each feed."),
) -> None:
    """Subscribe to every feed of an OPML file; a bad outline is reported and the others still taken."""
    s = CliSettings()
    every_s = parse_interval(every)
    try:
        outlines = read_opml(_load(opml))
    except (OSError, ValueError, httpx.HTTPError) as exc:
        err.print(f"[red]cannot read {opml}:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    writer = Writer(s)
    refused: list[str] = []
    futures = []
    try:
        with tracked(err, "subscribing", len(outlines)) as progress:
            for url, title in outlines:
                try:
                    futures.append(writer.put(subscription(url, every_s, title)))
                except ValueError as exc:
                    refused.append(str(exc))
                progress.advance()
    finally:
        writer.close()
    for future in futures:
        future.get(timeout=0)
    out.print(f"subscribed {len(futures)} feeds from {opml}, every {every}; refused {len(refused)}", highlight=False)
    for reason in refused:
        err.print(f"  [red]refused[/red] {reason}", highlight=False)
    if refused:
        raise typer.Exit(1)


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Every feed: when it was last polled, its status, the articles found and the last error."""
    s = CliSettings()
    rows = read_feeds(s)
    if as_json:
        print(
            json.dumps(
                [
                    feed.model_dump(mode="json") | {"state": state.model_dump(mode="json") if state else None}
                    for feed, state in rows
                ],
                indent=2,
            )
        )
        return
    now = datetime.now(UTC)
    table = Table("feed", "every", "last poll", "next", "status", "articles", "304s", "error")
    for feed, state in rows:
        if state is None:
            table.add_row(feed.url, f"{feed.every_s} s", "never", "-", "[dim]waiting[/dim]", "0", "0", "")
            continue
        colour = {"ok": "green", "not-modified": "green", "error": "red"}[state.status]
        table.add_row(
            feed.url,
            f"{feed.every_s} s",
            _ago(state.polled_at, now),
            _ago(state.next_poll_at, now),
            f"[{colour}]{state.status}[/{colour}]",
            str(state.articles),
            str(state.not_modified),
            (state.error or "")[:160],
        )
    out.print(table)
    failing = sum(1 for _, state in rows if state and state.status == "error")
    out.print(f"{len(rows)} feeds, {failing} failing")


@app.command("remove")
def remove(feed: str = typer.Argument(..., help="The feed's URL or id.")) -> None:
    """Unsubscribe from a feed; its state goes too."""
    s = CliSettings()
    fid = feed if re.fullmatch(r"[0-9a-f]{24}", feed) else feed_id(feed)
    known = {sub.id for sub, _ in read_feeds(s)}
    if fid not in known:
        err.print(f"[red]no feed {feed}[/red] (see `newsflow feeds list`)", highlight=False)
        raise typer.Exit(1)
    writer = Writer(s)
    try:
        writer.remove(fid)
    finally:
        writer.close()
    out.print(f"removed {feed}", highlight=False)
