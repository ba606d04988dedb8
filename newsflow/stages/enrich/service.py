"""Running the enrich app: its logs and topics, the faust worker, and our health endpoint beside it."""

from __future__ import annotations

import logging

import faust

from newsflow.contract import Topics
from newsflow.nlp.pool import EnrichPool, WorkerSettings
from newsflow.runtime.http import ServiceHTTP
from newsflow.runtime.logs import configure_logging
from newsflow.runtime.topics import ensure_topics
from newsflow.stages.enrich.app import STAGE, build
from newsflow.stages.enrich.settings import EnrichSettings

log = logging.getLogger("newsflow.enrich")


def main() -> None:
    settings = EnrichSettings()
    configure_logging(STAGE.name, settings.log_level)
    ensure_topics(
        settings.kafka_client_config(), settings.topic_partitions, settings.topic_replication, settings.namespace
    )
    spacy_workers = WorkerSettings(
        settings.recogniser,
        settings.spacy_model,
        settings.spacy_components,
        settings.enrich_reload_every,
        settings.enrich_crash_marker,
        settings.default_language,
    )
    pool = EnrichPool(spacy_workers, settings.enrich_processes)
    app, enricher = build(settings, pool)
    http = ServiceHTTP(
        settings.http_host,
        settings.stage_port(STAGE.name),
        health=lambda: (True, {"service": STAGE.name}),
        ready=enricher.ready,
    ).start()
    log.info(
        "enrich starting",
        extra={"port": http.port, "topic": settings.scoped(Topics.RAW), "model": settings.spacy_model},
    )
    worker = faust.Worker(app, loglevel=settings.log_level, quiet=True, override_logging=False, redirect_stdouts=False)
    try:
        worker.execute_from_commandline()
    finally:
        http.stop()
        pool.close()  # if the app never started its pool service, or stopped before it closed it
        log.info("enrich stopped")


if __name__ == "__main__":
    main()
