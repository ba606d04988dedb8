"""index on each Kafka (Apache Kafka, noida-db, Tansu) and on Elasticsearch."""

import json

import pytest

from newsflow.contract import DeadLetter, Topics, encode
from newsflow.contract.codec import HEADER_SCHEMA, HEADER_VERSION
from newsflow.exporter.lag import consumer_lag
from newsflow.runtime.servers import http_json, wait_until
from newsflow.runtime.settings import CommonSettings
from newsflow.runtime.topics import ensure_topics
from tests.factories import enriched
from tests.integration.kafka_util import produce, read_all
from tests.running import service, service_env

pytestmark = pytest.mark.integration


def es_client(stack):
    return CommonSettings(es_url=stack.es_url).elasticsearch(request_timeout=30)


def count(es, alias: str, **query) -> int:
    es.indices.refresh(index=alias)
    return es.count(index=alias, query=query or {"match_all": {}})["count"]


def record(article):
    value, headers = encode(article)
    return article.id.encode(), value, headers


def test_indexes_idempotently_refuses_stale_versions_and_dead_letters_poison(stack, tmp_path):
    env = service_env(stack, tmp_path, NEWSFLOW_BULK_MAX_WAIT_S="0.2")
    newer = enriched(1, version=200, title="Newer enrichment")
    stale = enriched(1, version=100, title="Stale enrichment")
    good_headers = encode(enriched(2))[1]
    poison = [
        (b"k1", b"\xff\xfe not utf-8", good_headers),
        (b"k2", b"{not json", good_headers),
        (b"k3", b'{"id": "nope"}', good_headers),
        (b"k4", encode(enriched(3))[0], [(HEADER_SCHEMA, b"newsflow.article.enriched"), (HEADER_VERSION, b"9.0")]),
    ]
    batch = [record(enriched(n)) for n in range(2, 22)] + [record(newer), *poison, record(stale), record(enriched(2))]
    with service("index", env, tmp_path):
        produce(stack.kafka_bootstrap, stack.topic(Topics.ENRICHED), batch)
        es = es_client(stack)
        wait_until(lambda: count(es, stack.alias) == 21, 60, "21 documents")
        letters = [
            DeadLetter.model_validate_json(r.value)
            for r in read_all(stack.kafka_bootstrap, stack.topic(Topics.DEADLETTER), 4)
        ]
        groups = {stack.group("newsflow-index"): stack.topic(Topics.ENRICHED)}
        wait_until(lambda: sum(r["lag"] for r in consumer_lag(stack.kafka_config, groups)) == 0, 60, "index lag 0")
    assert es.get(index=stack.alias, id=newer.id)["_source"]["title"] == "Newer enrichment"
    assert es.get(index=stack.alias, id=newer.id)["_version"] == 200
    assert sorted(letter.error_type for letter in letters) == ["invalid", "not-json", "not-utf8", "unsupported-version"]
    not_utf8 = next(letter for letter in letters if letter.error_type == "not-utf8")
    assert (
        not_utf8.payload_encoding == "base64"
        and not_utf8.stage == "index"
        and not_utf8.topic == stack.topic(Topics.ENRICHED)
    )
    doc = es.get(index=stack.alias, id=enriched(5).id)["_source"]
    assert doc["people"] == ["Ada Lind"] and doc["places"] == ["Riverton"] and doc["mentioned_days"] == ["2025-03-03"]
    assert count(es, stack.alias, term={"people": "Ada Lind"}) == 21
    hits = es.search(index=stack.alias, query={"match": {"body": "bridges opening"}})["hits"]["total"]["value"]
    assert hits == 21, "the english analyser stems bridges/opened"


def test_mapping_errors_are_dead_lettered_not_retried(stack, tmp_path):
    env = service_env(stack, tmp_path, NEWSFLOW_BULK_MAX_WAIT_S="0.2")
    bad = enriched("immense-source").model_dump(mode="json")
    # Valid for the schema (a source is free text), but a keyword over Lucene's 32,766-byte term limit, which
    # Elasticsearch refuses with 400 whatever is retried.
    bad["source"] = "s" * 40_000
    value = json.dumps(bad).encode()
    headers = encode(enriched(1))[1]
    with service("index", env, tmp_path):
        produce(stack.kafka_bootstrap, stack.topic(Topics.ENRICHED), [(b"x", value, headers), record(enriched("ok"))])
        es = es_client(stack)
        wait_until(lambda: count(es, stack.alias) == 1, 60, "the good document")
        letters = read_all(stack.kafka_bootstrap, stack.topic(Topics.DEADLETTER), 1)
    assert len(letters) == 1
    letter = DeadLetter.model_validate_json(letters[0].value)
    assert letter.error_type == "rejected-by-elasticsearch", letter
    assert "400" in letter.error_message and json.loads(letter.payload) == bad


