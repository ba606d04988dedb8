"""`make bench-ingest-memory`: ingest's memory under the largest requests it takes, many at once.

    python -m bench.ingest_memory [--stack embedded|apache] [--clients 8] [--seconds 30]

A fresh local stack and the services, enrich and index paused (SIGSTOP) so the cores go to ingest and the broker.
``--clients`` clients each send, again and again for ``--seconds``, a request as large as ingest takes
(NEWSFLOW_MAX_REQUEST_BYTES), in two shapes: few articles of the largest size, and the most articles of a request
(NEWSFLOW_MAX_BATCH) filling it. A 503 is waited out as its Retry-After says. Reported per shape: ingest's resident
memory (before, peak, after), the answers by status, articles accepted, and every accepted article counted on the
raw topic: none may be lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from bench.__main__ import running_stack
from bench.corpus import paragraphs
from bench.ingest_load import on_raw_topic, peak_rss, report
from bench.procstat import rss_mib
from newsflow.contract.api import DEFAULT_MAX_ARTICLE_BYTES, DEFAULT_MAX_BATCH, DEFAULT_MAX_REQUEST_BYTES

console = Console(stderr=True)


def article_of(size: int, n: int, pool: list[str]) -> dict:
    """An article of about ``size`` UTF-8 bytes of running text, made of the corpus's paragraphs."""
    parts, total, i = [f"Request body test {n}."], 0, n
    while total < size:
        para = pool[i % len(pool)]
        parts.append(para)
        total += len(para.encode()) + 2
        i += 1
    text = "\n\n".join(parts)
    return {"title": f"Largest request article {n}", "text": text.encode()[:size].decode("utf-8", "ignore")}


def body_of(articles: list[dict]) -> bytes:
    return json.dumps({"articles": [{"origin": "memory-bench", "article": a} for a in articles]}).encode()


def maximal(shape: str, client: int, round_: int, pool: list[str]) -> bytes:
    """A request body under NEWSFLOW_MAX_REQUEST_BYTES by less than one article, of distinct articles."""
    if shape == "largest articles":
        size, most = DEFAULT_MAX_ARTICLE_BYTES - 1_000, DEFAULT_MAX_BATCH
    else:
        size, most = DEFAULT_MAX_REQUEST_BYTES // DEFAULT_MAX_BATCH - 400, DEFAULT_MAX_BATCH
    tag = client * 100_000 + round_ * 1_000
    articles: list[dict] = []
    room, used = DEFAULT_MAX_REQUEST_BYTES - 1_024, 0
    while len(articles) < most:
        article = article_of(size, tag + len(articles), pool)
        used += len(body_of([article]))
        if used > room:
            break
        articles.append(article)
    body = body_of(articles)
    assert len(body) <= DEFAULT_MAX_REQUEST_BYTES, len(body)
    return body


async def clients(url: str, bodies: list[list[bytes]], seconds: float) -> dict:
    statuses: dict[str, int] = {}
    accepted: list[str] = []
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=120, headers={"Content-Type": "application/json"}) as client:

        async def one(mine: list[bytes]) -> None:
            i = 0
            while time.monotonic() < deadline:
                try:
                    resp = await client.post(url, content=mine[i % len(mine)])
                except httpx.HTTPError as exc:
                    statuses[type(exc).__name__] = statuses.get(type(exc).__name__, 0) + 1
                    await asyncio.sleep(1)
                    continue
                statuses[str(resp.status_code)] = statuses.get(str(resp.status_code), 0) + 1
                if resp.status_code == 200:
                    accepted.extend(r["id"] for r in resp.json()["results"] if r["status"] == "accepted")
                    i += 1
                else:
                    await asyncio.sleep(float(resp.headers.get("retry-after", "1")))

        await asyncio.gather(*(one(b) for b in bodies))
    return {"statuses": dict(sorted(statuses.items())), "accepted": accepted}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", choices=["embedded", "apache"], default="embedded")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--bodies", type=int, default=2, help="distinct bodies per client and shape")
    parser.add_argument("--out", default=None, help="default bench-results/ingest-memory-<stack>.json")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    out_path = Path(args.out or f"bench-results/ingest-memory-{args.stack}.json")
    pool = paragraphs()
    shapes = ["largest articles", "most articles"]
    console.print(f"building {args.clients * args.bodies} request bodies of each shape")
    prepared = {
        shape: [[maximal(shape, c, r, pool) for r in range(args.bodies)] for c in range(args.clients)]
        for shape in shapes
    }
    results = []
    with running_stack(args.stack, 1) as (env, pids):
        paused = [pids[name] for name in ("enrich", "index", "feeds", "webhooks") if pids.get(name)]
        for pid in paused:
            os.kill(pid, signal.SIGSTOP)
        try:
            url = f"http://127.0.0.1:{env['NEWSFLOW_INGEST_PORT']}/v1/articles"
            ingest = pids["ingest"]
            for shape in shapes:
                bodies = prepared[shape]
                n_articles = json.loads(bodies[0][0])["articles"]
                console.print(
                    f"[bold]{shape}[/bold]: {args.clients} clients, each request {len(bodies[0][0]):,} bytes "
                    f"({len(n_articles)} articles), for {args.seconds:g} s"
                )
                before = rss_mib(ingest)
                stop, rss = threading.Event(), []
                sampler = threading.Thread(target=peak_rss, args=(ingest, stop, rss, 0.05), daemon=True)
                sampler.start()
                run = asyncio.run(clients(url, bodies, args.seconds))
                stop.set()
                sampler.join()
                time.sleep(2)
                run |= {
                    "shape": shape,
                    "request_bytes": len(bodies[0][0]),
                    "articles_per_request": len(n_articles),
                    "rss_before_mib": round(before, 1),
                    "rss_peak_mib": round(max(rss, default=0.0), 1),
                    "rss_after_mib": round(rss_mib(ingest), 1),
                }
                results.append(run)
                console.print(f"  {json.dumps({k: v for k, v in run.items() if k != 'accepted'})}")
            console.print("counting the accepted articles on the raw topic")
            on_topic = on_raw_topic(env)
        finally:
            for pid in paused:
                os.kill(pid, signal.SIGCONT)
    accepted = {i for run in results for i in run["accepted"]}
    table = Table("shape", "request", "articles", "answers", "accepted", "RSS before", "peak", "after")
    for r in results:
        table.add_row(
            r["shape"],
            f"{r['request_bytes'] / 2**20:.1f} MiB",
            str(r["articles_per_request"]),
            ", ".join(f"{k}: {v}" for k, v in r["statuses"].items()),
            f"{len(set(r['accepted'])):,}",
            f"{r['rss_before_mib']} MiB",
            f"{r['rss_peak_mib']} MiB",
            f"{r['rss_after_mib']} MiB",
        )
    Console().print(table)
    summary = {
        "stack": args.stack,
        "clients": args.clients,
        "seconds": args.seconds,
        "runs": [{k: v for k, v in r.items() if k != "accepted"} | {"accepted": len(r["accepted"])} for r in results],
    }
    report(accepted, on_topic, out_path, summary)


if __name__ == "__main__":
    main()
