"""Scoring one enriched article against its labels, and adding scores up. Pure: no model, no files.

Entities, per class (people, organisations, places):
- recall: a labelled name found among any of the article's facets (other_entities included);
- right facet: a labelled name found in the facet of its class;
- facet precision: of the names a facet lists, the share labelled as that class. A name the labels do not
  have counts against it: a wrong facet is what a newsroom filtering by person sees.
Names match case-insensitively, on the facet's name or any of its variants, a leading "the" aside.

Body retention is per labelled body line: kept when its words appear, in order, in the body. A clutter leak
is a labelled furniture line whose words appear in the body as one of its paragraphs or, for a line of six
words or more, anywhere in it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import ftfy

from evaluation.labels import GROUPS, Case

FACETS = {"people": "people", "organisations": "organisations", "places": "places"}


def words(text: str) -> str:
    """Lower-case words separated by single spaces: what two texts must share to count as the same."""
    text = unicodedata.normalize("NFKC", ftfy.fix_text(text)).lower()
    return " ".join(re.findall(r"\w+", text))


def _name(text: str) -> str:
    return re.sub(r"^the ", "", words(text))


@dataclass
class Tally:
    """Counts that add up over articles."""

    counts: Counter = field(default_factory=Counter)
    misses: list[dict] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.counts.update(other.counts)
        self.misses.extend(other.misses)

    def ratio(self, hit: str, total: str) -> float | None:
        return round(self.counts[hit] / self.counts[total], 3) if self.counts[total] else None


def score(case: Case, result) -> Tally:
    """``result`` is an EnrichedArticle, or None where the pipeline gave up on the article (a dead letter)."""
    t = Tally()
    c = t.counts
    c["articles"] += 1
    miss: dict = {"article": case.name}
    if result is None:
        miss["dead-lettered"] = True
        t.misses.append(miss)
        c["dead_lettered"] += 1
        result = _Nothing()

    if case.entities is not None:
        names_of = {g: {_name(n): n for f in getattr(result, FACETS[g]) for n in (f.name, *f.variants)} for g in GROUPS}
        listed = {g: [f.name for f in getattr(result, FACETS[g])] for g in GROUPS}
        anywhere = set().union(*names_of.values()) | {
            _name(n) for f in result.other_entities for n in (f.name, *f.variants)
        }
        read = getattr(result, "entities_status", "ok") == "ok"
        for g in GROUPS:
            gold = {_name(n) for n in case.entities[g]}
            if read:
                c["read_gold"] += len(gold)
                c["read_found"] += len(gold & anywhere)
            gold_any = {_name(n) for grp in GROUPS for n in case.entities[grp]}
            c[f"{g}_gold"] += len(gold)
            c[f"{g}_found"] += len(gold & anywhere)
            c[f"{g}_right"] += len(gold & set(names_of[g]))
            c[f"{g}_listed"] += len(listed[g])
            wrong = [n for n in listed[g] if _name(n) not in gold]
            c[f"{g}_listed_right"] += len(listed[g]) - len(wrong)
            lost = sorted(case.entities[g][i] for i, n in enumerate(map(_name, case.entities[g])) if n not in anywhere)
            misplaced = sorted(n for n in wrong if _name(n) in gold_any)
            if lost:
                miss[f"{g}: not found"] = lost
            if wrong:
                miss[f"{g}: wrongly listed"] = wrong
            if misplaced:
                miss[f"{g}: of another class"] = misplaced

    if case.dates is not None:
        want = {(words(text), value) for text, value in case.dates}
        got = {(words(d.text), d.value) for d in result.dates if d.value}
        c["dates_gold"] += len(want)
        c["dates_given"] += len(got)
        c["dates_right"] += len(want & got)
        if want - got:
            miss["dates: missed"] = sorted(want - got)
        if got - want:
            miss["dates: spurious"] = sorted(got - want)

    c["titles"] += 1
    if (words(case.title) if case.title else None) == (words(result.title) if result.title else None):
        c["titles_right"] += 1
    else:
        miss["title"] = {"want": case.title, "got": result.title}

    if case.given_published is None:
        c["published"] += 1
        got_day = str(result.published)[:10] if result.published is not None else None
        if got_day == case.published:
            c["published_right"] += 1
        else:
            miss["published"] = {"want": case.published, "got": got_day}

    c["authors"] += 1
    got_authors = sorted(words(a) for a in getattr(result, "authors", []) or [])
    if got_authors == sorted(words(a) for a in case.authors):
        c["authors_right"] += 1
    else:
        miss["authors"] = {"want": list(case.authors), "got": list(getattr(result, "authors", []) or [])}

    body = words(result.body)
    paragraphs = {words(p) for p in re.split(r"\n\s*\n", result.body)}
    lost_lines = [line for line in case.body_lines if words(line) and words(line) not in body]
    c["body_lines"] += len(case.body_lines)
    c["body_lines_kept"] += len(case.body_lines) - len(lost_lines)
    if lost_lines:
        miss["body lost"] = [line[:80] for line in lost_lines]
    leaks = [
        line for line in case.clutter if (w := words(line)) and (w in paragraphs or (len(w.split()) >= 6 and w in body))
    ]
    c["clutter_lines"] += len(case.clutter)
    c["clutter_leaked"] += len(leaks)
    if leaks:
        miss["clutter leaked"] = [line[:80] for line in leaks]

    c["languages"] += 1
    if result.language == case.language:
        c["languages_right"] += 1
    else:
        miss["language"] = {"want": case.language, "got": result.language}

    if len(miss) > 1 and "dead-lettered" not in miss:
        t.misses.append(miss)
    return t


class _Nothing:
    """What a dead-lettered article contributes: no facets, no dates, no body."""

    people = organisations = places = other_entities = dates = authors = ()
    entities_status = "dead-lettered"
    title = published = language = None
    body = ""


def table(t: Tally) -> dict:
    """The figures `make eval` prints, from a tally."""
    out: dict = {"articles": t.counts["articles"], "dead_lettered": t.counts["dead_lettered"]}
    for g in GROUPS:
        out[g] = {
            "recall": t.ratio(f"{g}_found", f"{g}_gold"),
            "right_facet": t.ratio(f"{g}_right", f"{g}_gold"),
            "facet_precision": t.ratio(f"{g}_listed_right", f"{g}_listed"),
            "labelled": t.counts[f"{g}_gold"],
            "listed": t.counts[f"{g}_listed"],
        }
    gold = sum(t.counts[f"{g}_gold"] for g in GROUPS)
    found = sum(t.counts[f"{g}_found"] for g in GROUPS)
    out["entity_recall"] = round(found / gold, 3) if gold else None
    out["entity_recall_read"] = t.ratio("read_found", "read_gold")
    out["dates"] = {
        "precision": t.ratio("dates_right", "dates_given"),
        "recall": t.ratio("dates_right", "dates_gold"),
    }
    out["titles"] = f"{t.counts['titles_right']}/{t.counts['titles']}"
    out["published"] = f"{t.counts['published_right']}/{t.counts['published']}"
    out["authors"] = f"{t.counts['authors_right']}/{t.counts['authors']}"
    out["body_retention"] = t.ratio("body_lines_kept", "body_lines")
    out["clutter_leaked"] = f"{t.counts['clutter_leaked']}/{t.counts['clutter_lines']}"
    out["language"] = f"{t.counts['languages_right']}/{t.counts['languages']}"
    return out
