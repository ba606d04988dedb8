"""Putting models on the wire and taking them off, with the schema named in headers.

A reader accepts the schema it expects at its own major version and any minor
version (fields it does not know are ignored); anything else is a DecodeError
whose ``reason`` is a stable code fit for a dead-letter record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

HEADER_SCHEMA = "newsflow-schema"
HEADER_VERSION = "newsflow-schema-version"
HEADER_CONTENT_TYPE = "content-type"
# Optional, on articles.submitted.v1: where an article came from (the feed stage names the feed).
HEADER_ORIGIN = "newsflow-origin"


class Message(BaseModel):
    """A versioned message: its schema's name and MAJOR.MINOR version travel in its headers."""

    # A reader must accept a newer minor version of its schema, so fields it
    # does not know are ignored rather than rejected (see EVOLUTION.md).
    model_config = ConfigDict(extra="ignore", frozen=True)

    SCHEMA_NAME: ClassVar[str]
    SCHEMA_VERSION: ClassVar[str]


M = TypeVar("M", bound=Message)
# kafka-python gives a record's headers as (name, value) pairs, faust as a dict.
Headers = Iterable[tuple[str, bytes | None]] | Mapping[str, bytes | None]


# Every reason a DecodeError can give.
DECODE_REASONS = ("not-utf8", "not-json", "missing-schema", "unknown-schema", "unsupported-version", "invalid")


class DecodeError(ValueError):
    """A message that cannot be read. ``reason`` is one of:
    not-utf8, not-json, missing-schema, unknown-schema, unsupported-version, invalid."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def schema_headers(model_cls: type[Message]) -> list[tuple[str, bytes]]:
    return [
        (HEADER_SCHEMA, model_cls.SCHEMA_NAME.encode()),
        (HEADER_VERSION, model_cls.SCHEMA_VERSION.encode()),
        (HEADER_CONTENT_TYPE, b"application/json"),
    ]


def encode(message: Message) -> tuple[bytes, list[tuple[str, bytes]]]:
    return message.model_dump_json(exclude_none=False).encode("utf-8"), schema_headers(type(message))


def header_pairs(headers: Headers | None) -> list[tuple[str, bytes | None]]:
    """A record's headers as (name, value) pairs, whichever client read it."""
    if not headers:
        return []
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers)


def header_map(headers: Headers | None) -> dict[str, bytes]:
    return {k: (v or b"") for k, v in header_pairs(headers)}


def _major(version: str) -> int:
    try:
        return int(version.split(".", 1)[0])
    except ValueError:
        raise DecodeError("unsupported-version", f"schema version {version!r} is not MAJOR.MINOR") from None


def decode(value: bytes | None, headers: Headers | None, expected: type[M]) -> M:
    found = header_map(headers)
    name = found.get(HEADER_SCHEMA, b"").decode("utf-8", "replace")
    version = found.get(HEADER_VERSION, b"").decode("utf-8", "replace")
    if not name:
        raise DecodeError("missing-schema", f"no {HEADER_SCHEMA} header; expected {expected.SCHEMA_NAME}")
    if name != expected.SCHEMA_NAME:
        raise DecodeError("unknown-schema", f"schema {name!r} where {expected.SCHEMA_NAME!r} was expected")
    if _major(version) != _major(expected.SCHEMA_VERSION):
        raise DecodeError(
            "unsupported-version",
            f"{name} version {version} is not readable by a v{_major(expected.SCHEMA_VERSION)} reader",
        )
    return parse_json(value, expected)


def decode_plain(value: bytes | None, headers: Headers | None, expected: type[M]) -> M:
    """For a topic any producer writes (``articles.submitted.v1``): a message naming its schema is held to it, as
    `decode` does; one without newsflow's headers (a scraper's, Kafka Connect's, kcat's) is read as plain JSON."""
    if HEADER_SCHEMA in header_map(headers):
        return decode(value, headers, expected)
    return parse_json(value, expected)


MAX_JSON_DEPTH = 32  # a submission is 5 levels deep at most; far past it is an attack on the parser


def nested_deeper(value: object, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether parsed JSON nests arrays and objects more than ``limit`` levels deep (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def loads_bounded(text: bytes | bytearray | str) -> object:
    """``json.loads``, refusing JSON nested more than MAX_JSON_DEPTH levels (deep enough to exhaust the parser's
    recursion is refused the same way) with a ValueError that names the limit."""
    too_deep = ValueError(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep, the limit")
    try:
        data = json.loads(text)
    except RecursionError:
        raise too_deep from None
    if nested_deeper(data):
        raise too_deep
    return data


def parse_json(value: bytes | str | None, expected: type[M]) -> M:
    if value is None:
        raise DecodeError("invalid", "the message has no value (tombstone)")
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError("not-utf8", f"byte {exc.start} is not UTF-8") from None
    try:
        data = loads_bounded(value)
    except json.JSONDecodeError as exc:
        raise DecodeError("not-json", f"line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except ValueError as exc:
        raise DecodeError("invalid", str(exc)) from None
    if not isinstance(data, dict):
        raise DecodeError("invalid", f"expected a JSON object, got {type(data).__name__}")
    try:
        return expected.model_validate(data)
    except ValidationError as exc:
        hint = getattr(expected, "UNKNOWN_FIELD_HINT", "")
        raise DecodeError("invalid", describe_validation_error(exc, hint)) from None


def describe_validation_error(exc: ValidationError, unknown_field_hint: str = "") -> str:
    """The first few errors, each with where it is; ``unknown_field_hint`` follows a field the model does not have."""
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "message"
        if err["type"] == "extra_forbidden":
            parts.append(f"{where}: unknown field{unknown_field_hint}")
        else:
            parts.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")
