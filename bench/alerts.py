"""Saved-query alerts at the benchmark's throughput: 1,000 saved queries, articles fed at the rate the end-to-end
step measured, and the time from each article written (before it becomes searchable) to its alert on alerts.v1.

The queries cost what real ones cost and fire rarely, as a desk's do: 990 are two words of the corpus with a person
no article names (Elasticsearch walks the words' postings and the filter, then finds nothing), and 10 are a marker
word one article in ten carries, so that every article raises exactly one alert. The latency is measured from
the alert's ``searchable_at`` (the refresh before matching, after which the article is searchable) to the broker's
timestamp of the alert record: matching, the alert record and the publication. From ``indexed_at`` (the batch's
start of writing: its story search and bulk too) it is reported beside it.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import urllib.request
from datetime import UTC, datetime

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from rich.console import Console

from bench.corpus import articles, paragraphs
from newsflow.contract import Topics, decode, encode
from newsflow.contract.alerts import Alert, SavedQuery
from newsflow.contract.stages import consuming
from newsflow.exporter.lag import consumer_lag

console = Console(stderr=True)
MARKERS = 10


def saved_queries(count: int, seed: int = 5) -> list[SavedQuery]:
    rng = random.Random(seed)
    vocabulary = sorted({w.lower() for p in paragraphs() for w in re.findall(r"[A-Za-z]{5,}", p)})
    now = datetime.now(UTC)
    out = [SavedQuery(name=f"marker-{k}", query=f"benchmarker{k}", created_at=now) for k in range(MARKERS)]
    for n in range(count - MARKERS):
        words = " ".join(rng.sample(vocabulary, 2))
        out.append(SavedQuery(name=f"watch-{n}", query=words, people=[f"Nobody Person{n}"], created_at=now))
    return out


def _index_reads(env: dict) -> int:
    url = f"http://127.0.0.1:{env['NEWSFLOW_INDEX_PORT']}/readyz"
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.loads(r.read()).get("saved_queries", 0)
    except Exception as exc:  # noqa: BLE001 - a 503 body says it too
        body = getattr(exc, "read", lambda: b"{}")()
        return json.loads(body or b"{}").get("saved_queries", 0)


def _metric(env: dict, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{env['NEWSFLOW_INDEX_PORT']}/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{}"):
                return float(line.split()[-1])
    return 0.0


def save_queries(env: dict, queries: int) -> None:
    """``queries`` saved queries (``saved_queries``) on the topic, once the indexer has read them all."""
    producer = KafkaProducer(bootstrap_servers=env["NEWSFLOW_KAFKA_BOOTSTRAP"], acks="all")
    for q in saved_queries(queries):
        value, headers = encode(q)
        producer.send(Topics.SAVED_QUERIES, key=q.name.encode(), value=value, headers=headers)
    producer.flush(60)
    producer.close()
    deadline = time.monotonic() + 120
    while _index_reads(env) < queries:
        if time.monotonic() > deadline:
            raise RuntimeError(f"index read {_index_reads(env)} of {queries} saved queries in 120 s")
        time.sleep(0.2)  # polling a condition (the indexer's table), with a deadline


def alerts_at_throughput(env: dict, feed, rate_per_s: float, seconds: float, queries: int = 1000) -> dict:
    """``feed(env, batch)`` submits articles to ingest (the bench's own)."""
    bootstrap = env["NEWSFLOW_KAFKA_BOOTSTRAP"]
    console.print(f"  saving {queries} queries")
    save_queries(env, queries)

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    tps = [TopicPartition(Topics.ALERTS, p) for p in sorted(consumer.partitions_for_topic(Topics.ALERTS) or ())]
    consumer.assign(tps)
    consumer.seek_to_end(*tps)
    for tp in tps:
        consumer.position(tp)
    count = max(20, int(rate_per_s * seconds))
    corpus = articles(count, seed=13, kind="Alerting", source="newsflow-bench-alerts")
    for n, a in enumerate(corpus):
        a["text"] += f"\n\nFiled as benchmarker{n % MARKERS}."
    latencies: list[float] = []  # from searchable (the refresh before matching) to the alert on the topic
    written: list[float] = []  # from the batch's start of writing
    seen: set[str] = set()

    fed = threading.Event()  # every article fed, and every stage caught up with them

    def watch() -> None:
        while True:
            polled = consumer.poll(timeout_ms=500)
            for records in polled.values():
                for r in records:
                    alert = decode(r.value, r.headers, Alert)
                    if alert.id in seen:
                        continue
                    seen.add(alert.id)
                    latencies.append(r.timestamp / 1000 - alert.searchable_at.timestamp())
                    written.append(r.timestamp / 1000 - alert.indexed_at.timestamp())
            if fed.is_set() and not polled:
                return

    matched_before = (
        _metric(env, "newsflow_index_alert_match_seconds_sum"),
        _metric(env, "newsflow_index_alert_match_seconds_count"),
    )
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    console.print(f"  {count} articles at {rate_per_s:.1f}/s; an alert for each story (copies share theirs)")
    started = time.time()
    for n, article in enumerate(corpus):
        # Pacing the load generator: article n is due at started + n / rate.
        time.sleep(max(0.0, started + n / rate_per_s - time.time()))
        feed(env, [article])
    groups = {entry.group: entry.reads for entry in consuming() if entry.group and entry.reads}
    deadline = time.monotonic() + 600
    while sum(r["lag"] for r in consumer_lag({"bootstrap_servers": bootstrap}, groups)) > 0:
        if time.monotonic() > deadline:
            raise RuntimeError("the pipeline did not catch up within 600 s of the last article fed")
        time.sleep(0.5)  # polling a condition (the groups' lag), with a deadline
    fed.set()
    watcher.join(timeout=60)
    consumer.close()
    match_sum = _metric(env, "newsflow_index_alert_match_seconds_sum") - matched_before[0]
    match_count = _metric(env, "newsflow_index_alert_match_seconds_count") - matched_before[1]

    def spread(values: list[float]) -> dict:
        ordered = sorted(values)
        if not ordered:
            return {}
        at = {p: round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 3) for p in (0.5, 0.95, 0.99)}
        return {"p50": at[0.5], "p95": at[0.95], "p99": at[0.99], "max": round(ordered[-1], 3)}

    result = {
        "saved_queries": queries,
        "articles": count,
        "rate_per_s": round(rate_per_s, 2),
        "alerts": len(latencies),
        "latency_s": spread(latencies),
        "written_to_alert_s": spread(written),
        "batches_matched": int(match_count),
        "match_s_per_batch": round(match_sum / match_count, 3) if match_count else None,
    }
    console.print(f"  {result}")
    return result
