"""The recogniser: what finds names and dates in texts. A protocol, and spaCy as the one that ships.

The enrichment needs three things of a recogniser: what it is (``info``, recorded in every document), the
spans it finds in a batch of texts (``spans``), and how its labels map onto newsflow's (``labels``: PERSON,
ORG, GPE, LOC, FAC, NORP, DATE, ...; a model that says PER or MISC maps them here). Which one runs is a
setting, NEWSFLOW_RECOGNISER: ``spacy`` (NEWSFLOW_SPACY_MODEL, NEWSFLOW_SPACY_COMPONENTS) or the import path
``package.module:Class`` of another, built as ``Class(model, components)``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Protocol

import spacy

Span = tuple[str, str, int, int]  # text, label, start and end offsets in the whole text


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str
    components: tuple[str, ...]
    language: str = "*"  # ISO 639-1 of the texts it reads; "*" for a recogniser that reads any
    kind: str = "spacy"  # the recogniser's family: which facet checks run on its output (facets.EARNED)


class Recogniser(Protocol):
    info: ModelInfo
    labels: dict[str, str]  # the model's label -> newsflow's; a label not here is the model's own

    def spans(self, texts: list[str]) -> list[list[Span] | Exception]:
        """For each text, its (text, label, start, end) spans in newsflow's labels, or the exception that
        text raised (one text must not fail the batch)."""
        ...


def load(model: str, components: str):
    """Load ``model`` (an installed pipeline package or a path) with only ``components`` enabled.

    Never downloads: on these machines a model is a package installed beforehand."""
    keep = [c.strip() for c in components.split(",") if c.strip()]
    try:
        nlp = spacy.load(model, enable=keep) if keep else spacy.load(model)
    except OSError as exc:
        raise RuntimeError(f"spaCy model {model!r} is not installed (NEWSFLOW_SPACY_MODEL): {exc}") from None
    except ValueError as exc:
        raise RuntimeError(
            f"spaCy model {model!r} cannot run components {keep} (NEWSFLOW_SPACY_COMPONENTS): {exc}"
        ) from None
    for name, component in nlp.components:
        # A component the kept ones listen to (a tok2vec shared by a trained pipeline's ner) must run too, or they
        # get no features and find nothing.
        if name not in nlp.pipe_names and set(getattr(component, "listening_components", ())) & set(keep):
            nlp.enable_pipe(name)
    missing = [c for c in keep if c not in nlp.pipe_names]
    if missing:
        raise RuntimeError(
            f"spaCy model {model!r} has no component(s) {missing} (NEWSFLOW_SPACY_COMPONENTS); it has "
            f"{nlp.component_names}"
        )
    info = ModelInfo(
        f"{nlp.meta.get('lang', 'xx')}_{nlp.meta.get('name', model)}",
        nlp.meta.get("version", "?"),
        tuple(nlp.pipe_names),
        nlp.meta.get("lang", "*"),
    )
    return nlp, info


# The labels of spaCy's WikiNER-trained pipelines (French, Spanish, Italian, ...), in newsflow's: LOC stays LOC
# (a place) and MISC stays the model's own (an other entity).
WIKINER_LABELS = {"PER": "PERSON"}


# Longest text handed to spaCy in one piece. Longer articles are cut at paragraph (else line, else word)
# breaks and their entities put back at their offsets, so no article is too long for NER
# (spaCy refuses texts over nlp.max_length) and a worker's memory stays bounded by the piece size.
PIECE_CHARS = 100_000


def pieces(text: str, limit: int = PIECE_CHARS) -> list[tuple[int, str]]:
    """(offset, piece) cuts of ``text``, each at most ``limit`` characters, ending at a break where one exists."""
    out, start = [], 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        cut = next((i + len(sep) for sep in ("\n\n", "\n", " ") if (i := window.rfind(sep)) > limit // 2), limit)
        out.append((start, text[start : start + cut]))
        start += cut
    out.append((start, text[start:]))
    return out


@dataclass
class SpacyRecogniser:
    """spaCy's NER (``nlp.pipe`` over every piece of a batch): the recogniser newsflow ships with."""

    model: str
    components: str = "ner"
    labels: dict[str, str] = field(default_factory=dict)  # spaCy's English labels are newsflow's already

    def __post_init__(self) -> None:
        self.nlp, self.info = load(self.model, self.components)
        if not self.labels and "PER" in self.nlp.get_pipe("ner").labels:
            self.labels = WIKINER_LABELS

    def spans(self, texts: list[str]) -> list[list[Span] | Exception]:
        return relabel(entity_spans(self.nlp, texts), self.labels)


