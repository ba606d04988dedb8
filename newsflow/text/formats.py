"""From a format to plain text: HTML through trafilatura (with its title and date), Markdown by stripping its
markup (a level-1 heading first is the title), plain text as it is."""

from __future__ import annotations

import html as html_lib
import re
from datetime import date, datetime

from newsflow.text.units import normalise

# deduplicate=False: trafilatura's deduplication is a process-wide cache, which would make the
# result depend on the articles seen before. extensive_search=False: htmldate then reads only
# markup meant for dates, never a copyright year or a guess; it has no "today" fallback.
_DATE_PARAMS = {"extensive_search": False, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S"}


def from_html(page: str) -> tuple[str, str | None, date | datetime | None]:
    if not page.strip():
        return "", None, None
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            page,
            url=None,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            include_links=False,
            deduplicate=False,
            date_extraction_params=_DATE_PARAMS,
        )
    except Exception:  # noqa: BLE001 - a page trafilatura chokes on still has text to strip
        doc = None
    text = (getattr(doc, "text", None) or "") if doc is not None else ""
    if not text.strip():
        return html_to_text(page), None, None
    # trafilatura writes one paragraph per line: each line is a unit of its own.
    title = normalise(getattr(doc, "title", None) or "") or None
    return "\n\n".join(text.splitlines()), title, _iso_moment(getattr(doc, "date", None))


def _iso_moment(value: str | None) -> date | datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    # htmldate writes midnight when the page gives only a day.
    return moment.date() if moment.time() == datetime.min.time() else moment.replace(tzinfo=None)


_HTML_BLOCKS = (
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "table",
    "tr",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "dd",
    "dt",
)
_HTML_NEVER_TEXT = ("script", "style", "noscript", "template", "head", "nav", "footer", "aside", "form", "button")


def html_to_text(page: str) -> str:
    """Tags stripped, block boundaries kept as blank lines, so the plain-text rules can judge the rest."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        root = lxml_html.fromstring(page)
    except (etree.ParserError, ValueError):
        return ""
    for el in root.xpath("//" + " | //".join(_HTML_NEVER_TEXT)):
        el.drop_tree()
    for el in root.iter(*_HTML_BLOCKS):
        el.tail = "\n\n" + (el.tail or "")
    for el in root.iter("br"):
        el.tail = "\n" + (el.tail or "")
    return root.text_content()


_MD_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_MD_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_MD_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(\s+#+)?\s*$")
_MD_LINK_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+")
_MD_PREFIX = re.compile(r"^\s*(>\s?)+|^\s*([-*+]|\d{1,3}[.)])\s+")
_MD_INLINE = [
    (re.compile(r"!\[[^\]]*\](\([^)]*\)|\[[^\]]*\])"), ""),  # images: their alt text is a caption
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"<(https?://[^>\s]+)>"), r"\1"),
    (re.compile(r"</?[A-Za-z][^>]*>"), ""),
    (re.compile(r"`+([^`]*)`+"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|])"), r"\1"),
]


def from_markdown(md: str) -> tuple[str, str | None]:
    """Markup stripped to plain text; a level-1 heading before any text is the title."""
    out: list[str] = []
    title, in_fence, seen_text = None, False, False
    for line in md.splitlines():
        if _MD_FENCE.match(line):
            in_fence = not in_fence
            out.append("")
            continue
        if in_fence:
            out.append(line)
            continue
        if _MD_LINK_DEF.match(line) or _MD_RULE.match(line):
            out.append("")
            continue
        if _MD_SETEXT.match(line) and out and out[-1].strip():
            if line.strip().startswith("=") and not title and len([o for o in out if o.strip()]) == 1:
                title = _strip_inline(out[-1])
                out[-1] = ""
            out.append("")  # the heading above stays a paragraph of its own
            continue
        heading = _MD_HEADING.match(line)
        if heading:
            text = _strip_inline(heading.group(2))
            if heading.group(1) == "#" and not seen_text and not title:
                title = text or None
            else:
                out += ["", text, ""]
            seen_text = True
            continue
        stripped = _strip_inline(_MD_PREFIX.sub("", line))
        seen_text = seen_text or bool(stripped)
        out.append(stripped)
    return "\n".join(out), title


def _strip_inline(text: str) -> str:
    for pattern, repl in _MD_INLINE:
        text = pattern.sub(repl, text)
    return html_lib.unescape(text).strip()
