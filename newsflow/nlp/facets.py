"""The facets decided per article: after the mentions are merged (entities.py), an entity's class may be
corrected by the gazetteer and, in English, by what the article says of it. A wrong facet is worse than a
missing one (a newsroom filtering by person must not get a club), but a check must earn its place: each is
scored against the raw model, left out one at a time, on public newswire (python -m evaluation.public --rules),
and the ones that scored no better than the model's own label there were taken out (README: "Entities on
public gold": the shape of organisation names, buildings, large cities, groups, lists, acronyms, descriptions).

The checks, in order, for each merged entity; the first that answers gives its class:

1. Gazetteer (gazetteer.py). A name that is a country or US state by any of its names is a place. A place the
   gazetteer knows carries its country code, GeoNames id and, for a city, its point.
2. Context, in English (its cues are English words). Where the article does not treat a "person" as one (a
   courtesy title in front, "Mr Holm", or a verb of speech next to it, "Holm said"), "in X", "near X" or "the
   town of X" make it a place; so for a one-word "organisation" that is a city in the gazetteer.
3. People, in English. A person's name has two words or more ("Ada Lind"), or is a single word the article
   treats as a person (as in 2); another one-word "person" goes to "other".

Which of them run depends on the recogniser and the language (``EARNED``): a check mends a model's errors, and
one that mends spaCy's small English model costs recall with CoreNLP's, which makes fewer of them. EARNED also
says where entities.py's one rule of the same kind runs (``LOWER_CASE``: a name all in lower case is no name),
and where the recogniser reads the title before the body (``TITLE``, enrichment.py).

These are rules about names, not lists of names: nothing here was taken from the articles it is scored on.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from newsflow.nlp.entities import GROUPS, Facet, Mention, MergedEntities
from newsflow.nlp.gazetteer import Place, lookup

_SPEECH = r"(?:said|says|told|added|wrote|explained|asked|argued|warned|stated|noted|insisted)"
_COURTESY = r"(?:Mr|Mrs|Ms|Miss|Dr|Prof|Sir|Dame|Mme|M)\.?"

# A city must be this large to tell which country an article is about.
CITY_OVERRULES = 100_000


@dataclass
class Decided:
    merged: MergedEntities
    places: dict[str, Place] = field(default_factory=dict)  # a place facet's name -> where it is


def decide(merged: MergedEntities, body: str, language: str = "en", recogniser: str = "spacy") -> Decided:
    """``recogniser`` is the family of the model that found the entities (``ModelInfo.kind``)."""
    groups: dict[str, list[Facet]] = {"people": [], "organisations": [], "places": [], "other": []}
    relabelled: dict[str, str] = {}
    context = _Context.of(body)
    checks = checks_for(recogniser, language)
    for group in groups:
        for f in getattr(merged, group):
            label = _label(f, group, context, language, checks)
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


@dataclass(frozen=True)
class _Entity:
    """One merged entity as the checks see it: its facet, the group the model put it in, and the article."""

    facet: Facet
    group: str
    context: _Context
    language: str

    @property
    def names(self) -> tuple[str, ...]:
        return (self.facet.name, *self.facet.variants)

    @property
    def english(self) -> bool:
        return self.language == "en"

    @property
    def treated_as_person(self) -> bool:
        return self.group == "people" and self.context.person(self.names)

    @property
    def one_word(self) -> bool:
        return len(self.facet.name.split()) == 1


def _country_or_state(e: _Entity) -> str | None:
    if e.group in ("people", "organisations", "other"):
        where = lookup(e.facet.name)
        if where is not None and where.kind in ("country", "state"):
            return "GPE"
    return None


def _spoken_of_as_a_place(e: _Entity) -> str | None:
    if e.english and e.group in ("people", "organisations") and not e.treated_as_person and e.context.located(e.names):
        if e.group == "people" or ((where := lookup(e.facet.name)) is not None and where.kind == "city"):
            return "GPE"
    return None


def _lone_word_person(e: _Entity) -> str | None:
    if e.english and e.group == "people" and e.one_word and not e.treated_as_person:
        return "MISC"
    return None


Check = Callable[[_Entity], "str | None"]
# The checks, in the order they are asked; the first to answer gives the entity's label, none: the model's.
# python -m evaluation.public --rules replaces EARNED to turn one on or off at a time.
CHECKS: tuple[tuple[str, Check], ...] = (
    ("country or state", _country_or_state),
    ("spoken of as a place", _spoken_of_as_a_place),
    ("lone word person", _lone_word_person),
)


# entities.py drops a mention all in lower case ("mosques") where this rule runs; elsewhere it is kept ("dpa").
LOWER_CASE = "all lower case is no name"
# enrichment.py has the recogniser read the title before the body where this rule runs; its names count in the
# facets. Elsewhere the body alone is read.
TITLE = "the title is read"
# Every rule EARNED names, each of which python -m evaluation.public --rules turns on and off in turn.
RULES = (*(name for name, _ in CHECKS), LOWER_CASE, TITLE)

# Where each rule runs: for each recogniser and language with public gold, the rules that, added to its output on
# the development parts, raised P+R without taking a class below the raw model (README: "Entities on public
# gold"). CoreNLP's English model makes few of the errors the checks mend: with it, the one-word rule took people
# recall from 0.954 to 0.908 and the gazetteer filed the clubs of results tables ("MINNESOTA 67 67") as places, so
# none runs there. The lower-case rule cost CoreNLP's German organisations 0.020 recall (the agencies "dpa" and
# "ots" are written so) and spares spaCy's small English model 0.007 organisations precision. Reading the title
# raised people recall by 0.005 with CoreNLP's German and all recall by 0.003 with the Dutch model; in English
# it changed nothing on CoNLL and, on the project's own labels, spaCy's small model took Title Case headlines
# for names (people facet precision 0.727 -> 0.706), so English reads the body alone.
EARNED: dict[tuple[str, str], frozenset[str]] = {
    ("spacy", "en"): frozenset({"country or state", "spoken of as a place", "lone word person", LOWER_CASE}),
    ("spacy", "nl"): frozenset({"country or state", TITLE}),
    ("corenlp", "en"): frozenset(),
    ("corenlp", "es"): frozenset({"country or state"}),
    ("corenlp", "de"): frozenset({TITLE}),
}
# A recogniser and language no public gold measures (French, a model of one's own) keeps the rules that read no
# words of any language.
UNMEASURED = frozenset({"country or state", LOWER_CASE})


def earned(recogniser: str, language: str) -> frozenset[str]:
    return EARNED.get((recogniser, language), UNMEASURED)


def checks_for(recogniser: str, language: str) -> tuple[tuple[str, Check], ...]:
    return tuple(c for c in CHECKS if c[0] in earned(recogniser, language))


def _label(f: Facet, group: str, context: _Context, language: str, checks: tuple[tuple[str, Check], ...]) -> str:
    entity = _Entity(f, group, context, language)
    for _name, check in checks:
        label = check(entity)
        if label is not None:
            return label
    return f.label


_PLACE_NOUNS = r"(?:village|town|city|district|neighbou?rhood|suburb|area|province|region|county|state|capital|port)"
# Where in an article a name may stand right after (or right before) words that say what it is. Found in one pass
# each over the body, then every name is checked against the offsets: a pattern per name would cost a regex
# compile and a scan of the whole body each, most of what this module would otherwise cost.
_AFTER_COURTESY = re.compile(rf"\b{_COURTESY}\s+")
_AFTER_SPEECH = re.compile(rf"\b{_SPEECH}\s+")
_BEFORE_SPEECH = re.compile(rf",?\s+{_SPEECH}\b")
_AFTER_LOCATIVE = re.compile(rf"\b(?:in|near|outside|around|into|across|towards?)\s+|\bthe\s+{_PLACE_NOUNS}\s+of\s+")


@dataclass(frozen=True)
class _Context:
    """The offsets of one article where such words end (a name may start there) or begin (one may end there)."""

    body: str
    courtesy: tuple[int, ...]
    speech_after: tuple[int, ...]
    speech_before: tuple[int, ...]
    locative: tuple[int, ...]

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


def _focus(places: list[Facet]) -> str | None:
    """The country the article is most about: by mentions of countries, then of the cities the gazetteer is
    sure of."""
    votes: Counter = Counter()
    for f in places:
        where = lookup(f.name)
        if where is not None and (where.kind != "city" or where.population >= CITY_OVERRULES):
            votes[where.country_code] += f.count
    return votes.most_common(1)[0][0] if votes else None
