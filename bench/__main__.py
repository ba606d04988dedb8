"""`make bench`: raw spaCy throughput against the whole pipeline's, on the same articles and cores.

    python -m bench [--articles 1000] [--out bench-results/bench.json]

1. raw spaCy: the same model and components, the same cleaned article bodies, ``nlp.pipe`` in one
   process per core with the model already loaded (the best case for spaCy alone);
2. end to end: a fresh local stack and the three services (`newsflow up` in a temporary home),
   articles fed to ingest until every one is searchable in Elasticsearch.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.corpus import articles
from bench.procstat import cpu_seconds, rss_mib, tree
from bench.rawspacy import spacy_shard
from newsflow.runtime.servers import free_port

console = Console(stderr=True)


# -- 1. raw spaCy ----------------------------------------------------------------

def raw_spacy(texts: list[str], processes: int, model: str, components: str) -> dict:
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
    return best


# -- the pure steps around spaCy ---------------------------------------------------

def pure_steps(corpus: list[dict]) -> dict:
    """Cleaning and date normalisation alone, in this process, on the same articles (best of 3)."""
    from datetime import date

    from newsflow.text.clean import clean_article
    from services.enrich import dates

    def best(fn) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        return min(times)

    clean_s = best(lambda: [clean_article(a["text"], "text/plain", a["title"]) for a in corpus])
    texts = ["Monday", "last Friday", "3 March 2025", "the spring of 2022", "next month", "two years ago",
             "the 1990s", "between 2011 and 2013", "this week", "earlier this year"]
    refs = [date(2025, m, d) for m in range(1, 13) for d in (1, 15)]

    def normalise_all():
        dates._normalise.cache_clear()
        for ref in refs:
            for text in texts:
                dates.normalise_date(text, ref)

    dates_s = best(normalise_all)
    calls = len(texts) * len(refs)
    return {"clean_articles_per_s": round(len(corpus) / clean_s, 1), "date_us_per_call_uncached": round(dates_s / calls * 1e6, 1)}


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

    def run(self):
        while not self.stopped.wait(0.5):
            for name, pid in self.pids.items():
                procs = tree(pid)
                self.peak[name] = max(self.peak[name], sum(rss_mib(p) for p in procs))
                self.cpu[name] = max(self.cpu[name], sum(cpu_seconds(p) for p in procs))
                if name == "enrich":
                    for worker in procs[1:]:
                        rss = rss_mib(worker)
                        if rss:
                            self.workers_first.setdefault(worker, rss)
                            self.workers_last[worker] = rss


def cli(env, *args, check=True):
    return subprocess.run([sys.executable, "-m", "newsflow.cli.main", *args], env=env, check=check,
                          stdout=subprocess.PIPE, text=True)


def end_to_end(corpus: list[dict], processes: int) -> dict:
    from elasticsearch import Elasticsearch

    home = Path(tempfile.mkdtemp(prefix="newsflow-bench-"))
    es_port, kafka_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")} | {
        "NEWSFLOW_HOME": str(home), "NEWSFLOW_ES_URL": f"http://127.0.0.1:{es_port}",
        "NEWSFLOW_KAFKA_BOOTSTRAP": f"127.0.0.1:{kafka_port}", "NEWSFLOW_INGEST_PORT": str(free_port()),
        "NEWSFLOW_ENRICH_PORT": str(free_port()), "NEWSFLOW_INDEX_PORT": str(free_port()),
        "NEWSFLOW_LAG_EXPORTER_PORT": str(free_port()), "NEWSFLOW_PROMETHEUS": "off",
        "NEWSFLOW_ENRICH_PROCESSES": str(processes), "NEWSFLOW_LOG_LEVEL": "WARNING",
    }
    console.print(f"  starting a fresh local stack and the services in {home}")
    cli(env, "up")
    try:
        status = json.loads(cli(env, "status", "--json").stdout)["components"]
        sampler = MemorySampler({c["name"]: c["pid"] for c in status})
        sampler.start()
        es = Elasticsearch(env["NEWSFLOW_ES_URL"], request_timeout=30)
        seen: dict[str, float] = {}
        ingested: dict[str, float] = {}
        url = f"http://127.0.0.1:{env['NEWSFLOW_INGEST_PORT']}/v1/articles"
        started = time.time()
        for i in range(0, len(corpus), 100):
            body = json.dumps({"articles": [{"origin": "bench", "article": a} for a in corpus[i:i + 100]]}).encode()
            req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=120) as resp:
                for r in json.loads(resp.read())["results"]:
                    assert r["status"] == "accepted", r
        fed = time.time()
        console.print(f"  fed {len(corpus)} articles in {fed - started:.1f} s; waiting until searchable")
        while len(seen) < len(corpus):
            res = es.search(index="articles", size=1000, source=["ingested_at"],
                            query={"bool": {"filter": [{"term": {"source": "newsflow-bench"}}],
                                            "must_not": [{"ids": {"values": list(seen)}}]}})
            now = time.time()
            for hit in res["hits"]["hits"]:
                seen[hit["_id"]] = now
                ingested[hit["_id"]] = datetime.fromisoformat(hit["_source"]["ingested_at"]).timestamp()
            if time.time() - started > 3600:
                raise TimeoutError("not all articles searchable after an hour")
            time.sleep(0.2)
        finished = max(seen.values())
        sampler.stopped.set()
        sampler.join()
        latencies = sorted(seen[i] - ingested[i] for i in seen)
        q = statistics.quantiles(latencies, n=100)
        return {
            "seconds": finished - started, "feed_seconds": fed - started,
            "latency_s": {"p50": q[49], "p95": q[94], "p99": q[98], "max": latencies[-1]},
            "peak_rss_mib": {k: round(v, 1) for k, v in sampler.peak.items()},
            "cpu_seconds": {k: round(v, 1) for k, v in sampler.cpu.items()},
            "enrich_worker_rss_mib": {"start": [round(v, 1) for v in sampler.workers_first.values()],
                                      "end": [round(v, 1) for v in sampler.workers_last.values()]},
        }
    finally:
        cli(env, "down", check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", default="bench-results/bench.json")
    args = parser.parse_args()

    from newsflow.text.clean import clean_article
    from services.enrich.settings import EnrichSettings

    settings = EnrichSettings()
    corpus = articles(args.articles)
    texts = [clean_article(a["text"], "text/plain", a["title"]).body for a in corpus]
    words = sum(len(t.split()) for t in texts)
    console.print(f"{len(corpus)} articles, {words:,} words, {args.processes} cores")
    console.print("[bold]1. raw spaCy[/bold]")
    raw = raw_spacy(texts, args.processes, settings.spacy_model, settings.spacy_components)
    console.print("[bold]cleaning and dates alone[/bold]")
    pure = pure_steps(corpus)
    console.print(f"  {pure['clean_articles_per_s']} articles/s cleaned, {pure['date_us_per_call_uncached']} µs per date")
    console.print("[bold]2. end to end[/bold]")
    e2e = end_to_end(corpus, args.processes)
    for part in (raw, e2e):
        part["articles_per_s"] = round(len(corpus) / part["seconds"], 2)
        part["words_per_s"] = round(words / part["seconds"], 1)
    result = {"articles": len(corpus), "words": words, "cores": args.processes, "model": settings.spacy_model,
              "components": settings.spacy_components, "raw_spacy": raw, "end_to_end": e2e, "pure_steps": pure,
              "ratio_end_to_end_over_raw": round(e2e["articles_per_s"] / raw["articles_per_s"], 3)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")

    table = Table("measure", "raw spaCy", "end to end")
    table.add_row("articles/s", str(raw["articles_per_s"]), str(e2e["articles_per_s"]))
    table.add_row("words/s", f"{raw['words_per_s']:,.0f}", f"{e2e['words_per_s']:,.0f}")
    table.add_row("ratio end to end / raw", "", f"{result['ratio_end_to_end_over_raw']:.3f}")
    table.add_row("cleaning alone, articles/s (1 process)", f"{pure['clean_articles_per_s']:,}", "")
    table.add_row("date normalisation, µs a call (uncached)", f"{pure['date_us_per_call_uncached']}", "")
    lat = e2e["latency_s"]
    table.add_row("ingest→searchable p50/p95/p99 (s)", "", f"{lat['p50']:.2f} / {lat['p95']:.2f} / {lat['p99']:.2f}")
    for name, mib in e2e["peak_rss_mib"].items():
        table.add_row(f"peak RSS {name} (MiB)", "", f"{mib:,.0f}")
    for name, cpu in e2e["cpu_seconds"].items():
        table.add_row(f"CPU seconds {name}", "", f"{cpu:,.1f}")
    workers = e2e["enrich_worker_rss_mib"]
    table.add_row("enrich worker RSS start → end (MiB)", "", f"{workers['start']} → {workers['end']}")
    Console().print(table)
    console.print(f"written to {args.out}")


if __name__ == "__main__":
    main()
