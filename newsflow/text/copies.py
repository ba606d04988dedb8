"""Near-duplicates: when two articles are one story, told again (a wire copy, a brief, a republication).

    body → word shingles → MinHash (datasketch) ─┐
    title → normalised key ───────────────────────┴→ same story?

The measure is containment, not Jaccard: a copy cut short or a brief holds a share of the original's shingles
close to one, while its Jaccard falls with every paragraph cut. Containment is found from MinHash's Jaccard
estimate and the two exact shingle counts: |A∩B| = J(|A|+|B|)/(1+J). An equal normalised title is evidence
too, but headlines repeat across stories ("Live updates", "Letters"), so it only lowers the bar the bodies
must clear, never stands alone. Pure: no index, no Kafka; the LSH index that finds candidates is `Stories`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

SHINGLE_WORDS = 4
PERMUTATIONS = 128
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


def sketch(title: str | None, body: str) -> Sketch:
    found = shingles(body)
    mh = MinHash(num_perm=PERMUTATIONS, seed=1)
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
    """Articles seen so far, each in a story: a new one joins the story of the first earlier article it is a
    copy of, else starts its own. In memory: the stage keeps the same sketches where a restart finds them."""

    def __init__(self) -> None:
        self.lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=PERMUTATIONS)
        self.sketches: dict[str, Sketch] = {}
        self.story: dict[str, str] = {}
        self.titles: dict[str, list[str]] = {}
        self.order: dict[str, int] = {}

    def add(self, key: str, title: str | None, body: str) -> tuple[str, str | None]:
        """Put the article in a story: (its story, the earlier article it copies, if any)."""
        if key in self.story:
            return self.story[key], None
        mine = sketch(title, body)
        candidates = set(self.lsh.query(mine.minhash)) | set(self.titles.get(mine.title or "", []))
        matches = [k for k in candidates if same_story(mine, self.sketches[k])]
        original = min(matches, key=self.order.__getitem__) if matches else None
        story = self.story[original] if original else key
        self.sketches[key], self.story[key], self.order[key] = mine, story, len(self.order)
        self.lsh.insert(key, mine.minhash)
        if mine.title:
            self.titles.setdefault(mine.title, []).append(key)
        return story, original
