"""Plain text cut into units (paragraphs, or lines where the source puts one paragraph per line), and the
features every rule judges a unit by: its words, whether it ends a sentence, whether it is running text."""

from __future__ import annotations

import re

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_ANY_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def normalise(line: str) -> str:
    # translate() looks every character up, which is most of what cutting a long text into units cost; a search
    # for the few it removes is a scan in C.
    if _ANY_INVISIBLE.search(line):
        line = line.translate(_INVISIBLE)
    return " ".join(line.split())


def split_units(text: str) -> list[str]:
    """Paragraph candidates: blank-line blocks; inside a block one unit per line, unless the
    block is hard-wrapped prose, whose lines are joined back."""
    units: list[str] = []
    block: list[str] = []
    for raw in text.replace("\u2029", "\n\n").splitlines() + [""]:
        line = normalise(raw)
        if line:
            block.append(line)
            continue
        if block:
            units += [" ".join(block)] if _hard_wrapped(block) else _join_broken(block)
            block = []
    return units


def _hard_wrapped(lines: list[str]) -> bool:
    # Wrapped prose fills lines to a similar width and breaks mid-sentence, often before a
    # lower-case word; a stack of captions, headings or one-line paragraphs does not.
    if len(lines) < 2 or max(map(len, lines)) > 100 or len(set(lines)) < len(lines):
        return False
    body = lines[:-1]
    if any(len(line) < 30 for line in body):
        return False
    lower_next = any(nxt[:1].islower() for nxt in lines[1:])
    open_ends = sum(not ends_sentence(line) for line in body)
    return lower_next or (len(lines) >= 3 and open_ends * 2 >= len(body))


def _join_broken(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if out and not ends_sentence(out[-1]) and line[:1].islower() and len(out[-1]) >= 30:
            out[-1] += " " + line
        else:
            out.append(line)
    return out


# -- line features -------------------------------------------------------------------------------

_CLOSERS = "\"'”’»)]"


def ends_sentence(unit: str) -> bool:
    return unit.rstrip(_CLOSERS)[-1:] in (".", "!", "?", "…")


def words_of(unit: str) -> list[str]:
    return unit.split()


def is_prose(unit: str) -> bool:
    """A sentence or more of running text: what articles are made of."""
    return len(words_of(unit)) >= 12 and ends_sentence(unit)


def is_body_text(unit: str) -> bool:
    return is_prose(unit) or (len(words_of(unit)) >= 5 and ends_sentence(unit))


def capitalised_share(unit: str) -> float:
    words = [w for w in words_of(unit) if w[:1].isalpha()]
    return sum(w[:1].isupper() for w in words) / len(words) if words else 0.0


def word_core(unit: str) -> str:
    """Words only, for comparing a pull quote with the sentence it repeats."""
    return " " + " ".join(re.findall(r"[a-z0-9]+", unit.lower())) + " "
