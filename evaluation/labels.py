"""The labelled articles: which they are, where their text is, and which part (development or test) each is in.

Three sources, one shape (`Case`):

- ``gold/test/*.json`` and ``gold/dev/*.json``: real articles read from ``../shared`` (never copied here), each
  label naming its file and the sha256 of the bytes it was labelled on, so a changed file is refused rather
  than scored against labels that no longer fit it. Lines are referred to by number (1-based), not quoted.
- ``gold/own.jsonl``: short articles written for the purpose, text included; development data.

The test part was frozen in a commit of its own before any tuning (see the README): rules are tuned on the
development part only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent
GOLD = HERE / "gold"
SHARED = HERE.parent.parent / "shared"
GROUPS = ("people", "organisations", "places")
PARTS = ("dev", "test")


@dataclass(frozen=True)
class Case:
    name: str
    part: str  # "dev" or "test"
    source: str  # "seeds", "real-news" or "own"
    text: str
    language: str
    title: str | None
    published: str | None  # the article's own stated date (YYYY-MM-DD), or None
    given_published: str | None  # the date handed to ingest with the article (the own set only)
    authors: tuple[str, ...]
    entities: dict[str, tuple[str, ...]] | None  # group -> names; None where a file's entities are not labelled
    dates: tuple[tuple[str, str], ...] | None
    clutter_lines: frozenset[int] = field(default_factory=frozenset)
    meta_lines: frozenset[int] = field(default_factory=frozenset)

    @property
    def body_lines(self) -> list[str]:
        """The lines a reader needs kept: neither furniture nor the title, byline or dateline."""
        skip = self.clutter_lines | self.meta_lines
        return [line for n, line in enumerate(self.text.splitlines(), 1) if n not in skip and line.strip()]

    @property
    def clutter(self) -> list[str]:
        lines = self.text.splitlines()
        return [lines[n - 1] for n in sorted(self.clutter_lines) if n <= len(lines) and lines[n - 1].strip()]


class LabelError(ValueError):
    pass


def _from_label(path: Path, part: str) -> Case | None:
    label = json.loads(path.read_text(encoding="utf-8"))
    file = SHARED / label["file"]
    if not file.is_file():
        return None
    data = file.read_bytes()
    if hashlib.sha256(data).hexdigest() != label["sha256"]:
        raise LabelError(f"{file} is not the text {path.name} was labelled on (its sha256 differs)")
    entities = None
    if label.get("people") is not None:
        entities = {g: tuple(label[g]) for g in GROUPS}
    dates = tuple((t, v) for t, v in label["dates"]) if label.get("dates") is not None else None
    return Case(
        name=label["file"],
        part=part,
        source=label["file"].split("/")[0],
        text=data.decode("utf-8"),
        language=label["language"],
        title=label["title"],
        published=label["published"],
        given_published=None,
        authors=tuple(label["authors"]),
        entities=entities,
        dates=dates,
        clutter_lines=frozenset(label["clutter_lines"]),
        meta_lines=frozenset(label["meta_lines"]),
    )


def _seed_entities() -> dict[str, dict]:
    """The seeds' entities and dates, labelled before the rest (gold/seeds.json, by file name)."""
    return json.loads((GOLD / "seeds.json").read_text(encoding="utf-8"))


def load_cases() -> tuple[list[Case], list[str]]:
    """Every labelled article whose text is here, and a line for each set that is not (a user's own clone has
    no ../shared)."""
    cases: list[Case] = []
    absent: list[str] = []
    seeds = _seed_entities()
    for part in PARTS:
        for path in sorted((GOLD / part).glob("*.json")):
            case = _from_label(path, part)
            if case is None:
                absent.append(f"{part}/{path.name}: {SHARED} holds no {json.loads(path.read_text())['file']}")
                continue
            extra = seeds.get(Path(case.name).name)
            if case.entities is None and extra is not None:
                case = Case(
                    **{
                        **case.__dict__,
                        "entities": {g: tuple(extra[g]) for g in GROUPS},
                        "dates": tuple((t, v) for t, v in extra["dates"]),
                    }
                )
            cases.append(case)
    for line in (GOLD / "own.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        own = json.loads(line)
        cases.append(
            Case(
                name=f"own/{own['name']}",
                part="dev",
                source="own",
                text=own["text"],
                language=own.get("language", "en"),
                title=own.get("title"),
                published=None,
                given_published=own["published"],
                authors=tuple(own.get("authors", ())),
                entities={g: tuple(own[g]) for g in GROUPS},
                dates=tuple((t, v) for t, v in own["dates"]),
                clutter_lines=frozenset(own.get("clutter_lines", ())),
                meta_lines=frozenset(own.get("meta_lines", ())),
            )
        )
    return cases, absent
