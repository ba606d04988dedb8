from typing import Literal

from pydantic import Field

from newsflow.contract.mapping import ALERTS_INDEX
from newsflow.runtime.settings import CommonSettings


class IndexSettings(CommonSettings):
    es_alias: str = Field("articles", description="Alias searches go through.")
    es_index_version: int = Field(1, ge=1, description="The alias points at <alias>-v<version>.")
    bulk_max_docs: int = Field(500, ge=1, description="Flush a bulk request at this many documents...")
    bulk_max_bytes: int = Field(5_000_000, ge=10_000, description="...or this many bytes of documents...")
    bulk_max_wait_s: float = Field(
        0.25,
        gt=0,
        description="...or when the oldest waiting document is this old (the most batching adds to latency).",
    )

    alerts_match_on: Literal["archive", "batch-copy"] = Field(
        "archive",
        description="Where saved queries are matched: archive (the batch's documents where they are stored), or "
        "batch-copy (a copy of the batch alone, for a search server that runs every filter over its whole index: "
        "noida-db, where `newsflow up` sets it).",
    )

    @property
    def alias(self) -> str:
        return self.scoped(self.es_alias)

    @property
    def alerts_index(self) -> str:
        return self.scoped(ALERTS_INDEX)

    @property
    def matching_alias(self) -> str:
        return self.scoped("matching-articles")

    index_session_timeout_s: float = Field(
        10.0, ge=6, le=300, description="An indexer that stops heartbeating leaves the group after this long."
    )
