"""Running the enrich app: its logs and topics, the faust worker, and our health endpoint beside it."""

from __future__ import annotations

import logging

import faust

from newsflow.contract import Topics
from newsflow.nlp.pool import EnrichPool, WorkerSettings
from newsflow.runtime.process import begin, serve
from newsflow.stages.enrich.app import STAGE, build
from newsflow.stages.enrich.settings import EnrichSettings

log = logging.getLogger("newsflow.enrich")


def main() -> None:
    settings = EnrichSettings()
    begin(STAGE, settings, signals=False)  # the faust worker handles SIGTERM
    spacy_workers = WorkerSettings(
        settings.recogniser,
        settings.spacy_model,
        settings.spacy_components,
        settings.enrich_reload_every,
        settings.enrich_crash_marker,
        settings.default_language,
        settings.corenlp_url,
    )
    pool = EnrichPool(spacy_workers, settings.enrich_processes)
    app, enricher = build(settings, pool)
    http = serve(STAGE, settings, enricher.ready)
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
