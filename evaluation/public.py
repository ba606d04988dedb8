"""Entities on public, annotated newswire that nobody here wrote or labelled: `make eval` (second part).

    python -m evaluation.public [--json] [--errors] [--rules] [--sets=en,es,nl,de] [--parts=dev,test]

The sets (``SETS``) are the shared tasks' own files, read from NEWSFLOW_PUBLIC_GOLD (by default the directory
``public-gold`` beside ``../shared``), never copied into the repository: their licences do not allow it (see
evaluation/gold/PUBLIC.md for where each comes from and its terms). Each file is checked against the sha256 it
was first read with, so a different copy is refused rather than scored. Development and test parts are the
tasks' own (CoNLL's ``testa`` and ``testb``, GermEval's dev and test), fixed by their organisers long before any
rule here: rules may be tuned on the development parts only, and the test parts' errors are never printed.

Scoring is per document and per class (people = PER, organisations = ORG, places = LOC; MISC is not scored, but
a name listed as a person, organisation or place that the gold calls MISC counts against precision):
- precision: of the distinct names a class lists in a document, the share the gold has in that class;
- recall: of the distinct gold names of a class in a document, the share listed in that class.
Two systems are scored on the same text, side by side: the raw model (its spans, their labels mapped to the
classes as newsflow maps them, nothing else), and newsflow (the text submitted as an article, through ingest's
``prepare`` and enrich's ``enrich_batch``; a facet counts by its name or any of its variants). Names compare as
evaluation/scoring.py compares them (case, punctuation and a leading "the" aside).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from evaluation.labels import SHARED
from evaluation.scoring import _name

CLASSES = {"PER": "people", "ORG": "organisations", "LOC": "places"}
PARTS = ("dev", "test")


@dataclass(frozen=True)
class GoldSet:
    key: str
    title: str
    language: str
    files: dict[str, tuple[str, str]]  # part (dev, test, train) -> (path under the gold directory, its sha256)
    documents: dict[str, int]  # part -> how many documents it reads as (a check on the reading)
    reader: str = "conll"  # or "germeval" (GermEval 2014's tab-separated sentences)


SETS = (
    GoldSet(
        "en",
        "CoNLL-2003 English (Reuters, 1996)",
        "en",
        {
            "dev": ("conll2003/eng.testa", "aedc4ccbd1ae9795feaa0e86fe72d195b0258abed9d705b630d1c889276fac1e"),
            "test": ("conll2003/eng.testb", "0632f32c090ef31c223135b7fee3187a7cf8e65c4015c7866bb7783428cdd9a6"),
        },
        {"dev": 216, "test": 231},
    ),
    GoldSet(
        "es",
        "CoNLL-2002 Spanish (EFE, May 2000)",
        "es",
        {
            "dev": ("conll2002/esp.testa", "85c17793b77881c53d19017d9d0f1e6fb98b7ddcab54a5f24b05ed1793103c87"),
            "test": ("conll2002/esp.testb", "1f8f7a392c6d4979a5592a5794eed43d7869b46da6851bbcde99714149f1d016"),
            "train": ("conll2002/esp.train", "a20d95cab7d88a19a86f8c1ad6329325c99fbd9529ed978cbd7e31d4b01b4008"),
        },
        {"dev": 130, "test": 135, "train": 676},
    ),
    GoldSet(
        "nl",
        "CoNLL-2002 Dutch (De Morgen, 2000)",
        "nl",
        {
            "dev": ("conll2002/ned.testa", "51259d4bfe52462f211d3d0b67173a7ecbfa296e199f6c6bd0895f4c78155057"),
            "test": ("conll2002/ned.testb", "2aa748edb82e6f9c4d82e57a4bed69ded18cfa4803122c75070335d513517488"),
            "train": ("conll2002/ned.train", "0a419dcb356b62c8cff38515675550b3d5dbea9f45a1c4956328dbd5cc7fcdbc"),
        },
        {"dev": 74, "test": 119, "train": 287},
    ),
    GoldSet(
        "de",
        "GermEval 2014 German, its news sentences (2009-2010)",
        "de",
        {
            "dev": ("germeval2014/NER-de-dev.tsv", "2ffe8405acc6bb6111b62a88623aa1e1f2e6db16b77fc005c54163541807aa05"),
            "test": (
                "germeval2014/NER-de-test.tsv",
                "ec6e6adce5ed71cee119ae758e569ea4be54c6be5319b3b49dfcdcb05e51301b",
            ),
        },
        {"dev": 109, "test": 256},
        reader="germeval",
    ),
)


def gold_dir() -> Path:
    return Path(os.environ.get("NEWSFLOW_PUBLIC_GOLD") or SHARED.parent / "public-gold")


# --- reading the files -------------------------------------------------------------------------------------

Token = tuple[str, str]  # the word, its tag (IOB1 or IOB2: O, I-PER, B-LOC, ...)


@dataclass
class Document:
    name: str
    sentences: list[list[Token]]
    text: str = ""
    gold: dict[str, set[str]] = field(default_factory=dict)  # class -> names (as scoring._name folds them)
    gold_names: dict[str, list[str]] = field(default_factory=dict)  # class -> names as they read


class GoldFileError(ValueError):
    pass


def sentences_of(text: str, where: str) -> list[list[Token] | str]:
    """The sentences of a CoNLL file in order, a "-DOCSTART-" line standing as the string "DOCSTART"."""
    out: list[list[Token] | str] = []
    current: list[Token] = []
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts:
            if current:
                out.append(current)
                current = []
            continue
        if parts[0] == "-DOCSTART-":
            if current:
                out.append(current)
                current = []
            out.append("DOCSTART")
            continue
        tag = parts[-1]
        if len(parts) < 2 or not (tag == "O" or re.fullmatch(r"[BI]-(PER|ORG|LOC|MISC)", tag)):
            raise GoldFileError(f"{where}:{n}: not a CoNLL token line (word ... tag): {line[:60]!r}")
        current.append((parts[0], tag))
    if current:
        out.append(current)
    return out


# An EFE story opens with its dateline: "Madrid , 23 may ( EFE ) ." (a byline may come first). CoNLL-2002's
# Spanish files mark no article boundaries, so this is where one article ends and the next begins.
_EFE_DATELINE = re.compile(r"(?:^| ), \d{1,2} [a-z]{3} \( EFE(?:COM)? \) \.?$")


def documents(text: str, where: str, split_at_datelines: bool = False) -> list[Document]:
    docs: list[Document] = []
    current: list[list[Token]] = []

    def close() -> None:
        if current:
            docs.append(Document(f"{where}#{len(docs) + 1}", list(current)))
            current.clear()

    for s in sentences_of(text, where):
        if s == "DOCSTART":
            close()
            continue
        assert isinstance(s, list)
        if split_at_datelines and _EFE_DATELINE.search(" ".join(w for w, _ in s[:16])):
            close()
        current.append(s)
    close()
    for d in docs:
        d.text, d.gold_names = assemble(d.sentences)
        d.gold = {c: {_name(n) for n in names} for c, names in d.gold_names.items()}
    return docs


_NO_SPACE_BEFORE = re.compile(r"^(?:[.,;:!?%)\]}]+|'s|'|n't|'re|'ve|'ll|'d|'m)$", re.I)
_NO_SPACE_AFTER = {"(", "[", "{", "$"}


def assemble(sentences: list[list[Token]]) -> tuple[str, dict[str, list[str]]]:
    """The document as a reader would get it (one paragraph per sentence, words joined as written, not one
    space between every token) and its gold names per class, read off the same text."""
    text, spans = annotated(sentences)
    names: dict[str, list[str]] = {c: [] for c in CLASSES.values()}
    for kind, a, b in spans:
        if kind in CLASSES:
            names[CLASSES[kind]].append(text[a:b])
    return text, names


def annotated(sentences: list[list[Token]]) -> tuple[str, list[tuple[str, int, int]]]:
    """The document's text (as ``assemble`` makes it) and its gold spans: (PER|ORG|LOC|MISC, start, end)."""
    paragraphs: list[str] = []
    found: list[tuple[str, int, int]] = []
    length = 0  # of "\n\n".join(paragraphs)
    for sentence in sentences:
        pieces: list[str] = []
        at = 0
        spans: list[tuple[str, int, int]] = []  # kind, start, end in the sentence
        open_span: tuple[str, int] | None = None
        previous_tag = "O"
        last_end = 0  # where the token before this one ends
        for i, (word, tag) in enumerate(sentence):
            if i > 0 and not _NO_SPACE_BEFORE.match(word) and sentence[i - 1][0] not in _NO_SPACE_AFTER:
                pieces.append(" ")
                at += 1
            start = at
            pieces.append(word)
            at += len(word)
            kind = tag[2:] if tag != "O" else None
            begins = kind is not None and (tag.startswith("B-") or previous_tag[2:] != kind)
            if open_span is not None and (kind is None or begins):
                spans.append((open_span[0], open_span[1], last_end))
                open_span = None
            if begins:
                open_span = (kind, start)  # type: ignore[assignment]
            last_end = at
            previous_tag = tag
        if open_span is not None:
            spans.append((open_span[0], open_span[1], last_end))
        line = "".join(pieces)
        if paragraphs and _wrapped(paragraphs[-1], line):
            offset = length + 1
            paragraphs[-1] += " " + line
            length += 1 + len(line)
        else:
            offset = length + 2 if paragraphs else 0
            paragraphs.append(line)
            length = offset + len(line)
        found += [(kind, a + offset, b + offset) for kind, a, b in spans]
    return "\n\n".join(paragraphs), found


