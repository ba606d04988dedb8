from pathlib import Path

from pydantic import Field

from newsflow.runtime.settings import CommonSettings


class CliSettings(CommonSettings):
    home: Path = Field(Path(".newsflow"), description="Where `newsflow up` keeps pid files, logs and the local stack's data.")
    local_stack: str = Field(
        "auto", pattern="^(auto|noida|none)$",
        description="auto: start noida-db when Kafka and Elasticsearch point at this machine; none: never start one.",
    )
    ingest_url: str | None = Field(None, description="Ingest's HTTP API (default http://127.0.0.1:$NEWSFLOW_INGEST_PORT).")
    ingest_port: int = 8081
    enrich_port: int = 8082
    index_port: int = 8083
    es_alias: str = "articles"
    es_index_version: int = 1
    index_group: str = "newsflow-index"
    enrich_group: str = "newsflow-enrich"
    feed_batch: int = Field(100, ge=1, description="Articles per request to ingest when feeding.")

    @property
    def ingest_endpoint(self) -> str:
        return (self.ingest_url or f"http://127.0.0.1:{self.ingest_port}").rstrip("/")
