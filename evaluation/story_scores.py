"""How well the near-duplicate rules tell one story from two: pair precision and recall of "same story", on the
development and the test part of evaluation/gold/stories.json apart. `make eval` prints it after the
enrichment figures; `python -m evaluation.story_scores [--json] [--errors]` alone.

Every item goes through `Stories` in the file's order, as a stream of articles would, so a pair counts as
"same story" when the two end in one story, transitively, as search would collapse them.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from itertools import combinations

from evaluation.stories import Item, load_items
from newsflow.text.copies import Stories

PARTS = ("dev", "test")


@dataclass
class PairTally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else None
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else None
        return {
            "pairs": self.tp + self.fp + self.fn + self.tn,
            "same": self.tp + self.fn,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": p,
            "recall": r,
        }


def score(items: list[Item]) -> dict[str, PairTally]:
    stories = Stories()
    found = {i.id: stories.add(i.id, i.title, i.text)[0] for i in items}
    tallies = {part: PairTally() for part in PARTS}
    for a, b in combinations(items, 2):
        part = "test" if "test" in (a.part, b.part) else "dev"
        t, truth, said = tallies[part], a.story == b.story, found[a.id] == found[b.id]
        if truth and said:
            t.tp += 1
        elif said:
            t.fp += 1
            t.errors.append(f"one story, said wrongly: {a.id} ~ {b.id}")
        elif truth:
            t.fn += 1
            t.errors.append(f"two stories, said wrongly: {a.id} / {b.id}")
        else:
            t.tn += 1
    return tallies


def table(tallies: dict[str, PairTally]) -> str:
    lines = ["same story (pairs)   pairs  same    tp  fp  fn  precision  recall"]
    for part, t in tallies.items():
        d = t.as_dict()
        fmt = lambda v: "   -" if v is None else f"{v:.3f}"  # noqa: E731
        lines.append(
            f"{part:<20}{d['pairs']:>6}{d['same']:>6}{d['tp']:>6}{d['fp']:>4}{d['fn']:>4}"
            f"{fmt(d['precision']):>11}{fmt(d['recall']):>8}"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    tallies = score(load_items())
    if "--json" in argv:
        print(json.dumps({part: t.as_dict() for part, t in tallies.items()}, indent=2))
    else:
        print(table(tallies))
    if "--errors" in argv:
        for part in ("dev",):  # the test part's errors are not read: it is not tuned on
            print("\n".join(tallies[part].errors))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
