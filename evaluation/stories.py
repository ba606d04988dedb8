"""The labelled set of "same story" for the near-duplicate rules: evaluation/gold/stories.json, and the copies
its items name, made here by fixed transforms of the files in ../shared (read from there, never stored).

A copy is made the way news copies differ: a wire copy under another headline, its ending cut and the site's
furniture gone (another site has its own); a brief, the headline and the lead only. The transforms are part
of the labels: they were fixed with stories.json, before any threshold was tuned, and change only with it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

GOLD = Path(__file__).resolve().parent / "gold" / "stories.json"
SHARED = Path(__file__).resolve().parents[2] / "shared"


@dataclass(frozen=True)
class Item:
    id: str
    story: str
    part: str
    title: str
    text: str


def _paragraphs(raw: str) -> list[str]:
    return [line.strip() for line in raw.splitlines() if line.strip()]


def _words(units: list[str]) -> int:
    return sum(len(u.split()) for u in units)


def _lead(units: list[str], share: float) -> list[str]:
    """The first units holding about ``share`` of the words, at least one."""
    total, kept, out = _words(units), 0, []
    for unit in units:
        if out and kept >= share * total:
            break
        out.append(unit)
        kept += len(unit.split())
    return out


def copy_of(raw: str, copy: str) -> tuple[str, str]:
    """(title, text) of the ``copy`` of a file's text."""
    units = _paragraphs(raw)
    title, body = (units[0], units[1:]) if units else ("", [])
    if copy == "as-published":
        return title, "\n\n".join(body)
    prose = [u for u in body if len(u.split()) >= 8]  # furniture is short lines: another site has its own
    if copy == "wire-copy":
        first = " ".join(" ".join(prose[:1]).split()[:10]).rstrip(",;:")
        return f"UPDATE - {first}", "\n\n".join(_lead(prose, 2 / 3))
    if copy == "brief":
        return title, "\n\n".join(_lead(prose, 0.4))
    raise ValueError(f"no copy {copy!r}")


def load_items(gold: Path = GOLD, shared: Path = SHARED) -> list[Item]:
    """Every item, its text made from its file; a file changed since it was labelled is an error."""
    doc = json.loads(gold.read_text())
    items = []
    for entry in doc["items"]:
        data = (shared / entry["file"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise ValueError(f"{entry['file']} is not the text {entry['id']} was labelled on")
        title, text = copy_of(data.decode("utf-8"), entry["copy"])
        items.append(Item(entry["id"], entry["story"], entry["part"], title, text))
    return items
