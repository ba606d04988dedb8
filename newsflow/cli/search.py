"""Full-text search over the articles alias, and how a hit is shown."""

from __future__ import annotations

from collections.abc import Sequence

from newsflow.contract.queries import article_query

COPIES_SHOWN = 5


def query_body(
    query: str,
    size: int,
    collapse: bool = True,
    people: Sequence[str] = (),
    places: Sequence[str] = (),
    organisations: Sequence[str] = (),
) -> dict:
    """The search request (its query is the one saved queries are matched with); ``collapse`` shows one hit per
    story (its best-scoring article), the story's other matching articles as its copies, and counts stories as
    well as articles."""
    body = {
        "size": size,
        "query": article_query(query, people, places, organisations),
        "highlight": {
            "fields": {
                "body": {"fragment_size": 160, "number_of_fragments": 1},
                "body.standard": {"fragment_size": 160, "number_of_fragments": 1},
            }
        },
    }
    if collapse:
        body["collapse"] = {
            "field": "story_id",
            "inner_hits": {
                "name": "copies",
                "size": COPIES_SHOWN + 1,  # the hit itself is among them
                "_source": ["title", "source", "url"],
                "sort": [{"indexed_at": "asc"}],
            },
        }
        body["aggs"] = {"stories": {"cardinality": {"field": "story_id"}}}
    return body


def copies(hit: dict) -> tuple[int, list[dict]]:
    """How many other matching articles the hit's story has, and the first few of them."""
    inner = hit.get("inner_hits", {}).get("copies", {}).get("hits", {})
    others = [{"id": h["_id"], **h.get("_source", {})} for h in inner.get("hits", []) if h["_id"] != hit["_id"]]
    return max(0, inner.get("total", {}).get("value", 0) - 1), others[:COPIES_SHOWN]


def plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def hits_line(total: int, stories: int | None) -> str:
    """What a search found, as its header says it: "1 article", "12 articles", "2 stories in 5 articles". Stories
    are named only where some hold more than one article: "1 story in 1 article" says one thing twice."""
    articles = plural(total, "article", "articles")
    if stories is None or stories >= total:
        return articles
    return f"{plural(stories, 'story', 'stories')} in {articles}"


def summarise(hit: dict, top: int = 5) -> dict:
    src = hit["_source"]
    facets = {f["name"]: f["count"] for f in src.get("entity_facets", [])}

    def top_names(group: str) -> list[str]:
        names = src.get(group, [])
        return sorted(names, key=lambda n: -facets.get(n, 0))[:top]

    dates = [d for d in src.get("dates", []) if d.get("value")]
    n_copies, shown = copies(hit)
    return {
        "id": hit["_id"],
        "score": hit.get("_score"),
        "story_id": src.get("story_id"),
        "copies": n_copies,
        "copies_shown": shown,
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
