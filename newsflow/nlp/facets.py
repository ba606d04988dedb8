"""The facets decided per article: after the mentions are merged (entities.py), each entity's class is checked
against the shape of its name, its context in the article and a gazetteer, and a name that no check supports
goes to "other". A wrong facet is worse than a missing one: a newsroom filtering by person must not get a club.

The checks, in order, for each merged entity:

1. Shape. A name ending in (or holding) a word organisations are named with ("FC", "Inc", "Ministry",
   "University", "Front", "Party", ...) is an organisation, whatever the model said. Buildings and venues (the
   model's FAC: a stadium, an airport) are no places: an organisation if so shaped, else "other".
2. Gazetteer (gazetteer.py). A name that is a country or US state by any of its names is a place, unless shaped
   like an organisation; a one-word "person" or "organisation"-less name that is a city of 100,000 people or more
   is a place. A place the gazetteer knows carries its country code, GeoNames id and, for a city, its point.
3. Context. Where the article does not treat a "person" as one (a courtesy title in front, "Mr Holm", or a
   verb of speech next to it, "Holm said"), its context may: "the town of X", "in X", "near X" make a place;
   "X fighters", "members of X", "the X group", or a list of organisations it is named in ("the Front, X and
   the Brigade") an organisation. A one-word "organisation" that is a city in
   the gazetteer and is spoken of as a location ("in X", "near X") is that city.
4. Shape again. A person or place whose name starts in lower case, bar a particle ("al-Assad"), is a
   description the model took for a name ("président de la Métropole"): "other".
5. People. A person's name has two words or more ("Ada Lind"), or is a single word the article treats as a
   person (as in 3). A one-word "person" in capitals ("SANA") is an acronym: an organisation. The others go
   to "other".

These are rules about names, not lists of names: nothing here was taken from the articles it is scored on.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

from newsflow.nlp.entities import GROUPS, Facet, Mention, MergedEntities
from newsflow.nlp.gazetteer import Place, lookup

# Words organisations are named with; as the last word (or before "of": "Ministry of Health") they make a name
# an organisation's.
_ORG_WORDS = (
    r"fc|afc|cf|sc|inc|ltd|llc|plc|corp|co|gmbh|ag|sa|nv|bv|group|holdings|company|corporation|bank|"
    r"ministry|department|agency|authority|office|commission|committee|council|court|parliament|assembly|"
    r"senate|congress|police|army|navy|brigades?|battalion|front|movement|party|union|federation|league|"
    r"association|society|foundation|trust|institute|institution|university|college|school|academy|"
    r"hospital|clinic|centre|center|laboratory|observatory|network|agency|press|news|times|post|herald|"
    r"tribune|journal|gazette|radio|tv|television|channel|magazine|club|team|organi[sz]ation|board|bureau|"
    r"service|services|forces|guard|coalition|alliance|council|church|mosque|programme|program|fund"
)
_ORG_SHAPE = re.compile(rf"(?i:\b(?:{_ORG_WORDS})\b)(?:\s+(?:of|for|de|du|des)\b.*)?$|^(?i:(?:{_ORG_WORDS}))\s+of\b")
_SPEECH = r"(?:said|says|told|added|wrote|explained|asked|argued|warned|stated|noted|insisted)"
_COURTESY = r"(?:Mr|Mrs|Ms|Miss|Dr|Prof|Sir|Dame|Mme|M)\.?"

# A city must be this large to overrule the model's "person" or "organisation".
CITY_OVERRULES = 100_000


@dataclass
class Decided:
    merged: MergedEntities
    places: dict[str, Place] = field(default_factory=dict)  # a place facet's name -> where it is


def decide(merged: MergedEntities, body: str) -> Decided:
    groups: dict[str, list[Facet]] = {"people": [], "organisations": [], "places": [], "other": []}
    relabelled: dict[str, str] = {}
    listed_with = _listed_with(merged, body)
    context = _Context.of(body)
    for group in groups:
        for f in getattr(merged, group):
            label = _label(f, group, context, listed_with.get(f.name))
            groups[GROUPS[label]].append(replace(f, label=label) if label != f.label else f)
            if label != f.label:
                relabelled[f.name] = label
    focus = _focus(groups["places"])
    places = {}
    for f in groups["places"]:
        where = lookup(f.name, focus) or next((p for v in f.variants if (p := lookup(v, focus))), None)
        if where is not None:
            places[f.name] = where
    out = MergedEntities(
        mentions=[
            Mention(m.text, relabelled.get(m.canonical, m.label), m.start, m.end, m.canonical) for m in merged.mentions
        ],
        **{g: sorted(fs, key=lambda f: (-f.count, f.name)) for g, fs in groups.items()},
    )
    return Decided(out, places)


def _listed_with(merged: MergedEntities, body: str) -> dict[str, str]:
    """For each entity, the one label of every name it is listed with ("A, B and C"), where they agree."""
    mentions = sorted(merged.mentions, key=lambda m: m.start)
    seen: dict[str, set[str]] = {}
    for a, b in zip(mentions, mentions[1:], strict=False):
        if a.canonical != b.canonical and _LIST_GAP.fullmatch(body[a.end : b.start]):
            seen.setdefault(a.canonical, set()).add(b.label)
            seen.setdefault(b.canonical, set()).add(a.label)
    return {name: labels.pop() for name, labels in seen.items() if len(labels) == 1}


_LIST_GAP = re.compile(r"\s*(?:,|,?\s+and|,?\s+or|&)\s+")


def _label(f: Facet, group: str, context: _Context, listed_with: str | None = None) -> str:
    names = (f.name, *f.variants)
    if group in ("people", "places") and not _capitalised(f.name):
        return "MISC"  # "président de la Métropole", "gare de Vaulx-en-Velin": a description, not a name
    org_shaped = any(_ORG_SHAPE.search(n) for n in names)
    if f.label == "FAC":
        return "ORG" if org_shaped else "MISC"
    if org_shaped and group in ("people", "places"):
        return "ORG"
    if group in ("people", "organisations", "other") and not org_shaped:
        where = lookup(f.name)
        if where is not None and where.kind in ("country", "state"):
            return "GPE"
        if (
            where is not None
            and group in ("people", "other")
            and len(f.name.split()) == 1
            and where.population >= CITY_OVERRULES
        ):
            return "GPE"
    person = group == "people" and context.person(names)
    if group in ("people", "organisations") and not person:
        located = context.located(names)
        if located and (group == "people" or (where := lookup(f.name)) is not None and where.kind == "city"):
            return "GPE"
        if group == "people" and (context.organised(names) or listed_with == "ORG"):
            return "ORG"
    if group == "people":
        if len(f.name.split()) >= 2:
            return f.label
        if f.name.isupper() and len(f.name) <= 6:
            return "ORG"
        return f.label if person else "MISC"
    return f.label


def _capitalised(name: str) -> bool:
    """Whether a name starts as names do: a capital, or a particle before one ("al-Assad", "de Gaulle")."""
    first = name.split()[0]
    if first[:1].isupper() or not first[:1].isalpha() or not first[:1].islower():
        return True
    return bool(re.match(r"^(?:al|el|ad|as|ash|an|ar|at|az|bin|ibn|de|van|von|da|di|du|del|la|le)(?:-|$)", first))


_PLACE_NOUNS = r"(?:village|town|city|district|neighbou?rhood|suburb|area|province|region|county|state|capital|port)"
_MEMBERS = r"(?:group|fighters|militants|rebels|militia|members|brigade|insurgents|statement|spokesm[ae]n|spokesperson)"
# Where in an article a name may stand right after (or right before) words that say what it is. Found in one pass
# each over the body, then every name is checked against the offsets: a pattern per name would cost a regex
# compile and a scan of the whole body each, most of what this module would otherwise cost.
_AFTER_COURTESY = re.compile(rf"\b{_COURTESY}\s+")
_AFTER_SPEECH = re.compile(rf"\b{_SPEECH}\s+")
_BEFORE_SPEECH = re.compile(rf",?\s+{_SPEECH}\b")
_AFTER_LOCATIVE = re.compile(rf"\b(?:in|near|outside|around|into|across|towards?)\s+|\bthe\s+{_PLACE_NOUNS}\s+of\s+")
_BEFORE_MEMBERS = re.compile(rf"\s+{_MEMBERS}\b")
_AFTER_MEMBERS_OF = re.compile(r"\b(?:members|fighters|ranks|leaders?|commanders?) of (?:the )?")


@dataclass(frozen=True)
class _Context:
    """The offsets of one article where such words end (a name may start there) or begin (one may end there)."""

    body: str
    courtesy: tuple[int, ...]
    speech_after: tuple[int, ...]
    speech_before: tuple[int, ...]
    locative: tuple[int, ...]
    members_before: tuple[int, ...]
    members_of: tuple[int, ...]

    @classmethod
    def of(cls, body: str) -> _Context:
        def ends(p: re.Pattern) -> tuple[int, ...]:
            return tuple(m.end() for m in p.finditer(body))

        def starts(p: re.Pattern) -> tuple[int, ...]:
            return tuple(m.start() for m in p.finditer(body))

        return cls(
            body,
            ends(_AFTER_COURTESY),
            ends(_AFTER_SPEECH),
            starts(_BEFORE_SPEECH),
            ends(_AFTER_LOCATIVE),
            starts(_BEFORE_MEMBERS),
            ends(_AFTER_MEMBERS_OF),
        )

    def follows(self, offsets: tuple[int, ...], names: tuple[str, ...]) -> bool:
        """Whether one of ``names`` stands, as whole words, at one of ``offsets``."""
        for at in offsets:
            for name in names:
                end = at + len(name)
                if self.body.startswith(name, at) and (end == len(self.body) or not self.body[end].isalnum()):
                    return True
        return False

    def precedes(self, offsets: tuple[int, ...], names: tuple[str, ...]) -> bool:
        """Whether one of ``names`` ends, as whole words, at one of ``offsets``."""
        for at in offsets:
            for name in names:
                start = at - len(name)
                if (
                    start >= 0
                    and self.body.endswith(name, 0, at)
                    and (start == 0 or not self.body[start - 1].isalnum())
                ):
                    return True
        return False

    def person(self, names: tuple[str, ...]) -> bool:
        """A courtesy title in front ("Mr Holm") or a verb of speech beside it ("Holm said", "said Holm")."""
        return (
            self.follows(self.courtesy, names)
            or self.precedes(self.speech_before, names)
            or self.follows(self.speech_after, names)
        )

    def located(self, names: tuple[str, ...]) -> bool:
        """Spoken of as a location: "in X", "near X", "the town of X"."""
        return self.follows(self.locative, names)

    def organised(self, names: tuple[str, ...]) -> bool:
        """Spoken of as a group: "X fighters", "the X group", "members of X"."""
        return self.precedes(self.members_before, names) or self.follows(self.members_of, names)


def _focus(places: list[Facet]) -> str | None:
    """The country the article is most about: by mentions of countries, then of the cities the gazetteer is
    sure of."""
    votes: Counter = Counter()
    for f in places:
        where = lookup(f.name)
        if where is not None and (where.kind != "city" or where.population >= CITY_OVERRULES):
            votes[where.country_code] += f.count
    return votes.most_common(1)[0][0] if votes else None