def _wrapped(previous: str, line: str) -> bool:
    """Whether ``line`` goes on the sentence ``previous`` began: CoNLL's "sentences" are the newswire's lines where
    a story was wrapped ("Leading scores in" / "the $1.2 million ..."), and a paragraph of them is what a reader saw.
    A line continues one that stops on a comma or a lower-case word, or it starts in lower case itself."""
    if re.search(r"[.!?:;\"')]$", previous):
        return False
    return bool(re.search(r"(,|\b[a-z][\w'-]*)$", previous)) or line[:1].islower()


GERMEVAL_SENTENCES = 10


def germeval_documents(text: str, where: str) -> list[Document]:
    """GermEval 2014's sentences from news sites, ten at a time a document (the task sampled single sentences
    from Wikipedia and the news, one or two a page: alone, a short one is no article, and ingest refuses it; its
    Wikipedia half is left out, being no newswire). Its outer level of tags is read; a derived or partial name
    ("LOCderiv": "deutsche", "ORGpart": "EU-Staaten") and OTH are MISC here, names of no class scored."""
    sentences: list[Document] = []
    source, current = "", []
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("#"):
            source = line.split("\t")[1] if "\t" in line else ""
            continue
        parts = line.split("\t")
        if len(parts) < 3:
            if current and "wikipedia.org" not in source:
                sentences.append(Document(f"{where}#{n}", [current]))
            current = []
            continue
        tag = parts[2]
        if not re.fullmatch(r"O|[BI]-(PER|ORG|LOC|OTH)(deriv|part)?", tag):
            raise GoldFileError(f"{where}:{n}: not a GermEval token line (n, word, tag, tag): {line[:60]!r}")
        if tag != "O" and (tag.endswith(("deriv", "part")) or tag[2:] == "OTH"):
            tag = tag[:2] + "MISC"
        current.append((parts[1], tag))
    if current and "wikipedia.org" not in source:
        sentences.append(Document(f"{where}#end", [current]))
    docs = [
        Document(sentences[i].name, [s for d in sentences[i : i + GERMEVAL_SENTENCES] for s in d.sentences])
        for i in range(0, len(sentences), GERMEVAL_SENTENCES)
    ]
    for d in docs:
        d.text, d.gold_names = assemble(d.sentences)
        d.gold = {c: {_name(n) for n in names} for c, names in d.gold_names.items()}
    return docs


