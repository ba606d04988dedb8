"""feeds: poll RSS and Atom feeds, and submit each new entry as an article to ``articles.submitted.v1``.

    subscriptions + state (compacted topics, read whole) → due feeds → GET (conditional) → parse (pure: poll.py)
      → new entries → their pages where the feed has only a summary → submit → the feed's new state

The feed list and each feed's state live in two compacted topics keyed by feed id, co-partitioned: the group
gives each member some partitions, the member reads them from the start into its table, and polls the feeds
they hold. Several members share the feeds; a member that dies leaves its partitions to the others, who read
the state it wrote. Nothing is kept in a local file.

Order makes it safe: a poll's articles are acknowledged by the broker before the state that marks their entries
seen is written. A crash between the two submits them again at the next poll, under the same URL, hence the same
article id, and the index stage writes each id once.
"""

from __future__ import annotations

import logging
import random
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime

from kafka import KafkaProducer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import KafkaError
from prometheus_client import Counter, Gauge
from pydantic import ValidationError

from newsflow.contract import ArticleSubmission, Topics, encode
from newsflow.contract.codec import HEADER_ORIGIN, describe_validation_error
from newsflow.contract.feeds import FeedState, FeedSubscription
from newsflow.contract.stages import stage
from newsflow.runtime.consumer import Health, group_consumer, stage_metrics
from newsflow.runtime.pacing import Pacer
from newsflow.runtime.process import begin, serve
from newsflow.runtime.produce import send_acknowledged
from newsflow.runtime.topics import MAX_MESSAGE_BYTES, table_entry
from newsflow.stages.feeds.fetch import Fetcher, FetchError, user_agent
from newsflow.stages.feeds.poll import (
    Entry,
    NotAFeed,
    Schedule,
    conditional_headers,
    fresh,
    full_text_of,
    read_feed,
    remember,
    richer,
    submission,
    words,
)
from newsflow.stages.feeds.settings import FeedsSettings

log = logging.getLogger("newsflow.feeds")

STAGE = stage("feeds")
METRICS = stage_metrics(STAGE, ("submit",))
POLLS = Counter("newsflow_feeds_polls_total", "Feed polls", ["result"])
ARTICLES = Counter("newsflow_feeds_articles_total", "Articles submitted from feeds")
PAGES = Counter("newsflow_feeds_pages_total", "Article pages fetched for entries with only a summary", ["result"])
BODIES = Counter(
    "newsflow_feeds_bodies_total", "Articles of entries whose page was fetched, by which had more text", ["source"]
)
OWNED = Gauge("newsflow_feeds_owned", "Feeds this member polls (those of its partitions)")
for _result in ("ok", "not-modified", "error"):
    POLLS.labels(_result)
for _result in ("fetched", "failed"):
    PAGES.labels(_result)
for _source in ("feed", "page"):
    BODIES.labels(_source)


class Abandoned(Exception):
    """A poll cut short by the stage stopping: nothing of it is recorded, and the next poll does it again."""


class SubmitFailed(Exception):
    pass


# -- the table: what this member owns ------------------------------------------------------------------------


