"""Reading what a user feeds: files, directories, stdin. Every problem names the file and the reason."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

TEXT_TYPES = {".txt": "text", ".md": "text", ".markdown": "text", ".html": "html", ".htm": "html"}
JSON_TYPES = {".json", ".jsonl", ".ndjson"}
KNOWN = set(TEXT_TYPES) | JSON_TYPES


@dataclass(frozen=True)
class Item:
    origin: str  # file name (with line number for .jsonl) or "stdin"
    article: dict | None = None
    error: str | None = None


def expand(paths: list[str]) -> Iterator[Path | str]:
    """Files named, and files inside directories named (sorted, hidden ones skipped); '-' is stdin."""
    for p in paths:
        if p == "-":
            yield "-"
            continue
        path = Path(p)
        if path.is_dir():
            yield from sorted(
                f
                for f in path.rglob("*")
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(path).parts)
            )
        else:
            yield path


def read_items(paths: list[str], max_bytes: int) -> Iterator[Item]:
    for path in expand(paths):
        if path == "-":
            yield from _from_stdin()
        else:
            yield from _from_file(Path(path), max_bytes)


def _from_stdin() -> Iterator[Item]:
    """stdin is JSON Lines when it looks like JSON, else one plain-text article."""
    data = sys.stdin.buffer.read()
    yield from _parse(data, "stdin", "jsonl" if data.lstrip()[:1] == b"{" else "text")


def _from_file(path: Path, max_bytes: int) -> Iterator[Item]:
    name = str(path)
    suffix = path.suffix.lower()
    if not path.exists():
        yield Item(name, error="no such file")
        return
    if suffix not in KNOWN:
        yield Item(name, error=f"unknown extension {suffix or '(none)'!r}; expected one of {', '.join(sorted(KNOWN))}")
        return
    size = path.stat().st_size
    # JSON Lines files hold many articles; the per-article limit applies to each, checked by ingest.
    if suffix not in (".jsonl", ".ndjson") and size > max_bytes:
        yield Item(name, error=f"file is {size:,} bytes, more than the {max_bytes:,}-byte article limit")
        return
    kind = TEXT_TYPES.get(suffix) or ("json" if suffix == ".json" else "jsonl")
    yield from _parse(path.read_bytes(), name, kind)


def _parse(data: bytes, origin: str, kind: str) -> Iterator[Item]:
    if not data.strip():
        yield Item(origin, error="empty file")
        return
    if b"\x00" in data[:8192]:
        yield Item(origin, error="binary content (NUL bytes), not text")
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield Item(origin, error=f"not UTF-8 (invalid byte 0x{data[exc.start]:02x} at offset {exc.start})")
        return
    if kind in ("text", "html"):
        yield Item(origin, {kind: text})
    elif kind == "json":
        yield _json_item(text, origin)
    else:
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                yield _json_item(line, f"{origin}:{n}")


def _json_item(text: str, origin: str) -> Item:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return Item(origin, error=f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")
    if not isinstance(obj, dict):
        return Item(origin, error=f"expected a JSON object for one article, got {type(obj).__name__}")
    return Item(origin, obj)
