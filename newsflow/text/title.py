"""The title: given, else the format's own, else a headline detected near the top; the body loses its copy."""

from __future__ import annotations

import re
from typing import Literal

from newsflow.text.clutter import clutter_reason
from newsflow.text.dateline import dateline
from newsflow.text.units import capitalised_share, ends_sentence, is_body_text, is_prose, words_of

TitleSource = Literal["given", "extracted", "none"]


def take_title(
    units: list[str], given: str | None, hint: str | None
) -> tuple[str | None, TitleSource, list[str], list[str]]:
    """The title (given, else the format's own, else a detected headline) and the body without
    the headline. A headline that differs from a given title is still a headline, not body. Section labels
    and the site's page header (its clock, its update line) above a detected headline leave the body too."""
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
        labels = [u for u in units[:at] if _is_label(u) or _is_page_header(u)]
        units = [u for i, u in enumerate(units) if i > at or (i < at and u not in labels)]
    if given:
        return given, "given", units, labels
    return hint, "extracted" if hint else "none", units, labels


def _without_title(units: list[str], title: str) -> list[str]:
    """The page's own copy of a known title, if the body starts with it (section labels above it too)."""
    key = _title_key(title)
    for i, unit in enumerate(units[:4]):
        if _same_title(unit, key):
            return [u for u in units[:i] if not _is_label(u)] + units[i + 1 :]
        if is_body_text(unit):
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
    return len(words_of(unit)) <= 3 and not ends_sentence(unit)


def _title_key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def _plausible_title(text: str) -> bool:
    return 1 <= len(words_of(text)) <= 30 and clutter_reason(text) is None and dateline(text) is None


# A page header, not a headline: the site's clock or its update line ("Last Update: 10:32 GMT", "Updated 3 hours
# ago"). A headline may name a day; it does not tell the time.
_PAGE_HEADER = re.compile(
    r"\b\d{1,2}[:.]\d{2}\b(?!\s*(?:million|billion|%))|\b(?:last )?updated?\b|\b\d{1,2}\s*[ap]\.?m\.?\b", re.I
)


def _is_page_header(unit: str) -> bool:
    return len(words_of(unit)) <= 20 and not ends_sentence(unit) and bool(_PAGE_HEADER.search(unit))


def _headline_shape(unit: str) -> bool:
    words = words_of(unit)
    return (
        2 <= len(words) <= 20
        and not _PAGE_HEADER.search(unit)
        and unit[-1] not in ".,;:"
        and clutter_reason(unit) is None
        and dateline(unit) is None
        and not is_prose(unit)
    )


def _detect_title(units: list[str]) -> int | None:
    """A headline near the top: a short line with no full stop, above the first paragraph and
    followed by body text. Only the first such line of three words or more may be in sentence
    case; one further down must look like a headline (capitalised words or a "Kicker: ..." colon)."""
    for i, unit in enumerate(units[:4]):
        if is_body_text(unit):
            return None
        if not _headline_shape(unit):
            continue
        if len(words_of(unit)) < 3 and not (i == 0 and len(units) > 1 and is_body_text(units[1])):
            continue  # two words are a headline only right above the text, else a section label
        followed = any(is_body_text(u) for u in units[i + 1 : i + 4])
        earlier = [u for u in units[:i] if len(words_of(u)) >= 3 and not _is_page_header(u)]
        looks = capitalised_share(unit) >= 0.3 or re.match(r"^[^:]{2,30}: \S", unit) is not None
        if followed and (not earlier or looks):
            return i
    return None