class Table:
    """The subscriptions and states of the partitions this member was assigned, read from their start."""

    def __init__(self, subscriptions_topic: str, state_topic: str):
        self.subscriptions_topic, self.state_topic = subscriptions_topic, state_topic
        self.lock = threading.Lock()
        self.feeds: dict[str, tuple[int, FeedSubscription]] = {}  # id → (partition, subscription)
        self.states: dict[str, FeedState] = {}
        self.loading: dict[TopicPartition, int | None] = {}  # assigned, not yet read to the end offset (if known)

    def assign(self, partitions) -> None:
        with self.lock:
            for tp in partitions:
                self.loading[tp] = None

    def revoke(self, partitions) -> None:
        gone = {tp.partition for tp in partitions}
        with self.lock:
            for tp in partitions:
                self.loading.pop(tp, None)
            for fid in [fid for fid, (p, _) in self.feeds.items() if p in gone]:
                del self.feeds[fid]
                self.states.pop(fid, None)

    def apply(self, record) -> None:
        subscription = record.topic == self.subscriptions_topic
        entry = table_entry(record, FeedSubscription if subscription else FeedState)
        if entry is None:
            return
        key, message = entry
        with self.lock:
            if isinstance(message, FeedSubscription):
                self.feeds[message.id] = (record.partition, message)
            elif isinstance(message, FeedState):
                known = self.states.get(message.id)
                if known is None or known.polled_at <= message.polled_at:  # our own write-through may be newer
                    self.states[message.id] = message
            else:  # a tombstone: a removed feed takes its state with it
                self.states.pop(key, None)
                if subscription:
                    self.feeds.pop(key, None)

    def partitions_of(self, ids) -> dict[str, int]:
        with self.lock:
            return {fid: self.feeds[fid][0] for fid in ids if fid in self.feeds}

    def set_state(self, state: FeedState) -> None:
        with self.lock:
            if state.id in self.feeds:
                self.states[state.id] = state

    def loaded(self) -> bool:
        with self.lock:
            return not self.loading

    def next_due_in(self, now: datetime) -> float:
        """Seconds until the first of this member's feeds falls due (0 if one is; a day if it has none)."""
        with self.lock:
            times = [self.states[fid].next_poll_at if fid in self.states else now for fid in self.feeds]
        return max(0.0, (min(times) - now).total_seconds()) if times else 86_400.0

    def due(self, now: datetime, busy: set[str]) -> list[tuple[FeedSubscription, FeedState | None]]:
        with self.lock:
            loading = {tp.partition for tp in self.loading}
            out = []
            for fid, (partition, feed) in self.feeds.items():
                if fid in busy or partition in loading:
                    continue
                state = self.states.get(fid)
                if state is None or state.next_poll_at <= now:
                    out.append((feed, state))
            OWNED.set(len(self.feeds))
            return sorted(out, key=lambda pair: pair[1].next_poll_at if pair[1] else datetime.min.replace(tzinfo=UTC))


# -- one poll ------------------------------------------------------------------------------------------------