def load(gold: GoldSet, part: str, root: Path | None = None) -> list[Document] | str:
    """The documents of one part, or why they cannot be read (a line for the report)."""
    relative, digest = gold.files[part]
    path = (root or gold_dir()) / relative
    if not path.is_file():
        return f"{gold.key} {part}: no {path} (evaluation/gold/PUBLIC.md says where it comes from)"
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != digest:
        raise GoldFileError(f"{path} is not the file this evaluation was written against (its sha256 differs)")
    if gold.reader == "germeval":
        return germeval_documents(data.decode("utf-8"), relative)
    return documents(data.decode("utf-8"), relative, split_at_datelines=gold.language == "es")


# --- scoring -----------------------------------------------------------------------------------------------


@dataclass
class Listing:
    """What one system lists for one document: class -> its entries, each the set of folded names it answers
    to (a raw span: its text; a facet: its name and variants) and the name it is shown by."""

    entries: dict[str, list[tuple[frozenset[str], str]]]


def score(doc: Document, listing: Listing, counts: Counter, errors: list[dict] | None = None) -> None:
    miss: dict = {}
    for c in CLASSES.values():
        entries = listing.entries.get(c, [])
        gold = doc.gold.get(c, set())
        found = set().union(*(names for names, _ in entries)) if entries else set()
        right = [shown for names, shown in entries if names & gold]
        counts[f"{c}_listed"] += len(entries)
        counts[f"{c}_right"] += len(right)
        counts[f"{c}_gold"] += len(gold)
        counts[f"{c}_found"] += len(gold & found)
        if errors is not None:
            wrong = sorted(shown for names, shown in entries if not names & gold)
            lost = sorted({n for n in doc.gold_names.get(c, []) if _name(n) not in found})
            if wrong:
                miss[f"{c}: wrongly listed"] = wrong
            if lost:
                miss[f"{c}: not found"] = lost
    if errors is not None and miss:
        errors.append({"document": doc.name, **miss})


