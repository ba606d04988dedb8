"""How well the near-duplicate rules tell one story from two: pair precision and recall of "same story", on the
development and the test part of evaluation/gold/stories.json apart. `make eval` prints it after the
enrichment figures; `python -m evaluation.story_scores [--json] [--errors]` alone.

Every item goes through `Stories` in the file's order, as a stream of articles would, so a pair counts as
"same story" when the two end in one story, transitively, as search would collapse them.
"""

from __future__ import annotations

import json
import sys
from itertools import combinations

from evaluation.scoring import Tally
from evaluation.stories import Item, load_items
from newsflow.text.copies import Stories

PARTS = ("dev", "test")


def as_dict(t: Tally) -> dict:
    """A part's pair counts, and its precision and recall (evaluation/scoring.py's ratios, as `make eval`'s)."""
    c = t.counts
    return {
        "pairs": c["pairs"],
        "same": c["same"],
        "tp": c["tp"],
        "fp": c["said"] - c["tp"],
        "fn": c["same"] - c["tp"],
        "precision": t.ratio("tp", "said"),
        "recall": t.ratio("tp", "same"),
    }


def score(items: list[Item]) -> dict[str, Tally]:
    stories = Stories()
    found = {i.id: stories.add(i.id, i.title, i.text)[0] for i in items}
    tallies = {part: Tally() for part in PARTS}
    for a, b in combinations(items, 2):
        part = "test" if "test" in (a.part, b.part) else "dev"
        t, truth, said = tallies[part], a.story == b.story, found[a.id] == found[b.id]
        t.counts.update(pairs=1, same=truth, said=said, tp=truth and said)
        if truth != said:
            t.misses.append({"error": "joined, two stories" if said else "apart, one story", "a": a.id, "b": b.id})
    return tallies


def table(tallies: dict[str, Tally]) -> str:
    lines = ["same story (pairs)   pairs  same    tp  fp  fn  precision  recall"]
    for part, t in tallies.items():
        d = as_dict(t)
        fmt = lambda v: "   -" if v is None else f"{v:.3f}"  # noqa: E731
        lines.append(
            f"{part:<20}{d['pairs']:>6}{d['same']:>6}{d['tp']:>6}{d['fp']:>4}{d['fn']:>4}"
            f"{fmt(d['precision']):>11}{fmt(d['recall']):>8}"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    from evaluation.stories import GOLD, SHARED

    absent = sorted({e["file"] for e in json.loads(GOLD.read_text())["items"] if not (SHARED / e["file"]).is_file()})
    if absent:
        # A clone without ../shared (a user's own) has none of the articles the stories are made of.
        print(f"stories not scored: {SHARED} holds no {', '.join(absent[:3])}{' ...' if len(absent) > 3 else ''}")
        return 0
    tallies = score(load_items())
    if "--json" in argv:
        print(json.dumps({part: as_dict(t) for part, t in tallies.items()}, indent=2))
    else:
        print(table(tallies))
    if "--errors" in argv:
        for part in ("dev",):  # the test part's errors are not read: it is not tuned on
            for miss in tallies[part].misses:
                print(f"{miss['error']}: {miss['a']} / {miss['b']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
