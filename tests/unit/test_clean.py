"""clean_article: body, title and publication date from raw articles, on the real seed articles,
the project's examples and short invented texts."""

import dataclasses
import json
from datetime import date, datetime
from pathlib import Path

import pytest

from newsflow.text.clean import CleanArticle, clean_article

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "articles"


def seed(name: str) -> CleanArticle:
    path = SEEDS / name
    if not path.exists():
        pytest.skip(f"seed article {name} absent ({SEEDS} is not next to the repo, as in a user's own clone)")
    return clean_article(path.read_text(encoding="utf-8"), "text/plain")


def paragraphs(body: str) -> list[str]:
    return body.split("\n\n") if body else []


# -- the real seed articles ----------------------------------------------------------------------


def test_seed_003_loses_navigation_appeals_and_comment_policy():
    c = seed("003_9439dbb2f7579f73.txt")
    assert c.title == "Foreign fighters turn on each other as Syrian army moves in" and c.title_source == "extracted"
    assert c.published == datetime(2016, 11, 20, 15, 4) and c.published_source == "extracted"
    for clutter in (
        "Skip to Content",
        "Read more",
        "donat",
        "Help us to produce",
        "comment",
        "Keep your language polite",
        "We reserve the right",
        "Guerilla TV",
        "Published:",
        "In Short",
        "No more articles",
        "Go to archive",
    ):
        assert clutter not in c.body, clutter
    assert "Skip to Content" in c.removed and "Consider donating to support our work" in c.removed
    assert not c.body.startswith(c.title)
    assert c.body.startswith("Recent estimates suggest that foreign-sponsored terrorists")
    assert c.body.endswith("are on the path to defeating the opposition.”")
    assert len(paragraphs(c.body)) == 12


def test_seed_002_headline_once_date_reading_time_and_caption_gone():
    c = seed("002_ae68287213c6c24b.txt")
    assert c.title == "Kilo: Syrian opposition will fight on despite Aleppo losses" and c.title_source == "extracted"
    assert c.title not in c.body
    assert c.published == date(2016, 11, 28) and not isinstance(c.published, datetime)
    for clutter in (
        "3 min read",
        "[AFP]",
        "confusion and fear",
        "[click to enlarge]",
        "28 November, 2016",
        "- Michel Kilo",
    ):
        assert clutter not in c.body, clutter
    # The pull quote repeats a sentence of the text: it stays once, inside its paragraph.
    assert c.body.count("it is difficult to understand the developments on the ground") == 1
    assert c.body.startswith("Syrian opposition leaders are still coming to terms")
    assert c.body.endswith('so they can be starved easily."')
    assert len(paragraphs(c.body)) == 24


def test_seed_001_byline_and_doubled_caption_gone():
    c = seed("001_af55ad7c63556384.txt")
    assert (
        c.title == "Syria: Rebels in Crisis as Regime Forces Continue to Make Gains" and c.title_source == "extracted"
    )
    assert c.published is None and c.published_source == "none"
    assert "Contact Editor" not in c.body and "Ari Soffer" not in c.body
    assert c.body.count("Syrian rebels battle regime troops in Aleppo") <= 1
    assert c.body.startswith("Capitalizing on rebel infighting")
    assert len(paragraphs(c.body)) == 18


@pytest.mark.parametrize(
    "name, count, last_words",
    [
        ("000_05f8a3a7fd70ba85.txt", 9, "even as we hold them accountable for their failures."),
        ("004_356f5e6f2fe45b5b.txt", 6, "the long-term prospects for peace and stability in Syria."),
    ],
)
def test_seeds_without_headline_keep_every_paragraph(name, count, last_words):
    c = seed(name)
    assert c.title is None and c.title_source == "none" and c.published is None
    assert len(paragraphs(c.body)) == count
    assert c.body.endswith(last_words)
    assert "Advertisement" not in c.body and "newsletter" not in c.body


