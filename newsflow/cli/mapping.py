"""Other tools' field names onto newsflow's: `newsflow feed --map theirs=ours` and `--preset`.

A preset names the fields a tool writes: those it maps, and those it knows carry nothing newsflow takes (an
image URL, a download date), which are dropped. A field neither mapped nor dropped stays, and ingest refuses
it as unknown, with the hint to map it: a misspelt field must not vanish in silence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from newsflow.contract import ArticleSubmission

FIELDS = frozenset(ArticleSubmission.model_fields)


@dataclass(frozen=True)
class FieldMap:
    rename: dict[str, str] = field(default_factory=dict)  # theirs → ours
    drop: frozenset[str] = frozenset()


PRESETS: dict[str, FieldMap] = {
    # news-please's JSON (one article per file, or JSON Lines of them).
    "news-please": FieldMap(
        rename={
            "maintext": "text",
            "text": "text",  # older news-please versions' name for it
            "date_publish": "published",
            "source_domain": "source",
            "title": "title",
            "url": "url",
            "authors": "authors",
            "language": "language",
        },
        drop=frozenset(
            {"date_download", "date_modify", "description", "filename", "image_url", "localpath", "title_page"}
            | {"title_rss"}
        ),
    ),
    # newspaper3k / newspaper4k articles as their users dump them (Article attributes, or newspaper4k's to_json()).
    "newspaper": FieldMap(
        rename={
            "text": "text",
            "title": "title",
            "url": "url",
            "authors": "authors",
            "publish_date": "published",
            "source_url": "source",
            "meta_lang": "language",
            "language": "language",
        },
        drop=frozenset(
            {"top_image", "top_img", "images", "imgs", "movies", "keywords", "keyword_scores", "meta_keywords"}
            | {"summary", "meta_description", "meta_img", "meta_favicon", "meta_site_name", "meta_data", "tags"}
            | {"canonical_link", "read_more_link", "html", "article_html", "additional_data", "clean_doc"}
        ),
    ),
}


class MapError(ValueError):
    pass


def parse_map(spec: str) -> dict[str, str]:
    """``"body=text,date_publish=published"`` → {"body": "text", "date_publish": "published"}."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        theirs, sep, ours = (s.strip() for s in part.partition("="))
        if not sep or not theirs or not ours:
            raise MapError(f"--map takes theirs=ours pairs separated by commas; {part!r} is not one")
        if ours not in FIELDS:
            raise MapError(f"--map {part}: {ours!r} is not an article field (they are {', '.join(sorted(FIELDS))})")
        out[theirs] = ours
    return out


def field_map(preset: str | None, spec: str | None) -> FieldMap | None:
    if preset is None and not spec:
        return None
    if preset is not None and preset not in PRESETS:
        raise MapError(f"--preset is one of {', '.join(PRESETS)}, not {preset!r}")
    base = PRESETS[preset] if preset else FieldMap()
    given = parse_map(spec or "")
    # A field mapped by hand is no longer one the preset drops.
    return FieldMap(rename=base.rename | given, drop=base.drop - set(given))


def apply(article: dict, fmap: FieldMap) -> dict:
    """``article`` in newsflow's names. Empty values are left out (a tool writes null for what it did not find),
    and where two fields map to one, the first that has a value wins."""
    out: dict = {}
    for name, value in article.items():
        if name in fmap.drop or _empty(value):
            continue
        target = fmap.rename.get(name, name)
        if target in out:
            continue
        converted = _convert(target, value)
        if not _empty(converted):
            out[target] = converted
    return out


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


def _convert(target: str, value: object) -> object:
    if target == "authors" and isinstance(value, str):
        return [value]
    if target == "language" and isinstance(value, str):
        # Tools write "en", "en-US" or "EN": the submission takes ISO 639-1; anything else is left to detection.
        m = re.fullmatch(r"([a-zA-Z]{2})(?:[-_].*)?", value.strip())
        return m.group(1).lower() if m else None
    return value
