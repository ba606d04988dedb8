"""The dead-letter envelope: a message a stage could not process, kept whole so it can be replayed."""

from __future__ import annotations

import base64
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from newsflow.contract.codec import Headers, Message, header_pairs


class DeadLetter(Message):
    SCHEMA_NAME: ClassVar[str] = "newsflow.deadletter"
    SCHEMA_VERSION: ClassVar[str] = "1.0"

    # An open name, not a closed list: a stage added later writes letters every reader can read.
    stage: str = Field(
        pattern=r"^[a-z][a-z0-9-]{0,62}$", description="The stage that gave up on the message (a registry name)."
    )
    error_type: str = Field(description="A stable reason code, e.g. not-json, invalid, mapping-error.")
    error_message: str
    topic: str
    partition: int
    offset: int
    key: str | None = Field(None, description="The original key, base64-encoded.")
    headers: list[tuple[str, str]] = Field(default_factory=list, description="Original headers, values base64-encoded.")
    payload: str | None = Field(None, description="The original value: as text when it was UTF-8, else base64.")
    payload_encoding: Literal["utf-8", "base64"] = "utf-8"
    failed_at: AwareDatetime


def dead_letter(
    stage: str,
    reason: str,
    message: str,
    *,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    headers: Headers | None,
    value: bytes | None,
    failed_at,
) -> DeadLetter:
    """Wrap a record a stage could not process, keeping its bytes intact."""

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    payload, encoding = None, "utf-8"
    if value is not None:
        try:
            payload = value.decode("utf-8")
        except UnicodeDecodeError:
            payload, encoding = b64(value), "base64"
    return DeadLetter(
        stage=stage,
        error_type=reason,
        error_message=message[:4000],
        topic=topic,
        partition=partition,
        offset=offset,
        key=b64(key) if key is not None else None,
        headers=[(k, b64(v or b"")) for k, v in header_pairs(headers)],
        payload=payload,
        payload_encoding=encoding,
        failed_at=failed_at,
    )


def original_record(letter: DeadLetter) -> tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]:
    """(key, value, headers) exactly as they were before the stage failed on them."""
    key = base64.b64decode(letter.key) if letter.key is not None else None
    if letter.payload is None:
        value = None
    elif letter.payload_encoding == "base64":
        value = base64.b64decode(letter.payload)
    else:
        value = letter.payload.encode("utf-8")
    return key, value, [(k, base64.b64decode(v)) for k, v in letter.headers]
