"""The pure part of index: an enriched article becomes an Elasticsearch document."""

from __future__ import annotations

from datetime import date, datetime

from newsflow.contract import EnrichedArticle
from newsflow.stages.index.stories import Placement

_FACET_FIELDS = ("name", "label", "count", "variants", "country_code", "geonames_id", "latitude", "longitude")


def to_document(article: EnrichedArticle, indexed_at: datetime, placement: Placement) -> dict:
    doc = article.model_dump(mode="json")
    facets = [
        {**facet, "group": group}
        for group in ("people", "organisations", "places", "other_entities")
        for facet in doc[group]
    ]
    for group in ("people", "organisations", "places", "other_entities"):
        doc[group] = [f["name"] for f in doc[group]]
    doc["entity_facets"] = [{k: f[k] for k in _FACET_FIELDS if f.get(k) is not None} for f in facets]
    located = [f for f in doc["entity_facets"] if f.get("latitude") is not None and f.get("longitude") is not None]
    doc["place_points"] = [{"lat": f["latitude"], "lon": f["longitude"]} for f in located]
    doc["place_countries"] = sorted({f["country_code"] for f in doc["entity_facets"] if f.get("country_code")})
    doc["mentioned_days"] = sorted(
        {d["value"] for d in doc["dates"] if d["granularity"] == "day" and _is_day(d["value"])}
    )
    doc["mentioned_periods"] = sorted({d["value"] for d in doc["dates"] if d["value"] and d["granularity"] != "day"})
    doc["indexed_at"] = indexed_at.isoformat()
    doc.update(placement.fields())
    return doc


def _is_day(value: str | None) -> bool:
    """A calendar day in ISO form. Elasticsearch's strict_date takes "2025-13-45" without complaint (measured on
    8.19) and stores it as 2026-02-14: a producer's impossible day would become another day. It stays in ``dates``."""
    try:
        date.fromisoformat(value or "")
        return len(value or "") == 10
    except ValueError:
        return False


def bulk_action(article: EnrichedArticle, index: str, indexed_at: datetime, placement: Placement) -> tuple[dict, dict]:
    """The bulk action line and source for one article.

    External versioning makes the write idempotent and order-proof: a re-delivery
    of the same version, or a stale older one, is refused with 409 and changes nothing."""
    action = {"index": {"_index": index, "_id": article.id, "version": article.version, "version_type": "external"}}
    return action, to_document(article, indexed_at, placement)