def figures(counts: Counter) -> dict:
    out: dict = {}
    for c in (*CLASSES.values(), "all"):
        keys = CLASSES.values() if c == "all" else (c,)
        listed = sum(counts[f"{k}_listed"] for k in keys)
        right = sum(counts[f"{k}_right"] for k in keys)
        gold = sum(counts[f"{k}_gold"] for k in keys)
        found = sum(counts[f"{k}_found"] for k in keys)
        out[c] = {
            "precision": round(right / listed, 3) if listed else None,
            "recall": round(found / gold, 3) if gold else None,
            "listed": listed,
            "gold": gold,
        }
    return out


def raw_listing(spans) -> Listing:
    """The raw model's spans as a listing: each distinct span text in the class its label maps to."""
    from newsflow.nlp.entities import GROUPS

    entries: dict[str, dict[str, str]] = {c: {} for c in CLASSES.values()}
    for text, label, _, _ in spans:
        group = GROUPS.get(label)
        if group in entries and (folded := _name(text)):
            entries[group].setdefault(folded, " ".join(text.split()))
    return Listing({c: [(frozenset({k}), shown) for k, shown in e.items()] for c, e in entries.items()})


def newsflow_listing(article) -> Listing:
    """An enriched article's facets as a listing."""
    return Listing(
        {
            c: [(frozenset(_name(n) for n in (f.name, *f.variants)), f.name) for f in getattr(article, c)]
            for c in CLASSES.values()
        }
    )


def run(docs: list[Document], language: str, readers, errors: bool = False) -> dict:
    """Both systems over the documents: their counts, and the errors of each (when asked)."""
    from newsflow.contract import ArticleSubmission
    from newsflow.nlp.enrichment import Failure, enrich_batch
    from newsflow.stages.ingest.prepare import Rejected, prepare

    reader = readers.for_language(language)
    now = datetime.now(UTC)
    raw_counts, flow_counts = Counter(), Counter()
    raw_errors: list[dict] | None = [] if errors else None
    flow_errors: list[dict] | None = [] if errors else None
    raws, refused = [], {}
    for i, d in enumerate(docs):
        try:
            raws.append(prepare(ArticleSubmission(text=d.text, language=language), d.name, now, 10**8))
        except Rejected as exc:  # ingest's answer to the user: nothing of this document is indexed
            refused[i] = Failure(d.name, "rejected", str(exc))
    spans = reader.spans([d.text for d in docs]) if reader is not None else [[] for _ in docs]
    flowing = iter(enrich_batch(raws, readers, now))
    enriched = [refused[i] if i in refused else next(flowing) for i in range(len(docs))]
    for doc, found, article in zip(docs, spans, enriched, strict=True):
        if isinstance(found, Exception):
            raise found
        score(doc, raw_listing(found), raw_counts, raw_errors)
        if isinstance(article, Failure):
            flow_counts["dead_lettered"] += 1
            score(doc, Listing({}), flow_counts, flow_errors)
        else:
            score(doc, newsflow_listing(article), flow_counts, flow_errors)
    return {
        "model": f"{reader.info.name} {reader.info.version}" if reader is not None else f"no model for {language}",
        "documents": len(docs),
        "raw": figures(raw_counts),
        "newsflow": figures(flow_counts),
        "dead_lettered": flow_counts["dead_lettered"],
        "errors": {"raw": raw_errors, "newsflow": flow_errors},
    }


class Remembering:
    """A recogniser that reads each distinct text once: leaving a rule out changes what is done with the spans,
    seldom the text, and the model is most of the time a run takes."""

    def __init__(self, inner):
        self.inner, self.info, self.labels = inner, inner.info, inner.labels
        self._seen: dict[str, list | Exception] = {}

    def spans(self, texts: list[str]) -> list:
        new = list(dict.fromkeys(t for t in texts if t not in self._seen))
        if new:
            self._seen.update(zip(new, self.inner.spans(new), strict=True))
        return [self._seen[t] for t in texts]


