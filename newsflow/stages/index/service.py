"""index: enriched articles from Kafka into Elasticsearch, committing only what Elasticsearch stored.

    poll → decode → stories (stories.py) → bulk index with external versions (step.py) → saved-query alerts
    (alerts.py) → dead-letter what it refused → commit

The consumer runtime (newsflow/runtime/consumer.py) does everything but the bulk request: offsets are
committed after Elasticsearch acknowledged every document of the batch (or the document went to the
dead-letter topic), so a crash at any point re-delivers at most the batch in flight, and external versioning
turns that re-delivery into a no-op.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from kafka import KafkaProducer

from newsflow.contract import EnrichedArticle, Topics
from newsflow.contract.alerts import SavedQuery
from newsflow.contract.mapping import ensure_alerts_index, ensure_index, index_name
from newsflow.contract.stages import stage
from newsflow.runtime.consumer import ConsumerRuntime, Limits, declare_metrics
from newsflow.runtime.process import begin, serve
from newsflow.runtime.produce import send_acknowledged
from newsflow.runtime.tables import TableReader
from newsflow.stages.index.alerts import AlertMatcher, BatchCopy, SavedQueries
from newsflow.stages.index.settings import IndexSettings
from newsflow.stages.index.step import REASONS, RETRIES, IndexStep
from newsflow.stages.index.stories import StoryLookup

log = logging.getLogger("newsflow.index")

STAGE = stage("index")
declare_metrics(STAGE, REASONS, RETRIES)


def main() -> None:
    settings = IndexSettings()
    stop = begin(STAGE, settings)
    es = settings.elasticsearch(request_timeout=30)
    ensure_index(es, settings.alias, settings.es_index_version)
    index = index_name(settings.alias, settings.es_index_version)
    stories = StoryLookup(
        lambda bodies: es.msearch(searches=[part for body in bodies for part in ({"index": settings.alias}, body)])[
            "responses"
        ],
        lambda: es.indices.refresh(index=settings.alias),
    )
    alerts_index = ensure_alerts_index(es, settings.alerts_index)
    queries = SavedQueries()
    reader = TableReader(settings, Topics.SAVED_QUERIES, SavedQuery, queries.apply, "newsflow-index-queries", stop)
    queries.loaded = reader.loaded
    reader.start()
    producer = KafkaProducer(**settings.kafka_client_config(), client_id="newsflow-index-alerts", acks="all")
    alerts_topic = settings.scoped(Topics.ALERTS)
    if settings.alerts_match_on == "batch-copy":
        ensure_index(es, settings.matching_alias, 1)
        search = BatchCopy(es, settings.alias, settings.matching_alias).search
    else:

        def search(bodies: list[dict]) -> list[dict]:
            return es.msearch(searches=[p for body in bodies for p in ({"index": settings.alias}, body)])["responses"]

    matcher = AlertMatcher(
        queries,
        alerts_index,
        search=search,
        refresh=lambda: es.indices.refresh(index=settings.alias),
        bulk=lambda operations, refresh=False: es.bulk(operations=operations, refresh=refresh),
        mget=lambda ids: es.mget(index=alerts_index, ids=ids)["docs"],
        publish=lambda records: [
            why
            for _, why in send_acknowledged(
                producer, [(alerts_topic, key, value, headers) for key, value, headers in records], 30.0
            )
        ],
        clock=lambda: datetime.now(UTC),
    )
    runtime = ConsumerRuntime(
        STAGE,
        settings,
        IndexStep(lambda operations: es.bulk(operations=operations), index, stories, alerts=matcher),
        EnrichedArticle,
        limits=Limits(settings.bulk_max_docs, settings.bulk_max_bytes, settings.bulk_max_wait_s),
        reasons=REASONS,
        retries=RETRIES,
        session_timeout_s=settings.index_session_timeout_s,
        stop=stop,
    )
    http = serve(
        STAGE,
        settings,
        lambda: runtime.ready(
            lambda: {
                "elasticsearch_ok": runtime.health.ok,
                "saved_queries": len(queries.by_name),
                "saved_queries_read": queries.loaded.is_set(),
                "saved_queries_error": reader.error,
            }
        ),
    )
    log.info("index ready", extra={"port": http.port, "topic": runtime.topic, "index": index})
    runtime.run()
    producer.close(timeout=10)
    http.stop()
    log.info("index stopped")


if __name__ == "__main__":
    main()
