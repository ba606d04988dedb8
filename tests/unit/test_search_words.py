"""What `newsflow search` says of what it found."""

import pytest

from newsflow.cli.search import hits_line


@pytest.mark.parametrize(
    ("total", "stories", "said"),
    [
        (1, 1, "1 article"),
        (1, None, "1 article"),
        (0, 0, "0 articles"),
        (12, 12, "12 articles"),
        (5, 2, "2 stories in 5 articles"),
        (3, 1, "1 story in 3 articles"),
        (1_500, 1_200, "1,200 stories in 1,500 articles"),
    ],
)
def test_a_search_says_what_it_found_in_words_that_agree_with_the_numbers(total, stories, said):
    assert hits_line(total, stories) == said