def test_a_stage_that_dead_letters_everything_stops_instead_of_draining_its_topic(stack, tmp_path):
    """The dead-letter brake: 30 messages nobody can index, then 3 good ones. With a limit of 5 in a row, index
    dead-letters the bulk it trips in (bulks of 10), stops, reports why, and commits nothing; restarted (the cause
    fixed), it goes on from where it stopped. A bulk waits up to 3 s to fill: with all 33 there, the first is a
    full 10, so the brake trips in it (with a 0.2 s wait a first bulk of fewer than 5 could be committed; this
    test failed once in about ten runs on Apache Kafka)."""
    env = service_env(
        stack, tmp_path, NEWSFLOW_BULK_MAX_DOCS="10", NEWSFLOW_BULK_MAX_WAIT_S="3", NEWSFLOW_DLQ_MAX_CONSECUTIVE="5"
    )
    headers = encode(enriched(1))[1]
    poison = [(f"bad-{n}".encode(), b"{not json", headers) for n in range(30)]
    good = [record(enriched(f"after-{n}")) for n in range(3)]
    groups = {stack.group("newsflow-index"): stack.topic(Topics.ENRICHED)}
    port = env["NEWSFLOW_INDEX_PORT"]
    ensure_topics(stack.kafka_config, 3, 1, stack.namespace)
    produce(stack.kafka_bootstrap, stack.topic(Topics.ENRICHED), poison + good)  # all there before it starts
    with service("index", env, tmp_path, probe="/healthz"):

        def braked() -> bool:
            code, body = http_json(f"http://127.0.0.1:{port}/readyz")
            return code == 503 and bool((body or {}).get("deadletter_brake"))

        # 120 s: once in CI (the whole suite on two cores) 60 s were not enough, with no log kept to say why;
        # alone it trips within 2 s. `service` now prints the log's tail when the test fails.
        wait_until(braked, 120, "index stopping on its brake")
        reason = http_json(f"http://127.0.0.1:{port}/readyz")[1]["deadletter_brake"]
        assert "in a row dead-lettered" in reason, reason
        # It stops within the batches in flight when it trips (batches of up to 10), long before the 30.
        before = len(read_all(stack.kafka_bootstrap, stack.topic(Topics.DEADLETTER), 5))
        assert 5 <= before <= 20, f"{before} dead letters: the brake did not stop the draining"
        # Committed offsets, not lag: Tansu's end offsets undercount (see tests/integration/kafka_util.py).
        assert sum(r["committed"] for r in consumer_lag(stack.kafka_config, groups)) == 0, "something was committed"
    fixed = env | {"NEWSFLOW_DLQ_MAX_CONSECUTIVE": "0"}
    with service("index", fixed, tmp_path):
        es = es_client(stack)
        wait_until(lambda: count(es, stack.alias) == 3, 60, "the good articles after the fix")
        # The letters of before again (they were never committed), then all 30.
        assert len(read_all(stack.kafka_bootstrap, stack.topic(Topics.DEADLETTER), before + 30)) == before + 30


