"""The Elasticsearch side of the contract: an explicit mapping, a versioned index, an alias.

Searches and the index service go through the alias, so a new mapping is a new
``articles-vN`` index, filled, then swapped in under the alias without downtime.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

_FACET = {
    "type": "nested",
    "properties": {
        "name": {"type": "keyword"},
        "label": {"type": "keyword"},
        "count": {"type": "integer"},
        "variants": {"type": "keyword"},
        "country_code": {"type": "keyword"},
        "geonames_id": {"type": "long"},
        "latitude": {"type": "float"},
        "longitude": {"type": "float"},
    },
}

MAPPINGS = {
    # strict: a field the mapping does not name is an error, not a guess by dynamic mapping.
    "dynamic": "strict",
    "properties": {
        "id": {"type": "keyword"},
        "version": {"type": "long"},
        "title": {
            "type": "text",
            "analyzer": "english",
            "fields": {"keyword": {"type": "keyword", "ignore_above": 512}},
        },
        "title_source": {"type": "keyword"},
        # english stems English ("bridges" finds "bridge"); body.standard keeps every language's words as they
        # are (lower-cased, split on Unicode word breaks), so a French or Arabic article is found by its own words
        # without English stemming and stop words cutting them.
        "body": {
            "type": "text",
            "analyzer": "english",
            "fields": {"standard": {"type": "text", "analyzer": "standard"}},
        },
        "url": {"type": "keyword"},
        "source": {"type": "keyword"},
        "language": {"type": "keyword"},
        "language_source": {"type": "keyword"},
        "language_confidence": {"type": "float"},
        "entities_status": {"type": "keyword"},
        "authors": {"type": "keyword", "fields": {"text": {"type": "text", "analyzer": "standard"}}},
        "published": {"type": "date", "format": "strict_date_optional_time||strict_date"},
        "published_source": {"type": "keyword"},
        "people": {"type": "keyword"},
        "organisations": {"type": "keyword"},
        "places": {"type": "keyword"},
        "other_entities": {"type": "keyword"},
        "entity_facets": _FACET,
        # Where the article's places are, for a map: the points of the places the gazetteer located, and the
        # countries of all it knows.
        "place_points": {"type": "geo_point"},
        "place_countries": {"type": "keyword"},
        "entities": {
            "type": "object",
            "enabled": False,  # kept for display (offsets), not searched: the facet lists above are
        },
        "dates": {
            "type": "object",
            "enabled": False,
        },
        "mentioned_days": {"type": "date", "format": "strict_date"},
        "mentioned_periods": {"type": "keyword"},
        "ingested_at": {"type": "date"},
        "indexed_at": {"type": "date"},
        # Its story (newsflow/stages/index/stories.py): the first article's id, which a search collapses on; and
        # the sketch later copies are compared with, kept here so the state outlives any one indexer.
        "story_id": {"type": "keyword"},
        "duplicate_of": {"type": "keyword"},
        "is_duplicate": {"type": "boolean"},
        "story_sketch": {
            "properties": {
                "bands": {"type": "keyword"},
                "title": {"type": "keyword"},
                "minhash": {"type": "binary"},
                "shingles": {"type": "integer"},
            }
        },
        "enrichment": {
            "properties": {
                "model": {"type": "keyword"},
                "model_version": {"type": "keyword"},
                "pipeline_version": {"type": "keyword"},
                "enriched_at": {"type": "date"},
            }
        },
    },
}

SETTINGS = {"number_of_shards": 1, "number_of_replicas": 0}


def index_name(alias: str, version: int) -> str:
    return f"{alias}-v{version}"


def template_body(alias: str) -> dict:
    return {
        "index_patterns": [f"{alias}-v*"],
        "priority": 200,
        "template": {"settings": SETTINGS, "mappings": MAPPINGS},
        "_meta": {"owner": "newsflow", "description": "Enriched news articles"},
    }


def ensure_index(es, alias: str, version: int, replicas: int | None = None) -> str:
    """Install the template, create ``<alias>-v<version>`` and point the alias at it (idempotent)."""
    body = template_body(alias)
    if replicas is not None:
        body["template"]["settings"] = {**SETTINGS, "number_of_replicas": replicas}
    es.indices.put_index_template(name=f"newsflow-{alias}", **body)
    name = index_name(alias, version)
    if not es.indices.exists(index=name):
        es.indices.create(index=name, aliases={alias: {"is_write_index": True}})
        log.info("created index", extra={"index": name, "alias": alias})
    else:
        # Fields added since the index was created (additions only: Elasticsearch refuses a change to an existing
        # field, and that needs a new index version). Without them, strict mapping would refuse every new document.
        es.indices.put_mapping(index=name, properties=MAPPINGS["properties"])
        if not es.indices.exists_alias(name=alias, index=name):
            es.indices.put_alias(index=name, name=alias, is_write_index=True)
    return name


# One document per alert (newsflow/stages/index/alerts.py): its id is the alert's, so a second copy of a story
# cannot create it again. Not versioned like the articles: it is a record of what was sent, never rebuilt.
ALERTS_INDEX = "alerts-v1"
ALERT_MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "query": {"type": "keyword"},
        "story_id": {"type": "keyword"},
        "article_id": {"type": "keyword"},
        "raised_by": {"type": "keyword"},
        "created_at": {"type": "date"},
        "sent_at": {"type": "date"},
    },
}


def ensure_alerts_index(es, name: str) -> str:
    """Create the alerts index if it is not there (idempotent, and safe when two indexers start together)."""
    if not es.indices.exists(index=name):
        try:
            es.indices.create(index=name, settings=SETTINGS, mappings=ALERT_MAPPINGS)
            log.info("created index", extra={"index": name})
        except Exception as exc:
            if "resource_already_exists" not in str(exc):
                raise
    return name
