"""index: enriched articles from Kafka into Elasticsearch, committing only what Elasticsearch stored.

    poll → decode → stories (stories.py) → bulk index with external versions (step.py) → dead-letter what it
    refused → commit

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
from newsflow.runtime.process import begin, serve
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
    runtime = ConsumerRuntime(
        STAGE,
        settings,
        IndexStep(lambda operations: es.bulk(operations=operations), index, stories),
        EnrichedArticle,
        limits=Limits(settings.bulk_max_docs, settings.bulk_max_bytes, settings.bulk_max_wait_s),
        reasons=REASONS,
        retries=RETRIES,
        session_timeout_s=settings.index_session_timeout_s,
        stop=stop,
    )
    http = serve(STAGE, settings, lambda: runtime.ready(lambda: {"elasticsearch_ok": runtime.health.ok}))
    log.info("index ready", extra={"port": http.port, "topic": runtime.topic, "index": index})
    runtime.run()
    http.stop()
    log.info("index stopped")


if __name__ == "__main__":
    main()