def test_an_index_made_before_the_new_fields_takes_them_and_places_are_searchable_on_a_map(stack, tmp_path):
    """An index created with the 1.0 mapping (no authors, languages or place points) is given the added fields when
    index starts, so a 1.1 document is not refused by the strict mapping; its place is found by distance."""
    from newsflow.contract import EntityFacet
    from newsflow.contract.mapping import MAPPINGS, index_name

    added = {"authors", "language_source", "language_confidence", "entities_status", "place_points", "place_countries"}
    old_properties = {k: v for k, v in MAPPINGS["properties"].items() if k not in added}
    old_properties["body"] = {"type": "text", "analyzer": "english"}  # body.standard came with 1.1 too
    old = {**MAPPINGS, "properties": old_properties}
    es = es_client(stack)
    es.indices.create(index=index_name(stack.alias, 1), mappings=old, aliases={stack.alias: {"is_write_index": True}})
    assert (
        "authors" not in es.indices.get_mapping(index=stack.alias)[index_name(stack.alias, 1)]["mappings"]["properties"]
    )
    article = enriched("located").model_copy(
        update={
            "authors": ["Jane Roe"],
            "language_source": "detected",
            "places": [
                EntityFacet(
                    name="Gothenburg",
                    label="GPE",
                    count=1,
                    country_code="SE",
                    geonames_id=2711537,
                    latitude=57.70716,
                    longitude=11.96679,
                )
            ],
        }
    )
    env = service_env(stack, tmp_path, NEWSFLOW_BULK_MAX_WAIT_S="0.2")
    with service("index", env, tmp_path):
        produce(stack.kafka_bootstrap, stack.topic(Topics.ENRICHED), [record(article)])
        wait_until(lambda: count(es, stack.alias) == 1, 60, "the located article")
    near = {"geo_distance": {"distance": "20km", "place_points": {"lat": 57.7, "lon": 11.97}}}
    far = {"geo_distance": {"distance": "20km", "place_points": {"lat": 59.33, "lon": 18.07}}}
    assert es.count(index=stack.alias, query=near)["count"] == 1
    assert es.count(index=stack.alias, query=far)["count"] == 0
    assert count(es, stack.alias, term={"authors": "Jane Roe"}) == 1
    assert count(es, stack.alias, term={"place_countries": "SE"}) == 1
    assert count(es, stack.alias, match={"body.standard": "bridge"}) == 1


def test_copies_under_other_urls_join_the_first_articles_story_after_a_restart(stack, tmp_path):
    """The story state is in Elasticsearch, not in the indexer: a copy indexed by a new process (after the one that
    indexed its original stopped) still joins the original's story; a same-topic story does not; search collapses."""
    from tests.unit.test_copies import SAME_TOPIC, STORY

    original = enriched("wire", title="Eastborough closes its harbour bridge to cars", body=STORY).model_copy(
        update={"url": "https://wire.example/a/1"}
    )
    other = enriched("other", title="Westborough builds a footbridge", body=SAME_TOPIC)
    cut = enriched("cut", title="Bridge shut after cracks found", body=STORY[: int(len(STORY) * 0.6)])
    brief = enriched("brief", title="UPDATE: bridge closed", body=STORY[:400] + " More to follow.")
    env = service_env(stack, tmp_path, NEWSFLOW_BULK_MAX_WAIT_S="0.2")
    es = es_client(stack)
    with service("index", env, tmp_path) as first:
        produce(stack.kafka_bootstrap, stack.topic(Topics.ENRICHED), [record(original), record(other)])
        wait_until(lambda: count(es, stack.alias) == 2, 60, "the original and the other story")
    assert first.pid() is None, "the first indexer is gone before the copies come"
    copies = [
        record(a.model_copy(update={"url": f"https://outlet{n}.example/{a.id}"})) for n, a in enumerate((cut, brief))
    ]
    with service("index", env, tmp_path):
        produce(stack.kafka_bootstrap, stack.topic(Topics.ENRICHED), copies)
        wait_until(lambda: count(es, stack.alias) == 4, 60, "the two copies")
    docs = {a.id: es.get(index=stack.alias, id=a.id)["_source"] for a in (original, other, cut, brief)}
    placed = {k: (d["story_id"], d["duplicate_of"], d["is_duplicate"]) for k, d in docs.items()}
    assert placed == {
        original.id: (original.id, None, False),
        other.id: (other.id, None, False),
        cut.id: (original.id, original.id, True),
        brief.id: (original.id, original.id, True),
    }
    collapsed = es.search(index=stack.alias, query={"match": {"body": "bridge"}}, collapse={"field": "story_id"})
    assert sorted(h["_id"] for h in collapsed["hits"]["hits"]) == sorted([original.id, other.id])


STORIES_RACED = 300
# Seconds between pairs, a round each. Whether a round races is up to timing: here a first round at 10 ms raced
# every time (10 to 75 stories rewritten), yet in one CI run on Apache Kafka three such rounds rewrote nothing. A
# burst of the whole round raced in 1 round of the 10 tried, so rounds are paced, each at another rate.
RACE_PACES = (0.01, 0.03, 0.005, 0.01, 0.02, 0.01, 0.05, 0.01)


