"""How newsflow spells a URL when it compares two: article ids, feed ids, an entry seen before."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that say how a reader arrived, never which article it is.
_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "cmpid", "_ga")


def canonical_url(url: str) -> str:
    """Scheme and host are case-insensitive, a fragment never names another article, a trailing slash rarely does."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/") or "/", parts.query, ""))


def without_tracking(url: str) -> str:
    """``url`` without the campaign parameters feeds add to their links (``?utm_source=rss``), so an article reached
    through two feeds has one URL, and so one id."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.lower().startswith(_TRACKING)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