def rules(reader: tuple[str, str]) -> dict[str, Callable[[], AbstractContextManager]]:
    """Each rule of newsflow's own that decides what a name is, or whether a line is the story's, by name: how
    to run the pipeline with it turned the other way. A facet check is turned on or off for ``reader`` (its
    recogniser's family and language) in facets.EARNED; the other rules are replaced for the run."""
    from unittest import mock

    from newsflow.nlp import entities, facets
    from newsflow.text import clutter, dateline

    earned = facets.earned(*reader)

    def flip(name: str):
        return lambda: mock.patch.object(facets, "EARNED", facets.EARNED | {reader: earned ^ {name}})

    def title(name: str) -> str:
        room = {facets.LOWER_CASE: "cleaning", facets.TITLE: "reading"}.get(name, "facets")
        return f"{'without' if name in earned else 'with'} {room}: {name}"

    out: dict[str, Callable[[], AbstractContextManager]] = {title(name): flip(name) for name in facets.RULES}
    out["without every rule facets.EARNED names"] = lambda: mock.patch.object(
        facets, "EARNED", facets.EARNED | {reader: frozenset()}
    )
    out["without merging: a short form is the full name"] = lambda: mock.patch.object(
        entities, "_merge_short_forms", lambda clusters: clusters
    )
    out["without clutter: captions"] = lambda: mock.patch.object(clutter, "_is_caption", lambda unit: False)
    out["without clutter: bylines"] = lambda: mock.patch.object(clutter, "_is_byline", lambda unit: False)
    out["without dateline: where it was filed stays"] = lambda: mock.patch.object(
        dateline, "_filed_from", lambda u, m: False
    )
    return out


def rule_report(docs_of: dict[tuple[str, str], list[Document]], readers) -> list[str]:
    """newsflow with each rule left out, beside newsflow whole and the raw model: all classes, and the class the
    rule moves most. A rule whose absence scores as well or better on the development parts is not earning its
    place."""
    lines = []
    for (key, part), docs in docs_of.items():
        language = next(g.language for g in SETS if g.key == key)
        base = run(docs, language, readers)
        reader = readers.for_language(language)
        if reader is None:
            lines += ["", f"{key} {part}: {len(docs)} documents, {base['model']}: nothing to score"]
            continue
        lines += ["", f"{key} {part}: {len(docs)} documents, model {base['model']}"]
        lines.append(f"{'':48}{'P':>7}{'R':>7}{'dP':>8}{'dR':>7}   class moved most")
        for name, figs in (("raw model", base["raw"]), ("newsflow", base["newsflow"])):
            lines.append(f"{name:48}{_f(figs['all']['precision']):>7}{_f(figs['all']['recall']):>7}")
        for name, turn in rules((reader.info.kind, language)).items():
            with turn():
                figs = run(docs, language, readers)["newsflow"]
            dp, dr = (_delta(figs, base["newsflow"], "all", m) for m in ("precision", "recall"))
            moved = max(
                ((c, m) for c in CLASSES.values() for m in ("precision", "recall")),
                key=lambda cm: abs(_delta(figs, base["newsflow"], *cm)),
            )
            lines.append(
                f"{name:48}{_f(figs['all']['precision']):>7}{_f(figs['all']['recall']):>7}"
                f"{dp:>+8.3f}{dr:>+7.3f}   {moved[0]} {moved[1]} {_delta(figs, base['newsflow'], *moved):+.3f}"
            )
    return lines


def _delta(figs: dict, base: dict, c: str, measure: str) -> float:
    return (figs[c][measure] or 0.0) - (base[c][measure] or 0.0)


def _readers():
    from newsflow.nlp.recognise import Recognisers, recognisers
    from newsflow.stages.enrich.settings import EnrichSettings

    settings = EnrichSettings()
    found = recognisers(settings.recogniser, settings.spacy_model, settings.spacy_components, settings.corenlp_url)
    return Recognisers([Remembering(r) for r in found.by_language.values()])