def test_two_indexers_on_several_partitions_make_one_story_of_copies_they_index_at_the_same_moment(stack, tmp_path):
    """Copies sent together to different partitions, read by two indexers of one group: neither indexer's search
    before its batch sees the other's copy, and the look after it makes them one story anyway. A round that raced
    rewrote some story (the counter says so); rounds go on until one did, and on the reference Kafka one must."""
    import random
    import time
    import urllib.request

    from kafka import KafkaProducer

    from tests.servers import STACK
    from tests.unit.test_copies import SAME_TOPIC, STORY

    vocabulary = sorted(set((STORY + " " + SAME_TOPIC).split()))

    def stories_of(round_: int) -> list[tuple]:
        out = []
        for n in range(STORIES_RACED):  # stories in the same words, none a copy of another: original and brief
            rnd = random.Random(f"{round_}-{n}")
            body = " ".join(rnd.choice(vocabulary) for _ in range(200))
            out.append(
                (
                    enriched(f"story-{round_}-{n}", title=f"Story number {n} of round {round_}", body=body),
                    enriched(f"brief-{round_}-{n}", title=f"Brief {n}", body=body[: int(len(body) * 0.7)]),
                )
            )
        return out

    homes = [tmp_path / "a", tmp_path / "b"]
    envs = [service_env(stack, home, NEWSFLOW_BULK_MAX_WAIT_S="0.2") for home in homes]
    es = es_client(stack)
    groups = {stack.group("newsflow-index"): stack.topic(Topics.ENRICHED)}
    with service("index", envs[0], homes[0]) as one, service("index", envs[1], homes[1]) as two:

        def held() -> list[set]:
            """The partitions each indexer holds, from its last "partitions assigned" line."""
            out = []
            for proc in (one, two):
                lines = [json.loads(ln) for ln in proc.logfile.read_text().splitlines() if "partitions assigned" in ln]
                out.append(set(lines[-1]["partitions"]) if lines else set())
            return out

        def rewrites() -> float:
            total = 0.0
            for env in envs:
                port = env["NEWSFLOW_INDEX_PORT"]
                text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
                total += sum(
                    float(line.split()[-1])
                    for line in text.splitlines()
                    if line.startswith("newsflow_index_story_rewrites_total ")
                )
            return total

        for round_, pace in enumerate(RACE_PACES):
            wait_until(lambda: all(held()) and len(set.union(*held())) == 3, 90, "both indexers holding partitions")
            stories = stories_of(round_)
            producer = KafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all", linger_ms=0)
            try:
                # A pair at a time, both copies out together, a steady stream keeping both indexers busy: their
                # batches overlap, and a copy lands in one while its original is in the other's.
                for n, (original, brief) in enumerate(stories):
                    for partition, article in ((n % 3, original), ((n + 1) % 3, brief)):
                        value, headers = encode(article)
                        producer.send(stack.topic(Topics.ENRICHED), value=value, headers=headers, partition=partition)
                    producer.flush(30)
                    time.sleep(pace)  # pacing the stream, not waiting for anything
            finally:
                producer.close()
            expected = 2 * STORIES_RACED * (round_ + 1)
            wait_until(lambda: count(es, stack.alias) == expected, 120, "every document")  # noqa: B023
            wait_until(lambda: sum(r["lag"] for r in consumer_lag(stack.kafka_config, groups)) == 0, 60, "lag 0")
            es.indices.refresh(index=stack.alias)
            for original, brief in stories:
                docs = [es.get(index=stack.alias, id=a.id)["_source"] for a in (original, brief)]
                placed = [(d["id"], d["story_id"], d["duplicate_of"]) for d in docs]
                assert len({d["story_id"] for d in docs}) == 1, placed
                assert sorted(d["is_duplicate"] for d in docs) == [False, True], placed
            firsts = {es.get(index=stack.alias, id=o.id)["_source"]["story_id"] for o, _ in stories}
            assert len(firsts) == STORIES_RACED
            raced = rewrites()
            print(f"round {round_} (pace {pace}): story rewrites so far {raced:.0f}")
            if raced:
                break
    if stack.kind == STACK:
        assert raced > 0, "no story was rewritten in any round: the indexers never raced, and nothing was proved"
