"""Near-duplicates: when two articles are one story, told again (a wire copy, a brief, a republication).

    body → word shingles → MinHash (datasketch) ─┐
    title → normalised key ───────────────────────┴→ same story?

The measure is containment, not Jaccard: a copy cut short or a brief holds a share of the original's shingles
close to one, while its Jaccard falls with every paragraph cut. Containment is found from MinHash's Jaccard
estimate and the two exact shingle counts: |A∩B| = J(|A|+|B|)/(1+J). An equal normalised title is evidence
too, but headlines repeat across stories ("Live updates", "Letters"), so it only lowers the bar the bodies
must clear, never stands alone. Pure: no Elasticsearch, no Kafka; `Stories` files sketches by LSH band to find
the candidates.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from datasketch import MinHash, MinHashLSH

SHINGLE_WORDS = 4
PERMUTATIONS = 128
# Named, not left to datasketch's defaults: a kept sketch is compared only with one hashed the same way.
SEED = 1
SCHEME = "affine32"
# Set before the labelled set was first scored and not moved since: on its development part (the only part
# they may be tuned on) copies score at least 0.86 and two stories at most 0.07 (`make eval`, the stories table).
SAME_STORY = 0.5  # containment at or above which two bodies are one story
SAME_STORY_WITH_TITLE = 0.3  # the same, where the normalised titles are equal
MIN_TITLE_WORDS = 4  # a shorter title is too common to be evidence
LSH_THRESHOLD = 0.2  # candidates are asked for at a Jaccard this low: a brief's Jaccard with its original is low

_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _WORD.findall(folded)


def shingles(text: str, n: int = SHINGLE_WORDS) -> set[str]:
    ws = words(text)
    if len(ws) < n:
        return {" ".join(ws)} if ws else set()
    return {" ".join(ws[i : i + n]) for i in range(len(ws) - n + 1)}


def title_key(title: str | None) -> str | None:
    """The title as words only, or None where it is too short to tell one story from another."""
    ws = words(title or "")
    return " ".join(ws) if len(ws) >= MIN_TITLE_WORDS else None


@dataclass(frozen=True)
class Sketch:
    """What is kept of an article to compare it with others: its MinHash, its shingle count, its title key."""

    minhash: MinHash
    size: int
    title: str | None

    @cached_property
    def bands(self) -> list[str]:
        """The LSH bands it is filed under: an article that shares one with it is a candidate copy. An empty body
        has none (every empty body would share them all, and none is a copy). Kept once made: a batch files,
        searches and writes each article's bands."""
        if not self.size:
            return []
        values = np.asarray(self.minhash.hashvalues, dtype="<u8")
        return [
            f"{i}:{hashlib.blake2b(values[start:end].tobytes(), digest_size=8).hexdigest()}"
            for i, (start, end) in enumerate(_BAND_RANGES)
        ]

    def encode(self) -> dict:
        """The sketch as JSON, to keep where a restart finds it (index keeps it in the article's document)."""
        # affine32 hash values fit 32 bits: kept as such, a sketch is 684 characters, not 1,368.
        values = np.asarray(self.minhash.hashvalues, dtype="<u4")
        return {
            "minhash": base64.b64encode(values.tobytes()).decode("ascii"),
            "shingles": self.size,
            "title": self.title,
            "bands": self.bands,
        }

    @classmethod
    def decode(cls, kept: dict) -> Sketch:
        values = np.frombuffer(base64.b64decode(kept["minhash"]), dtype="<u4")
        if len(values) != PERMUTATIONS:
            raise ValueError(f"a kept sketch has {len(values)} hash values, not {PERMUTATIONS}")
        minhash = MinHash(num_perm=PERMUTATIONS, seed=SEED, scheme=SCHEME, hashvalues=values)
        return cls(minhash, int(kept["shingles"]), kept.get("title"))


# datasketch picks the bands (b) and rows (r) that fit the threshold; its own index and ours file by the same.
_LSH = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=PERMUTATIONS)
_BAND_RANGES = [(i * _LSH.r, (i + 1) * _LSH.r) for i in range(_LSH.b)]


def sketch(title: str | None, body: str) -> Sketch:
    found = shingles(body)
    mh = MinHash(num_perm=PERMUTATIONS, seed=SEED, scheme=SCHEME)
    mh.update_batch([s.encode("utf-8") for s in found])
    return Sketch(mh, len(found), title_key(title))


def containment(a: Sketch, b: Sketch) -> float:
    """The estimated share of the smaller body's shingles that the other holds too."""
    if not a.size or not b.size:
        return 0.0
    j = a.minhash.jaccard(b.minhash)
    common = j * (a.size + b.size) / (1 + j)
    return min(1.0, common / min(a.size, b.size))


def same_story(a: Sketch, b: Sketch) -> bool:
    bar = SAME_STORY_WITH_TITLE if a.title and a.title == b.title else SAME_STORY
    return containment(a, b) >= bar


class Stories:
    """Articles known so far, each in a story, filed by LSH band and title key. A new one joins the story of the
    first known article it is a copy of, else starts its own.

    The order articles become known in is the order "first" means. The evaluation feeds a whole labelled set
    through one; index fills one per batch with what Elasticsearch keeps (the earlier articles the batch's
    bands and titles find there, oldest first), then the batch in its order: one rule, two places to keep it."""

    def __init__(self) -> None:
        self.sketches: dict[str, Sketch] = {}
        self.story: dict[str, str] = {}
        self.filed: dict[str, list[str]] = {}
        self.order: dict[str, int] = {}

    def remember(self, key: str, mine: Sketch, story: str) -> None:
        """Know an article already placed (an earlier one is never moved)."""
        if key in self.story:
            return
        self.sketches[key], self.story[key], self.order[key] = mine, story, len(self.order)
        for where in _filed_under(mine):
            self.filed.setdefault(where, []).append(key)

    def place(self, key: str, mine: Sketch) -> tuple[str, str | None]:
        """The story an article belongs in, and the earlier article it copies (None where it starts a story)."""
        if key in self.story:
            return self.story[key], None
        candidates = {k for where in _filed_under(mine) for k in self.filed.get(where, ())} - {key}
        matches = [k for k in candidates if same_story(mine, self.sketches[k])]
        if not matches or any(self.story[k] == key for k in matches):
            # A new version of a story's first article finds its own copies: it stays their story's first.
            return key, None
        original = min(matches, key=self.order.__getitem__)
        return self.story[original], original

    def add(self, key: str, title: str | None, body: str) -> tuple[str, str | None]:
        """Place a new article and know it from then on."""
        mine = sketch(title, body)
        story, original = self.place(key, mine)
        self.remember(key, mine, story)
        return story, original


def _filed_under(mine: Sketch) -> list[str]:
    return [*mine.bands, *([f"title:{mine.title}"] if mine.title else [])]
