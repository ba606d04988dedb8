"""The lag reader's message timestamps on the reference Kafka: each asked-for (topic, partition, offset) is read,
with the timestamp it was written with, across many readings of one reader (as the exporter makes)."""

from __future__ import annotations

import random

from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from newsflow.exporter.lag import Stamps


def test_every_asked_message_timestamp_is_read_across_many_readings(servers, request):
    boot = servers.kafka_bootstrap
    topics = [f"stamps-{n}-{request.node.name[-8:]}-{random.randrange(10**9)}" for n in range(3)]
    admin = KafkaAdminClient(bootstrap_servers=boot)
    admin.create_topics([NewTopic(t, 3, 1) for t in topics])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=boot, compression_type="gzip", linger_ms=20)
    written: dict[tuple[str, int, int], float] = {}
    futures = []
    for i in range(270):  # 30 messages in each of the 9 partitions, in compressed batches
        topic, partition = topics[i % 3], (i // 3) % 3
        futures.append(
            (
                topic,
                partition,
                producer.send(topic, b"x" * 4000, partition=partition, timestamp_ms=1_700_000_000_000 + i),
            )
        )
    producer.flush()
    for topic, partition, future in futures:
        meta = future.get(10)
        written[(topic, partition, meta.offset)] = meta.timestamp / 1000
    producer.close()

    stamps = Stamps({"bootstrap_servers": boot}, "test-stamps")
    rnd = random.Random(7)
    asked = 0
    try:
        for _ in range(20):
            # Several offsets of one partition at once, as two groups on one topic ask.
            wanted = {(rnd.choice(topics), rnd.randrange(3), rnd.randrange(30)) for _ in range(rnd.randrange(1, 6))}
            stamps.known.clear()
            got = stamps.get(wanted, 10.0)
            asked += len(wanted)
            assert got == {key: written[key] for key in wanted}, sorted(wanted - got.keys())
    finally:
        stamps.close()
    assert asked >= 20
