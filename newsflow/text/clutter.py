"""Site clutter: furniture (navigation, prompts, credits), appeals to the reader, captions, bylines, repeats and
pull quotes, and the trailer after the last paragraph. Each unit is judged on its own features, never on a
site's markup."""

from __future__ import annotations

import re

from newsflow.text.units import ends_sentence, is_body_text, is_prose, word_core, words_of

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
    r"|((\d+|no) )?comments?( \(\d+\))?|leave a (comment|reply)|post a comment"
    r"|(join|start) the (conversation|discussion)|comment policy|(newer|older) posts?|\(?page \d+ of \d+\)?"
    r"|in this issue|full (text|story|article)"
    # The same furniture in the other languages newsflow reads (French, Spanish).
    r"|partager|lire (aussi|la suite|plus)\b.{0,60}|texte intégral|publicité|(\d+ )?commentaires?|abonnez-vous\b.{0,60}"
    r"|compartir|leer (más|también)\b.{0,60}|publicidad|(\d+ )?comentarios?|suscríbete\b.{0,60}"
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
    r"|advertis\w*|cookies?|privacy|membership|contribut\w*|post(s|ing)?|content|website|site|archive|stories"
    r"|issues?|magazine"
    r"|category|preview|moderat\w*|delete[ds]?|inbox|sign(ing)? up|log(ging)? in|account|paywall|ad-?blockers?)\b",
    re.IGNORECASE,
)
_SPEECH = re.compile(r"[\"“”«»]|\b(said|says|told|tells|added|according to|wrote|asked)\b", re.IGNORECASE)
_AGENCY = (
    r"(afp|ap|reuters|getty( images)?|epa|shutterstock|alamy|anadolu( agency)?|xinhua|dpa|ansa|efe"
    r"|pa( media| images)?)"
)
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


# A page template's field: "Média : CNews", "Intervenant(s) :", "Source: AP" - a label of one or two words, a
# colon, and a value of at most two; or a label whose value is missing ("Posted on", "Prononcé le").
_FIELD = re.compile(r"^[^\W\d][\w()'’-]*(?:\s[\w()'’-]+)?\s?:(?:\s*[\w.'’&-]+){0,2}\s*$")
_EMPTY_FIELD = re.compile(
    r"^[^\W\d]\w*(?:\s\w+)?\s(?:on|at|by|in|of|le|la|les|du|de|des|par|el|del|por|en)$", re.IGNORECASE
)


def _furniture_reason(unit: str) -> str | None:
    words = words_of(unit)
    short = len(words) <= 15
    trimmed = unit.strip(_FURNITURE_TRIM)
    if short and (not trimmed or _FURNITURE.fullmatch(trimmed)):
        return "furniture"
    if len(words) <= 5 and (_FIELD.match(unit.strip()) or _EMPTY_FIELD.match(unit.strip())):
        return "field"
    if short and _PROMPT_START.match(trimmed):
        return "prompt"
    if re.fullmatch(r"\[[^\]]{0,80}\]", unit):
        return "widget"
    if _is_appeal(unit, len(words)):
        return "appeal"
    if sum(bool(_LINKLIKE.match(w)) for w in words) * 2 >= len(words):
        return "links"
    if short and not ends_sentence(unit) and _NAV_SEPARATORS.search(unit):
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
    words = words_of(unit)
    if len(words) > 25 or ends_sentence(unit):
        return False
    if _CREDIT_END.search(unit):
        return True
    # "Scene, Agency, Platform": a picture described, then its credits, each a short name. The description has a
    # word in lower case: a line of names alone ("Ada Lind, Bo Ek, Cy Holm") is a list in the story (a team, the
    # leading scores), not a caption.
    parts = [p.split() for p in unit.split(",")]
    return (
        len(parts) >= 3
        and len(words) <= 12
        and any(w[:1].islower() for w in parts[0])
        and all(
            0 < len(p) <= 3 and all((w[:1].isupper() or not w[:1].isalpha()) and not re.search(r"\d", w) for w in p)
            for p in parts[1:]
        )
    )


def _is_byline(unit: str) -> bool:
    if _BYLINE.match(unit) and not ends_sentence(unit):
        return True  # "By Sofia Marin", "By our city desk"
    words = words_of(unit)
    # "Ari Soffer," - a name cut from the agency or date that followed it.
    return 1 <= len(words) <= 4 and unit.endswith(",") and all(w[:1].isupper() for w in words)


def clutter_reason(unit: str) -> str | None:
    reason = _furniture_reason(unit)
    if reason:
        return reason
    if _is_caption(unit):
        return "caption"
    if _is_byline(unit):
        return "byline"
    if _ATTRIBUTION.match(unit) and not ends_sentence(unit):
        return "attribution"  # "- Michel Kilo" under a pull quote
    return None


def drop_clutter(units: list[str]) -> tuple[list[str], list[str]]:
    verdicts = [clutter_reason(u) for u in units]
    _mark_repeats(units, verdicts)
    _mark_trailer(units, verdicts)
    kept = [u for u, v in zip(units, verdicts, strict=True) if v is None]
    removed = [u for u, v in zip(units, verdicts, strict=True) if v is not None]
    return kept, removed


def keeps_body_text(units: list[str]) -> bool:
    """Whether ``drop_clutter(units)`` keeps a unit of body text, judging no unit after the first it keeps.

    drop_clutter's later rules can drop that first one neither as a repeat (it is the first of its kind) or a pull
    quote (its words are checked against the units before it, as here), nor as a caption or a trailer: both need a
    unit of prose before it, and that one would have been the first kept. So the units after it need not be read,
    which for a long article is nearly all of them (tests/unit/test_clutter_gate.py holds the two to the same
    answer)."""
    seen: set[str] = set()
    earlier = ""
    for unit in units:
        key = unit.casefold()
        if key in seen:
            continue
        seen.add(key)
        if clutter_reason(unit) is not None:
            continue
        core = word_core(unit)
        if 10 <= len(words_of(unit)) <= 60 and core in earlier:
            continue
        if is_body_text(unit):
            return True
        earlier += core
    return False


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
            if previous == key and prose_before and not is_prose(unit):
                verdicts[i - 1] = "caption"
            continue
        seen.add(key)
        if verdicts[i] is not None:
            continue
        core = word_core(unit)
        if 10 <= len(words_of(unit)) <= 60 and core in earlier:
            verdicts[i] = "pull quote"
            continue
        earlier += core
        prose_before = prose_before or is_prose(unit)


def _mark_trailer(units: list[str], verdicts: list[str | None]) -> None:
    """After the last real paragraph, the first piece of furniture starts the site's trailer
    (related links, appeals, archive links); nothing from there on belongs to the article."""
    real = [i for i, (u, v) in enumerate(zip(units, verdicts, strict=True)) if v is None and is_prose(u)]
    last_prose = real[-1] if real else -1
    if last_prose < 0:
        return
    # A field ("Scorers:", "Attendance: 200") is a label and its value, not a site's furniture: what follows one is
    # still the story (a match report's scorers), so it starts no trailer.
    start = next((i for i in range(last_prose + 1, len(units)) if verdicts[i] not in (None, "repeat", "field")), None)
    if start is None:
        return
    for i in range(start, len(units)):
        verdicts[i] = verdicts[i] or "trailer"
