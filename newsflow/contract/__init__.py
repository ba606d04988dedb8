"""Every message newsflow puts on Kafka, as versioned pydantic v2 models.

The services share nothing but this package: the models, the header
convention that names a message's schema and version, and the codec that
enforces both (see ``EVOLUTION.md`` for the versioning rules).
"""

from newsflow.contract.articles import (
    ArticleSubmission,
    DateMention,
    EnrichedArticle,
    Enrichment,
    Entity,
    EntityFacet,
    RawArticle,
)
from newsflow.contract.codec import (
    HEADER_CONTENT_TYPE,
    HEADER_SCHEMA,
    HEADER_VERSION,
    DecodeError,
    decode,
    encode,
)
from newsflow.contract.deadletter import DeadLetter, dead_letter, original_record
from newsflow.contract.registry import REGISTRY, SchemaInfo, Topics

__all__ = [
    "ArticleSubmission",
    "DateMention",
    "DeadLetter",
    "DecodeError",
    "EnrichedArticle",
    "Enrichment",
    "Entity",
    "EntityFacet",
    "HEADER_CONTENT_TYPE",
    "HEADER_SCHEMA",
    "HEADER_VERSION",
    "REGISTRY",
    "RawArticle",
    "SchemaInfo",
    "Topics",
    "dead_letter",
    "decode",
    "original_record",
    "encode",
]
