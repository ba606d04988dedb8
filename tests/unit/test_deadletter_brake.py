"""The dead-letter brake: when a stage must stop instead of draining its input into the dead-letter topic."""

from newsflow.runtime.deadletters import DeadLetterBrake


def feed(brake: DeadLetterBrake, outcomes: str) -> DeadLetterBrake:
    for c in outcomes:
        brake.record(c == "x")  # x: dead-lettered, .: processed
    return brake


def test_a_run_of_failures_trips_it_and_it_stays_tripped():
    brake = feed(DeadLetterBrake(max_consecutive=5, max_ratio=1.0), "..xxxx.xxxx")
    assert not brake.tripped  # never five in a row
    feed(brake, "x")
    assert brake.tripped and "5 messages in a row" in brake.reason
    feed(brake, "....")
    assert brake.tripped  # only a restart, after the fix, lets it go on


def test_a_high_ratio_trips_it_once_enough_was_seen():
    brake = feed(DeadLetterBrake(max_consecutive=0, max_ratio=0.5, window=100, min_seen=20), "x." * 5 + "xx")
    assert not brake.tripped  # 7 of 12, but fewer than 20 seen
    feed(brake, "x.x" * 4)
    assert brake.tripped and "60% of the last 20 messages" in brake.reason  # tripped on the 20th


def test_scattered_poison_among_good_messages_never_trips_it():
    brake = DeadLetterBrake(max_consecutive=100, max_ratio=0.5)
    feed(brake, ("." * 37 + "x") * 100)
    assert not brake.tripped


def test_a_letter_keeps_the_record_whichever_client_read_it():
    """kafka-python gives headers as a list of pairs, faust as a dict: the envelope holds the same either way."""
    from types import SimpleNamespace

    from newsflow.contract import DeadLetter, decode, original_record
    from newsflow.runtime.deadletters import DeadLetters

    letters = DeadLetters("index", ("invalid",), max_consecutive=0, max_ratio=1.0)
    pairs = [("newsflow-schema", b"newsflow.article.enriched"), ("trace", b"\xff\x00")]
    for headers in (pairs, dict(pairs)):
        record = SimpleNamespace(
            topic="articles.enriched.v1", partition=2, offset=41, key=b"k", value=b"\xfe{", headers=headers
        )
        key, value, envelope_headers = letters.letter(record, "invalid", "why")
        letter = decode(value, envelope_headers, DeadLetter)
        assert key == b"k" and (letter.topic, letter.partition, letter.offset) == ("articles.enriched.v1", 2, 41)
        assert original_record(letter) == (b"k", b"\xfe{", pairs)
        assert (letter.stage, letter.error_type, letter.error_message) == ("index", "invalid", "why")
