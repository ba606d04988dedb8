"""Separating an article from its site clutter, and finding its title and publication date.

HTML goes through trafilatura, a proven main-content extractor. Plain text and Markdown (once its
markup is stripped) get what such extractors do, on text: the text is cut into units (paragraphs,
or lines where the source puts one paragraph per line) and each unit is judged on its own features
- length, final punctuation, share of capitalised words, link-like tokens, position, repetition and
small vocabularies of site furniture. Nothing here is tied to one site's markup, and nothing is
downloaded or looked up: the function is pure and fast (regexes and string operations; dateparser
only sees the few short header lines that a cheap regex says hold a date).
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Literal


@dataclass(frozen=True)
class CleanArticle:
    body: str  # paragraphs separated by "\n\n"; "" when nothing but clutter was found
    title: str | None
    title_source: Literal["given", "extracted", "none"]
    published: date | datetime | None  # a date, or a naive datetime when the source gives a time
    published_source: Literal["extracted", "none"]
    removed: list[str] = field(default_factory=list)  # units dropped from the body (not the title)


def clean_article(content: str, content_type: str, given_title: str | None = None) -> CleanArticle:
    """The article body, title and publication date in ``content`` ("text/plain", "text/markdown" or
    "text/html"; anything else is read as plain text). A ``given_title`` wins over any found one."""
    kind = content_type.split(";")[0].strip().lower()
    title_hint: str | None = None
    date_hint: date | datetime | None = None
    if kind == "text/html":
        text, title_hint, date_hint = _from_html(content)
    elif kind == "text/markdown":
        text, title_hint = _from_markdown(content)
    else:
        text = content
    units = _units(text)
    published, units, removed = _take_publication_date(units)
    units, clutter = _drop_clutter(units)
    removed += clutter
    given = _normalise(given_title or "") or None
    title, title_source, units, labels = _take_title(units, given, title_hint)
    removed += labels
    if not any(_is_body_text(u) for u in units):
        # Not one sentence of running text: labels and links ("Home News") are a page's furniture, not an article.
        units, removed = [], removed + units
    published = date_hint or published
    return CleanArticle(
        body="\n\n".join(units),
        title=title,
        title_source=title_source,
        published=published,
        published_source="extracted" if published is not None else "none",
        removed=removed,
    )


# -- formats -----------------------------------------------------------------------------------

# deduplicate=False: trafilatura's deduplication is a process-wide cache, which would make the
# result depend on the articles seen before. extensive_search=False: htmldate then reads only
# markup meant for dates, never a copyright year or a guess; it has no "today" fallback.
_DATE_PARAMS = {"extensive_search": False, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S"}


def _from_html(page: str) -> tuple[str, str | None, date | datetime | None]:
    if not page.strip():
        return "", None, None
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            page, url=None, with_metadata=True, include_comments=False, include_tables=False,
            include_images=False, include_links=False, deduplicate=False, date_extraction_params=_DATE_PARAMS,
        )
    except Exception:  # noqa: BLE001 - a page trafilatura chokes on still has text to strip
        doc = None
    text = (getattr(doc, "text", None) or "") if doc is not None else ""
    if not text.strip():
        return _html_to_text(page), None, None
    # trafilatura writes one paragraph per line: each line is a unit of its own.
    title = _normalise(getattr(doc, "title", None) or "") or None
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


_HTML_BLOCKS = ("p", "div", "section", "article", "main", "header", "h1", "h2", "h3", "h4", "h5", "h6",
                "li", "ul", "ol", "table", "tr", "blockquote", "pre", "figure", "figcaption", "dd", "dt")
_HTML_NEVER_TEXT = ("script", "style", "noscript", "template", "head", "nav", "footer", "aside", "form", "button")


def _html_to_text(page: str) -> str:
    """Tags stripped, block boundaries kept as blank lines, so the plain-text rules can judge the rest."""
    from lxml import etree, html as lxml_html

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


def _from_markdown(md: str) -> tuple[str, str | None]:
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


# -- units ---------------------------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def _normalise(line: str) -> str:
    return " ".join(line.translate(_INVISIBLE).split())


def _units(text: str) -> list[str]:
    """Paragraph candidates: blank-line blocks; inside a block one unit per line, unless the
    block is hard-wrapped prose, whose lines are joined back."""
    units: list[str] = []
    block: list[str] = []
    for raw in text.replace("\u2029", "\n\n").splitlines() + [""]:
        line = _normalise(raw)
        if line:
            block.append(line)
            continue
        if block:
            units += [" ".join(block)] if _hard_wrapped(block) else _join_broken(block)
            block = []
    return units


def _hard_wrapped(lines: list[str]) -> bool:
    # Wrapped prose fills lines to a similar width and breaks mid-sentence, often before a
    # lower-case word; a stack of captions, headings or one-line paragraphs does not.
    if len(lines) < 2 or max(map(len, lines)) > 100 or len(set(lines)) < len(lines):
        return False
    body = lines[:-1]
    if any(len(line) < 30 for line in body):
        return False
    lower_next = any(nxt[:1].islower() for nxt in lines[1:])
    open_ends = sum(not _ends_sentence(line) for line in body)
    return lower_next or (len(lines) >= 3 and open_ends * 2 >= len(body))


def _join_broken(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if out and not _ends_sentence(out[-1]) and line[:1].islower() and len(out[-1]) >= 30:
            out[-1] += " " + line
        else:
            out.append(line)
    return out


# -- line features -------------------------------------------------------------------------------

_CLOSERS = "\"'”’»)]"


def _ends_sentence(unit: str) -> bool:
    return unit.rstrip(_CLOSERS)[-1:] in (".", "!", "?", "…")


def _words(unit: str) -> list[str]:
    return unit.split()


def _is_prose(unit: str) -> bool:
    """A sentence or more of running text: what articles are made of."""
    return len(_words(unit)) >= 12 and _ends_sentence(unit)


def _is_body_text(unit: str) -> bool:
    return _is_prose(unit) or (len(_words(unit)) >= 5 and _ends_sentence(unit))


def _capitalised_share(unit: str) -> float:
    words = [w for w in _words(unit) if w[:1].isalpha()]
    return sum(w[:1].isupper() for w in words) / len(words) if words else 0.0


def _core(unit: str) -> str:
    """Words only, for comparing a pull quote with the sentence it repeats."""
    return " " + " ".join(re.findall(r"[a-z0-9]+", unit.lower())) + " "


# -- clutter -------------------------------------------------------------------------------------

# Whole units that are site furniture (navigation, prompts, widgets, reading times, credits).
_FURNITURE = re.compile(
    r"(skip (to|navigation)( main)?( content)?|(main )?menu|navigation|home( ?page)?|search"
    r"|print( this)?( article| page)?"
    r"|e-?mail( this)?( article| story)?|share( this| on \w+)?( article| story| page| post)?|copy link|tweet"
    r"|read (more|next|also)\b.{0,80}|(more|related|recommended) (articles|stories|posts|coverage|content)|related"
    r"|most (read|popular|viewed|shared)|trending( now)?|you (may|might) also like.{0,40}|in short"
    r"|(there are )?no more (articles|stories|posts)\b.{0,40}|go to (the )?archive|back to top|load more|show more"
    r"|contact (the )?(editor|author|us|newsroom)|about us|privacy( policy| settings)?|cookie (policy|settings)"
    r"|terms (of|and) (use|service|conditions)|advertisement\b.{0,40}|advertise (on|with|here)\b.{0,40}"
    r"|sponsored( content| by .{1,40})?|(paid|partner) content|\d+\s*(min(ute)?s?|mins?)( read| to read)?"
    r"|listen( to this (article|story))?( \d+:\d+)?|(view|open) (gallery|image|slideshow|photos)"
    r"|(image|photo) \d+ of \d+"
    r"|(\d+ )?comments?( \(\d+\))?|leave a (comment|reply)|(join|start) the (conversation|discussion)|comment policy"
    r"|follow (us|me)\b.{0,40}|subscribe\b.{0,60}|sign (up|in)\b.{0,60}|log ?in|register (now|here|today|for)\b.{0,40}"
    r"|donate( now| today| here)?|support us|click (here|to enlarge|to expand)\b.{0,40}|enlarge( image)?"
    r"|(tags?|topics?|filed under|categor(y|ies)|keywords?)\s*:.*"
    r"|(image|photo|picture|video|graphic|illustration)s?( credit| source)?\s*:.*|(photo )?credits?\s*:.*"
    r"|(©|\(c\)|copyright\b).*|.{0,60}all rights reserved.*)",
    re.IGNORECASE,
)
_FURNITURE_TRIM = " \t.:;|•·-–—>»›*#"
# Short prompts that start like a button or a call to action.
_PROMPT_START = re.compile(
    r"^(read (more|next|also)|click|tap (here|to)|share (this|on)|follow (us|me|@)|subscribe|sign up|sign in"
    r"|get (our|the) (free |daily |weekly )?(newsletter|app)|download (our|the) app|listen (now|to this)"
    r"|advertisement|sponsored|donate|support (us|our)|become a (member|subscriber|supporter))\b",
    re.IGNORECASE,
)
# A site speaking to its reader about itself: first/second person plus vocabulary of the site.
_ADDRESS = re.compile(r"\b(you|your|yours|you're|we|we're|us|our|ours)\b", re.IGNORECASE)
_SITE_WORDS = re.compile(
    r"\b(articles?|readers?|comments?|commenting|commenters?|donat\w*|subscri\w*|newsletters?|journalism"
    r"|advertis\w*|cookies?|privacy|membership|contribut\w*|post(s|ing)?|content|website|site|archive"
    r"|category|preview|moderat\w*|delete[ds]?|inbox|sign(ing)? up|log(ging)? in|account|paywall|ad-?blockers?)\b",
    re.IGNORECASE,
)
_SPEECH = re.compile(r"[\"“”«»]|\b(said|says|told|tells|added|according to|wrote|asked)\b", re.IGNORECASE)
_AGENCY = (r"(afp|ap|reuters|getty( images)?|epa|shutterstock|alamy|anadolu( agency)?|xinhua|dpa|ansa|efe"
           r"|pa( media| images)?)")
# "... fear [AFP]", "... (Getty Images)", "... /Reuters": a picture caption ending in its credit.
_CREDIT_END = re.compile(
    r"(\[[^\[\]]{1,40}\]|\((photo|image|picture|file|credit)?:?\s*[^()]{0,30}" + _AGENCY + r"[^()]{0,30}\)"
    r"|/\s*" + _AGENCY + r")$",
    re.IGNORECASE,
)
_LINKLIKE = re.compile(r"^(https?://|www\.)\S+$|^\S+@\S+\.\w+$|^[@#]\w+")
_NAV_SEPARATORS = re.compile(r"\s[|•·»›>/]\s|\s?\|\s?")
_ATTRIBUTION = re.compile(r"^[-–—―]\s*[A-Z][\w.'’-]*\s+[A-Z][\w'’-]*(\s+\S+){0,4}$")
_BYLINE = re.compile(r"^by\s+\S+(\s+\S+){0,5}$", re.IGNORECASE)


def _furniture_reason(unit: str) -> str | None:
    words = _words(unit)
    short = len(words) <= 15
    trimmed = unit.strip(_FURNITURE_TRIM)
    if short and (not trimmed or _FURNITURE.fullmatch(trimmed)):
        return "furniture"
    if short and _PROMPT_START.match(trimmed):
        return "prompt"
    if re.fullmatch(r"\[[^\]]{0,80}\]", unit):
        return "widget"
    if _is_appeal(unit, len(words)):
        return "appeal"
    if sum(bool(_LINKLIKE.match(w)) for w in words) * 2 >= len(words):
        return "links"
    if short and not _ends_sentence(unit) and _NAV_SEPARATORS.search(unit):
        # "Home | News | Sport": menu items, a few words each.
        sizes = [len(s.split()) for s in _NAV_SEPARATORS.split(unit) if s.strip()]
        if len(sizes) >= 2 and (max(sizes) <= 2 or (len(sizes) >= 3 and sum(sizes) <= 3 * len(sizes))):
            return "navigation"
    return None


def _is_appeal(unit: str, n_words: int) -> bool:
    """Donation calls, comment rules, newsletter pitches: the site addressing its reader. Quoted
    speech is a source talking, and a long paragraph needs more than one word of site vocabulary."""
    if not _ADDRESS.search(unit) or _SPEECH.search(unit):
        return False
    site_words = {m.group(0).lower() for m in _SITE_WORDS.finditer(unit)}
    return len(site_words) >= (2 if n_words > 25 else 1)


def _is_caption(unit: str) -> bool:
    words = _words(unit)
    if len(words) > 25 or _ends_sentence(unit):
        return False
    if _CREDIT_END.search(unit):
        return True
    # "Scene, Agency, Platform": a picture and its credits, each after the first a short name.
    parts = [p.split() for p in unit.split(",")]
    return len(parts) >= 3 and len(words) <= 12 and all(
        0 < len(p) <= 3 and all(w[:1].isupper() or not w[:1].isalpha() for w in p) for p in parts[1:])


def _is_byline(unit: str) -> bool:
    if _BYLINE.match(unit) and not _ends_sentence(unit):
        return True  # "By Sofia Marin", "By our city desk"
    words = _words(unit)
    # "Ari Soffer," - a name cut from the agency or date that followed it.
    return 1 <= len(words) <= 4 and unit.endswith(",") and all(w[:1].isupper() for w in words)


def _clutter_reason(unit: str) -> str | None:
    reason = _furniture_reason(unit)
    if reason:
        return reason
    if _is_caption(unit):
        return "caption"
    if _is_byline(unit):
        return "byline"
    if _ATTRIBUTION.match(unit) and not _ends_sentence(unit):
        return "attribution"  # "- Michel Kilo" under a pull quote
    return None


def _drop_clutter(units: list[str]) -> tuple[list[str], list[str]]:
    verdicts = [_clutter_reason(u) for u in units]
    _mark_repeats(units, verdicts)
    _mark_trailer(units, verdicts)
    kept = [u for u, v in zip(units, verdicts) if v is None]
    removed = [u for u, v in zip(units, verdicts) if v is not None]
    return kept, removed


def _mark_repeats(units: list[str], verdicts: list[str | None]) -> None:
    """A unit printed again is dropped; a short one printed twice in a row below the top is a
    picture (alt text, then caption) and goes entirely; a long one whose words all stand in an
    earlier paragraph is a pull quote."""
    seen: set[str] = set()
    earlier = ""
    prose_before = False
    for i, unit in enumerate(units):
        key = unit.casefold()
        if key in seen:
            verdicts[i] = "repeat"
            previous = units[i - 1].casefold() if i else ""
            if previous == key and prose_before and not _is_prose(unit):
                verdicts[i - 1] = "caption"
            continue
        seen.add(key)
        if verdicts[i] is not None:
            continue
        core = _core(unit)
        if 10 <= len(_words(unit)) <= 60 and core in earlier:
            verdicts[i] = "pull quote"
            continue
        earlier += core
        prose_before = prose_before or _is_prose(unit)


def _mark_trailer(units: list[str], verdicts: list[str | None]) -> None:
    """After the last real paragraph, the first piece of furniture starts the site's trailer
    (related links, appeals, archive links); nothing from there on belongs to the article."""
    real = [i for i, (u, v) in enumerate(zip(units, verdicts)) if v is None and _is_prose(u)]
    last_prose = real[-1] if real else -1
    if last_prose < 0:
        return
    start = next((i for i in range(last_prose + 1, len(units)) if verdicts[i] not in (None, "repeat")), None)
    if start is None:
        return
    for i in range(start, len(units)):
        verdicts[i] = verdicts[i] or "trailer"


# -- publication date ----------------------------------------------------------------------------

_MONTH = (r"(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?"
          r"|nov(ember)?|dec(ember)?)\.?")
_DAY = r"\d{1,2}(st|nd|rd|th)?"
_YEAR = r"(19|20)\d{2}"
_CLOCK = r"\d{1,2}[:.]\d{2}(\s*[ap]\.?m\.?)?(\s*[A-Z]{2,4}\b)?|\d{1,2}\s*[ap]\.?m\.?"
_TIME = rf"(,?\s*(at\s+)?(?P<time>{_CLOCK}))"
_LEAD_TIME = rf"((?P<lead>{_CLOCK}),?\s+)"
_WEEKDAY = r"((mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(day|sday|nesday|rsday|urday)?\.?,?\s+)"
_NUMERIC = rf"(?P<n1>\d{{1,2}})[/.](?P<n2>\d{{1,2}})[/.](?P<ny>{_YEAR})"
_DATE_RE = re.compile(
    rf"\b({_LEAD_TIME}?{_WEEKDAY}?"
    rf"({_DAY}\s+(of\s+)?{_MONTH},?\s+{_YEAR}|{_MONTH}\s+{_DAY},?\s+{_YEAR}|{_NUMERIC}){_TIME}?"
    rf"|{_YEAR}-\d{{2}}-\d{{2}}([T ](?P<isotime>\d{{2}}:\d{{2}}(:\d{{2}})?)(\.\d+)?(Z|[+-]\d{{2}}:?\d{{2}})?)?)\b",
    re.IGNORECASE,
)
_DATE_LABEL = re.compile(
    r"\b(first |last )?(published|posted|updated|modified|date[ds]?|on|at|am|pm|gmt|utc|bst|cet|cest|est|edt|et)\b",
    re.IGNORECASE,
)
_UPDATED = re.compile(r"\b(updated|modified)\b", re.IGNORECASE)
_UNDATED_LABEL = re.compile(r"^(first |last )?(published|posted|updated|modified)\b", re.IGNORECASE)
_HEADER_UNITS = 12


def _take_publication_date(units: list[str]) -> tuple[date | datetime | None, list[str], list[str]]:
    """The date of the first dateline or byline among the top lines ("Updated ..." only when no
    other is found). Such lines, parsed or not, are metadata and leave the body."""
    found: list[tuple[bool, date | datetime]] = []
    drop: set[int] = set()
    prose_seen = 0
    for i, unit in enumerate(units[:_HEADER_UNITS]):
        match = _dateline(unit)
        if match is not None:
            drop.add(i)
            moment = _parse_date(match)
            if moment is not None:
                found.append((bool(_UPDATED.search(unit)), moment))
        elif _UNDATED_LABEL.match(unit) and len(_words(unit)) <= 8 and not _ends_sentence(unit):
            drop.add(i)  # "Updated 3 hours ago", "Published: Nov 3": metadata without a usable date
        prose_seen += _is_prose(unit)
        if prose_seen >= 3:
            break
    published = next((m for updated, m in found if not updated), found[0][1] if found else None)
    kept = [u for i, u in enumerate(units) if i not in drop]
    return published, kept, [units[i] for i in sorted(drop)]


def _dateline(unit: str) -> re.Match | None:
    """The date in a dateline ("28 November, 2016", "Published: Nov. 3, 2016, 3:04 pm", "By X | 2016-11-28");
    None for anything else, a sentence that mentions a date included."""
    if len(_words(unit)) > 20:
        return None
    match = _DATE_RE.search(unit)
    if match and _only_labels_left(unit[:match.start()] + " " + unit[match.end():]):
        return match
    return None


def _only_labels_left(rest: str) -> bool:
    rest = _DATE_LABEL.sub(" ", re.sub(r"[|•·,.:;()\[\]–—-]", " ", rest))
    words = rest.split()
    if not words:
        return True
    if words[0].lower() == "by":
        return len(words) <= 7  # a byline next to the date
    return len(words) <= 3 and all(w[:1].isupper() for w in words)  # a place or an agency


def _parse_date(match: re.Match) -> date | datetime | None:
    text = match.group(0)
    if match.group("ny"):
        text = _numeric_as_iso(match)
        if text is None:
            return None
    parsed = _date_parser().get_date_data(text).date_obj
    if parsed is None:
        return None
    has_time = match.group("time") or match.group("lead") or match.group("isotime")
    return parsed.replace(tzinfo=None) if has_time else parsed.date()


def _numeric_as_iso(match: re.Match) -> str | None:
    # 03/04/2025 is March or April depending on the site's country: only a day above 12 decides.
    a, b, year = int(match.group("n1")), int(match.group("n2")), int(match.group("ny"))
    if a > 12 >= b:
        day, month = a, b
    elif b > 12 >= a:
        day, month = b, a
    else:
        return None
    try:
        day_iso = date(year, month, day).isoformat()
    except ValueError:
        return None
    clock = match.group("time") or match.group("lead")
    return f"{day_iso} {clock}" if clock else day_iso


@lru_cache(maxsize=1)
def _date_parser():
    from dateparser.date import DateDataParser

    # REQUIRE_PARTS: a date missing its day, month or year is no publication date, and nothing
    # may be completed from today's date.
    return DateDataParser(languages=["en"], settings={
        "REQUIRE_PARTS": ["day", "month", "year"], "RETURN_AS_TIMEZONE_AWARE": False, "STRICT_PARSING": True,
    })


# -- title ---------------------------------------------------------------------------------------

def _take_title(units: list[str], given: str | None, hint: str | None) -> tuple[str | None, str, list[str], list[str]]:
    """The title (given, else the format's own, else a detected headline) and the body without
    the headline. A headline that differs from a given title is still a headline, not body."""
    if hint and not _plausible_title(hint):
        hint = None  # trafilatura falls back on any heading or menu when a page has no title
    labels: list[str] = []
    before = len(units)
    if given:
        units = _without_title(units, given)
    if hint:
        units = _without_title(units, hint)
    elif len(units) == before and (at := _detect_title(units)) is not None:
        hint = units[at]
        # Short labels above the headline ("World", "Opinion") are section names, not body.
        labels = [u for u in units[:at] if _is_label(u)]
        units = [u for i, u in enumerate(units) if i > at or (i < at and not _is_label(u))]
    if given:
        return given, "given", units, labels
    return hint, "extracted" if hint else "none", units, labels


def _without_title(units: list[str], title: str) -> list[str]:
    """The page's own copy of a known title, if the body starts with it (section labels above it too)."""
    key = _title_key(title)
    for i, unit in enumerate(units[:4]):
        if _same_title(unit, key):
            return [u for u in units[:i] if not _is_label(u)] + units[i + 1:]
        if _is_body_text(unit):
            break
    return units


def _same_title(unit: str, key: str) -> bool:
    # "Title | Site" given for a page whose headline reads "Title", or the other way round.
    own = _title_key(unit)
    if not own or not key:
        return False
    if own == key:
        return True
    overlap = own in key or key in own
    return overlap and _headline_shape(unit) and 2 * min(len(own), len(key)) >= max(len(own), len(key))


def _is_label(unit: str) -> bool:
    return len(_words(unit)) <= 3 and not _ends_sentence(unit)


def _title_key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def _plausible_title(text: str) -> bool:
    return 1 <= len(_words(text)) <= 30 and _clutter_reason(text) is None and _dateline(text) is None


def _headline_shape(unit: str) -> bool:
    words = _words(unit)
    return (2 <= len(words) <= 20 and unit[-1] not in ".,;:" and _clutter_reason(unit) is None
            and _dateline(unit) is None and not _is_prose(unit))


def _detect_title(units: list[str]) -> int | None:
    """A headline near the top: a short line with no full stop, above the first paragraph and
    followed by body text. Only the first such line of three words or more may be in sentence
    case; one further down must look like a headline (capitalised words or a "Kicker: ..." colon)."""
    for i, unit in enumerate(units[:4]):
        if _is_body_text(unit):
            return None
        if not _headline_shape(unit):
            continue
        if len(_words(unit)) < 3 and not (i == 0 and len(units) > 1 and _is_body_text(units[1])):
            continue  # two words are a headline only right above the text, else a section label
        followed = any(_is_body_text(u) for u in units[i + 1:i + 4])
        earlier = [u for u in units[:i] if len(_words(u)) >= 3]
        looks = _capitalised_share(unit) >= 0.3 or re.match(r"^[^:]{2,30}: \S", unit) is not None
        if followed and (not earlier or looks):
            return i
    return None