# Sentences from the start, middle and end of each seed's real text: none may be lost.
SEED_SENTENCES = {
    "000_05f8a3a7fd70ba85.txt": [
        "Since November 14, 2016, rebel controlled areas of eastern Aleppo have been indiscriminately bombed",
        "Inter-rebel clashes are not a new phenomenon",
        "If the rebels wish to liberate Aleppo (and other besieged Syrian cities)",
        "The rebels were responsible for temporarily breaking the siege of Aleppo in August",
    ],
    "001_af55ad7c63556384.txt": [
        "Hejeira's fall came shortly after regime forces captured the nearby town of Sabina",
        "SANA said that two people were killed and 20 injured",
        "Rebel infighting takes its toll",
        "That call to arms cited the involvement of foreign Shia militias",
        "declared an autonomous Kurdish region in the areas liberated by its forces.",
    ],
    "002_ae68287213c6c24b.txt": [
        "Syrian rebel group Ahrar al-Sham offered a sombre reaction",
        "Michel Kilo, a leading figure in the Syrian opposition, says it is unclear",
        'Chlorine gas, cluster bombs and "bunker busters"',
        "White Helmets rescue teams announced they had been overwhelmed by casualties",
        "But ultimately - without international assistance - their battle looks doomed.",
    ],
    "003_9439dbb2f7579f73.txt": [
        "Recent estimates suggest that foreign-sponsored terrorists from about 100 countries",
        "Foreign fighters clashed in a town near the Turkish border last Monday",
        "This infighting followed similar clashes in eastern Aleppo on November 2",
        "Salman Rafi Sheikh predicted that the infighting would soon prove",
    ],
    "004_356f5e6f2fe45b5b.txt": [
        "On Friday, these fighters entered parts of Aleppo",
        "In the wake of these developments, Syria’s military announced plans for a counteroffensive.",
        "The battle for Aleppo in 2016 marked a critical juncture",
        "The joint statement by Western nations illustrates a growing concern",
    ],
}


@pytest.mark.parametrize("name", sorted(SEED_SENTENCES))
def test_every_real_paragraph_of_a_seed_survives(name):
    c = seed(name)
    for sentence in SEED_SENTENCES[name]:
        assert sentence in c.body, sentence
    assert all(p == p.strip() and "  " not in p and "\n" not in p for p in paragraphs(c.body))
    assert "\u00a0" not in c.body


# -- the project's examples ----------------------------------------------------------------------


def test_example_plain_text():
    c = clean_article((EXAMPLES / "harbour-bridge.txt").read_text(encoding="utf-8"), "text/plain")
    assert c.title == "Rotterdam opens its new harbour bridge after three years of work"
    assert c.published == date(2025, 3, 3) and c.published_source == "extracted"
    assert c.body.startswith("Mayor Ada Lind cut the ribbon")
    assert "Published" not in c.body and "Read more" not in c.body and "Share this" not in c.body
    for phrase in ("on Monday", "last Friday", "12 February 2025", "earlier this month"):
        assert phrase in c.body


def test_example_markdown():
    c = clean_article((EXAMPLES / "city-council.md").read_text(encoding="utf-8"), "text/markdown")
    assert c.title == "Rotterdam council backs tram extension to Eastgate" and c.title_source == "extracted"
    assert not any(mark in c.body for mark in ("**", "](", "![", "#", "_short", "example.org"))
    assert "By our city desk" not in c.body and "Tram line 4 at its current terminus" not in c.body
    assert "the Northern Ports Authority should pay more" in c.body and "done in short stages, so that" in c.body
    assert "What happens next" in paragraphs(c.body)


def test_example_html():
    c = clean_article((EXAMPLES / "river-festival.html").read_text(encoding="utf-8"), "text/html")
    assert c.title == "Lantern festival returns to the Rotterdam waterfront" and c.title_source == "extracted"
    assert c.published == datetime(2025, 5, 17, 8, 30) and c.published_source == "extracted"
    assert c.body.startswith("Thousands of paper lanterns")
    assert c.body.endswith("on the fish market square.")
    for clutter in ("cookies", "Subscribe", "Most read", "All rights reserved", "Sofia Marin", "Share this", c.title):
        assert clutter not in c.body, clutter


