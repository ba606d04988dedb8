"""`make bench-ingest`: ingest's front door under load, with a real broker behind it and keys required.

    python -m bench.ingest_load [--stack apache|embedded] [--rate 200] [--seconds 30] [--batch 10]

A fresh local stack and the services; enrich and index are paused (SIGSTOP) while the load runs, so the two
cores go to ingest, the broker and the load itself, and the figures are ingest's. One key is created with a
rate limit of ``--rate`` articles/s. Requests of ``--batch`` articles are sent open-loop (on a schedule, not
waiting for the previous answer) at two rates: 80% of the limit (steady), and twice the limit. For each:
requests and articles per second (accepted), the share answered 429, p50/p99 response time, and ingest's
resident memory at its peak. At the end every accepted article is counted on the raw topic: none may be lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from bench.__main__ import cli, running_stack
from bench.corpus import articles
from bench.procstat import rss_mib
from newsflow.contract import Topics
from newsflow.runtime.topics import read_whole

console = Console(stderr=True)


async def load(url: str, key: str, batches: list[list[dict]], per_s: float) -> dict:
    """Send ``batches`` at ``per_s`` requests a second, each on its own schedule; what came back."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    accepted: list[str] = []
    started = time.perf_counter()
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(limits=limits, timeout=60, headers={"Authorization": f"Bearer {key}"}) as client:

        async def one(i: int, batch: list[dict]) -> None:
            await asyncio.sleep(max(0.0, started + i / per_s - time.perf_counter()))
            sent = time.perf_counter()
            try:
                resp = await client.post(url, json={"articles": [{"origin": "load", "article": a} for a in batch]})
            except httpx.HTTPError:
                statuses[0] = statuses.get(0, 0) + 1
                return
            latencies.append(time.perf_counter() - sent)
            statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
            if resp.status_code == 200:
                accepted.extend(r["id"] for r in resp.json()["results"] if r["status"] == "accepted")

        await asyncio.gather(*(one(i, b) for i, b in enumerate(batches)))
    seconds = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [0.0] * 99
    return {
        "offered_requests_per_s": per_s,
        "seconds": round(seconds, 2),
        "requests": len(batches),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "requests_per_s": round(len(latencies) / seconds, 1),
        "accepted_articles": len(accepted),
        "accepted_articles_per_s": round(len(accepted) / seconds, 1),
        "p50_ms": round(cuts[49] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "ids": accepted,
    }


def peak_rss(pid: int, stop: threading.Event, out: list[float], every_s: float = 0.2) -> None:
    while not stop.wait(every_s):
        out.append(rss_mib(pid))


def on_raw_topic(env: dict) -> set[str]:
    """The id of every article on the raw topic."""
    config = {"bootstrap_servers": env["NEWSFLOW_KAFKA_BOOTSTRAP"]}
    return {r.key.decode() for r in read_whole(config, [Topics.RAW], "bench-count") if r.key}


def report(accepted: set[str], on_topic: set[str], out_path: Path, summary: dict) -> None:
    """Say how many accepted articles are on the raw topic, write ``summary`` with the lost count, and fail if any
    was lost."""
    lost = sorted(accepted - on_topic)
    Console().print(f"accepted {len(accepted):,}, on the raw topic {len(accepted & on_topic):,}, lost {len(lost)}")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(summary | {"lost": len(lost)}, indent=2) + "\n")
    if lost:
        raise SystemExit(f"{len(lost)} accepted articles are not on the raw topic")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", choices=["embedded", "apache"], default="apache")
    parser.add_argument("--rate", type=float, default=200, help="the key's limit, articles per second")
    parser.add_argument("--seconds", type=float, default=30, help="length of each run")
    parser.add_argument("--batch", type=int, default=10, help="articles per request")
    parser.add_argument("--out", default=None, help="default bench-results/ingest-load-<stack>.json")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    out_path = Path(args.out or f"bench-results/ingest-load-{args.stack}.json")
    runs = [("steady (80% of the limit)", 0.8), ("twice the limit", 2.0)]
    total = int(sum(args.rate * share * args.seconds for _, share in runs)) + args.batch
    corpus = articles(total, kind="Load")
    extra = {"NEWSFLOW_INGEST_AUTH": "required", "NEWSFLOW_INGEST_BURST": str(int(args.rate))}
    with running_stack(args.stack, 1, extra) as (env, pids):
        paused = [pids[name] for name in ("enrich", "index", "feeds") if pids.get(name)]
        for pid in paused:
            os.kill(pid, signal.SIGSTOP)
        try:
            created = cli(env, "keys", "create", "load", "--rate", str(args.rate), "--burst", str(int(args.rate)))
            key = created.stdout.strip()
            url = f"http://127.0.0.1:{env['NEWSFLOW_INGEST_PORT']}/v1/articles"
            # The key reaches ingest through its topic: wait until it is taken.
            deadline = time.monotonic() + 60
            while httpx.post(url, json={"articles": []}, headers={"Authorization": f"Bearer {key}"}).status_code != 200:
                if time.monotonic() > deadline:
                    raise RuntimeError("ingest never took the new key")
                time.sleep(0.5)
            results, offset = [], 0
            for label, share in runs:
                per_s = args.rate * share / args.batch
                count = int(per_s * args.seconds)
                batches = [corpus[offset + i * args.batch : offset + (i + 1) * args.batch] for i in range(count)]
                offset += count * args.batch
                console.print(
                    f"[bold]{label}[/bold]: {per_s * args.batch:.0f} articles/s offered for {args.seconds:g} s"
                )
                stop, rss = threading.Event(), []
                sampler = threading.Thread(target=peak_rss, args=(pids["ingest"], stop, rss), daemon=True)
                sampler.start()
                run = asyncio.run(load(url, key, batches, per_s))
                stop.set()
                sampler.join()
                run["label"], run["offered_articles_per_s"] = label, per_s * args.batch
                run["ingest_rss_peak_mib"] = round(max(rss, default=0.0), 1)
                results.append(run)
                console.print(f"  {json.dumps({k: v for k, v in run.items() if k != 'ids'})}")
            console.print("counting the accepted articles on the raw topic")
            on_topic = on_raw_topic(env)
            accepted = {i for run in results for i in run["ids"]}
        finally:
            for pid in paused:
                os.kill(pid, signal.SIGCONT)
    table = Table("run", "offered/s", "req/s", "accepted/s", "429", "p50 ms", "p99 ms", "RSS MiB")
    for r in results:
        table.add_row(
            r["label"],
            f"{r['offered_articles_per_s']:.0f}",
            f"{r['requests_per_s']}",
            f"{r['accepted_articles_per_s']}",
            str(r["statuses"].get("429", 0)),
            f"{r['p50_ms']}",
            f"{r['p99_ms']}",
            f"{r['ingest_rss_peak_mib']}",
        )
    Console().print(table)
    summary = {
        "stack": args.stack,
        "rate_limit_per_s": args.rate,
        "batch": args.batch,
        "runs": [{k: v for k, v in r.items() if k != "ids"} for r in results],
        "accepted": len(accepted),
    }
    report(accepted, on_topic, out_path, summary)


if __name__ == "__main__":
    main()
