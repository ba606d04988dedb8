"""index on each Kafka (Apache Kafka, noida-db, Tansu) and on Elasticsearch."""

import json

import pytest

from newsflow.cli.lag import consumer_lag
from newsflow.runtime.servers import wait_until
from newsflow.runtime.settings import CommonSettings
from schemas import DeadLetter, Topics, encode
from schemas.codec import HEADER_SCHEMA, HEADER_VERSION
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
        letters = [DeadLetter.model_validate_json(r.value) for r in read_all(stack.kafka_bootstrap, stack.topic(Topics.DEADLETTER), 4)]
        groups = {stack.group("newsflow-index"): stack.topic(Topics.ENRICHED)}
        wait_until(lambda: sum(r["lag"] for r in consumer_lag(stack.kafka_config, groups)) == 0,
                   60, "index lag 0")
    assert es.get(index=stack.alias, id=newer.id)["_source"]["title"] == "Newer enrichment"
    assert es.get(index=stack.alias, id=newer.id)["_version"] == 200
    assert sorted(letter.error_type for letter in letters) == ["invalid", "not-json", "not-utf8", "unsupported-version"]
    not_utf8 = next(letter for letter in letters if letter.error_type == "not-utf8")
    assert not_utf8.payload_encoding == "base64" and not_utf8.stage == "index" and not_utf8.topic == stack.topic(Topics.ENRICHED)
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
