"""Saved-query alerts on each Kafka with the reference Elasticsearch: index raises one alert per story per query as it
stores articles (copies and restarts included), and the webhook stage POSTs them, retries, and dead-letters."""

from datetime import UTC, datetime

import pytest
from kafka.errors import KafkaError

from newsflow.contract import DeadLetter, Topics, decode, encode
from newsflow.contract.alerts import Alert, SavedQuery
from newsflow.contract.stages import stage
from newsflow.exporter.lag import consumer_lag
from newsflow.runtime.servers import http_json, wait_until
from newsflow.runtime.topics import ensure_topics
from tests import factories
from tests.factories import enriched
from tests.integration.kafka_util import produce, read_all
from tests.integration.test_index_service import es_client, record
from tests.receiver import Receiver
from tests.running import service, service_env

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)


def save(stack, *queries: SavedQuery) -> None:
    ensure_topics(stack.kafka_config, 3, 1, stack.namespace)
    produce(
        stack.kafka_bootstrap,
        stack.topic(Topics.SAVED_QUERIES),
        [(q.name.encode(), *encode(q)) for q in queries],
    )


def alerts_on_topic(stack, expect: int) -> list[Alert]:
    return [
        decode(r.value, r.headers, Alert) for r in read_all(stack.kafka_bootstrap, stack.topic(Topics.ALERTS), expect)
    ]


def lag_zero(stack, name: str) -> bool:
    groups = {stack.group(stage(name).group): stack.topic(stage(name).reads)}
    try:
        return sum(r["lag"] for r in consumer_lag(stack.kafka_config, groups)) == 0
    except KafkaError:  # a fresh broker's group coordinator not elected yet (NotCoordinatorError): ask again
        return False


@pytest.mark.parametrize("match_on", ["archive", "batch-copy"])
def test_index_raises_one_alert_per_story_and_query_across_copies_batches_and_a_restart(stack, tmp_path, match_on):
    """Also with the queries matched on a copy of each batch (BatchCopy, the embedded stack's way): the same alerts,
    and the copy left empty. That way is the search server's matter, so one Kafka runs it."""
    from tests.unit.test_copies import SAME_TOPIC, STORY

    if match_on == "batch-copy" and stack.kind != "apache":
        pytest.skip("matching on a copy of the batch concerns the search server: run on Apache Kafka only")
    save(
        stack,
        SavedQuery(name="bridges", query="harbour bridge", created_at=NOW),
        SavedQuery(name="ada", query="", people=["ada lind"], created_at=NOW),  # any case, as `newsflow entity`
        SavedQuery(name="nobody", query="volcano eruption", created_at=NOW),
    )
    original = enriched("wire", title="Eastborough closes its harbour bridge to cars", body=STORY)
    cut = enriched("cut", title="Bridge shut after cracks found", body=STORY[: int(len(STORY) * 0.6)])
    other = enriched("other", title="Westborough builds a footbridge", body=SAME_TOPIC)
    brief = enriched("brief", title="UPDATE: bridge closed", body=STORY[:400] + " More to follow.")
    env = service_env(stack, tmp_path, NEWSFLOW_BULK_MAX_WAIT_S="0.2", NEWSFLOW_ALERTS_MATCH_ON=match_on)
    port = env[stage("index").port_setting]
    with service("index", env, tmp_path):
        wait_until(lambda: http_json(f"http://127.0.0.1:{port}/readyz")[1]["saved_queries"] == 3, 60, "queries read")
        # One batch holding a story and its copy, and another story on the same topic.
        produce(stack.kafka_bootstrap, stack.topic(Topics.ENRICHED), [record(original), record(cut), record(other)])
        wait_until(lambda: lag_zero(stack, "index"), 60, "index lag 0")
        first = alerts_on_topic(stack, 4)
    # Restarted: a later copy of the first story finds its alert already raised.
    with service("index", env, tmp_path):
        produce(stack.kafka_bootstrap, stack.topic(Topics.ENRICHED), [record(brief)])
        wait_until(lambda: lag_zero(stack, "index"), 60, "index lag 0 again")
        every = alerts_on_topic(stack, 4)
    es = es_client(stack)
    stories = {a.id: es.get(index=stack.alias, id=a.id)["_source"]["story_id"] for a in (original, cut, other, brief)}
    assert stories[original.id] == stories[cut.id] == stories[brief.id] != stories[other.id]
    expected = {f"{q}:{stories[a.id]}" for q in ("bridges", "ada") for a in (original, other)}
    assert sorted(a.id for a in first) == sorted(expected), [a.id for a in first]
    assert sorted(a.id for a in every) == sorted(expected), "a copy raised an alert again"
    copy_alert = next(a for a in every if a.id == f"bridges:{stories[original.id]}")
    assert copy_alert.article_id in (original.id, cut.id) and copy_alert.title in (original.title, cut.title)
    assert all(a.matched_at >= a.indexed_at for a in every)
    if match_on == "batch-copy":
        copy = f"{stack.namespace}matching-articles"
        es.indices.refresh(index=copy)
        assert es.count(index=copy)["count"] == 0, "the batches' copies were left behind"


def alert(n: int, webhook: str) -> tuple[bytes, bytes, list]:
    a = factories.alert(n, webhook)
    return (a.id.encode(), *encode(a))


def test_webhooks_deliver_retry_and_dead_letter_without_holding_the_others(stack, tmp_path):
    with Receiver({"/flaky": [503, 500, 200], "/gone": [404], "/down": [502]}) as hooks:
        env = service_env(stack, tmp_path, NEWSFLOW_WEBHOOK_ATTEMPTS="4", NEWSFLOW_WEBHOOK_MAX_BACKOFF_S="0.2")
        ensure_topics(stack.kafka_config, 3, 1, stack.namespace)
        with service("webhooks", env, tmp_path):
            produce(
                stack.kafka_bootstrap,
                stack.topic(Topics.ALERTS),
                [
                    alert(1, hooks.url("/down")),
                    alert(2, hooks.url("/flaky")),
                    alert(3, hooks.url("/gone")),
                    alert(4, hooks.url("/ok")),
                ],
            )
            letters = [
                DeadLetter.model_validate_json(r.value)
                for r in read_all(stack.kafka_bootstrap, stack.topic(Topics.DEADLETTER), 2)
            ]
            wait_until(lambda: lag_zero(stack, "webhooks"), 60, "webhooks lag 0")
    assert [b["id"] for b in hooks.bodies("/ok")] == ["q:story-4"]
    assert [b["id"] for b in hooks.bodies("/flaky")] == ["q:story-2"] * 3  # delivered on its third POST
    assert len(hooks.bodies("/gone")) == 1 and len(hooks.bodies("/down")) == 4
    assert sorted((letter.stage, letter.error_type) for letter in letters) == [
        ("webhooks", "webhook-refused"),
        ("webhooks", "webhook-unreachable"),
    ]
    assert {Alert.model_validate_json(letter.payload).id for letter in letters} == {"q:story-1", "q:story-3"}
