"""Precision and recall of the enrichment on labelled articles: `make eval`.

    python -m evaluation [--json]

Two sets: our own short articles written for the purpose (``gold/own.jsonl``: text, publication
date, expected people/organisations/places and dates with their ISO values), and the five seed
articles in ``../shared/seeds/`` labelled by hand (``gold/seeds.json``; skipped where absent).

Entities are scored per article as (group, name) pairs against the merged facets; dates as
(text, ISO value) pairs against the date mentions that carry a value. Micro-averaged.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from newsflow.contract import ArticleSubmission
from newsflow.nlp.enrichment import enrich_batch
from newsflow.nlp.recognise import SpacyRecogniser
from newsflow.stages.enrich.settings import EnrichSettings
from newsflow.stages.ingest.prepare import prepare

HERE = Path(__file__).parent
SEEDS = HERE.parent.parent / "shared" / "seeds"
GROUPS = ("people", "organisations", "places")


def cases() -> dict[str, list[dict]]:
    own = [json.loads(line) for line in (HERE / "gold" / "own.jsonl").read_text().splitlines() if line.strip()]
    sets = {"own": own}
    if SEEDS.is_dir():
        labels = json.loads((HERE / "gold" / "seeds.json").read_text())
        sets["seeds"] = [
            {"name": name, "text": (SEEDS / name).read_text(encoding="utf-8"), "published": None, **gold}
            for name, gold in labels.items()
            if (SEEDS / name).exists()
        ]
    return sets


def score(expected: set, found: set) -> tuple[int, int, int]:
    return len(expected & found), len(found - expected), len(expected - found)


def evaluate(items: list[dict], recogniser) -> dict:
    now = datetime.now(UTC)
    raws = [
        prepare(
            ArticleSubmission(text=c["text"], published=date.fromisoformat(c["published"]) if c["published"] else None),
            c["name"],
            now,
            10**8,
        )
        for c in items
    ]
    totals = {"entities": [0, 0, 0], "dates": [0, 0, 0]}
    misses = []
    for case, result in zip(items, enrich_batch(raws, recogniser, now), strict=True):
        want_e = {(g, n.lower()) for g in GROUPS for n in case[g]}
        got_e = {(g, f.name.lower()) for g in GROUPS for f in getattr(result, g)}
        want_d = {(t.lower(), v) for t, v in case["dates"]}
        got_d = {(d.text.lower(), d.value) for d in result.dates if d.value}
        for key, want, got in (("entities", want_e, got_e), ("dates", want_d, got_d)):
            tp, fp, fn = score(want, got)
            totals[key] = [a + b for a, b in zip(totals[key], (tp, fp, fn), strict=True)]
            misses.append(
                {"article": case["name"], "kind": key, "missed": sorted(want - got), "spurious": sorted(got - want)}
            )
    out = {}
    for key, (tp, fp, fn) in totals.items():
        out[key] = {
            "precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "recall": round(tp / (tp + fn), 3) if tp + fn else None,
            "tp": tp,
            "fp": fp,
            "fn": fn,
        }
    out["articles"] = len(items)
    out["errors"] = [m for m in misses if m["missed"] or m["spurious"]]
    return out


def main() -> None:
    settings = EnrichSettings()
    found = SpacyRecogniser(settings.spacy_model, settings.spacy_components)
    report = {name: evaluate(items, found) for name, items in cases().items()}
    if "--json" in sys.argv:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    info = found.info
    print(f"model {info.name} {info.version}, components {','.join(info.components)}")
    print(f"{'set':8} {'articles':>8} {'kind':9} {'precision':>9} {'recall':>7}   tp  fp  fn")
    for name, res in report.items():
        for kind in ("entities", "dates"):
            r = res[kind]
            print(
                f"{name:8} {res['articles']:>8} {kind:9} {r['precision']!s:>9} {r['recall']!s:>7} {r['tp']:4} "
                f"{r['fp']:3} {r['fn']:3}"
            )
    print("\n(errors per article: python -m evaluation --json)")


if __name__ == "__main__":
    main()
