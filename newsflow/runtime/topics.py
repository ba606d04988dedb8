"""Creating the pipeline's topics, idempotently, with kafka-python's admin client."""

from __future__ import annotations

import logging

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from schemas import Topics

log = logging.getLogger(__name__)


def pipeline_topics(partitions: int, replication: int) -> list[NewTopic]:
    return [
        NewTopic(Topics.RAW, partitions, replication),
        NewTopic(Topics.ENRICHED, partitions, replication),
        # Dead letters are rare and read by people: one partition keeps them in order.
        NewTopic(Topics.DEADLETTER, 1, replication),
    ]


def ensure_topics(client_config: dict, partitions: int, replication: int) -> list[str]:
    """Create whichever pipeline topics are missing; return the names created."""
    admin = KafkaAdminClient(**client_config, client_id="newsflow-admin")
    try:
        existing = set(admin.list_topics())
        missing = [t for t in pipeline_topics(partitions, replication) if t.name not in existing]
        created = []
        for topic in missing:
            try:
                admin.create_topics([topic])
                created.append(topic.name)
            except TopicAlreadyExistsError:  # another process won the race: fine
                pass
        if created:
            log.info("created topics", extra={"topics": created})
        return created
    finally:
        admin.close()
