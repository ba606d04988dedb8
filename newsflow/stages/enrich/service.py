"""Running the enrich app: worker processes first, then the faust worker, with our logs and health endpoint."""

from __future__ import annotations

import logging

import faust

from newsflow.runtime.http import ServiceHTTP
from newsflow.runtime.logs import configure_logging
from newsflow.runtime.topics import ensure_topics
from newsflow.contract import Topics
from newsflow.stages.enrich import app as enrich_app
from newsflow.nlp.pool import EnrichPool

log = logging.getLogger("newsflow.enrich")


def main() -> None:
    settings = enrich_app.settings
    configure_logging("enrich", settings.log_level)
    ensure_topics(settings.kafka_client_config(), settings.topic_partitions, settings.topic_replication,
                  settings.namespace)
    pool = EnrichPool(settings.recogniser, settings.spacy_model, settings.spacy_components, settings.enrich_processes, settings.enrich_reload_every,
                      settings.enrich_crash_marker)
    pids = pool.warm()
    enrich_app.pool = pool
    log.info("spaCy workers ready", extra={"model": settings.spacy_model, "workers": pids})

    def ready():
        state = enrich_app.state
        pool_ok = pool.healthy
        brake = enrich_app.letters.brake
        ok = state["joined"] and pool_ok and state["publishing_ok"] and not brake.tripped
        return ok, {"service": "enrich", "in_group": state["joined"], "workers_ok": pool_ok,
                    "deadletter_brake": brake.reason,
                    "publishing_ok": state["publishing_ok"], "assigned_partitions": len(enrich_app.assigned),
                    "in_flight": enrich_app.tracker.in_flight(), "workers": pool.worker_pids()}

    http = ServiceHTTP(settings.http_host, settings.enrich_port, health=lambda: (True, {"service": "enrich"}), ready=ready).start()
    log.info("enrich starting", extra={"port": http.port, "topic": settings.scoped(Topics.RAW)})
    worker = faust.Worker(enrich_app.app, loglevel=settings.log_level, quiet=True, override_logging=False,
                          redirect_stdouts=False)
    try:
        worker.execute_from_commandline()
    finally:
        http.stop()
        pool.close()
        log.info("enrich stopped")


if __name__ == "__main__":
    main()
