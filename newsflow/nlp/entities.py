"""Cleaning spaCy's entity mentions and merging the variants of one name inside one article.

``merge_entities(spans)`` takes spaCy's ``(text, label, start, end)`` mentions of one article and
returns ``MergedEntities``: every kept mention with the ``canonical`` name it was merged under, and
one ``Facet(name, label, count, variants)`` per entity in four groups — ``people`` (PERSON),
``organisations`` (ORG), ``places`` (GPE, LOC, FAC) and ``other`` (NORP, EVENT, PRODUCT,
WORK_OF_ART, LAW, LANGUAGE) — sorted by count, then name. DATE, TIME, PERCENT, MONEY, QUANTITY,
ORDINAL and CARDINAL are not entities here (dates have their own module).

Cleaning: whitespace collapsed; quotes and punctuation around the name, a leading "the", a
possessive "'s" and a courtesy title in front of a person ("Mr", "President") removed. Fragments
that are no names are dropped: nothing left, no letter, one character, only words of ``STOPLIST``
("Regime", "Read more"), or all lower case ("mosques"; unless the recogniser is trusted with such
names, as CoreNLP's German model with the agency "dpa": ``lower_case``, decided per recogniser in
facets.EARNED). A mention across a line break is two fragments glued together by the tokenizer:
each line is cleaned and kept on its own, with its own offsets.

Merging, in this order:

1. Names with the same key are one entity. The key ignores case, accents, hyphens vs spaces, dots,
   name particles ("al-", "el-", "bin", "van", "de"...) and a leading article: "Al Nusra Front",
   "al-Nusra Front" and "Nusra Front" share the key ``nusra front``. If the mentions of a key carry
   labels of different groups, the most frequent group wins, unless the two most frequent groups
   tie or the second has two mentions or more: then the name is ambiguous (a person named like a
   country, a club named after its city) and stays two entities. Pieces of a mention across lines
   do not vote.
2. A name whose key ends the key of exactly one longer person's name is that person: "Assad",
   "al-Assad" and "Assad's" with "Bashar al-Assad"; a short form the model labelled something else
   than PERSON joins only if all its mentions come after the full name. Two people with the same
   surname keep a bare surname apart.

The canonical name is the fullest form: most key words, then longest, then most frequent, then
first seen (a form in capitals loses to the same name in mixed case). ``count`` is the number of
mentions merged, ``variants`` the other distinct surface forms. Mention offsets are spaCy's, into
the clean body; a mention's ``text`` is its cleaned form and its ``label`` its entity's label.

Pure and deterministic; linear in the number of mentions apart from sorting.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

GROUPS = {
    "PERSON": "people",
    "ORG": "organisations",
    "GPE": "places",
    "LOC": "places",
    "FAC": "places",
    "NORP": "other",
    "EVENT": "other",
    "PRODUCT": "other",
    "WORK_OF_ART": "other",
    "LAW": "other",
    "LANGUAGE": "other",
    "MISC": "other",  # a name no check could place in a class (facets.py), and WikiNER models' own label
}
# Name particles that come and go between variants of the same name ("al-Assad" / "Assad", "de Gaulle").
PARTICLES = frozenset(
    {
        "al",
        "el",
        "bin",
        "ibn",
        "bint",
        "van",
        "von",
        "der",
        "den",
        "ter",
        "de",
        "del",
        "della",
        "da",
        "di",
        "du",
        "dos",
        "das",
        "la",
        "le",
    }
)
# Arabic article forms that are particles only when hyphenated ("ash-Sham"), as words they are words ("Ash Carter").
_HYPHEN_PARTICLE = re.compile(r"(?<![^\W\d_])(?:al|el|ad|an|ar|as|ash|at|az|ath|adh)-")
# Capitalised words news prose and page furniture are full of, which spaCy sometimes takes for names.
STOPLIST = frozenset(
    {
        "regime",
        "rebels",
        "rebel",
        "government",
        "state",
        "army",
        "president",
        "minister",
        "prime",
        "read",
        "more",
        "contact",
        "editor",
        "skip",
        "content",
        "advertisement",
        "share",
        "comment",
        "comments",
        "opposition",
        "militants",
        "forces",
        "observatory",
        "council",
        "police",
        "ministry",
        "authorities",
        "officials",
        "troops",
        "coalition",
        "insurgents",
        "jihadists",
        "islamists",
        "terrorists",
        # CoreNLP's English mentions include the pronouns that open a sentence ("He", "His").
        "he",
        "she",
        "him",
        "his",
        "her",
        "hers",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "today",
        "yesterday",
        "news",
        "video",
        "photo",
        "photos",
        "image",
        "update",
        "updated",
        "breaking",
        "live",
        "subscribe",
        "follow",
        "tweet",
        "email",
        "print",
        "home",
        "menu",
        "search",
        "login",
        "sign",
        "click",
        "here",
        "copyright",
    }
)
# Titles in front of a person's name: "President Assad" is "Assad".
_TITLE = re.compile(
    r"^(?:(?i:mr|mrs|ms|miss|dr|prof|professor|sir|dame|president|vice president|prime minister|minister|foreign "
    r"minister|"
    r"defen[cs]e minister|mayor|senator|sen|rep|representative|gov|governor|general|gen|colonel|col|lt|lieutenant|"
    r"major|maj|captain|capt|sgt|sergeant|judge|justice|chancellor|secretary|ambassador|commander|analyst|spokesman|"
    r"spokeswoman|chairman|chairwoman|ceo|chief executive)\.?\s+)+(?=[A-Z])"
)
# Groups that do not look like demonyms ("Syrian", "Kurdish", "Yemeni") yet are groups, not places.
_GROUP_WORDS = {
    "arab",
    "arabs",
    "shia",
    "shiite",
    "shiites",
    "sunni",
    "sunnis",
    "jews",
    "jewish",
    "muslim",
    "muslims",
    "christian",
    "christians",
    "kurds",
    "druze",
    "alawite",
    "alawites",
    "democrats",
    "republicans",
    "tories",
    "labour",
    "jihadists",
    "islamists",
    "catholic",
    "catholics",
    "hindu",
    "hindus",
    "buddhist",
    "buddhists",
}
_DEMONYM = re.compile(r"(an|ans|ese|ish|i|is|ic|ics|ist|ists|ite|ites|ch|nese|ly|ern)$", re.I)
_EDGE = " \t\"'“”„‘’‚«»‹›()[]{}<>,;:!?*•·|/\\_~#@+=-–—"
_POSSESSIVE = re.compile(r"(?<=\w)['’][sS]?$")
_ABBREVIATION = re.compile(r"(?:\b[A-Za-z]\.){2,}$|\b(?:Inc|Co|Corp|Ltd|Jr|Sr|St|Bros|Mt|Ft)\.$")
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")


@dataclass(frozen=True)
class Mention:
    text: str  # the cleaned surface form
    label: str  # the label of the entity it was merged into
    start: int  # spaCy's character offsets into the clean body
    end: int
    canonical: str


@dataclass(frozen=True)
class Facet:
    name: str
    label: str
    count: int
    variants: tuple[str, ...] = ()


@dataclass
class MergedEntities:
    mentions: list[Mention] = field(default_factory=list)
    people: list[Facet] = field(default_factory=list)
    organisations: list[Facet] = field(default_factory=list)
    places: list[Facet] = field(default_factory=list)
    other: list[Facet] = field(default_factory=list)


@dataclass(frozen=True)
class _Item:
    """One cleaned mention on its way through the merge."""

    name: str
    label: str
    start: int
    end: int
    key: tuple[str, ...]
    weak: bool = False  # a piece of a mention across lines: its label was given to the whole


# -- cleaning -------------------------------------------------------------------------


def clean_name(text: str, label: str, lower_case: bool = False) -> str | None:
    """The mention ``text`` as a name, or None when it is no name at all; one all in lower case is a name only
    when ``lower_case`` (the recogniser is trusted with such names: facets.EARNED).

    One line only: a text across a line break is no name (``merge_entities`` splits it first)."""
    if _LINE_BREAK.search(text.strip()):
        return None
    name = _strip(" ".join(text.split()))
    name = _POSSESSIVE.sub("", name)
    # "the" is no part of a name ("the Syrian Observatory", "The Guardian"), except in a title.
    article = r"^(?:the)\s+" if label == "WORK_OF_ART" else r"^(?:the|The|THE)\s+"
    while re.match(article, name):
        name = _strip(re.sub(article, "", name, count=1))
    if label == "PERSON":
        name = _TITLE.sub("", name)
    name = _cut_apposition(name)
    return name if _is_name(name, lower_case) else None


def _strip(name: str) -> str:
    """Punctuation and quotes off both ends; a final full stop only when it ends no abbreviation."""
    name = name.strip(_EDGE)
    while name.endswith(".") and not _ABBREVIATION.search(name):
        name = name[:-1].rstrip(_EDGE)
    return name


def _cut_apposition(name: str) -> str:
    """ "Research and Management Team - a research group": the name is what comes before the dash."""
    m = re.match(r"(.+?)\s+[-–—]\s+[a-z]", name)
    return _strip(m.group(1)) if m else name


def _is_name(name: str, lower_case: bool = False) -> bool:
    if len(name) < 2 or not re.search(r"[^\W\d_]", name):
        return False
    if not lower_case and name == name.lower() and name != name.upper():
        return False  # all lower case ("mosques"); scripts without case (Arabic) have no such sign
    words = name.lower().split()
    return not all(w.strip(".") in STOPLIST for w in words)


def relabel(name: str, label: str) -> str:
    """The small model often calls a city NORP ("eastern Aleppo") or LANGUAGE; a single proper name
    that is no demonym and no group word is a place."""
    last = name.split()[-1]
    if label in ("NORP", "LANGUAGE") and last.lower() not in _GROUP_WORDS and not _DEMONYM.search(last):
        return "GPE"
    return label


def key_of(name: str) -> tuple[str, ...]:
    """Comparable words of a name: no case, accents or dots, hyphens as spaces, no particles or article."""
    folded = unicodedata.normalize("NFKD", name.lower().replace("’", "'"))
    folded = "".join(c for c in folded if not unicodedata.combining(c)).replace(".", "")
    folded = _HYPHEN_PARTICLE.sub(" ", folded.replace("‐", "-").replace("‑", "-"))
    words = [w for w in re.split(r"[\s\-]+", folded) if w]
    core = tuple(w for w in words if w not in PARTICLES and w != "the")
    return core or tuple(words)


def _lines(text: str, start: int) -> list[tuple[str, int, int]]:
    """The parts of a mention between line breaks, each with its own offsets."""
    if not _LINE_BREAK.search(text):
        return [(text, start, start + len(text))]
    parts, offset = [], 0
    for piece in _LINE_BREAK.split(text):
        at = text.index(piece, offset) if piece else offset
        offset = at + len(piece)
        if piece.strip():  # offsets of the piece without the indentation around it
            at += len(piece) - len(piece.lstrip())
            piece = piece.strip()
            parts.append((piece, start + at, start + at + len(piece)))
    return parts


def _clean_items(spans: list[tuple[str, str, int, int]], lower_case: bool) -> list[_Item]:
    items = []
    for text, label, start, _end in spans:
        if label not in GROUPS:
            continue
        pieces = _lines(text, start)
        for piece, piece_start, piece_end in pieces:
            name = clean_name(piece, label, lower_case)
            if name:
                items.append(_Item(name, relabel(name, label), piece_start, piece_end, key_of(name), len(pieces) > 1))
    return items


# -- merging --------------------------------------------------------------------------

Cluster = list[_Item]  # mentions of one entity, all with the entity's label


def merge_entities(spans: list[tuple[str, str, int, int]], lower_case: bool = False) -> MergedEntities:
    """``spans``: spaCy's (text, label, start, end) for one article; see the module docstring. ``lower_case``:
    a mention all in lower case is kept as a name (see ``clean_name``)."""
    clusters = _by_key(_clean_items(spans, lower_case))
    clusters = _merge_short_forms(clusters)
    return _result(clusters)


def _by_key(items: list[_Item]) -> list[Cluster]:
    """Step 1: one cluster per key, split by group when the group is a tie between two strong ones."""
    by_key: dict[tuple[str, ...], list[_Item]] = {}
    for item in items:
        by_key.setdefault(item.key, []).append(item)
    clusters = []
    for members in by_key.values():
        # Pieces of mentions across lines do not vote: their label was given to the whole mention.
        voters = [i for i in members if not i.weak] or members
        groups = Counter(GROUPS[item.label] for item in voters).most_common()
        if len(groups) > 1 and (groups[0][1] == groups[1][1] or groups[1][1] >= 2):
            # "Jordan" a PERSON and a GPE as often, or twice or more each: a person named like a country, or a
            # club named after its city, most likely; one stray label among many is the model's slip.
            two = [groups[0][0], groups[1][0]]
            parts = [[i for i in members if GROUPS[i.label] == g] for g in two]
            parts[0] += [i for i in members if GROUPS[i.label] not in two]
            clusters.extend(parts)
        else:
            clusters.append(members)
    return [_with_label(c, _label_of(c)) for c in clusters]


def _merge_short_forms(clusters: list[Cluster]) -> list[Cluster]:
    """Step 2: a name ending exactly one longer person's name is that person."""
    people: dict[tuple[str, ...], list[int]] = {}  # every proper suffix of a person's key → those people
    for index, cluster in enumerate(clusters):
        key = cluster[0].key
        if cluster[0].label == "PERSON" and len(key) > 1:
            for cut in range(1, len(key)):
                people.setdefault(key[cut:], []).append(index)
    into: dict[int, int] = {}  # cluster merged → the cluster it was merged into
    merged: list[Cluster | None] = list(clusters)
    # Longest short forms first: "Rafi Sheikh" joins "Salman Rafi Sheikh" before "Sheikh" is looked at,
    # and then "Sheikh" has one person to join, not two.
    for index in sorted(range(len(clusters)), key=lambda i: -len(clusters[i][0].key)):
        short = clusters[index]
        owners = {_final(into, i) for i in people.get(short[0].key, [])} - {index}
        if len(owners) != 1:
            continue  # no such person, or several: "Berg" beside "Anna Berg" and "Tomas Berg"
        owner = owners.pop()
        first_full = min(i.start for i in clusters[owner])
        if short[0].label != "PERSON" and min(i.start for i in short) < first_full:
            continue  # a place or organisation named before the person is likely just that
        owned = merged[owner]
        assert owned is not None, "an owner is a final cluster, never one merged away"
        merged[owner] = owned + _with_label(short, "PERSON")
        merged[index], into[index] = None, owner
    return [c for c in merged if c is not None]