def test_example_json_articles_have_clean_text():
    articles = [json.loads((EXAMPLES / "research-grant.json").read_text(encoding="utf-8"))]
    articles += [json.loads(line) for line in (EXAMPLES / "more.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(articles) == 4
    for article in articles:
        assert set(article) <= {"text", "html", "title", "url", "source", "published", "language"}
        assert article["url"].startswith("https://example.org/")
        c = clean_article(article["text"], "text/plain", article["title"])
        assert c.title == article["title"] and c.title_source == "given"
        assert paragraphs(c.body) == article["text"].split("\n\n") and not c.removed
    assert sum("Rotterdam" in a["text"] for a in articles) >= 2


# -- invented texts: plain ----------------------------------------------------------------------


def test_given_title_is_kept_and_removed_from_the_start_of_the_body():
    text = "Harbour reopens\n\nThe harbour reopened on Monday after a week of storms, the port office said."
    c = clean_article(text, "text/plain", "  Harbour   reopens ")
    assert (c.title, c.title_source) == ("Harbour reopens", "given")
    assert c.body == "The harbour reopened on Monday after a week of storms, the port office said."


def test_a_given_title_not_at_the_top_leaves_the_body_alone():
    text = "The harbour reopened on Monday after a week of storms, the port office said.\n\nShips queued outside."
    c = clean_article(text, "text/plain", "Storm over, harbour open")
    assert c.title == "Storm over, harbour open" and paragraphs(c.body)[0].startswith("The harbour reopened")


def test_a_given_title_replaces_a_different_headline_which_leaves_the_body():
    text = (
        "Harbour reopens after storms\n\nThe harbour reopened on Monday after a week of storms, the port office said."
    )
    c = clean_article(text, "text/plain", "Storm over, harbour open")
    assert (c.title, c.title_source) == ("Storm over, harbour open", "given")
    assert c.body == "The harbour reopened on Monday after a week of storms, the port office said."


def test_only_the_copy_of_a_given_title_leaves_the_body():
    text = (
        "Glacier village votes to stay put\n\nA warning from geologists goes unheeded\n\n"
        "Residents of the alpine village of Vellmoor voted on Sunday to stay in their homes."
    )
    c = clean_article(text, "text/plain", "Glacier village votes to stay put")
    assert paragraphs(c.body)[0] == "A warning from geologists goes unheeded"


def test_headline_is_detected_and_section_label_dropped():
    text = (
        "World\n\nGlacier village votes to stay put\n\n"
        "Residents of the alpine village of Vellmoor voted on Sunday to stay in their homes despite a warning "
        "that the glacier above them is moving faster than before.\n\n"
        "The regional geology office will install two more sensors before winter."
    )
    c = clean_article(text, "text/plain")
    assert (c.title, c.title_source) == ("Glacier village votes to stay put", "extracted")
    assert c.body.startswith("Residents of the alpine village") and "World" in c.removed


def test_no_headline_is_invented():
    text = (
        "Ferry crews in the bay went on strike on Tuesday over new rosters, the union said.\n\n"
        "The operator said it hoped to restore a reduced timetable by the weekend."
    )
    c = clean_article(text, "text/plain")
    assert c.title is None and c.title_source == "none" and len(paragraphs(c.body)) == 2


def test_a_date_inside_a_body_sentence_is_not_the_publication_date():
    text = (
        "Tender review delayed\n\n"
        "The committee met again on 4 April 2025 to review the tender documents in full, members said.\n\n"
        "A decision is expected within weeks, according to the chair."
    )
    c = clean_article(text, "text/plain")
    assert c.published is None and c.published_source == "none"
    assert "on 4 April 2025 to review" in c.body


@pytest.mark.parametrize(
    "line, expected",
    [
        ("28 November, 2016", date(2016, 11, 28)),
        ("Published: November 20, 2016, 3:04 pm", datetime(2016, 11, 20, 15, 4)),
        ("Nov. 3, 2016", date(2016, 11, 3)),
        ("2016-11-28", date(2016, 11, 28)),
        ("Updated 5 December 2016", date(2016, 12, 5)),
        ("Posted on Tuesday, 4 March 2025 at 10:15 GMT", datetime(2025, 3, 4, 10, 15)),
        ("By Jo Park | 2025-01-09T07:30:00Z", datetime(2025, 1, 9, 7, 30)),
        ("25/03/2025", date(2025, 3, 25)),
        ("04/03/2025", None),  # day and month could be either way round
        ("Published: Nov 3", None),  # no year: never completed from today's date
    ],
)
def test_datelines_near_the_top(line, expected):
    text = (
        f"Tram depot to close\n\n{line}\n\n"
        "The tram depot on the north side of the city will close next year, the transport company said."
    )
    c = clean_article(text, "text/plain")
    assert c.published == expected and type(c.published) is type(expected)
    assert c.published_source == ("extracted" if expected else "none")
    assert c.title == "Tram depot to close"
    assert c.body == "The tram depot on the north side of the city will close next year, the transport company said."


def test_published_before_updated():
    text = (
        "Bridge tolls scrapped\n\nUpdated 9 June 2024\n\nPublished 2 June 2024\n\n"
        "Drivers will no longer pay to cross the estuary bridge from July, the roads agency said on Friday."
    )
    assert clean_article(text, "text/plain").published == date(2024, 6, 2)


def test_clutter_lines_go_and_the_article_stays():
    text = (
        "Skip to Content\n\nHome | Local | Weather | Sport\n\nOrchard town picks its apple queen\n\n"
        "By Tove Lindqvist\n\n4 min read\n\n"
        "Growers in the orchard town of Elmstead crowned their annual apple queen on Saturday, ending a week "
        "of markets, cider tastings and a tractor parade.\n\n"
        "Harvest crates stacked in the square, Lena Pohl, Example Photos\n\n"
        "Advertisement\n\n"
        "The winner, a 19-year-old agriculture student, said she would spend her year visiting schools.\n\n"
        "Follow us on Twitter for the latest updates\n\n"
        "Organisers said this year's harvest was the largest in a decade, thanks to a mild spring and few late "
        "frosts.\n\n"
        "Sign up for our morning newsletter and never miss a story.\n\n"
        "Support our journalism: become a member today and help us keep our reporting free for every reader.\n\n"
        "Related stories\n\nCider festival moves to autumn\n\nCopyright 2024 Elmstead Gazette"
    )
    c = clean_article(text, "text/plain")
    assert c.title == "Orchard town picks its apple queen"
    assert paragraphs(c.body) == [
        "Growers in the orchard town of Elmstead crowned their annual apple queen on Saturday, ending a week "
        "of markets, cider tastings and a tractor parade.",
        "The winner, a 19-year-old agriculture student, said she would spend her year visiting schools.",
        "Organisers said this year's harvest was the largest in a decade, thanks to a mild spring and few late frosts.",
    ]
    assert "Cider festival moves to autumn" in c.removed  # a related link after the appeals: the site's trailer


def test_news_about_donations_or_comments_is_not_mistaken_for_an_appeal():
    text = (
        "Food bank donations rise by a third\n\n"
        "The Hillside food bank said donations rose by a third this winter and that volunteers packed 4,000 "
        "parcels.\n\n"
        '"We are grateful to every reader who gave," its director said, adding that comments on its website '
        "had been overwhelmingly kind."
    )
    c = clean_article(text, "text/plain")
    assert c.title == "Food bank donations rise by a third" and len(paragraphs(c.body)) == 2 and not c.removed


def test_repeated_lines_keep_their_first_occurrence_and_doubled_captions_go():
    text = (
        "Night trains return to the coast\n\nNight trains return to the coast\n\n"
        "The first night train in twelve years left the capital for the coast on Friday, fully booked.\n\n"
        "Sleeping car at the platform\nSleeping car at the platform\n\n"
        "The operator plans three trips a week in summer and one in winter, its director told reporters.\n\n"
        "The operator plans three trips a week in summer and one in winter, its director told reporters."
    )
    c = clean_article(text, "text/plain")
    assert c.title == "Night trains return to the coast" and c.title not in c.body
    assert "Sleeping car" not in c.body
    assert c.body.count("three trips a week") == 1 and len(paragraphs(c.body)) == 2


def test_pull_quote_and_its_attribution_go():
    text = (
        "Lighthouse keeper retires\n\n"
        '"The sea never looks the same two mornings in a row, and that is why I stayed so long," said Arne Voss, '
        "who kept the light at Kesting Point for thirty years.\n\n"
        "The sea never looks the same two mornings in a row, and that is why I stayed so long.\n- Arne Voss\n\n"
        "The light will be run remotely from next month, the coastguard said."
    )
    c = clean_article(text, "text/plain")
    assert c.body.count("two mornings in a row") == 1 and "- Arne Voss" not in c.body
    assert c.body.endswith("the coastguard said.")


def test_indented_and_hard_wrapped_lines_are_body_text():
    text = (
        "Bus fares frozen for another year\n\n"
        "    The regional transport board voted on Wednesday to keep\n"
        "    bus fares at their current level until next summer, citing\n"
        "    the rising cost of living for commuters in the valley.\n\n"
        "\tBoard chair Lena Moss said the decision would cost the operator about two million euros.\n"
    )
    c = clean_article(text, "text/plain")
    assert c.title == "Bus fares frozen for another year"
    assert paragraphs(c.body) == [
        "The regional transport board voted on Wednesday to keep bus fares at their current level until next "
        "summer, citing the rising cost of living for commuters in the valley.",
        "Board chair Lena Moss said the decision would cost the operator about two million euros.",
    ]


def test_one_paragraph_per_line_without_blank_lines():
    text = (
        "The museum reopened its east wing on Thursday after a two-year renovation, its director said.\n"
        "Visitors queued from early morning to see the restored ceiling paintings in the main hall.\n"
        "Entry to the new wing will be free until the end of the month."
    )
    assert len(paragraphs(clean_article(text, "text/plain").body)) == 3


@pytest.mark.parametrize(
    "content", ["", "   \n\n  ", "Skip to Content\n\nRead more\n\nShare this article\n\n3 min read"]
)
@pytest.mark.parametrize("content_type", ["text/plain", "text/markdown", "text/html"])
def test_nothing_left_is_an_empty_body(content, content_type):
    c = clean_article(content, content_type)
    assert c.body == "" and c.title is None and c.published is None


def test_unknown_content_type_is_read_as_plain_text_and_result_is_frozen():
    c = clean_article(
        "Snow closes mountain pass\n\nThe pass closed on Sunday after heavy snow, police said.", "text/x-unknown"
    )
    assert c.title == "Snow closes mountain pass"
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.body = "changed"  # type: ignore[misc]


# -- invented texts: markdown and HTML -----------------------------------------------------------


def test_markdown_markup_is_stripped_and_the_leading_heading_is_the_title():
    md = (
        "# Library reopens after *flood* repairs\n\n"
        "![The flooded reading room](https://example.org/room.jpg)\n\n"
        "**By the culture desk**\n\n"
        "The [town library](https://example.org/lib) reopened on Thursday after **six months** of repairs, "
        "its director _Hanna Lee_ said.\n\n"
        "## New shelves\n\n"
        "- A children's corner has been added on the ground floor.\n"
        "- The café stays closed until May.\n\n"
        '> "We lost two thousand books," Lee said.\n\n'
        "Published in the `weekly` edition, with ~~old~~ new opening hours.\n"
    )
    c = clean_article(md, "text/markdown")
    assert (c.title, c.title_source) == ("Library reopens after flood repairs", "extracted")
    assert paragraphs(c.body) == [
        "The town library reopened on Thursday after six months of repairs, its director Hanna Lee said.",
        "New shelves",
        "A children's corner has been added on the ground floor.",
        "The café stays closed until May.",
        '"We lost two thousand books," Lee said.',
        "Published in the weekly edition, with old new opening hours.",
    ]
    assert "By the culture desk" in c.removed


def test_markdown_heading_after_text_is_not_the_leading_title():
    md = (
        "Ships wait outside the port as a crane strike enters its second day, harbour officials said.\n\n# Strike talks"
    )
    c = clean_article(md, "text/markdown")
    assert c.title is None and "Strike talks" in c.body


PAGE = """<!doctype html>
<html lang="en"><head>
<title>Night ferry returns to the island route | Coastline Times</title>
<meta property="article:published_time" content="2024-09-02T18:45:00+00:00">
</head><body>
<header><div class="logo">Coastline Times</div>
<nav><ul><li><a href="/">Home</a></li><li><a href="/local">Local</a></li><li><a href="/subscribe">Subscribe</a></li></ul></nav>
</header>
<main><article>
<h1>Night ferry returns to the island route</h1>
<p class="meta">By Maren Olsby, <time datetime="2024-09-02T18:45:00+00:00">2 September 2024</time></p>
<p>The night ferry between Port Alder and Skerry Island sailed again on Sunday after a summer without service,
the operator Bluewake Lines said.</p>
<p>Captain Ivo Renner said the crossing took just under two hours and that bookings for the autumn were strong.</p>
<p>Sign up for our newsletter</p>
<p>The island council had campaigned for the return of the route since the spring, when the previous operator
went out of business.</p>
</article></main>
<aside><h2>Most read</h2><ul><li><a href="/x">Storm warning for the coast tonight</a></li></ul></aside>
<footer><p>© 2024 Coastline Times. All rights reserved.</p><a href="/privacy">Privacy policy</a></footer>
</body></html>"""


def test_html_main_text_title_and_date():
    c = clean_article(PAGE, "text/html")
    assert (c.title, c.title_source) == ("Night ferry returns to the island route", "extracted")
    assert c.published == datetime(2024, 9, 2, 18, 45) and c.published_source == "extracted"
    assert paragraphs(c.body) == [
        "The night ferry between Port Alder and Skerry Island sailed again on Sunday after a summer without "
        "service, the operator Bluewake Lines said.",
        "Captain Ivo Renner said the crossing took just under two hours and that bookings for the autumn were strong.",
        "The island council had campaigned for the return of the route since the spring, when the previous "
        "operator went out of business.",
    ]


def test_html_with_no_date_markup_has_no_date_not_today():
    page = (
        "<html><head><title>Quiet week at the port</title></head><body><article><h1>Quiet week at the port</h1>"
        "<p>Only four cargo ships called at the port of Westmere this week, the harbour master said, "
        "blaming the weather.</p><p>Traffic should pick up next month when the new crane is working.</p>"
        "</article><footer>© 2024 Westmere Herald</footer></body></html>"
    )
    c = clean_article(page, "text/html")
    assert c.title == "Quiet week at the port" and c.published is None and c.published_source == "none"
    assert len(paragraphs(c.body)) == 2


def test_html_too_small_for_the_extractor_falls_back_to_the_text():
    page = (
        "<html><body><nav><a href='/'>Home</a> | <a href='/news'>News</a></nav>"
        "<div>Bakery wins prize<br>The village bakery won the regional bread prize on Friday, judges said.</div>"
        "<script>var x = 1;</script></body></html>"
    )
    c = clean_article(page, "text/html")
    assert c.title == "Bakery wins prize"
    assert c.body == "The village bakery won the regional bread prize on Friday, judges said."


def test_html_given_title_wins():
    c = clean_article(PAGE, "text/html", "Ferry is back")
    assert (c.title, c.title_source) == ("Ferry is back", "given")
    assert c.body.startswith("The night ferry between Port Alder")


# -- long input -----------------------------------------------------------------------------------------


def test_a_long_article_is_kept_whole():
    # How fast this runs is measured by `make bench` (cleaning stage), not asserted here.
    paragraph = (
        "In part {n} of the survey, inspectors walked the length of the canal wall and noted every crack, "
        "loose stone and patch of moss they found, the waterways board said."
    )
    text = "Canal wall survey\n\nPublished: 2 May 2025\n\n" + "\n\n".join(paragraph.format(n=n) for n in range(1500))
    c = clean_article(text, "text/plain")
    assert len(paragraphs(c.body)) == 1500 and c.published == date(2025, 5, 2)


@pytest.mark.parametrize(
    "line",
    [
        "No comments:",
        "3 Comments",
        "Post a Comment",
        "Older Post",
        "(Page 2 of 2)",
        "In This Issue",
        "Média : CNews",
        "Intervenant(s) :",
        "Source: AP",
        "Posted on",
        "Prononcé le",
        "Texte intégral",
        "Lire aussi : la réforme en trois points",
        "Leer más",
    ],
)
def test_page_fields_comment_counts_and_markers_go_in_any_of_the_languages_read(line):
    body = "The council approved the budget on Tuesday after a long debate about the harbour."
    after = (
        "Residents welcomed the decision at the meeting, and the mayor thanked them for their patience with the works."
    )
    clean = clean_article(f"{body}\n\n{line}\n\n{after}", "text/plain")
    assert line.strip() not in clean.body and body in clean.body and after in clean.body


@pytest.mark.parametrize(
    "line",
    [
        "Update: police arrest three men after the raid",
        "Holm said: the plan is ready and the beds will be funded.",
        "The talks began on Monday.",
    ],
)
def test_a_sentence_with_a_colon_is_no_page_field(line):
    clean = clean_article(
        f"The council approved the budget on Tuesday.\n\n{line}\n\nResidents welcomed it.", "text/plain"
    )
    assert line in clean.body


@pytest.mark.parametrize(
    "header",
    ["Riverton Daily - Monday 3 March 2025 - Last update 10:32 GMT", "Updated 3 hours ago | Riverton Daily News"],
)
def test_a_page_header_with_the_sites_clock_is_no_title(header):
    text = (
        f"{header}\n\nHarbour bridge opens after three years\n\nMayor Ada Lind cut the ribbon on the bridge on Monday."
    )
    clean = clean_article(text, "text/plain")
    assert clean.title == "Harbour bridge opens after three years" and header not in clean.body


def test_a_dateline_that_names_where_the_story_was_filed_stays_in_the_body() -> None:
    from newsflow.text.dateline import take_publication_date

    prose = "The council met on Tuesday and agreed to extend the tram line to the harbour by next spring."
    for filed in ("RIVERTON, Northshire 2024-05-03", "RIVERTON 3 May 2024"):
        published, kept, removed = take_publication_date([filed, prose])
        assert str(published) == "2024-05-03" and kept == [filed, prose] and removed == []
    # A page's template is metadata, whatever capitalised words it holds.
    for template in ("Ada Lind | 3 May 2024", "By Ada Lind 3 May 2024", "Published: 3 May 2024", "3 May 2024"):
        published, kept, removed = take_publication_date([template, prose])
        assert str(published) == "2024-05-03" and kept == [prose] and removed == [template], template


def test_a_line_of_names_is_a_list_in_the_story_not_a_picture_credit() -> None:
    from newsflow.text.clutter import clutter_reason

    assert clutter_reason("64 Ada Lind, Bo Ekholm, Cy Holm (Norway)") is None
    assert clutter_reason("Ada Lind, Bo Ekholm, Cy Holm, Di Berg") is None
    assert clutter_reason("Harbour flooding, Riverton Press, Videoshare") == "caption"


def test_a_field_after_the_last_paragraph_starts_no_trailer() -> None:
    from newsflow.text.clutter import drop_clutter

    units = [
        "Riverton beat Eastgate 2-1 in the cup final on Saturday in front of a home crowd.",
        "Scorers:",
        "Riverton - Ada Lind (12th), Bo Ekholm (80th)",
        "Eastgate - Cy Holm (55th)",
        "Share this article",
        "Read more: the semi-finals",
    ]
    kept, removed = drop_clutter(units)
    assert kept == [units[0], units[2], units[3]] and removed == ["Scorers:", units[4], units[5]]


def test_a_line_of_scorers_is_no_picture_credit() -> None:
    from newsflow.text.clutter import clutter_reason

    assert clutter_reason("Riverton - Ada Lind (21st minute), Bo Ekholm (65th), Cy Holm (77th)") is None