class Poller:
    """One feed's poll, start to finish: its I/O is the fetcher and ``submit``; its decisions are poll.py's."""

    def __init__(self, settings: FeedsSettings, fetcher: Fetcher, submit, stop: threading.Event, rng=None):
        self.s, self.fetcher, self.submit, self.stop = settings, fetcher, submit, stop
        self.schedule = Schedule(settings.feeds_min_interval_s, settings.feeds_jitter, settings.feeds_max_backoff_s)
        self.rng = rng or random.Random()

    def poll(self, feed: FeedSubscription, state: FeedState | None) -> FeedState:
        now = datetime.now(UTC)
        # What carries over from the last poll (validators, conditional GET, counts, the entries seen).
        kept = (state or FeedState(id=feed.id, url=feed.url, status="ok", polled_at=now, next_poll_at=now)).model_copy(
            update={"url": feed.url, "polled_at": now, "polls": (state.polls if state else 0) + 1}
        )
        # Entries whose page is to be tried again need the feed whole: a 304 would not list them.
        conditional = conditional_headers(state if state and not state.retrying else None)
        try:
            resp = self.fetcher.get(feed.url, self.s.feeds_max_feed_bytes, conditional)
            if resp.status == 304:
                POLLS.labels("not-modified").inc()
                return kept.model_copy(
                    update={
                        "status": "not-modified",
                        "error": None,
                        "http_status": 304,
                        "not_modified": kept.not_modified + 1,
                        "failures": 0,
                        "last_articles": 0,
                        "next_poll_at": self.schedule.after_success(feed, now, self.rng),
                    }
                )
            parsed = read_feed(resp.body, resp.content_type, resp.url)
        except FetchError as exc:
            return self._failed(feed, kept, exc.reason, exc.status, exc.retry_after_s, now)
        except NotAFeed as exc:
            return self._failed(feed, kept, str(exc), resp.status, None, now)
        articles: list[ArticleSubmission] = []
        taken: list[Entry] = []
        problems: list[str] = []
        retrying = dict(kept.retrying)
        for entry in fresh(parsed.entries, state):
            if self.stop.is_set():
                raise Abandoned()
            html, problem = self._body(entry)
            key = entry.keys[0]
            if html is None and problem and problem.transient and retrying.get(key, 0) + 1 < self.s.feeds_page_attempts:
                retrying[key] = retrying.get(key, 0) + 1  # not taken: the next poll tries its page again
                problems.append(problem.reason)
                continue
            retrying.pop(key, None)
            if html is None and problem and problem.transient:
                html = entry.content or entry.summary  # its page tried enough: the summary is what there is
            taken.append(entry)
            if problem:
                problems.append(problem.reason)
            if html is None:
                continue
            try:
                articles.append(ArticleSubmission.model_validate(submission(entry, feed, parsed.title, html)))
            except ValidationError as exc:
                problems.append(f"entry {entry.link or key}: {describe_validation_error(exc)}")
        try:
            self.submit(articles, feed)
        except SubmitFailed as exc:
            # Nothing marked seen: every entry of this poll is taken again at the next one.
            return self._failed(feed, kept, str(exc), resp.status, None, now)
        POLLS.labels("ok").inc()
        notes = [n for n in (parsed.warning, _summarise(problems)) if n]
        return kept.model_copy(
            update={
                "status": "ok",
                "error": "; ".join(notes) or None,
                "http_status": resp.status,
                "etag": resp.headers.get("etag"),
                "last_modified": resp.headers.get("last-modified"),
                "failures": 0,
                "articles": kept.articles + len(articles),
                "last_articles": len(articles),
                "seen": remember(kept.seen, taken, self.s.feeds_seen_kept),
                "retrying": retrying,
                "next_poll_at": self.schedule.after_success(feed, now, self.rng),
            }
        )

    def _body(self, entry: Entry) -> tuple[str | None, FetchError | None]:
        """The entry's article as HTML: the feed's own full text, else the richer of its page and what the feed has.
        Where the page fails, the summary once it cannot pass (or None while it may), with what went wrong."""
        full = full_text_of(entry, self.s.feeds_full_text_words)
        if full is not None:
            return full, None
        if not entry.link:
            return entry.content or entry.summary, None
        try:
            page = self.fetcher.get(entry.link, self.s.feeds_max_page_bytes, {"Accept": "text/html,*/*;q=0.5"})
            if "html" not in page.content_type and "xml" not in page.content_type:
                raise FetchError(f"not an HTML page ({page.content_type or 'no content type'})", transient=False)
        except FetchError as exc:
            PAGES.labels("failed").inc()
            problem = FetchError(f"page {entry.link}: {exc.reason}", exc.transient, exc.status)
            return (None if exc.transient else entry.content or entry.summary), problem
        PAGES.labels("fetched").inc()
        feed_text = max((entry.content, entry.summary), key=words)
        html, source = richer(feed_text, _text_of(page.body, page.headers.get("content-type", "")))
        BODIES.labels(source).inc()
        return html, None

    def _failed(
        self, feed: FeedSubscription, kept: FeedState, reason: str, status: int | None, retry_after_s, now: datetime
    ) -> FeedState:
        POLLS.labels("error").inc()
        failures = kept.failures + 1
        log.warning("feed poll failed", extra={"feed": feed.url, "error": reason, "failures": failures})
        return kept.model_copy(
            update={
                "status": "error",
                "error": reason,
                "http_status": status,
                "failures": failures,
                "last_articles": 0,
                "next_poll_at": self.schedule.after_failure(feed, failures, now, self.rng, retry_after_s),
            }
        )


