"""Configuration shared by every newsflow process, read from the environment (12-factor).

Each service subclasses ``CommonSettings`` with its own fields, so one object
holds everything a process may be configured with, all under ``NEWSFLOW_``.
"""

from __future__ import annotations

import os

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from newsflow.contract.stages import STAGES, stage


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSFLOW_", extra="ignore", frozen=True)

    kafka_bootstrap: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers, comma-separated.")
    kafka_security_protocol: str = Field("PLAINTEXT", description="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.")
    kafka_sasl_mechanism: str | None = Field(None, description="e.g. PLAIN or SCRAM-SHA-512.")
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = None
    es_url: str = Field("http://127.0.0.1:9200", description="Elasticsearch URL.")
    es_api_key: str | None = Field(None, description="Elasticsearch API key (id:key base64), if security is on.")
    es_username: str | None = None
    es_password: str | None = None
    es_ca_certs: str | None = Field(None, description="CA bundle for an HTTPS Elasticsearch.")
    topic_partitions: int = Field(6, ge=1, description="Partitions for topics newsflow creates.")
    topic_replication: int = Field(1, ge=1, description="Replication factor for topics newsflow creates.")
    retry_max_backoff_s: float = Field(
        30.0,
        gt=0,
        description="Ceiling of the backoff while a dependency (broker, Elasticsearch) cannot take what is sent.",
    )
    namespace: str = Field(
        "",
        pattern=r"^[A-Za-z0-9._-]*$",
        description="Prefix of every topic, consumer group and search alias newsflow uses, so several pipelines share "
        "one Kafka cluster and one Elasticsearch (staging beside production; each test of the suite).",
    )
    dlq_max_consecutive: int = Field(
        100,
        ge=0,
        description="A consuming stage stops (unready, nothing committed) after this many messages in a row "
        "dead-lettered; 0: no limit.",
    )
    dlq_max_ratio: float = Field(
        0.5, gt=0, le=1, description="...or when more than this share of its last 1,000 messages (100 at least) was."
    )
    log_level: str = Field("INFO")
    http_host: str = Field("127.0.0.1", description="Address the service's HTTP endpoint binds to.")
    http_concurrency: int = Field(64, ge=1, description="Connections and requests at once; past it, 503.")
    http_header_timeout_s: float = Field(10.0, gt=0, description="Longest wait for a request's head (slowloris).")
    http_body_timeout_s: float = Field(60.0, gt=0, description="Longest wait for a request's body, after its head.")
    http_drain_s: float = Field(20.0, ge=0, description="On SIGTERM, how long requests in flight may take to finish.")
    http_max_in_flight_bytes: int = Field(
        64 * 1024 * 1024,
        ge=10_000,
        description="Bytes of request bodies held at once, from the first byte read to the answer; past it, 503 with "
        "Retry-After. With the largest body it bounds the service's memory.",
    )

    def http_limits(self):
        from newsflow.runtime.http import Limits  # the server's module is not every settings reader's import

        return Limits(
            concurrency=self.http_concurrency,
            header_timeout_s=self.http_header_timeout_s,
            body_timeout_s=self.http_body_timeout_s,
            drain_s=self.http_drain_s,
            max_in_flight_bytes=self.http_max_in_flight_bytes,
        )

    def stage_port(self, name: str) -> int:
        """The HTTP port of stage ``name``: its own setting (NEWSFLOW_<NAME>_PORT), else the registry's default.
        Read here, not from a field per stage, so a new stage needs no new field in every other process."""
        entry = stage(name)
        raw = os.environ.get(entry.port_setting)
        try:
            return int(raw) if raw else entry.port
        except ValueError:
            raise ValueError(f"{entry.port_setting}={raw!r} is not a port number") from None

    def stage_group(self, name: str) -> str:
        """Stage ``name``'s consumer group, in this pipeline's namespace (NEWSFLOW_<NAME>_GROUP overrides it)."""
        entry = stage(name)
        if not entry.group:
            raise KeyError(f"stage {name!r} consumes nothing, so it has no group")
        return self.scoped(os.environ.get(entry.group_setting) or entry.group)

    @classmethod
    def variables(cls) -> set[str]:
        """Every NEWSFLOW_ variable a process with these settings reads: its fields, and each stage's port and group."""
        names = {f"NEWSFLOW_{f.upper()}" for f in cls.model_fields}
        return names | {s.port_setting for s in STAGES} | {s.group_setting for s in STAGES if s.group}

    def scoped(self, name: str) -> str:
        """``name`` (a topic, a consumer group, the alias) in this pipeline's namespace."""
        return f"{self.namespace}{name}"

    def kafka_client_config(self) -> dict:
        """Connection options in kafka-python's spelling."""
        cfg: dict = {
            "bootstrap_servers": self.kafka_bootstrap.split(","),
            "security_protocol": self.kafka_security_protocol,
        }
        if self.kafka_sasl_mechanism:
            cfg |= {
                "sasl_mechanism": self.kafka_sasl_mechanism,
                "sasl_plain_username": self.kafka_sasl_username,
                "sasl_plain_password": self.kafka_sasl_password,
            }
        return cfg

    def elasticsearch(self, **kwargs):
        from elasticsearch import Elasticsearch

        auth: dict = {}
        if self.es_api_key:
            auth["api_key"] = self.es_api_key
        elif self.es_username:
            auth["basic_auth"] = (self.es_username, self.es_password or "")
        if self.es_ca_certs:
            auth["ca_certs"] = self.es_ca_certs
        return Elasticsearch(self.es_url, **auth, **kwargs)
