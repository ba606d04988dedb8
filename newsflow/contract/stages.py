"""The stage registry: every process of the pipeline, declared once.

A stage's name, the module that runs it, its HTTP port (health, readiness, metrics), its consumer group, the
topic it reads and those it writes, and its metrics prefix. `newsflow up`, `status`, `lag`, the lag exporter,
the local Prometheus, the image's healthcheck and the tests read them from here; docker-compose.yml, the
Prometheus configuration and the Grafana dashboard stay hand-written, and tests/deploy checks them against
this table. Adding a stage is one entry here and one module under newsflow/stages/.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsflow.contract.registry import Topics


@dataclass(frozen=True)
class Stage:
    name: str
    port: int
    reads: str | None = None  # the topic it consumes (before any namespace)
    writes: tuple[str, ...] = ()
    # Topics it reads whole into a table: at each assignment, co-partitioned with ``reads`` (the feed stage's state),
    # or all of them in every replica (ingest's API keys).
    tables: tuple[str, ...] = ()
    group: str | None = None  # its consumer group, for a stage that reads a topic

    @property
    def module(self) -> str:
        """What runs it: ``python -m newsflow.stages.<name>``."""
        return f"newsflow.stages.{self.name}"

    @property
    def port_setting(self) -> str:
        return f"NEWSFLOW_{self.name.upper()}_PORT"

    @property
    def group_setting(self) -> str:
        return f"NEWSFLOW_{self.name.upper()}_GROUP"

    @property
    def metrics_prefix(self) -> str:
        return f"newsflow_{self.name}_"


STAGES: tuple[Stage, ...] = (
    # Reads its subscriptions whole, and its own state beside them: it polls the feeds of the partitions it owns.
    Stage(
        "feeds",
        8084,
        reads=Topics.FEEDS,
        writes=(Topics.SUBMITTED, Topics.FEED_STATE),
        tables=(Topics.FEED_STATE,),
        group="newsflow-feeds",
    ),
    Stage(
        "ingest",
        8081,
        reads=Topics.SUBMITTED,
        writes=(Topics.RAW, Topics.DEADLETTER),
        tables=(Topics.KEYS,),
        group="newsflow-ingest",
    ),
    Stage("enrich", 8082, reads=Topics.RAW, writes=(Topics.ENRICHED, Topics.DEADLETTER), group="newsflow-enrich"),
    # Matches what it stores against every saved query (read whole, in every replica) and writes the alerts.
    Stage(
        "index",
        8083,
        reads=Topics.ENRICHED,
        writes=(Topics.DEADLETTER, Topics.ALERTS),
        tables=(Topics.SAVED_QUERIES,),
        group="newsflow-index",
    ),
    Stage("webhooks", 8085, reads=Topics.ALERTS, writes=(Topics.DEADLETTER,), group="newsflow-webhooks"),
)

# Not a stage (it reads offsets, not messages), but a component every deployment runs beside them.
LAG_EXPORTER_PORT = 9308
# Nor is a CoreNLP server, run where enrich reads a language with it (newsflow/nlp/corenlp.py).
CORENLP_PORT = 9000


def stage(name: str) -> Stage:
    for s in STAGES:
        if s.name == name:
            return s
    raise KeyError(f"no stage {name!r}; the stages are {', '.join(s.name for s in STAGES)}")


def consuming() -> tuple[Stage, ...]:
    """The stages with a consumer group, in pipeline order."""
    return tuple(s for s in STAGES if s.group)


def topics() -> tuple[str, ...]:
    """Every topic some stage reads or writes, in pipeline order."""
    seen: list[str] = []
    for s in STAGES:
        for t in (s.reads, *s.tables, *s.writes):
            if t and t not in seen:
                seen.append(t)
    return tuple(seen)
