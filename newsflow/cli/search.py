"""Full-text search over the articles alias, and how a hit is shown."""

from __future__ import annotations


def query_body(query: str, size: int) -> dict:
    return {
        "size": size,
        "query": {
            "multi_match": {
                "query": query,
                "fields": [
                    "title^3",
                    "body",
                    "body.standard",
                    "people^2",
                    "organisations^2",
                    "places^2",
                    "other_entities",
                ],
                "type": "best_fields",
            }
        },
        "highlight": {
            "fields": {
                "body": {"fragment_size": 160, "number_of_fragments": 1},
                "body.standard": {"fragment_size": 160, "number_of_fragments": 1},
            }
        },
    }


def summarise(hit: dict, top: int = 5) -> dict:
    src = hit["_source"]
    facets = {f["name"]: f["count"] for f in src.get("entity_facets", [])}

    def top_names(group: str) -> list[str]:
        names = src.get(group, [])
        return sorted(names, key=lambda n: -facets.get(n, 0))[:top]

    dates = [d for d in src.get("dates", []) if d.get("value")]
    return {
        "id": hit["_id"],
        "score": hit.get("_score"),
        "title": src.get("title"),
        "source": src.get("source"),
        "url": src.get("url"),
        "published": src.get("published"),
        "language": src.get("language"),
        "people": top_names("people"),
        "organisations": top_names("organisations"),
        "places": top_names("places"),
        "dates": [f"{d['text']} → {d['value']}" for d in dates[:top]],
        "highlight": (hit.get("highlight", {}).get("body") or hit.get("highlight", {}).get("body.standard") or [None])[
            0
        ],
    }
