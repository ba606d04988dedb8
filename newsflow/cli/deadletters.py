"""Reading the dead-letter topic and sending chosen letters back where they came from."""

from __future__ import annotations

from dataclasses import dataclass

from kafka import KafkaProducer

from newsflow.contract import DeadLetter, DecodeError, Topics, decode, original_record
from newsflow.runtime.topics import read_whole


@dataclass(frozen=True)
class Letter:
    offset: int  # position on the dead-letter topic: how a user names it for replay
    letter: DeadLetter


def read_letters(client_config: dict, topic: str = Topics.DEADLETTER) -> list[Letter]:
    letters: list[Letter] = []
    for r in read_whole(client_config, [topic], "newsflow-deadletters"):
        try:
            letters.append(Letter(r.offset, decode(r.value, r.headers, DeadLetter)))
        except DecodeError:
            pass  # not ours: someone else wrote to the topic
    return sorted(letters, key=lambda item: item.offset)


def replay(client_config: dict, letters: list[Letter]) -> int:
    """Produce each letter's original record, unchanged, to its original topic."""
    producer = KafkaProducer(**client_config, client_id="newsflow-replay", acks="all")
    try:
        futures = []
        for item in letters:
            key, value, headers = original_record(item.letter)
            futures.append(producer.send(item.letter.topic, key=key, value=value, headers=headers))
        producer.flush(60)
        for f in futures:
            f.get(timeout=0)
        return len(futures)
    finally:
        producer.close()
