"""index: enriched articles from Kafka into Elasticsearch, committing only what Elasticsearch stored.

    poll → decode → bulk index with external versions (step.py) → dead-letter what it refused → commit

The consumer runtime (newsflow/runtime/consumer.py) does everything but the bulk request: offsets are
committed after Elasticsearch acknowledged every document of the batch (or the document went to the
dead-letter topic), so a crash at any point re-delivers at most the batch in flight, and external versioning
turns that re-delivery into a no-op.
"""

from __future__ import annotations

import logging

from newsflow.contract import EnrichedArticle
from newsflow.contract.mapping import ensure_index, index_name
from newsflow.contract.stages import stage
from newsflow.runtime.consumer import ConsumerRuntime, Limits, declare_metrics
from newsflow.runtime.http import ServiceHTTP
from newsflow.runtime.logs import configure_logging
from newsflow.runtime.shutdown import stop_on_signals
from newsflow.runtime.topics import ensure_topics
from newsflow.stages.index.settings import IndexSettings
from newsflow.stages.index.step import REASONS, RETRIES, IndexStep

log = logging.getLogger("newsflow.index")

STAGE = stage("index")
declare_metrics(STAGE, REASONS, RETRIES)


def main() -> None:
    settings = IndexSettings()
    configure_logging(STAGE.name, settings.log_level)
    stop = stop_on_signals()
    ensure_topics(
        settings.kafka_client_config(), settings.topic_partitions, settings.topic_replication, settings.namespace
    )
    es = settings.elasticsearch(request_timeout=30)
    ensure_index(es, settings.alias, settings.es_index_version)
    index = index_name(settings.alias, settings.es_index_version)
    runtime = ConsumerRuntime(
        STAGE,
        settings,
        IndexStep(lambda operations: es.bulk(operations=operations), index),
        EnrichedArticle,
        limits=Limits(settings.bulk_max_docs, settings.bulk_max_bytes, settings.bulk_max_wait_s),
        reasons=REASONS,
        retries=RETRIES,
        session_timeout_s=settings.index_session_timeout_s,
        stop=stop,
    )
    http = ServiceHTTP(
        settings.http_host,
        settings.stage_port(STAGE.name),
        health=lambda: (True, {"service": STAGE.name}),
        ready=lambda: runtime.ready(lambda: {"elasticsearch_ok": runtime.health.ok}),
    ).start()
    log.info("index ready", extra={"port": http.port, "topic": runtime.topic, "index": index})
    runtime.run()
    http.stop()
    log.info("index stopped")


if __name__ == "__main__":
    main()
