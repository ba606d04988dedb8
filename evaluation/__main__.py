"""How good the enrichment is on labelled articles, the development and the test part apart: `make eval`.

    python -m evaluation [--json] [--errors]

The articles and their labels are described in evaluation/labels.py, the figures in evaluation/scoring.py.
Each article goes through what the pipeline does to it: ingest's ``prepare`` and enrich's ``enrich_batch``
with the recogniser the enrich stage would load. Rules may be tuned on the development part only.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime

from evaluation.labels import GROUPS, PARTS, Case, load_cases
from evaluation.scoring import Tally, score, table
from newsflow.contract import ArticleSubmission
from newsflow.nlp.enrichment import Failure, enrich_batch
from newsflow.nlp.recognise import recognisers
from newsflow.stages.enrich.settings import EnrichSettings
from newsflow.stages.ingest.prepare import prepare


def run(cases: list[Case], recogniser) -> dict[str, Tally]:
    """The tallies of each part."""
    now = datetime.now(UTC)
    raws = [
        prepare(
            ArticleSubmission(
                text=c.text, published=date.fromisoformat(c.given_published) if c.given_published else None
            ),
            c.name,
            now,
            10**8,
        )
        for c in cases
    ]
    tallies = {part: Tally() for part in PARTS}
    for case, result in zip(cases, enrich_batch(raws, recogniser, now), strict=True):
        tallies[case.part].add(score(case, None if isinstance(result, Failure) else result))
    return tallies


def main() -> None:
    settings = EnrichSettings()
    recogniser = recognisers(settings.recogniser, settings.spacy_model, settings.spacy_components)
    cases, absent = load_cases()
    tallies = run(cases, recogniser)
    report = {part: table(t) for part, t in tallies.items()}
    if "--json" in sys.argv:
        print(json.dumps({"report": report, "dev_errors": tallies["dev"].misses}, indent=2, ensure_ascii=False))
        return
    for language in recogniser.languages:
        info = recogniser.by_language[language].info
        print(f"{language}: model {info.name} {info.version}, components {','.join(info.components)}")
    for line in absent:
        print(f"not scored: {line}")
    counts = {p: sorted({c.source for c in cases if c.part == p}) for p in PARTS}
    print(f"\n{'':34} {'development':>12} {'test':>12}")
    print(f"{'sources':34} {'+'.join(counts['dev']):>12} {'+'.join(counts['test']):>12}")
    rows = [
        ("articles", lambda r: r["articles"]),
        ("entity recall", lambda r: r["entity_recall"]),
        ("  where a model reads the language", lambda r: r["entity_recall_read"]),
    ]
    for g in GROUPS:
        rows += [
            (f"{g}: recall", lambda r, g=g: r[g]["recall"]),
            (f"{g}: in the right facet", lambda r, g=g: r[g]["right_facet"]),
            (f"{g}: facet precision", lambda r, g=g: r[g]["facet_precision"]),
        ]
    rows += [
        ("dates: precision", lambda r: r["dates"]["precision"]),
        ("dates: recall", lambda r: r["dates"]["recall"]),
        ("titles right", lambda r: r["titles"]),
        ("stated publication dates right", lambda r: r["published"]),
        ("authors right", lambda r: r["authors"]),
        ("body retention (lines)", lambda r: r["body_retention"]),
        ("clutter lines leaked", lambda r: r["clutter_leaked"]),
        ("language right", lambda r: r["language"]),
        ("dead-lettered", lambda r: r["dead_lettered"]),
    ]
    for label, value in rows:
        print(f"{label:34} {value(report['dev'])!s:>12} {value(report['test'])!s:>12}")
    if "--errors" in sys.argv:
        # The development part's only: the test part's errors are not for reading while rules are tuned.
        print(json.dumps(tallies["dev"].misses, indent=2, ensure_ascii=False))
    else:
        print("\n(what went wrong in the development part, article by article: python -m evaluation --errors)")


if __name__ == "__main__":
    main()