def _final(into: dict[int, int], index: int) -> int:
    while index in into:
        index = into[index]
    return index


def _label_of(items: list[_Item]) -> str:
    """The most frequent group, then its most frequent label; ties go to the fullest form's label.

    Pieces of mentions across lines vote only when there is nothing else."""
    items = [i for i in items if not i.weak] or items
    fullest_first = sorted(items, key=lambda i: (-len(i.key), -len(i.name), i.start))
    groups = Counter(GROUPS[i.label] for i in items)
    group = next(GROUPS[i.label] for i in fullest_first if groups[GROUPS[i.label]] == max(groups.values()))
    labels = Counter(i.label for i in items if GROUPS[i.label] == group)
    return next(i.label for i in fullest_first if labels.get(i.label) == max(labels.values()))


def _with_label(items: list[_Item], label: str) -> list[_Item]:
    return [_Item(i.name, label, i.start, i.end, i.key, i.weak) if i.label != label else i for i in items]


def _canonical(items: list[_Item]) -> str:
    """Most key words, then not in capitals, then longest, then most frequent, then first seen."""
    forms = Counter(i.name for i in items)
    first: dict[str, int] = {}
    for i in sorted(items, key=lambda i: i.start):
        first.setdefault(i.name, i.start)
    shouting = {f: f.isupper() and len(f) > 4 for f in forms}  # "ALEPPO" in a headline vs "Aleppo"
    return min(forms, key=lambda f: (-len(key_of(f)), shouting[f], -len(f), -forms[f], first[f], f))


def _result(clusters: list[Cluster]) -> MergedEntities:
    merged = MergedEntities()
    for cluster in clusters:
        label, canonical = cluster[0].label, _canonical(cluster)
        variants = tuple(sorted({i.name for i in cluster} - {canonical}))
        getattr(merged, GROUPS[label]).append(Facet(canonical, label, len(cluster), variants))
        merged.mentions.extend(Mention(i.name, label, i.start, i.end, canonical) for i in cluster)
    merged.mentions.sort(key=lambda m: (m.start, m.end))
    for group in ("people", "organisations", "places", "other"):
        getattr(merged, group).sort(key=lambda f: (-f.count, f.name))
    return merged
