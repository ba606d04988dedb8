"""`make bench`: raw spaCy throughput against the whole pipeline's, on the same articles and cores, on a stack.

    python -m bench [--stack embedded|apache] [--articles 1000] [--archive 1000,10000,100000]

1. raw spaCy: the same model and components, the same cleaned article bodies, ``nlp.pipe`` in one
   process per core with the model already loaded (the best case for spaCy alone);
2. end to end: a fresh local stack and the three services (`newsflow up` in a temporary home),
   articles fed to ingest until every one is searchable in Elasticsearch;
3. latency under a steady load: articles fed one by one at half the capacity step 2 measured, the time from
   ingest to searchable of each;
4. idle: the CPU every component burns while nothing flows;
5. search as the archive grows (bench/archive.py), on the same stack;
6. alerts (bench/alerts.py): 1,000 saved queries, articles fed at the rate step 2 measured, the time from each
   article written to its alert.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.alerts import alerts_at_throughput, save_queries
from bench.corpus import articles, paragraphs
from bench.procstat import cpu_seconds, rss_mib, tree
from bench.rawspacy import spacy_shard
from newsflow.runtime.servers import free_port

console = Console(stderr=True)


# -- 1. raw spaCy ----------------------------------------------------------------


def raw_spacy(texts: list[str], processes: int, model: str, components: str) -> dict:
    """spaCy alone on the same texts, model loaded: one process's best rate (batch 16 or 64) times the cores is
    the ceiling the pipeline is held to; ``processes`` processes side by side, each on its share, are reported
    beside it (they contend for the memory bus and the caches, so they reach less than the ceiling)."""
    best = None
    for batch_size in (16, 64):
        shards = [texts[i::processes] for i in range(processes)]
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            start_at = time.time() + 20  # time to spawn and load the model everywhere
            spans = pool.map(spacy_shard, [(model, components, s, batch_size, start_at) for s in shards])
        seconds = max(end for _, end in spans) - min(began for began, _ in spans)
        result = {"processes": processes, "batch_size": batch_size, "seconds": seconds}
        console.print(f"  raw spaCy, {processes} processes, batch {batch_size}: {len(texts) / seconds:.1f} articles/s")
        if best is None or seconds < best["seconds"]:
            best = result
    assert best is not None
    alone = None
    for batch_size in (16, 64):
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            began, end = pool.apply(spacy_shard, ((model, components, texts, batch_size, time.time() + 15),))
        rate = len(texts) / (end - began)
        console.print(f"  raw spaCy, one process, batch {batch_size}: {rate:.1f} articles/s")
        alone = max(alone or 0.0, rate)
    best["one_process_articles_per_s"] = round(alone or 0.0, 2)
    best["ceiling_articles_per_s"] = round((alone or 0.0) * processes, 2)
    return best


# -- the pure steps around spaCy ---------------------------------------------------


def pure_steps(corpus: list[dict]) -> dict:
    """Cleaning and date normalisation alone, in this process, on the same articles (best of 3)."""
    from datetime import date

    from newsflow.nlp import dates
    from newsflow.text.clean import clean_article

    def best(fn) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        return min(times)

    clean_s = best(lambda: [clean_article(a["text"], "text/plain", a["title"]) for a in corpus])
    texts = [
        "Monday",
        "last Friday",
        "3 March 2025",
        "the spring of 2022",
        "next month",
        "two years ago",
        "the 1990s",
        "between 2011 and 2013",
        "this week",
        "earlier this year",
    ]
    refs = [date(2025, m, d) for m in range(1, 13) for d in (1, 15)]

    def normalise_all():
        dates._normalise.cache_clear()
        for ref in refs:
            for text in texts:
                dates.normalise_date(text, ref)

    dates_s = best(normalise_all)
    calls = len(texts) * len(refs)
    return {
        "clean_articles_per_s": round(len(corpus) / clean_s, 1),
        "date_us_per_call_uncached": round(dates_s / calls * 1e6, 1),
    }


# -- 2. end to end ---------------------------------------------------------------


class MemorySampler(threading.Thread):
    def __init__(self, pids: dict[str, int]):
        super().__init__(daemon=True)
        self.pids = pids
        self.peak = {name: 0.0 for name in pids}
        self.cpu = {name: 0.0 for name in pids}
        self.workers_first: dict[int, float] = {}
        self.workers_last: dict[int, float] = {}
        self.stopped = threading.Event()
        # CPU since the run began, not since each process started (enrich's workers load spaCy, the JVMs warm up).
        self.cpu_before = {name: sum(cpu_seconds(p) for p in tree(pid)) for name, pid in pids.items()}

    def run(self):
        while not self.stopped.wait(0.5):
            for name, pid in self.pids.items():
                procs = tree(pid)
                self.peak[name] = max(self.peak[name], sum(rss_mib(p) for p in procs))
                used = sum(cpu_seconds(p) for p in procs) - self.cpu_before[name]
                self.cpu[name] = max(self.cpu[name], used)
                if name == "enrich":
                    for worker in procs[1:]:
                        rss = rss_mib(worker)
                        if rss:
                            self.workers_first.setdefault(worker, rss)
                            self.workers_last[worker] = rss


def cli(env, *args, check=True):
    return subprocess.run(
        [sys.executable, "-m", "newsflow.cli.main", *args], env=env, check=check, stdout=subprocess.PIPE, text=True
    )


@contextmanager
def running_stack(stack: str, processes: int, extra: dict[str, str] | None = None):
    """A fresh local stack of kind ``stack`` and the services (`newsflow up` in a temporary home); its env and
    the pid of every component."""
    home = Path(tempfile.mkdtemp(prefix=f"newsflow-bench-{stack}-"))
    env = (
        {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
        | {
            "NEWSFLOW_HOME": str(home),
            "NEWSFLOW_STACK": stack,
            "NEWSFLOW_ES_URL": f"http://127.0.0.1:{free_port()}",
            "NEWSFLOW_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
            "NEWSFLOW_INGEST_PORT": str(free_port()),
            "NEWSFLOW_ENRICH_PORT": str(free_port()),
            "NEWSFLOW_INDEX_PORT": str(free_port()),
            "NEWSFLOW_LAG_EXPORTER_PORT": str(free_port()),
            "NEWSFLOW_KAFKA_CONTROLLER_PORT": str(free_port()),
            "NEWSFLOW_ES_TRANSPORT_PORT": str(free_port()),
            "NEWSFLOW_PROMETHEUS": "off",
            "NEWSFLOW_ENRICH_PROCESSES": str(processes),
            "NEWSFLOW_LOG_LEVEL": "WARNING",
            "NEWSFLOW_FEEDS_PORT": str(free_port()),
            "NEWSFLOW_WEBHOOKS_PORT": str(free_port()),
        }
        | (extra or {})
    )
    console.print(f"  starting a fresh {stack} stack and the services in {home}")
    subprocess.run([sys.executable, "-m", "newsflow.cli.main", "up"], env=env, check=True)
    try:
        status = json.loads(cli(env, "status", "--json").stdout)["components"]
        yield env, {c["name"]: c["pid"] for c in status}
    finally:
        cli(env, "down", check=False)


def feed(env: dict, batch: list[dict]) -> list[str]:
    """Submit ``batch`` to ingest; the ids it accepted them under."""
    url = f"http://127.0.0.1:{env['NEWSFLOW_INGEST_PORT']}/v1/articles"
    body = json.dumps({"articles": [{"origin": "bench", "article": a} for a in batch]}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        results = json.loads(resp.read())["results"]
    for r in results:
        assert r["status"] == "accepted", r
    return [r["id"] for r in results]


def searchable(
    env: dict, fed: list[str], count: int, started: float, poll_s: float = 0.2
) -> tuple[dict[str, float], dict[str, float], list[float]]:
    """Poll Elasticsearch until ``count`` of the ids in ``fed`` (which the feeder may still be filling) are
    searchable: when each was first seen, when ingest took it, and how long each poll took. Only the ids not yet
    seen are asked for, by id, so a poll stays cheap on a scanning server (noida-db) as the index grows; a poll
    every ``poll_s`` plus its own time bounds how late an article can be seen."""
    from elasticsearch import Elasticsearch

    es = Elasticsearch(env["NEWSFLOW_ES_URL"], request_timeout=120)  # noida-db, busy matching, answers late
    seen: dict[str, float] = {}
    ingested: dict[str, float] = {}
    polls: list[float] = []
    while len(seen) < count:
        pending = [i for i in list(fed) if i not in seen][:1000]
        if pending:
            asked = time.time()
            res = es.search(
                index="articles", size=len(pending), source=["ingested_at"], query={"ids": {"values": pending}}
            )
            now = time.time()
            polls.append(now - asked)
            for hit in res["hits"]["hits"]:
                seen[hit["_id"]] = now
                ingested[hit["_id"]] = datetime.fromisoformat(hit["_source"]["ingested_at"]).timestamp()
        if time.time() - started > 3600:
            raise TimeoutError(f"{count - len(seen)} articles not searchable after an hour")
        time.sleep(poll_s)  # the polling period, which bounds the latency's resolution
    return seen, ingested, polls


def quantiles(values: list[float]) -> dict:
    values = sorted(values)
    q = statistics.quantiles(values, n=100)
    return {"p50": q[49], "p95": q[94], "p99": q[98], "max": values[-1]}


def end_to_end(corpus: list[dict], env: dict, pids: dict[str, int]) -> dict:
    sampler = MemorySampler(pids)
    sampler.start()
    started = time.time()
    ids: list[str] = []
    for i in range(0, len(corpus), 100):
        ids += feed(env, corpus[i : i + 100])
    fed = time.time()
    console.print(f"  fed {len(corpus)} articles in {fed - started:.1f} s; waiting until searchable")
    seen, ingested, _ = searchable(env, ids, len(corpus), started)
    finished = max(seen.values())
    sampler.stopped.set()
    sampler.join()
    return {
        "seconds": finished - started,
        "feed_seconds": fed - started,
        "latency_s": quantiles([seen[i] - ingested[i] for i in seen]),
        "peak_rss_mib": {k: round(v, 1) for k, v in sampler.peak.items()},
        "cpu_seconds": {k: round(v, 1) for k, v in sampler.cpu.items()},
        "enrich_worker_rss_mib": {
            "start": [round(v, 1) for v in sampler.workers_first.values()],
            "end": [round(v, 1) for v in sampler.workers_last.values()],
        },
    }


def steady(env: dict, capacity_per_s: float, seconds: float, load: float = 0.5) -> dict:
    """Articles fed one at a time, evenly spaced, at ``load`` times the capacity, for ``seconds``; the latency of
    each from ingest to searchable (polled every 50 ms)."""
    rate = capacity_per_s * load
    count = max(20, int(rate * seconds))
    corpus = articles(count, seed=11, kind="Steady", source="newsflow-bench-steady")
    console.print(
        f"  {count} articles, one every {1 / rate:.2f} s ({rate:.1f}/s, {load:.0%} of {capacity_per_s:.1f}/s)"
    )
    started = time.time()
    result: dict = {}

    ids: list[str] = []

    def watch() -> None:
        result["seen"], result["ingested"], result["polls"] = searchable(env, ids, count, started, poll_s=0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    for n, article in enumerate(corpus):
        # Pacing the load generator, not waiting for a condition: article n is due at started + n / rate.
        time.sleep(max(0.0, started + n / rate - time.time()))
        ids.extend(feed(env, [article]))
    watcher.join(timeout=3600)
    seen, ingested = result["seen"], result["ingested"]
    return {
        "load": load,
        "rate_per_s": round(rate, 2),
        "articles": count,
        "seconds": round(time.time() - started, 1),
        "latency_s": quantiles([seen[i] - ingested[i] for i in seen]),
        "poll_ms": {k: round(v * 1000, 1) for k, v in quantiles(result["polls"]).items()},
    }


def idle(pids: dict[str, int], seconds: float) -> dict:
    """CPU of every component while nothing flows, as a share of one core, and its resident memory."""

    def cpu() -> dict[str, float]:
        return {name: sum(cpu_seconds(p) for p in tree(pid)) for name, pid in pids.items()}

    console.print(f"  idle for {seconds:.0f} s: CPU of every component")
    before, began = cpu(), time.monotonic()
    time.sleep(seconds)  # the length of the idle window being measured, not a wait for something
    after, elapsed = cpu(), time.monotonic() - began
    share = {name: round((after[name] - before[name]) / elapsed * 100, 2) for name in pids}
    return {
        "seconds": round(elapsed, 1),
        "percent_of_one_core": share,
        "total_percent_of_one_core": round(sum(share.values()), 2),
        "rss_mib": {name: round(sum(rss_mib(p) for p in tree(pid)), 1) for name, pid in pids.items()},
    }


def archive_scaling(env: dict, pids: dict[str, int], sizes: list[int], budget_s: float) -> list[dict]:
    """Bulk-load generated articles up to each size and time the newsroom's queries at each (bench/archive.py)."""
    from elasticsearch import Elasticsearch

    from bench import archive
    from newsflow.contract.mapping import ensure_index

    es = Elasticsearch(env["NEWSFLOW_ES_URL"], request_timeout=300)
    alias = "bench-archive"
    index = ensure_index(es, alias, 1)
    pool = paragraphs()
    out: list[dict] = []
    loaded = 0
    for size in sizes:
        step_started = time.monotonic()

        def progress(n: int, size: int = size, step_started: float = step_started) -> None:
            if n % 5000 == 0 or n == size:
                console.print(f"    {n:,} articles loaded ({time.monotonic() - step_started:.0f} s)")

        try:
            seconds = archive.load(es, index, loaded, size, pool, progress)
            es.indices.refresh(index=alias, request_timeout=600)
        except Exception as exc:  # noqa: BLE001 - a server that cannot take the load is a result, not a crash
            out.append({"articles": size, "stopped": f"{type(exc).__name__}: {str(exc)[:300]}"})
            console.print(f"  [red]stopped at {size:,}: {exc}[/red]")
            break
        loaded = size
        count = es.count(index=alias)["count"]
        timings = archive.measure(es, alias, runs=30, budget_s=budget_s / 10)
        search_pid = pids["elasticsearch"]
        row = {
            "articles": count,
            "load_seconds": round(seconds, 1),
            "load_docs_per_s": round((size - (out[-1]["articles"] if out else 0)) / seconds, 1),
            "queries": timings,
            "search_server_rss_mib": round(sum(rss_mib(p) for p in tree(search_pid)), 1),
        }
        out.append(row)
        console.print(
            f"  {count:,} articles: "
            + ", ".join(f"{k} p50 {v['p50_ms']:.0f} ms / p99 {v['p99_ms']:.0f} ms" for k, v in timings.items())
            + f"; search server RSS {row['search_server_rss_mib']:.0f} MiB"
        )
        if seconds > budget_s or any(v["p50_ms"] > 10_000 for v in timings.values()):
            console.print(
                f"  [yellow]stopping the archive here: loading took {seconds:.0f} s, or a query's p50 is over 10 "
                f"s[/yellow]"
            )
            break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", choices=["embedded", "apache"], default="embedded")
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--idle-seconds", type=float, default=30)
    parser.add_argument("--steady-seconds", type=float, default=120, help="length of the half-capacity run")
    parser.add_argument(
        "--archive", default="1000,10000,100000", help="archive sizes to measure search at; empty: skip"
    )
    parser.add_argument(
        "--archive-budget-s", type=float, default=1800, help="stop growing the archive past this load time"
    )
    parser.add_argument(
        "--e2e-queries", type=int, default=100, help="saved queries matched during steps 2 and 3 (0: none)"
    )
    parser.add_argument("--alert-queries", type=int, default=1000, help="saved queries in step 6; 0: skip it")
    parser.add_argument("--alert-seconds", type=float, default=60, help="length of step 6's feeding")
    parser.add_argument(
        "--set", action="append", default=[], metavar="NEWSFLOW_X=V", help="a setting for the stack's services"
    )
    parser.add_argument("--out", default=None, help="default bench-results/bench-<stack>.json")
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.set)
    out_path = Path(args.out or f"bench-results/bench-{args.stack}.json")
    # SIGTERM (a timeout, a CI runner giving up) would end the process without the `finally` that stops the stack
    # it started; as an exception, it runs it: the stack and the services do not outlive the bench.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    from newsflow.stages.enrich.settings import EnrichSettings
    from newsflow.text.clean import clean_article

    settings = EnrichSettings()
    corpus = articles(args.articles)
    texts = [clean_article(a["text"], "text/plain", a["title"]).body for a in corpus]
    words = sum(len(t.split()) for t in texts)
    console.print(f"{len(corpus)} articles, {words:,} words, {args.processes} cores, {args.stack} stack")
    console.print("[bold]1. raw spaCy[/bold]")
    # The bench's articles are English: the reference is the English model alone, as enrich runs it on them.
    english = next((m.strip() for m in settings.spacy_model.split(",") if m.strip().startswith("en")), "")
    raw = raw_spacy(texts, args.processes, english or settings.spacy_model.split(",")[0], settings.spacy_components)
    console.print("[bold]cleaning and dates alone[/bold]")
    pure = pure_steps(corpus)
    console.print(
        f"  {pure['clean_articles_per_s']} articles/s cleaned, {pure['date_us_per_call_uncached']} µs per date"
    )
    sizes = [int(x) for x in args.archive.split(",") if x.strip()]
    with running_stack(args.stack, args.processes, extra) as (env, pids):
        if args.e2e_queries:
            console.print(f"  {args.e2e_queries} saved queries, matched as every article is indexed")
            save_queries(env, args.e2e_queries)
        console.print("[bold]2. end to end[/bold]")
        e2e = end_to_end(corpus, env, pids)
        console.print("[bold]3. latency at half the capacity[/bold]")
        paced = steady(env, len(corpus) / e2e["seconds"], args.steady_seconds)
        console.print("[bold]4. idle[/bold]")
        quiet = idle(pids, args.idle_seconds)
        console.print("[bold]5. search as the archive grows[/bold]")
        scaling = archive_scaling(env, pids, sizes, args.archive_budget_s) if sizes else []
        alerting = None
        if args.alert_queries:
            console.print(f"[bold]6. alerts: {args.alert_queries} saved queries[/bold]")
            alerting = alerts_at_throughput(
                env, feed, len(corpus) / e2e["seconds"], args.alert_seconds, args.alert_queries
            )
    for part in (raw, e2e):
        part["articles_per_s"] = round(len(corpus) / part["seconds"], 2)
        part["words_per_s"] = round(words / part["seconds"], 1)
    result = {
        "stack": args.stack,
        "articles": len(corpus),
        "words": words,
        "cores": args.processes,
        "model": settings.spacy_model,
        "components": settings.spacy_components,
        "raw_spacy": raw,
        "end_to_end": e2e,
        "steady": paced,
        "idle": quiet,
        "archive": scaling,
        "alerts": alerting,
        "pure_steps": pure,
        "ratio_end_to_end_over_raw": round(e2e["articles_per_s"] / raw["articles_per_s"], 3),
        "ratio_end_to_end_over_ceiling": round(e2e["articles_per_s"] / raw["ceiling_articles_per_s"], 3),
        "saved_queries_during_end_to_end": args.e2e_queries,
        "settings": extra,
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(result, indent=2) + "\n")

    table = Table("measure", "raw spaCy", f"end to end ({args.stack})")
    table.add_row("articles/s", str(raw["articles_per_s"]), str(e2e["articles_per_s"]))
    table.add_row("words/s", f"{raw['words_per_s']:,.0f}", f"{e2e['words_per_s']:,.0f}")
    table.add_row("ratio end to end / raw", "", f"{result['ratio_end_to_end_over_raw']:.3f}")
    table.add_row(
        "ceiling: one process × cores, articles/s", f"{raw['ceiling_articles_per_s']}", f"{args.processes} cores"
    )
    table.add_row(
        f"ratio end to end / ceiling ({args.e2e_queries} saved queries, goal 0.90)",
        "",
        f"{result['ratio_end_to_end_over_ceiling']:.3f}",
    )
    table.add_row("cleaning alone, articles/s (1 process)", f"{pure['clean_articles_per_s']:,}", "")
    table.add_row("date normalisation, µs a call (uncached)", f"{pure['date_us_per_call_uncached']}", "")
    lat = e2e["latency_s"]
    table.add_row("ingest→searchable p50/p95/p99 (s)", "", f"{lat['p50']:.2f} / {lat['p95']:.2f} / {lat['p99']:.2f}")
    lat = paced["latency_s"]
    table.add_row(
        f"at {paced['rate_per_s']}/s (50%): p50/p95/p99 (s)",
        "",
        f"{lat['p50']:.2f} / {lat['p95']:.2f} / {lat['p99']:.2f}",
    )
    for name, mib in e2e["peak_rss_mib"].items():
        table.add_row(f"peak RSS {name} (MiB)", "", f"{mib:,.0f}")
    for name, cpu in e2e["cpu_seconds"].items():
        table.add_row(f"CPU seconds {name}", "", f"{cpu:,.1f}")
    workers = e2e["enrich_worker_rss_mib"]
    table.add_row("enrich worker RSS start → end (MiB)", "", f"{workers['start']} → {workers['end']}")
    table.add_row("idle CPU, whole stack (% of one core)", "", f"{quiet['total_percent_of_one_core']:.2f}")
    for name, share in quiet["percent_of_one_core"].items():
        table.add_row(f"  idle CPU {name} (% of one core)", "", f"{share:.2f}")
    if alerting:
        alat = alerting["latency_s"]
        table.add_row(
            f"alerts, {alerting['saved_queries']:,} queries: searchable→alert p50/p99/max (s)",
            "",
            f"{alat.get('p50')} / {alat.get('p99')} / {alat.get('max')} ({alerting['alerts']} alerts)",
        )
        wlat = alerting["written_to_alert_s"]
        table.add_row(
            "  from the batch's start of writing (s)", "", f"{wlat.get('p50')} / {wlat.get('p99')} / {wlat.get('max')}"
        )
        table.add_row("  matching one batch against every query, mean (s)", "", f"{alerting['match_s_per_batch']}")
    Console().print(table)
    if scaling:
        grid = Table(
            "articles",
            "load docs/s",
            *(f"{q} p50/p99 ms" for q in scaling[0].get("queries", {})),
            "search RSS MiB",
            title=f"search as the archive grows ({args.stack})",
        )
        for row in scaling:
            if "stopped" in row:
                grid.add_row(f"{row['articles']:,}", "stopped: " + row["stopped"][:60])
                continue
            grid.add_row(
                f"{row['articles']:,}",
                f"{row['load_docs_per_s']:,.0f}",
                *(f"{v['p50_ms']:,.0f} / {v['p99_ms']:,.0f}" for v in row["queries"].values()),
                f"{row['search_server_rss_mib']:,.0f}",
            )
        Console().print(grid)
    console.print(f"written to {out_path}")


if __name__ == "__main__":
    main()