def relabel(found: list[list[Span] | Exception], labels: dict[str, str]) -> list[list[Span] | Exception]:
    """Spans in newsflow's labels: ``labels`` maps a model's own (PER, MISC) onto them; others stay."""
    if not labels:
        return found
    return [
        f if isinstance(f, Exception) else [(t, labels.get(label, label), a, b) for t, label, a, b in f] for f in found
    ]


class Recognisers:
    """One recogniser per language (the language its model reads). An article in a language none reads gets no
    entities, and its document says so; a recogniser of language "*" reads them all."""

    def __init__(self, recognisers: list[Recogniser]):
        self.by_language: dict[str, Recogniser] = {}
        for found in recognisers:
            self.by_language.setdefault(found.info.language, found)

    @classmethod
    def of(cls, found: Recogniser | Recognisers) -> Recognisers:
        return found if isinstance(found, Recognisers) else cls([found])

    def for_language(self, language: str) -> Recogniser | None:
        return self.by_language.get(language) or self.by_language.get("*")

    @property
    def info(self) -> ModelInfo:
        """The first one's: what a process reports it runs."""
        return next(iter(self.by_language.values())).info

    @property
    def languages(self) -> list[str]:
        return sorted(self.by_language)


def recognisers(kind: str, models: str, components: str, corenlp_url: str = "") -> Recognisers:
    """The recognisers of NEWSFLOW_RECOGNISER, one per model of NEWSFLOW_SPACY_MODEL (comma-separated), loaded; an
    item ``corenlp-<language>`` is that language read by the CoreNLP server at ``corenlp_url`` (corenlp.py)."""
    from newsflow.nlp.corenlp import PREFIX, CoreNLPRecogniser

    names = [m.strip() for m in models.split(",") if m.strip()]
    if not names:
        raise RuntimeError("NEWSFLOW_SPACY_MODEL names no model")
    return Recognisers(
        [
            CoreNLPRecogniser(name.removeprefix(PREFIX), corenlp_url)
            if name.startswith(PREFIX)
            else recogniser(kind, name, components)
            for name in names
        ]
    )


def recogniser(kind: str, model: str, components: str) -> Recogniser:
    """The recogniser NEWSFLOW_RECOGNISER names, loaded."""
    if kind == "spacy":
        return SpacyRecogniser(model, components)
    module, _, name = kind.partition(":")
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise RuntimeError(
            f"NEWSFLOW_RECOGNISER={kind!r}: not 'spacy' nor an importable module:Class ({exc})"
        ) from None
    return cls(model, components)


def entity_spans(nlp, texts: list[str], limit: int = PIECE_CHARS) -> list[list[Span] | Exception]:
    """The entities of each text, one ``nlp.pipe`` over every piece; an exception in place of a text that fails."""
    cuts = [pieces(t, limit) for t in texts]
    flat = [piece for cut in cuts for _, piece in cut]
    try:
        docs = list(nlp.pipe(flat))
    except Exception:  # noqa: BLE001 - isolate the piece that breaks the model
        docs = [_doc_or_error(nlp, piece) for piece in flat]
    out, i = [], 0
    for cut in cuts:
        found: list[Span] | Exception = []
        for offset, _ in cut:
            doc = docs[i]
            i += 1
            if isinstance(doc, Exception):
                found = doc
            elif not isinstance(found, Exception):
                found.extend((e.text, e.label_, e.start_char + offset, e.end_char + offset) for e in doc.ents)
        out.append(found)
    return out


def _doc_or_error(nlp, text: str):
    try:
        return nlp(text)
    except Exception as exc:  # noqa: BLE001
        return exc
