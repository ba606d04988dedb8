import os
import tomllib
from pathlib import Path

from pydantic import Field

from newsflow.contract.mapping import ALERTS_INDEX
from newsflow.contract.stages import CORENLP_PORT, LAG_EXPORTER_PORT
from newsflow.runtime.settings import CommonSettings


def default_home(start: Path | None = None) -> Path:
    """``.newsflow`` of the project the command runs in, found upward from the current directory (a directory
    with a ``.newsflow`` of its own, or newsflow's own checkout); elsewhere the user's data directory. So
    `newsflow status` run from any folder of the project sees the deployment `up` started in it."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".newsflow").is_dir() or _is_newsflow_checkout(folder):
            return folder / ".newsflow"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "newsflow"


def newsflow_checkout(start: Path | None = None) -> Path | None:
    """The newsflow repository this command can read deploy/ from: the one the package runs from (an editable
    install), else one found upward from the current directory; None for a wheel run outside a checkout."""
    here = (start or Path.cwd()).resolve()
    for folder in (Path(__file__).resolve().parents[2], here, *here.parents):
        if _is_newsflow_checkout(folder):
            return folder
    return None


def _is_newsflow_checkout(folder: Path) -> bool:
    try:
        return tomllib.loads((folder / "pyproject.toml").read_text()).get("project", {}).get("name") == "newsflow"
    except (OSError, ValueError):
        return False


class CliSettings(CommonSettings):
    home: Path = Field(
        default_factory=lambda: default_home(),
        description="Where `newsflow up` keeps pid files, logs and the local stack's data.",
    )
    stack: str = Field(
        "embedded",
        pattern="^(embedded|apache)$",
        description="Which local stack `newsflow up` runs: embedded (noida-db, no Java needed) or apache (Apache Kafka "
        "and Elasticsearch from their artifacts on Maven Central; needs a JDK and Maven).",
    )
    local_stack: str = Field(
        "auto",
        pattern="^(auto|always|none)$",
        description="auto: start the local stack when Kafka and Elasticsearch point at this machine; always; none: "
        "never.",
    )
    embedded_article_limit: int = Field(
        2_000,
        ge=0,
        description="`newsflow status` warns when the embedded stack holds more articles than this: "
        "measured by `make bench`, its search slows past it (README).",
    )
    kafka_controller_port: int = Field(9093, description="The apache stack's KRaft controller listener (loopback).")
    es_transport_port: int = Field(9300, description="The apache stack's Elasticsearch transport port (loopback).")
    kafka_heap: str = Field(
        "512m", pattern=r"^\d+[kmgKMG]$", description="Largest heap of the apache stack's Kafka JVM."
    )
    es_heap: str = Field("1g", pattern=r"^\d+[kmgKMG]$", description="Heap of the apache stack's Elasticsearch JVM.")
    api_key: str | None = Field(
        None, description="The API key `newsflow feed` sends ingest (`newsflow keys create`), where it asks for one."
    )
    ingest_url: str | None = Field(
        None, description="Ingest's HTTP API (default http://127.0.0.1:$NEWSFLOW_INGEST_PORT)."
    )
    es_alias: str = "articles"
    es_index_version: int = 1
    feed_batch: int = Field(100, ge=1, le=1000, description="Articles per request to ingest when feeding.")
    feed_request_bytes: int = Field(
        8 * 1024 * 1024,
        ge=10_000,
        description="Most bytes of JSON in one request to ingest when feeding (an article larger goes alone); well "
        "under ingest's NEWSFLOW_MAX_REQUEST_BYTES, so several feeds at once fit its bytes in flight.",
    )
    feed_retry_s: float = Field(
        120.0,
        ge=0,
        description="How long `newsflow feed` keeps resending what ingest could not take (unreachable, "
        "5xx, not acknowledged by the broker) before it gives up on it.",
    )
    lag_exporter_port: int = Field(
        LAG_EXPORTER_PORT, description="Port of the lag exporter's /metrics (`newsflow exporter`)."
    )
    corenlp_port: int = Field(
        CORENLP_PORT,
        description="Port of the CoreNLP server `newsflow up` runs where NEWSFLOW_SPACY_MODEL names corenlp-<lang>.",
    )
    lag_window_s: float = Field(
        120.0,
        ge=1,
        le=3600,
        description="The window the lag exporter judges each consumer group's status over (OK, WARN, STALL, STOP): "
        "the readings of its scrapes in that time.",
    )
    lag_deadline_s: float = Field(
        300.0,
        gt=0,
        description="Lag in seconds past which a group is late for a newsroom: the exporter exports it, and the "
        "alert NewsflowLagPastDeadline fires after 10 minutes over it.",
    )
    prometheus: str = Field(
        "auto",
        pattern="^(auto|off)$",
        description="auto: `newsflow up` also starts Prometheus when it is installed; off: never.",
    )
    prometheus_port: int = Field(
        9095,
        description="Port of the local Prometheus `newsflow up` starts (not 9090, where a system Prometheus listens).",
    )
    prometheus_scrape_interval_s: float = Field(
        5.0, ge=0.5, le=300, description="How often the local Prometheus scrapes."
    )

    @property
    def alias(self) -> str:
        return self.scoped(self.es_alias)

    @property
    def alerts_index(self) -> str:
        return self.scoped(ALERTS_INDEX)

    @property
    def ingest_endpoint(self) -> str:
        return (self.ingest_url or f"http://127.0.0.1:{self.stage_port('ingest')}").rstrip("/")
