from datetime import date, datetime
from pathlib import Path

import pytest

from services.enrich.clean import clean_article
from tests.conftest import EXAMPLES

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"


def seed(name: str):
    path = SEEDS / name
    if not path.exists():
        pytest.skip(f"seed articles absent ({SEEDS}): a user's own clone")
    return clean_article(path.read_text(encoding="utf-8"), "text/plain")


def test_seed_003_loses_navigation_appeals_and_comment_policy():
    c = seed("003_9439dbb2f7579f73.txt")
    assert c.title == "Foreign fighters turn on each other as Syrian army moves in" and c.title_source == "extracted"
    assert c.published == datetime(2016, 11, 20, 15, 4) and c.published_source == "extracted"
    for clutter in ("Skip to Content", "Read more", "donat", "comments", "Go to archive", "Guerilla TV", "Published:"):
        assert clutter not in c.body, clutter
    assert c.body.startswith("Recent estimates suggest")
    assert "Salman Rafi Sheikh predicted that the infighting" in c.body
    assert c.body.rstrip().endswith("are on the path to defeating the opposition.”")


def test_seed_002_headline_once_date_and_caption_gone():
    c = seed("002_ae68287213c6c24b.txt")
    assert c.title == "Kilo: Syrian opposition will fight on despite Aleppo losses"
    assert c.title not in c.body
    assert c.published == date(2016, 11, 28)
    for clutter in ("3 min read", "[AFP]", "[click to enlarge]", "28 November, 2016"):
        assert clutter not in c.body, clutter
    assert "Michel Kilo, a leading figure in the Syrian opposition" in c.body
    assert c.body.rstrip().endswith("they can be starved easily.\"")


def test_seed_001_byline_and_doubled_caption_gone():
    c = seed("001_af55ad7c63556384.txt")
    assert c.title == "Syria: Rebels in Crisis as Regime Forces Continue to Make Gains"
    assert "Contact Editor" not in c.body and "Ari Soffer" not in c.body
    assert c.body.count("Syrian rebels battle regime troops in Aleppo") <= 1
    assert "Hejeira's fall came shortly after regime forces captured" in c.body
    assert "declared an autonomous Kurdish region" in c.body


@pytest.mark.parametrize("name, paragraphs", [("000_05f8a3a7fd70ba85.txt", 9), ("004_356f5e6f2fe45b5b.txt", 6)])
def test_seeds_without_headline_keep_every_paragraph(name, paragraphs):
    c = seed(name)
    assert c.title is None and c.title_source == "none" and c.published is None
    assert len(c.body.split("\n\n")) == paragraphs
    assert "Advertisement" not in c.body and "newsletter" not in c.body


def test_given_title_is_kept_and_removed_from_the_body():
    c = clean_article("Harbour reopens\n\nThe harbour reopened on Monday after a week of storms, the port office said.",
                      "text/plain", "Harbour reopens")
    assert c.title == "Harbour reopens" and c.title_source == "given"
    assert c.body == "The harbour reopened on Monday after a week of storms, the port office said."


def test_a_date_inside_a_sentence_is_not_the_publication_date():
    text = ("The committee met again on 4 April 2025 to review the tender documents in full, members said.\n\n"
            "A decision is expected within weeks, according to the chair of the committee.")
    assert clean_article(text, "text/plain").published is None


def test_nothing_left_once_clutter_is_removed():
    assert clean_article("Skip to Content\n\nRead more\n\nShare this article", "text/plain").body == ""


def test_examples_in_every_format():
    txt = clean_article((EXAMPLES / "harbour-bridge.txt").read_text(), "text/plain")
    assert txt.title.startswith("Rotterdam opens its new harbour bridge") and txt.published == date(2025, 3, 3)
    assert "Read more" not in txt.body and "Share this" not in txt.body
    md = clean_article((EXAMPLES / "city-council.md").read_text(), "text/markdown")
    assert md.title == "Rotterdam council backs tram extension to Eastgate"
    assert "**" not in md.body and "](" not in md.body and "By our city desk" not in md.body
    assert "Northern Ports Authority should pay more" in md.body
    html = clean_article((EXAMPLES / "river-festival.html").read_text(), "text/html")
    assert html.title == "Lantern festival returns to the Rotterdam waterfront" and html.published == date(2025, 5, 17)
    assert "cookies" not in html.body and "Most read" not in html.body and "All rights reserved" not in html.body
    assert html.body.startswith("Thousands of paper lanterns")
