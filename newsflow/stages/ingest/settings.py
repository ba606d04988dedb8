import ipaddress
from typing import Literal

from pydantic import Field

from newsflow.contract.api import DEFAULT_MAX_ARTICLE_BYTES, DEFAULT_MAX_BATCH, max_request_bytes
from newsflow.runtime.settings import CommonSettings


class IngestSettings(CommonSettings):
    max_article_bytes: int = Field(
        DEFAULT_MAX_ARTICLE_BYTES,
        ge=1_000,
        le=8_000_000,
        description="Largest article body accepted, in UTF-8 bytes (at most half a topic message).",
    )
    max_batch: int = Field(DEFAULT_MAX_BATCH, ge=1, description="Most articles accepted in one request.")
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

    @property
    def max_request_bytes(self) -> int:
        """A request over it is refused before its body is read."""
        return max_request_bytes(self.max_batch, self.max_article_bytes)

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
