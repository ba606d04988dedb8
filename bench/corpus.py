"""Benchmark articles: paragraphs recombined into many different articles of varied length."""

from __future__ import annotations

import random
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCES = [REPO / "examples" / "articles", REPO.parent / "shared" / "seeds"]


def paragraphs() -> list[str]:
    """Every paragraph of the example (and, where present, seed) articles that reads like body text:
    the seeds' site furniture (donation appeals, comment rules) is left out, as enrich would leave it out."""
    from newsflow.text.clean import clean_article

    found = []
    for folder in SOURCES:
        for path in sorted(folder.glob("*.txt")) + sorted(folder.glob("*.md")) if folder.is_dir() else []:
            for para in path.read_text(encoding="utf-8").split("\n\n"):
                para = " ".join(para.split())
                if len(para) > 120 and para[-1] in ".\"”'’)" and clean_article(para, "text/plain").body.strip():
                    found.append(para)
    if len(found) < 5:
        raise RuntimeError("not enough paragraphs to build benchmark articles from")
    return found


def articles(count: int, seed: int = 7, kind: str = "Benchmark", source: str = "newsflow-bench") -> list[dict]:
    """``count`` distinct articles (ingest submissions) of 2 to 12 paragraphs each, titled "<kind> article <n>"."""
    rng = random.Random(seed)
    pool = paragraphs()
    out = []
    for n in range(count):
        body = "\n\n".join(rng.choice(pool) for _ in range(rng.randint(2, 12)))
        out.append(
            {
                "title": f"{kind} article {n}",
                "text": body,
                "source": source,
                "published": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            }
        )
    return out
