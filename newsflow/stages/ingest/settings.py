from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, model_validator

from newsflow.contract.api import DEFAULT_MAX_ARTICLE_BYTES, DEFAULT_MAX_BATCH, DEFAULT_MAX_REQUEST_BYTES
from newsflow.runtime.settings import CommonSettings

# JSON escapes at most double an article's UTF-8 bytes (a quote becomes \", a three-byte character \uXXXX), so a
# request this large always holds one article of the largest size, with room for its envelope.
_ENVELOPE_BYTES = 64 * 1024


class IngestSettings(CommonSettings):
    max_article_bytes: int = Field(
        DEFAULT_MAX_ARTICLE_BYTES,
        ge=1_000,
        le=8_000_000,
        description="Largest article body accepted, in UTF-8 bytes (at most half a topic message).",
    )
    max_batch: int = Field(DEFAULT_MAX_BATCH, ge=1, description="Most articles accepted in one request.")
    max_request_bytes: int = Field(
        DEFAULT_MAX_REQUEST_BYTES,
        ge=10_000,
        description="Largest request body read, in bytes; one declared larger is refused (413) before it is read.",
    )
    produce_timeout_s: float = Field(30.0, gt=0, description="How long to wait for the broker to acknowledge a batch.")
    ingest_auth: Literal["auto", "required", "off"] = Field(
        "auto",
        description="required: every HTTP submission needs an API key; off: none does; auto: required unless the "
        "endpoint binds to loopback only (the local stack).",
    )
    ingest_rate_per_s: float = Field(
        50.0, gt=0, description="Articles per second an API key may submit, across all replicas, unless it says."
    )
    ingest_burst: int = Field(1_000, ge=1, description="Articles an API key may submit at once, unless it says.")
    submitted_max_records: int = Field(
        500, ge=1, description="Most submissions from articles.submitted.v1 validated and published as one batch."
    )

    @model_validator(mode="after")
    def _a_request_holds_an_article(self) -> IngestSettings:
        least = 2 * self.max_article_bytes + _ENVELOPE_BYTES
        if self.max_request_bytes < least:
            raise ValueError(
                f"NEWSFLOW_MAX_REQUEST_BYTES ({self.max_request_bytes:,}) must hold one article of "
                f"NEWSFLOW_MAX_ARTICLE_BYTES ({self.max_article_bytes:,}) as JSON: at least {least:,}"
            )
        if self.max_request_bytes > self.http_max_in_flight_bytes:
            raise ValueError(
                f"NEWSFLOW_MAX_REQUEST_BYTES ({self.max_request_bytes:,}) is over NEWSFLOW_HTTP_MAX_IN_FLIGHT_BYTES "
                f"({self.http_max_in_flight_bytes:,}): a request that large could never be read"
            )
        return self

    @property
    def auth_required(self) -> bool:
        if self.ingest_auth != "auto":
            return self.ingest_auth == "required"
        host = self.http_host.strip("[]")
        if host == "localhost":
            return False
        try:
            return not ipaddress.ip_address(host).is_loopback
        except ValueError:
            return True  # a name that may resolve to anything: the safe side