def _text_of(body: bytes, content_type: str) -> str:
    params = [p.strip() for p in content_type.split(";")[1:]]
    charset = next((p.split("=", 1)[1].strip(" \"'") for p in params if p.lower().startswith("charset=")), None)
    for encoding in filter(None, (charset, "utf-8")):
        try:
            return body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("cp1252", "replace")


def _summarise(problems: list[str]) -> str | None:
    if not problems:
        return None
    more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
    return f"{len(problems)} entries without their page: " + "; ".join(problems[:3]) + more


# -- the stage -------------------------------------------------------------------------------------------------


class FeedStage:
    def __init__(self, settings: FeedsSettings, stop: threading.Event):
        self.s, self.stop = settings, stop
        self.table = Table(settings.scoped(Topics.FEEDS), settings.scoped(Topics.FEED_STATE))
        self.health = Health(STAGE, METRICS)
        self.consumer = group_consumer(STAGE, settings, enable_auto_commit=True, auto_commit_interval_ms=5_000)
        self.producer = KafkaProducer(
            **settings.kafka_client_config(),
            client_id="newsflow-feeds",
            acks="all",
            compression_type="gzip",
            max_request_size=MAX_MESSAGE_BYTES,
            max_block_ms=10_000,
        )
        self.fetcher = Fetcher(
            user_agent(settings.feeds_contact),
            settings.feeds_timeout_s,
            settings.feeds_per_host,
            settings.feeds_max_redirects,
            settings.feeds_allow_private,
        )
        self.poller = Poller(settings, self.fetcher, self.submit, stop)
        self.pool = ThreadPoolExecutor(settings.feeds_workers, thread_name_prefix="poll")
        self.busy: dict[str, Future] = {}
        self.assigned = False

    def submit(self, articles: list[ArticleSubmission], feed: FeedSubscription) -> None:
        """Every article on the submitted topic, acknowledged, or SubmitFailed."""
        if not articles:
            return
        topic = self.s.scoped(Topics.SUBMITTED)
        origin = [(HEADER_ORIGIN, f"feed:{feed.url}".encode())]
        records = []
        for article in articles:
            value, headers = encode(article)
            records.append((topic, (article.url or "").encode() or None, value, headers + origin))
        # Each poll waits for its own articles, not with flush() for the other polls' too.
        failed = [error for _, error in send_acknowledged(self.producer, records, 30) if error]
        if failed:
            METRICS.retried.labels("submit").inc()
            self.health.set(False, f"the broker did not take the articles of {feed.url}")
            raise SubmitFailed(f"the broker took {len(failed)} of {len(articles)} articles not; they are sent again")
        self.health.set(True)
        ARTICLES.inc(len(articles))

    def save(self, state: FeedState) -> None:
        self.table.set_state(state)  # at once, so the feed is not due again before its record is read back
        value, headers = encode(state)
        try:
            self.producer.send(self.s.scoped(Topics.FEED_STATE), key=state.id.encode(), value=value, headers=headers)
        except KafkaError as exc:
            log.error("feed state not saved", extra={"feed": state.url, "error": str(exc)})

    def run(self) -> None:
        self.consumer.subscribe([self.table.subscriptions_topic, self.table.state_topic], listener=_Rebalance(self))
        pacer = Pacer(self.stop)
        try:
            while not self.stop.is_set():
                # As the consumer runtime does (runtime/pacing.py says why): a member that holds its partitions and
                # has read its table polls for 1 ms, and the pacer is the wait, to the next feed due at the
                # latest. Polls in flight are reaped every 50 ms.
                settled = self.table.loaded() and bool(self.consumer.assignment())
                polled = self.consumer.poll(timeout_ms=1 if settled else 200)
                for records in polled.values():
                    for record in records:
                        self.table.apply(record)
                        METRICS.consumed.inc()
                self._check_loaded()
                self._reap()
                now = datetime.now(UTC)
                if self.table.loaded():
                    free = self.s.feeds_workers - len(self.busy)
                    for feed, state in self.table.due(now, set(self.busy))[: max(free, 0)]:
                        self.busy[feed.id] = self.pool.submit(self.poller.poll, feed, state)
                if self.busy:
                    self.stop.wait(0.05)
                else:
                    pacer.polled(bool(polled) or not settled, self.table.next_due_in(now))
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self._reap()
            self.producer.flush(timeout=10)
            self.consumer.close()
            self.producer.close(timeout=10)
            self.fetcher.close()

    def settle(self, partitions) -> None:
        """Before ``partitions`` go to another member: their polls in flight finish and their states are on the
        broker, acknowledged. The next owner reads them back, so it takes no entry this member submitted."""
        gone = {tp.partition for tp in partitions}
        owned = self.table.partitions_of(list(self.busy))
        pending = [future for fid, future in self.busy.items() if owned.get(fid) in gone]
        if not pending:
            return
        wait(pending, timeout=self.s.feeds_timeout_s * 10)
        self._reap()
        self.producer.flush(timeout=30)
        log.info("polls settled before handing feeds over", extra={"polls": len(pending)})

    def _reap(self) -> None:
        for fid, future in list(self.busy.items()):
            if not future.done():
                continue
            del self.busy[fid]
            if future.cancelled():
                continue
            try:
                self.save(future.result())
            except Abandoned:
                pass
            except Exception:  # a bug in one poll must not stop the others
                log.exception("feed poll crashed", extra={"feed": fid})

    def _check_loaded(self) -> None:
        """Mark the assigned partitions read once their position reaches the end offset taken at assignment."""
        with self.table.lock:
            pending = list(self.table.loading.items())
        if not pending:
            return
        try:
            unknown = [tp for tp, end in pending if end is None]
            ends = self.consumer.end_offsets(unknown) if unknown else {}
            done = []
            for tp, end in pending:
                end = ends.get(tp, end)
                if self.consumer.position(tp) >= (end or 0):
                    done.append(tp)
                elif tp in ends:
                    with self.table.lock:
                        self.table.loading[tp] = end
        except KafkaError as exc:
            self.health.set(False, f"cannot read the end offsets: {exc}")
            return
        with self.table.lock:
            for tp in done:
                self.table.loading.pop(tp, None)
        if done and not self.table.loading:
            log.info("feeds loaded", extra={"feeds": len(self.table.feeds), "states": len(self.table.states)})

    def ready(self) -> tuple[bool, dict]:
        ok = self.assigned and self.table.loaded() and self.health.ok
        return ok, {
            "service": STAGE.name,
            "assigned": self.assigned,
            "loaded": self.table.loaded(),
            "feeds": len(self.table.feeds),
            "polling": len(self.busy),
            "last_error": self.health.last_error,
        }


class _Rebalance(ConsumerRebalanceListener):
    # A table is read whole at every assignment: the state of a feed may have been written by another member.
    def __init__(self, stage_: FeedStage):
        self.stage = stage_

    def on_partitions_revoked(self, revoked):
        self.stage.settle(revoked)
        self.stage.table.revoke(revoked)

    def on_partitions_assigned(self, assigned):
        self.stage.assigned = True
        self.stage.table.assign(assigned)
        if assigned:
            self.stage.consumer.seek_to_beginning(*assigned)
        log.info("partitions assigned", extra={"partitions": sorted(f"{tp.topic}/{tp.partition}" for tp in assigned)})


def main() -> None:
    settings = FeedsSettings()
    stop = begin(STAGE, settings)
    feeds = FeedStage(settings, stop)
    http = serve(STAGE, settings, feeds.ready)
    log.info("feeds ready", extra={"port": http.port, "subscriptions": feeds.table.subscriptions_topic})
    feeds.run()
    http.stop()
    log.info("feeds stopped")


if __name__ == "__main__":
    main()
