"""Cleaning spaCy's entity mentions and merging the variants of one name inside one article.

"Bashar al-Assad", "al-Assad" and "Assad's" are one person; "Al Nusra Front", "al-Nusra Front"
and "Nusra Front" one organisation. Fragments that are not names (a stray newline, "Regime",
a bare number) are dropped. Offsets are kept as spaCy gave them, into the clean body.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

GROUPS = {
    "PERSON": "people",
    "ORG": "organisations",
    "GPE": "places", "LOC": "places", "FAC": "places",
    "NORP": "other", "EVENT": "other", "PRODUCT": "other", "WORK_OF_ART": "other", "LAW": "other", "LANGUAGE": "other",
}
# Name particles that come and go between variants of the same name ("al-Assad" / "Assad").
_PARTICLES = {"al", "el", "ad", "ar", "as", "ash", "at", "az", "bin", "ibn", "van", "von", "der", "de", "da", "di", "du", "la", "le"}
# Capitalised words news prose is full of, which spaCy sometimes takes for names.
STOPLIST = {
    "regime", "rebels", "rebel", "government", "state", "army", "president", "minister", "read", "more", "contact",
    "editor", "skip", "content", "advertisement", "share", "comment", "comments", "opposition", "militants",
    "forces", "observatory", "council", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "today", "yesterday", "news", "video", "photo", "update", "breaking",
}
# Group names that do not look like demonyms ("Syrian", "Kurdish", "Yemeni") yet are groups, not places.
_GROUP_WORDS = {"arab", "arabs", "shia", "shiite", "shiites", "sunni", "sunnis", "jews", "jewish", "muslim", "muslims",
                "christian", "christians", "kurds", "druze", "alawite", "alawites", "democrats", "republicans", "tories",
                "labour", "jihadists", "islamists", "catholic", "catholics", "hindu", "hindus", "buddhist", "buddhists"}
_DEMONYM = re.compile(r"(an|ans|ese|ish|i|is|ic|ics|ist|ists|ite|ites|ch|nese|ly|ern)$", re.I)
_STRIP = " \t\"'“”‘’«»()[]{}.,;:!?*-–—"
_POSSESSIVE = re.compile(r"(['’]s|['’])$")


@dataclass(frozen=True)
class Mention:
    text: str
    label: str
    start: int
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


def relabel(name: str, label: str) -> str:
    """The small model often calls a city NORP ("eastern Aleppo") or LANGUAGE; a single proper name
    that is no demonym and no group word is a place."""
    last = name.split()[-1]
    if label in ("NORP", "LANGUAGE") and last.lower() not in _GROUP_WORDS and not _DEMONYM.search(last):
        return "GPE"
    return label


def clean_name(text: str, label: str) -> str | None:
    """The mention as a name, or None when it is no name at all."""
    if "\n" in text.strip():
        return None  # a span across lines is two fragments glued by the tokenizer
    name = " ".join(text.split()).strip(_STRIP)
    name = _POSSESSIVE.sub("", name).strip(_STRIP)
    name = re.sub(r"^(the|The)\s+", "", name)  # never part of a name, whatever the label
    if len(name) < 2 or not re.search(r"[^\W\d_]", name) or name.lower() == name:
        return None
    if name.lower() in STOPLIST or all(w.lower() in STOPLIST for w in name.split()):
        return None
    return name


def _tokens(name: str) -> tuple[str, ...]:
    """Comparable words of a name: lower case, hyphens as spaces, particles and articles left out."""
    words = re.split(r"[\s\-‐]+", name.lower().replace("’", "'"))
    core = tuple(w for w in words if w and w not in _PARTICLES and w != "the")
    return core or tuple(w for w in words if w)


def merge_entities(spans: list[tuple[str, str, int, int]]) -> MergedEntities:
    """``spans``: spaCy's (text, label, start, end). Keeps only the labels in GROUPS."""
    cleaned = []
    for text, label, start, end in spans:
        if label not in GROUPS:
            continue
        name = clean_name(text, label)
        if name:
            cleaned.append((name, relabel(name, label), start, end))

    # 1. Same comparable words: one entity, whatever the particles, case or hyphens.
    clusters: dict[tuple[str, ...], list[tuple[str, str, int, int]]] = {}
    for item in cleaned:
        clusters.setdefault(_tokens(item[0]), []).append(item)

    # 2. A name that is the end of exactly one longer person's name ("Assad", or "al-Assad" mislabelled
    #    ORG in "al-Assad's government") is that person.
    for key in sorted(clusters, key=len):
        if key not in clusters or len(key) > 2:
            continue
        longer = [k for k in clusters if len(k) > len(key) and k[-len(key):] == key and _label_of(clusters[k]) == "PERSON"]
        if len(longer) == 1 and _label_of(clusters[key]) in ("PERSON", "ORG", "NORP"):
            clusters[longer[0]].extend(clusters.pop(key))

    # 3. A lone "person" whose name opens an organisation's or place's name in the same article
    #    ("Rotterdam" beside "Rotterdam Arts Trust") is the place those are named after.
    named_after = {key[0] for key, items in clusters.items() if len(key) > 1 and _label_of(items) in ("ORG", "FAC", "GPE", "LOC")}
    for key, items in clusters.items():
        if len(key) == 1 and key[0] in named_after and _label_of(items) == "PERSON":
            clusters[key] = [(name, "GPE", start, end) for name, _, start, end in items]

    merged = MergedEntities()
    for items in clusters.values():
        canonical, label = _canonical(items), _label_of(sorted(items, key=lambda item: len(_tokens(item[0])), reverse=True))
        forms = Counter(name for name, *_ in items)
        facet = Facet(canonical, label, len(items), tuple(sorted(f for f in forms if f != canonical)))
        getattr(merged, GROUPS[label]).append(facet)
        merged.mentions.extend(Mention(name, lab, start, end, canonical) for name, lab, start, end in items)
    merged.mentions.sort(key=lambda m: m.start)
    for group in ("people", "organisations", "places", "other"):
        getattr(merged, group).sort(key=lambda f: (-f.count, f.name))
    return merged


def _label_of(items) -> str:
    """The most frequent label; on a tie the one seen first."""
    counts = Counter(label for _, label, *_ in items)
    best = max(counts.values())
    return next(label for _, label, *_ in items if counts[label] == best)


def _canonical(items) -> str:
    """The fullest form: most words, then most frequent, then first seen."""
    forms = Counter(name for name, *_ in items)
    order = {name: i for i, (name, *_) in reversed(list(enumerate(items)))}
    return max(forms, key=lambda f: (len(_tokens(f)), len(f.split()), forms[f], -order[f]))
