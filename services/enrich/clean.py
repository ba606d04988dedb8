"""Separating an article from its site clutter, and finding its title and publication date.

HTML goes through trafilatura, a proven main-content extractor. Plain text and
Markdown get what such extractors do on text: each line is judged on its own
features (length, final punctuation, share of capitalised words, boilerplate
vocabulary, repetition, position), and the site's trailer is cut after the
last real paragraph. Nothing here is tied to one site's markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

import dateparser

_MONTHS = r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
# A cheap test before dateparser (slow) is asked: a day, a month name and a year, in any order, or ISO.
_DATE_HINT = re.compile(
    rf"(\b\d{{4}}-\d{{2}}-\d{{2}}\b)|(\b({_MONTHS})\.?\b.*\b\d{{4}}\b)|(\b\d{{1,2}}(st|nd|rd|th)?\s+({_MONTHS})\b)",
    re.IGNORECASE,
)
_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}\s*(am|pm|a\.m\.|p\.m\.)?|\b\d{1,2}\s*(am|pm)\b", re.IGNORECASE)
_DATE_PREFIX = re.compile(r"^(published|posted|updated|last updated|first published|date)\s*(on|at)?\s*[:\-–]?\s*", re.IGNORECASE)

# Lines that are navigation, promotion or furniture wherever they appear.
_BOILERPLATE_LINE = re.compile(
    r"^("
    r"skip to (main )?content|skip navigation|menu|home|search|print|email|share( this( article| story)?)?"
    r"|read more|read more.*newsletter.*|contact (the )?editor|advertisement|advertise (on|with) .*|sponsored( content)?"
    r"|\d+\s*min(ute)?s? read|\[?click to enlarge\]?|in short|no more articles\.?|there are no more articles.*"
    r"|go to (the )?archive|related( articles| stories| posts)?:?|comments?|leave a (comment|reply)"
    r"|follow us.*|subscribe( now| to .*)?|sign up.*|image( source)?:.*|photo:.*|getty images|all rights reserved.*|©.*|copyright .*"
    r")$",
    re.IGNORECASE,
)
# Vocabulary of appeals and policies that sites wrap around articles; a line with one is furniture.
_BOILERPLATE_WORDS = re.compile(
    r"\b(donat(e|ing|ion|ions)|support our (work|journalism)|help us (to )?produce|newsletter|subscribe to"
    r"|your comments?|comments? (are|is) (subject|reviewed)|post comments|delete comments|keep your language polite"
    r"|cookies?|privacy policy|terms of (use|service))\b",
    re.IGNORECASE,
)
_CREDIT = re.compile(r"\[(afp|ap|reuters|getty( images)?|epa|file|anadolu|photo|[A-Z][\w /]{1,30})\]\s*$")
_TERMINAL = ('.', '!', '?', '"', '”', '’', "'", ')', ':', ';')


@dataclass(frozen=True)
class CleanArticle:
    body: str
    title: str | None
    title_source: Literal["given", "extracted", "none"]
    published: date | datetime | None
    published_source: Literal["extracted", "none"]
    removed: list[str] = field(default_factory=list)


def clean_article(content: str, content_type: str, given_title: str | None = None) -> CleanArticle:
    title_hint, date_hint = None, None
    if content_type == "text/html":
        content, title_hint, date_hint = _from_html(content)
    elif content_type == "text/markdown":
        content, title_hint = _from_markdown(content)
    lines = [_normalise(line) for line in content.splitlines()]
    kept, removed = _drop_clutter(lines)
    published = date_hint or _publication_date(kept)
    if published is not None:
        kept = [line for line in kept if not (line and _is_date_line(line))]
    title = given_title.strip() if given_title and given_title.strip() else None
    if title:
        source = "given"
    else:
        title = title_hint or _detect_title(kept)
        source = "extracted" if title else "none"
    if title:
        kept = [line for line in kept if line != _normalise(title)]
    body = "\n\n".join(_paragraphs(kept))
    return CleanArticle(body, title, source, published, "extracted" if published else "none", removed)


# -- per format ------------------------------------------------------------------

def _from_html(html: str) -> tuple[str, str | None, date | datetime | None]:
    import trafilatura

    doc = trafilatura.bare_extraction(
        html, include_comments=False, include_tables=False, include_images=False, with_metadata=True,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    text = (getattr(doc, "text", None) or "") if doc is not None else ""
    if not text.strip():
        from lxml import html as lxml_html

        text = lxml_html.fromstring(html).text_content() if html.strip() else ""
        return text, None, None
    published = None
    raw_date = getattr(doc, "date", None)
    if raw_date:
        try:
            published = date.fromisoformat(raw_date[:10])
        except ValueError:
            published = None
    return text, (getattr(doc, "title", None) or None), published


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARK = re.compile(r"(\*\*|__|\*|_|`+|~~)")


def _from_markdown(md: str) -> tuple[str, str | None]:
    title, lines, in_fence = None, [], False
    for line in md.splitlines():
        if line.strip().startswith("```"):
            in_fence = not in_fence
            continue
        heading = re.match(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if heading and title is None and heading.group(1) == "#":
            title = _strip_md(heading.group(2))
            continue
        if heading:
            line = heading.group(2)
        line = re.sub(r"^\s{0,3}(>\s?|[-*+]\s+|\d+[.)]\s+)", "", line)
        lines.append(_strip_md(line))
    return "\n".join(lines), title


def _strip_md(text: str) -> str:
    return _MD_MARK.sub("", _MD_LINK.sub(r"\1", text)).strip()


# -- line judgement --------------------------------------------------------------

def _normalise(line: str) -> str:
    return " ".join(line.replace("\u00a0", " ").split())


def _words(line: str) -> list[str]:
    return line.split()


def _is_prose(line: str) -> bool:
    """A sentence or more of running text: the stuff articles are made of."""
    return len(_words(line)) >= 12 and line.rstrip().endswith(_TERMINAL)


def _is_caption(line: str) -> bool:
    words = _words(line)
    if len(words) > 14 or line.endswith(_TERMINAL[:3]):
        return False
    # "Scene, Agency, Platform": a picture credit; "...fear [AFP]": a caption with its credit.
    return line.count(",") >= 2 or bool(_CREDIT.search(line))


def _is_byline_fragment(line: str) -> bool:
    words = _words(line)
    if 2 <= len(words) <= 6 and words[0].lower() == "by" and not line.endswith(_TERMINAL[:3]):
        return True  # "By Sofia Marin", "By our city desk"
    return 1 <= len(words) <= 4 and line.endswith(",") and all(w[:1].isupper() for w in words)


def _is_boilerplate(line: str) -> bool:
    stripped = line.strip(" .:|•-–")
    return bool(_BOILERPLATE_LINE.match(stripped)) or bool(_BOILERPLATE_WORDS.search(line))


def _drop_clutter(lines: list[str]) -> tuple[list[str], list[str]]:
    kept, removed = [], []
    seen: dict[str, int] = {}
    text_lines = [i for i, line in enumerate(lines) if line]
    cut = _trailer_start(lines, text_lines)
    for i, line in enumerate(lines):
        if not line:
            kept.append("")
            continue
        repeat = seen.get(line, 0)
        seen[line] = repeat + 1
        if _may_be_date_line(line) and i < cut and not repeat:
            kept.append(line)  # judged by _publication_date, not as a caption
            continue
        if i >= cut or _is_boilerplate(line) or _is_caption(line) or _is_byline_fragment(line) or repeat:
            removed.append(line)
            continue
        kept.append(line)
    # A short line printed twice in a row is a picture caption (the image's alt text and its caption).
    doubled = {line for line, n in seen.items() if n > 1 and not _is_prose(line)}
    first_title = next((line for line in kept if line), None)
    out = []
    for line in kept:
        if line in doubled and line != first_title and not _looks_like_title(line):
            removed.append(line)
            continue
        out.append(line)
    return out, removed


def _trailer_start(lines: list[str], text_lines: list[int]) -> int:
    """Where the site's trailer begins: the first boilerplate line in the last part of the page
    after which no real paragraph follows. Everything from there on is furniture."""
    if not text_lines:
        return len(lines)
    last_prose = max((i for i in text_lines if _is_prose(lines[i]) and not _is_boilerplate(lines[i])), default=-1)
    for i in text_lines:
        if i > last_prose and _BOILERPLATE_WORDS.search(lines[i]):
            return i
    # Appeals inside the last third that are followed only by more appeals and short furniture.
    third = text_lines[len(text_lines) * 2 // 3]
    for i in text_lines:
        if i >= third and _BOILERPLATE_WORDS.search(lines[i]):
            after = [j for j in text_lines if j > i]
            if all(_BOILERPLATE_WORDS.search(lines[j]) or not _is_prose(lines[j]) or _policy_like(lines[j]) for j in after):
                return i
    return len(lines)


def _policy_like(line: str) -> bool:
    # Site rules addressed to the reader ("we reserve the right", "you are responsible", "will be deleted").
    return bool(re.search(r"\b(we reserve|you are responsible|will be deleted|be patient|approved to post|readers from)\b", line, re.I))


def _headline_shape(line: str) -> bool:
    words = _words(line)
    return (3 <= len(words) <= 20 and not line.endswith((".", ",", ";", ":"))
            and not (_may_be_date_line(line) or _is_caption(line) or _is_boilerplate(line)))


def _looks_like_title(line: str) -> bool:
    if not _headline_shape(line):
        return False
    words = _words(line)
    capitalised = sum(w[:1].isupper() for w in words) / len(words)
    return capitalised >= 0.3 or ":" in line


def _detect_title(lines: list[str]) -> str | None:
    """A headline near the top: a short unpunctuated line standing before the first paragraph.

    The very first line may be in sentence case ("Foreign fighters turn on each other"); a later
    one must look like a headline (capitalised words or a "Kicker: headline" colon) to be taken."""
    text = [line for line in lines if line]
    for n, line in enumerate(text[:4]):
        if _is_prose(line):
            return None
        followed_by_text = any(_is_prose(f) or len(_words(f)) >= 8 for f in text[n + 1:n + 5])
        if followed_by_text and (_looks_like_title(line) or (n == 0 and _headline_shape(line))):
            return line
    return None


# -- dates -----------------------------------------------------------------------

def _may_be_date_line(line: str) -> bool:
    core = _DATE_PREFIX.sub("", line)
    return len(_words(core)) <= 8 and bool(_DATE_HINT.search(core))


def _is_date_line(line: str) -> bool:
    return _may_be_date_line(line) and _parse_date(line) is not None


def _parse_date(text: str) -> date | datetime | None:
    core = _DATE_PREFIX.sub("", text).strip(" .|")
    if not _DATE_HINT.search(core):
        return None
    # REQUIRE_PARTS: a date without a year (or day) is no publication date; never complete it from today.
    found = dateparser.parse(core, languages=["en"], settings={
        "REQUIRE_PARTS": ["day", "month", "year"], "RETURN_AS_TIMEZONE_AWARE": False, "PREFER_DATES_FROM": "past",
        "STRICT_PARSING": True,
    })
    if found is None:
        return None
    return found if _TIME.search(core) else found.date()


def _publication_date(lines: list[str]) -> date | datetime | None:
    """The first date line among the first lines, before the body really starts."""
    for line in [line for line in lines if line][:8]:
        if _may_be_date_line(line):
            found = _parse_date(line)
            if found is not None:
                return found
    return None


def _paragraphs(lines: list[str]) -> list[str]:
    """Blank lines separate paragraphs; in text without blank lines, every line is one."""
    if "" not in lines:
        return [line for line in lines if line]
    paras, current = [], []
    for line in lines + [""]:
        if line:
            current.append(line)
        elif current:
            paras.append(" ".join(current))
            current = []
    return paras