def report(results: dict[str, dict[str, dict]]) -> list[str]:
    """The table `make eval` prints: per set, per class, raw and newsflow side by side, dev and test apart."""
    lines = []
    for gold in SETS:
        parts = results.get(gold.key)
        if not parts:
            continue
        first = next(iter(parts.values()))
        docs = ", ".join(f"{p} {r['documents']} documents" for p, r in parts.items())
        if first["model"].startswith("no model"):
            from newsflow.nlp.corenlp import ANNOTATORS

            how = (
                f"corenlp-{gold.language} in NEWSFLOW_SPACY_MODEL, with `newsflow corenlp`"
                if gold.language in ANNOTATORS
                else f"`python -m evaluation.train {gold.language}`, then its path in NEWSFLOW_SPACY_MODEL"
            )
            lines += ["", f"{gold.title}: {docs}; {first['model']}, nothing to score ({how})"]
            continue
        lines += ["", f"{gold.title}: {docs}; model {first['model']}"]
        lines.append(f"{'':22}" + "".join(f"{p + ': raw':>14}{'newsflow':>10}" for p in parts))
        for c in (*CLASSES.values(), "all"):
            for measure in ("precision", "recall"):
                row = f"{c + ' ' + measure:22}"
                for r in parts.values():
                    a, b = r["raw"][c][measure], r["newsflow"][c][measure]
                    mark = " " if a is None or b is None or b >= a else "<"
                    row += f"{_f(a):>14}{_f(b):>9}{mark}"
                lines.append(row)
        dead = {p: r["dead_lettered"] for p, r in parts.items() if r["dead_lettered"]}
        if dead:
            lines.append(f"dead-lettered: {dead}")
    lines.append(
        "\n('<': newsflow below the raw model; errors of the development parts: python -m evaluation.public --errors)"
    )
    return lines


def _f(x) -> str:
    return "-" if x is None else f"{x:.3f}"


USAGE = """usage: python -m evaluation.public [--sets=KEY,...] [--parts=dev,test] [--rules | --json | --errors]

Scores the raw model and newsflow side by side on public gold (evaluation/gold/PUBLIC.md), per class,
development and test parts apart. The recognisers are enrich's (NEWSFLOW_SPACY_MODEL, NEWSFLOW_CORENLP_URL).
  --sets=KEY,...  only these sets ({keys})
  --parts=...     only these parts (dev, test)
  --rules         each rule turned the other way in turn, on the parts chosen
  --json          the figures as JSON
  --errors        the development parts' errors too (never the test parts')"""


def main(argv: list[str]) -> int:
    keys = [g.key for g in SETS]
    usage = USAGE.format(keys=", ".join(keys))
    if {"-h", "--help"} & set(argv):
        print(usage)
        return 0
    wanted = {s.strip() for a in argv if a.startswith("--sets=") for s in a.split("=", 1)[1].split(",")}
    only = {s.strip() for a in argv if a.startswith("--parts=") for s in a.split("=", 1)[1].split(",")}
    unknown = [a for a in argv if a.split("=", 1)[0] not in ("--sets", "--parts", "--rules", "--json", "--errors")]
    unknown += [f"set {k!r}" for k in sorted(wanted - set(keys))] + [f"part {p!r}" for p in sorted(only - set(PARTS))]
    if unknown:
        print(f"evaluation.public: not understood: {', '.join(unknown)}\n{usage}", file=sys.stderr)
        return 2
    readers = _readers()
    if "--rules" in argv:
        loaded = {
            (g.key, p): load(g, p)
            for g in SETS
            if not wanted or g.key in wanted
            for p in PARTS
            if not only or p in only
        }
        print("\n".join(rule_report({k: d for k, d in loaded.items() if not isinstance(d, str)}, readers)))
        return 0
    results: dict[str, dict[str, dict]] = {}
    absent: list[str] = []
    for gold in SETS:
        if wanted and gold.key not in wanted:
            continue
        for part in PARTS:
            if only and part not in only:
                continue
            docs = load(gold, part)
            if isinstance(docs, str):
                absent.append(docs)
                continue
            print(f"scoring {gold.key} {part}: {len(docs)} documents ...", file=sys.stderr, flush=True)
            results.setdefault(gold.key, {})[part] = run(docs, gold.language, readers, errors=part == "dev")
    if "--json" in argv:
        for parts in results.values():
            for p, r in parts.items():
                if p != "dev":
                    r.pop("errors")
        print(json.dumps({"results": results, "not scored": absent}, indent=2, ensure_ascii=False))
        return 0
    for line in absent:
        print(f"not scored: {line}")
    print("\n".join(report(results)))
    if "--errors" in argv:
        # The development parts' only: the test parts' errors are not for reading while rules are tuned.
        print(
            json.dumps({k: p["dev"]["errors"] for k, p in results.items() if "dev" in p}, indent=1, ensure_ascii=False)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
