"""Reading the dead-letter topic and sending chosen letters back where they came from."""

from __future__ import annotations

from dataclasses import dataclass

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from newsflow.contract import DeadLetter, DecodeError, Topics, decode, original_record


@dataclass(frozen=True)
class Letter:
    offset: int  # position on the dead-letter topic: how a user names it for replay
    letter: DeadLetter


def read_letters(client_config: dict, topic: str = Topics.DEADLETTER) -> list[Letter]:
    consumer = KafkaConsumer(
        **client_config, client_id="newsflow-deadletters", enable_auto_commit=False, consumer_timeout_ms=1000
    )
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return []
        ends = consumer.end_offsets(tps)
        consumer.assign(tps)
        consumer.seek_to_beginning()
        letters: list[Letter] = []
        remaining = {tp: end for tp, end in ends.items() if end > 0}
        while remaining:
            batch = consumer.poll(timeout_ms=2000)
            if not batch:
                break
            for tp, records in batch.items():
                for r in records:
                    try:
                        letters.append(Letter(r.offset, decode(r.value, r.headers, DeadLetter)))
                    except DecodeError:
                        pass  # not ours: someone else wrote to the topic
                    if r.offset + 1 >= remaining.get(tp, 0):
                        remaining.pop(tp, None)
        return sorted(letters, key=lambda item: item.offset)
    finally:
        consumer.close()


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
