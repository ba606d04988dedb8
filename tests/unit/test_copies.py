"""Near-duplicates (newsflow/text/copies.py): copies of one story join it, other stories on its topic do not."""

from __future__ import annotations

import random

import pytest

from evaluation.story_scores import as_dict, score
from newsflow.text.copies import Stories, containment, same_story, sketch, title_key, words

# Written for the test: one story, and another on the same topic in much the same words.
STORY = (
    "The city council of Eastborough voted on Monday to close the old harbour bridge to cars from May. "
    "Engineers found cracks in two of its steel supports during an inspection last winter, and the repairs "
    "will take at least a year. Buses and bicycles may still cross in one lane while the work goes on. "
    "Shop owners near the bridge said they feared losing customers, and the council promised a free shuttle "
    "from the car parks on the east bank. The mayor said safety came first and that the bridge would reopen "
    "stronger than before. The vote was nine to two, with the two members of the harbour party against."
)
SAME_TOPIC = (
    "The city council of Westborough voted on Tuesday to build a new footbridge over the river by 2027. "
    "The bridge will link the railway station with the university, and the design competition opens in June. "
    "Students had asked for a safer crossing for years, after two accidents on the road bridge. The council "
    "will pay a third of the cost, and the region the rest, if its parliament agrees in the autumn."
)


def test_a_wire_copy_under_another_headline_with_its_ending_cut_is_the_same_story():
    original = sketch("Eastborough closes its harbour bridge to cars", STORY)
    cut = STORY[: int(len(STORY) * 0.6)]
    assert same_story(original, sketch("Bridge shut after cracks found", cut))
    assert containment(original, sketch(None, cut)) > 0.8


def test_another_story_on_the_same_topic_is_not():
    assert not same_story(
        sketch("Eastborough closes a bridge", STORY), sketch("Westborough builds a bridge", SAME_TOPIC)
    )


def test_a_background_paragraph_two_stories_share_does_not_make_them_one():
    background = STORY.split(". ")[-2] + ". " + STORY.split(". ")[-1]  # the mayor, and the vote
    other = sketch("Westborough builds a bridge", SAME_TOPIC + " " + background)
    assert 0.1 < containment(sketch(None, STORY), other) < 0.5
    assert not same_story(sketch("Eastborough closes a bridge", STORY), other)


def test_an_equal_title_alone_never_makes_two_bodies_one_story():
    title = "Council votes on the bridge"
    assert not same_story(sketch(title, STORY), sketch(title, SAME_TOPIC))
    assert (
        title_key("Live updates") is None and title_key("Council votes on the bridge!") == "council votes on the bridge"
    )


def test_stories_put_copies_in_the_first_articles_story_and_give_it_again_for_a_key_seen_before():
    stories = Stories()
    assert stories.add("a", "Eastborough closes its harbour bridge", STORY) == ("a", None)
    assert stories.add("b", "Westborough builds a footbridge", SAME_TOPIC) == ("b", None)
    assert stories.add("c", "UPDATE bridge closed", STORY[:400] + " More to follow.") == ("a", "a")
    assert stories.add("a", "whatever", "anything") == ("a", None)
    vocabulary = sorted(set(words(STORY + " " + SAME_TOPIC)))
    for n in range(20):  # unrelated articles in the same words, none a copy of another
        rnd = random.Random(n)
        body = " ".join(rnd.choice(vocabulary) for _ in range(150))
        assert stories.add(f"x{n}", f"Story number {n} of the day", body) == (f"x{n}", None)


def test_an_empty_body_is_no_ones_copy():
    assert containment(sketch(None, ""), sketch(None, STORY)) == 0.0


def test_the_labelled_development_part_keeps_its_figures(request):
    """The figures README reports for the development part; the test part is reported, never asserted on."""
    from evaluation.stories import SHARED, load_items

    if not SHARED.is_dir():
        pytest.skip(f"the labelled set's texts are not here ({SHARED} is absent: a user's own clone)")
    dev = as_dict(score(load_items())["dev"])
    assert dev["same"] == 33 and dev["precision"] == 1.0 and dev["recall"] == 1.0, dev


def test_without_the_shared_articles_the_story_scores_say_so_and_make_eval_goes_on(monkeypatch, tmp_path, capsys):
    import evaluation.stories
    from evaluation.story_scores import main

    monkeypatch.setattr(evaluation.stories, "SHARED", tmp_path / "no-shared")
    assert main([]) == 0
    assert capsys.readouterr().out.startswith(f"stories not scored: {tmp_path / 'no-shared'} holds no real-news/")
