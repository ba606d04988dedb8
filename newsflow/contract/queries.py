"""What a query means against the articles' mapping: the one builder behind `newsflow search`, the saved queries
that raise alerts, and `newsflow entity`, so that an alert fires for exactly the articles a search finds.

Words are matched as `newsflow search` has always matched them (best field of title, body and entity names). An
entity is matched as `newsflow entity` matches it: a facet with that name, or that name among its variants
("Assad" for "Bashar al-Assad"), in any letter case; a person, place or organisation filter also wants the
facet's label to be of that kind.
"""

from __future__ import annotations

from collections.abc import Sequence

from newsflow.nlp.entities import GROUPS

TEXT_FIELDS = [
    "title^3",
    "body",
    "body.standard",
    "people^2",
    "organisations^2",
    "places^2",
    "other_entities",
]
# A kind of entity (the document's list it is filed in) → the facet labels of that kind.
LABELS: dict[str, list[str]] = {
    kind: sorted(label for label, group in GROUPS.items() if group == kind)
    for kind in ("people", "places", "organisations")
}


def words(text: str) -> dict:
    return {"multi_match": {"query": text, "fields": TEXT_FIELDS, "type": "best_fields"}}


def named(name: str) -> dict:
    """An entity facet with this name, or this name among its variants, in any case."""
    said = [{"term": {f"entity_facets.{f}": {"value": name, "case_insensitive": True}}} for f in ("name", "variants")]
    return {"bool": {"should": said, "minimum_should_match": 1}}


def mentions(name: str, kind: str | None = None) -> dict:
    """Articles with an entity of this name (of this kind: people, places, organisations)."""
    facet = named(name)
    if kind is not None:
        facet = {"bool": {"filter": [facet, {"terms": {"entity_facets.label": LABELS[kind]}}]}}
    return {"nested": {"path": "entity_facets", "query": facet}}


def article_query(
    text: str = "", people: Sequence[str] = (), places: Sequence[str] = (), organisations: Sequence[str] = ()
) -> dict:
    """Articles matching the words (scored), that name every entity given (filters). Words alone are the plain
    search `newsflow search` made before it took entities; no words, the entities alone."""
    filters = [
        mentions(name, kind)
        for kind, names in (("people", people), ("places", places), ("organisations", organisations))
        for name in names
    ]
    if not filters:
        if not text.strip():
            raise ValueError("a query needs words, or a person, place or organisation")
        return words(text)
    return {"bool": {**({"must": [words(text)]} if text.strip() else {}), "filter": filters}}
