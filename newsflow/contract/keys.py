"""The keys partners send ingest, on the compacted ``keys.v1`` topic, keyed by the key's name.

Only a hash of a key is ever stored: the key itself is shown once, when it is created. A key is 32 random
bytes, so a plain SHA-256 cannot be walked back (a slow hash is for passwords people choose). A revoked key
stays on the topic, marked, so `keys list` shows who had access and until when.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from newsflow.contract.codec import Message

KEY_NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,62}$"
Scope = Literal["submit"]


def new_key() -> str:
    """``nf_`` and 43 URL-safe characters (256 bits): the prefix lets a secret scanner recognise a leaked key."""
    return "nf_" + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.strip().encode("utf-8")).hexdigest()


class ApiKey(Message):
    SCHEMA_NAME: ClassVar[str] = "newsflow.api-key"
    SCHEMA_VERSION: ClassVar[str] = "1.0"

    name: str = Field(pattern=KEY_NAME_PATTERN, description="Who holds it: a partner, a scraper, a desk.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="key_hash(key); the key itself is never stored.")
    shown: str = Field(max_length=16, description="The key's first characters, to tell keys apart in a list.")
    scopes: list[Scope] = Field(min_length=1)
    rate_per_s: float | None = Field(None, gt=0, description="Articles per second it may submit; None: the default.")
    burst: int | None = Field(None, ge=1, description="Articles it may submit at once; None: the default.")
    created_at: AwareDatetime
    revoked_at: AwareDatetime | None = None
