"""The fault-injection suite: each scenario feeds a known set of articles, breaks something mid-run, and
checks from Elasticsearch that every article is there exactly once, that nothing unexpected was
dead-lettered, and that consumer lag returns to zero. `pytest -m faults` runs it alone."""

from __future__ import annotations

import base64
import json
import random
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from newsflow.cli.procs import Proc
from newsflow.contract import ArticleSubmission, Topics, encode, original_record
from newsflow.contract.codec import HEADER_SCHEMA, HEADER_VERSION
from newsflow.runtime.servers import free_port, http_json, wait_until
from newsflow.stages.ingest.prepare import prepare
from tests.factories import enriched
from tests.faults.harness import (
    CRASH_MARKER,
    TUNING,
    Deployment,
    corpus,
    deployment_env,
    finish,
    ids_of,
    terminate,
    wait_mid_run,
)
from tests.integration.kafka_util import produce
from tests.running import isolated_env, log_tail
from tests.servers import STACK, isolated
from tests.tools import require_apache_tools

pytestmark = [pytest.mark.faults, pytest.mark.e2e]

RUN = 500  # articles per scenario: the issue asks for at least 500

own_servers = pytest.mark.skipif(STACK != "apache", reason="kills and restarts servers the suite started itself")


@contextmanager
def deployed(home, env):
    dep = Deployment(env, home)
    try:
        dep.up()
        yield dep
    finally:
        dep.cli("down")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, request):
    """`newsflow up --stack apache` in a home of its own: Apache Kafka and Elasticsearch it can kill."""
    home = tmp_path_factory.mktemp("faults-home")
    if STACK == "apache":
        require_apache_tools()
        with deployed(home, deployment_env(home)) as dep:
            status = json.loads(dep.cli("status", "--json").stdout)
            assert status["stack"] == "apache", status
            yield dep
    else:  # servers the suite cannot kill: the services only, on them
        shared = request.getfixturevalue("servers")
        with deployed(
            home, isolated_env(home, **TUNING) | isolated(shared).env() | {"NEWSFLOW_LOCAL_STACK": "none"}
        ) as dep:
            yield dep


@pytest.fixture
def fresh(deployment):
    """Every scenario starts with everything running and nothing left to do."""
    deployment.up()
    wait_until(lambda: deployment.total_lag() == 0, 120, "no lag before the scenario", interval=0.5)
    return deployment


def dead_letter_mark(dep: Deployment) -> int:
    return dep.end_offsets(Topics.DEADLETTER)


def counter(dep: Deployment, service: str, series: str) -> float:
    return dep.metrics(service).get(series, 0.0)


# -- SIGKILL, then `newsflow up` ------------------------------------------------------------------------


def test_sigkill_ingest_mid_feed_then_up(fresh, tmp_path):
    articles, mark = corpus("kill-ingest", RUN), dead_letter_mark(fresh)
    raw_before = fresh.end_offsets(Topics.RAW)
    feeding = fresh.start_feeding(articles, tmp_path, NEWSFLOW_FEED_BATCH="5")
    wait_mid_run(lambda: fresh.end_offsets(Topics.RAW) - raw_before, 50, RUN, "articles on the raw topic")
    killed = fresh.kill("ingest")
    assert feeding.poll() is None, "the feed had already finished: ingest was not killed mid-run"
    fresh.up_restarts("ingest", killed)  # what the user does; the feed, still running, resends what ingest did not take
    out = finish(feeding)
    assert f"accepted {RUN}, rejected 0" in out, out
    assert "resent" in out, f"the feed never saw ingest go away: {out}"
    fresh.assert_exactly_once("kill-ingest", ids_of(articles), mark)


@pytest.mark.parametrize("service, group", [("enrich", "newsflow-enrich"), ("index", "newsflow-index")])
def test_sigkill_a_consumer_mid_run_then_up(fresh, tmp_path, service, group):
    tag = f"kill-{service}"
    articles, mark = corpus(tag, RUN), dead_letter_mark(fresh)
    before = fresh.end_offsets(Topics.ENRICHED)
    fresh.feed(articles, tmp_path)
    if service == "enrich":
        wait_mid_run(lambda: fresh.end_offsets(Topics.ENRICHED) - before, 60, RUN, "enriched articles")
    else:
        wait_mid_run(lambda: fresh.stored_count(tag), 60, RUN, "indexed articles")
    killed = fresh.kill(service)
    # The pipeline saw it: with the group's only consumer gone, its work waits.
    wait_until(lambda: fresh.group_lag(group) > 0, 30, f"lag of {group} with its consumer killed", interval=0.2)
    fresh.up_restarts(service, killed)
    fresh.assert_exactly_once(tag, ids_of(articles), mark)


# -- dependencies failing: their JVMs killed ---------------------------------------------------------------


@own_servers
def test_elasticsearch_killed_for_30_seconds_then_up(fresh, tmp_path):
    articles, mark = corpus("es-down", RUN), dead_letter_mark(fresh)
    index_pid = fresh.pid("index")

    def retried() -> float:
        """Index's retries of Elasticsearch: its bulk, or the search for a batch's earlier copies before it."""
        return sum(counter(fresh, "index", f'newsflow_index_retries_total{{what="{w}"}}') for w in ("bulk", "stories"))

    retries = retried()
    fresh.feed(articles, tmp_path)
    wait_mid_run(lambda: fresh.stored_count("es-down"), 40, RUN, "indexed articles")
    outage_started = time.monotonic()
    killed = fresh.kill("elasticsearch")
    wait_until(lambda: fresh.ready("index")[0] == 503, 60, "index reporting itself unready", interval=0.1)
    assert fresh.ready("index")[1]["elasticsearch_ok"] is False
    # The outage lasts 30 s by definition of the scenario: this is its length, not a wait for something.
    time.sleep(max(0.0, 30 - (time.monotonic() - outage_started)))
    assert retried() > retries, "index never retried"
    assert fresh.proc("index").pid() == index_pid, "index exited during the outage:\n" + log_tail(fresh.proc("index"))
    fresh.up_restarts("elasticsearch", killed)
    wait_until(lambda: fresh.ready("index")[0] == 200, 120, "index ready again on its own", interval=0.2)
    fresh.assert_exactly_once("es-down", ids_of(articles), mark)
    assert fresh.pid("index") == index_pid, "index was restarted instead of recovering"


@own_servers
def test_kafka_killed_mid_run_then_up_loses_nothing_acknowledged(fresh, tmp_path):
    """kill -9 of the broker's JVM mid-run, half the articles fed before and half while it is down; `newsflow
    up` starts it again on the same data. Everything ingest acknowledged (acks=all) must still be there."""
    articles, mark = corpus("kafka-killed", RUN), dead_letter_mark(fresh)
    first, second = articles[: RUN // 2], articles[RUN // 2 :]
    pids = {name: fresh.pid(name) for name in ("ingest", "enrich", "index")}
    failed = counter(fresh, "ingest", 'newsflow_ingest_rejected_total{reason="broker"}')
    before = fresh.end_offsets(Topics.ENRICHED)
    fresh.feed(first, tmp_path)
    wait_mid_run(lambda: fresh.end_offsets(Topics.ENRICHED) - before, 30, len(first), "enriched articles")
    killed = fresh.kill("kafka")
    feeding = fresh.start_feeding(second, tmp_path, NEWSFLOW_FEED_BATCH="5")
    wait_until(
        lambda: counter(fresh, "ingest", 'newsflow_ingest_rejected_total{reason="broker"}') > failed,
        60,
        "ingest failing to publish while the broker is down",
        interval=0.2,
    )
    fresh.up_restarts("kafka", killed)
    out = finish(feeding)
    assert f"accepted {len(second)}, rejected 0" in out and "resent" in out, out
    fresh.assert_exactly_once("kafka-killed", ids_of(articles), mark)
    assert {name: fresh.pid(name) for name in pids} == pids, "a service died with the broker instead of recovering"


# -- hostile messages -----------------------------------------------------------------------------------------


def test_poison_messages_on_both_topics_are_dead_lettered_once_and_the_rest_indexed(fresh, tmp_path):
    tag = "poison"
    articles, mark = corpus(tag, RUN), dead_letter_mark(fresh)
    now = datetime.now(UTC)
    raws = [prepare(ArticleSubmission.model_validate(a), "faults", now, 10**7) for a in articles]
    good = [(r.id.encode(), *encode(r)) for r in raws]
    headers = good[0][2]
    crasher = prepare(
        ArticleSubmission(
            text=f"The mayor of Riverton spoke to reporters on Monday about the harbour repairs, {CRASH_MARKER} said.",
            title="crash",
            source=f"faults-{tag}",
        ),
        "faults",
        now,
        10**7,
    )
    raw_poison = [
        ((b"p1", b"\xff\xfe\x00 not text", headers), "not-utf8"),
        ((b"p2", b"{this is not json", headers), "not-json"),
        (
            (b"p3", good[0][1], [(HEADER_SCHEMA, b"newsflow.something.else"), (HEADER_VERSION, b"1.0")]),
            "unknown-schema",
        ),
        (
            (b"p4", good[0][1], [(HEADER_SCHEMA, b"newsflow.article.raw"), (HEADER_VERSION, b"2.0")]),
            "unsupported-version",
        ),
        ((b"p5", b'{"id": "not-an-id", "content": ""}', headers), "invalid"),
        ((b"p6", good[0][1], []), "missing-schema"),
        ((crasher.id.encode(), *encode(crasher)), "enrich-crashed"),
    ]
    enriched_headers = encode(enriched(0))[1]
    unmappable = enriched("poison-unmappable").model_dump(mode="json")
    unmappable["source"] = "s" * 40_000  # valid for the schema; a keyword over Lucene's term limit, refused with 400
    enriched_poison = [
        ((b"e1", b"\xc3\x28", enriched_headers), "not-utf8"),
        ((b"e2", b"[1, 2", enriched_headers), "not-json"),
        ((b"e3", b"{}", [(HEADER_SCHEMA, b"newsflow.article.raw"), (HEADER_VERSION, b"1.0")]), "unknown-schema"),
        (
            (b"e4", encode(enriched(1))[0], [(HEADER_SCHEMA, b"newsflow.article.enriched"), (HEADER_VERSION, b"3.1")]),
            "unsupported-version",
        ),
        ((b"e5", b'{"id": "x"}', enriched_headers), "invalid"),
        ((b"e6", json.dumps(unmappable).encode(), enriched_headers), "rejected-by-elasticsearch"),
    ]
    # Interleaved: a poison message every 60 valid ones or so, in random places, on both topics.
    stream = list(good)
    rng = random.Random(5)
    for record, _ in raw_poison:
        stream.insert(rng.randrange(len(stream)), record)
    bootstrap = fresh.env["NEWSFLOW_KAFKA_BOOTSTRAP"]
    produce(bootstrap, fresh.topic(Topics.RAW), stream)
    produce(bootstrap, fresh.topic(Topics.ENRICHED), [record for record, _ in enriched_poison])
    fresh.assert_exactly_once(tag, ids_of(articles), mark, expected_letters=len(raw_poison) + len(enriched_poison))
    letters = fresh.dead_letters(mark)
    got = sorted((d.stage, d.error_type) for d in letters)
    want = sorted([("enrich", r) for _, r in raw_poison] + [("index", r) for _, r in enriched_poison])
    assert got == want
    by_key = {d.key: d for d in letters}
    for (key, value, _), _reason in raw_poison + enriched_poison:
        letter = by_key[base64.b64encode(key).decode()]
        assert original_record(letter)[1] == value, "the dead letter does not hold the original bytes"
    assert fresh.ready("enrich")[0] == 200 and fresh.ready("index")[0] == 200


def test_duplicate_and_out_of_order_redeliveries_leave_one_current_document(fresh, tmp_path):
    mark = dead_letter_mark(fresh)
    # Raw duplicates: all the articles fed once, 100 of them fed twice more, and those 100 produced twice more
    # straight onto the raw topic, as a producer retrying outside ingest would.
    articles = corpus("redeliver", RUN)
    fresh.feed(articles, tmp_path)
    fresh.feed(articles[:100], tmp_path)
    fresh.feed(articles[:100], tmp_path)
    now = datetime.now(UTC)
    again = [prepare(ArticleSubmission.model_validate(a), "faults", now, 10**7) for a in articles[:100]]
    raw_before = fresh.end_offsets(Topics.RAW)
    produce(
        fresh.env["NEWSFLOW_KAFKA_BOOTSTRAP"], fresh.topic(Topics.RAW), [(r.id.encode(), *encode(r)) for r in again] * 2
    )
    assert fresh.end_offsets(Topics.RAW) - raw_before == 200
    fresh.assert_exactly_once("redeliver", ids_of(articles), mark)
    # Enriched re-deliveries of one id in every order: versions 1..5, shuffled, each sent twice.
    versions = [enriched("redeliver-ordered", version=v, title=f"version {v}") for v in range(1, 6)]
    records = [(a.id.encode(), *encode(a)) for a in versions] * 2
    random.Random(3).shuffle(records)
    produce(fresh.env["NEWSFLOW_KAFKA_BOOTSTRAP"], fresh.topic(Topics.ENRICHED), records)
    es = fresh.es()
    wait_until(lambda: fresh.total_lag() == 0, 120, "lag zero", interval=0.5)
    doc = es.get(index=fresh.alias, id=versions[0].id)
    assert doc["_version"] == 5 and doc["_source"]["title"] == "version 5"
    assert fresh.dead_letters(mark) == []


# -- a consumer group losing a member -----------------------------------------------------------------------


@pytest.fixture
def group_deployment(servers, tmp_path):
    """The three services on the session's Apache Kafka and Elasticsearch, in a namespace of their own: Kafka
    expires a dead group member after its session timeout (noida-db 0.2.3 never does)."""
    home = tmp_path / "home"
    env = isolated_env(home, **TUNING) | isolated(servers).env() | {"NEWSFLOW_LOCAL_STACK": "none"}
    with deployed(home, env) as dep:
        yield dep


def test_two_enrich_workers_one_killed_the_other_takes_over(group_deployment, tmp_path):
    fresh = group_deployment
    articles, mark = corpus("failover", RUN), dead_letter_mark(fresh)
    port = free_port()
    second = Proc(
        "enrich-b",
        [sys.executable, "-m", "newsflow.stages.enrich"],
        fresh.home,
        fresh.env | {"NEWSFLOW_ENRICH_PORT": str(port), "NEWSFLOW_ENRICH_PROCESSES": "1"},
    )
    second.start()
    try:

        def assigned(p: int) -> int:
            code, body = http_json(f"http://127.0.0.1:{p}/readyz")
            return (body or {}).get("assigned_partitions", 0) if code == 200 else 0

        first_port = fresh.port("enrich")
        wait_until(
            lambda: assigned(port) > 0 and assigned(first_port) > 0,
            120,
            "both enrich workers holding partitions",
            interval=0.2,
        )
        before = fresh.end_offsets(Topics.ENRICHED)
        fresh.feed(articles, tmp_path)
        wait_mid_run(lambda: fresh.end_offsets(Topics.ENRICHED) - before, 60, RUN, "enriched articles")
        killed = second.kill()
        assert killed and second.pid() is None
        # Nobody tells the broker: the dead member's session expires (10 s), then the group rebalances.
        wait_until(lambda: assigned(first_port) == 3, 60, "the surviving worker holding every partition", interval=0.2)
        fresh.assert_exactly_once("failover", ids_of(articles), mark)
    finally:
        second.kill(missing_ok=True)


# -- clean shutdown -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("service", ["ingest", "enrich", "index"])
def test_sigterm_mid_run_exits_in_bounded_time_and_loses_nothing(fresh, tmp_path, service):
    tag = f"sigterm-{service}"
    articles, mark = corpus(tag, RUN), dead_letter_mark(fresh)
    raw_before, enriched_before = fresh.end_offsets(Topics.RAW), fresh.end_offsets(Topics.ENRICHED)
    feeding = fresh.start_feeding(articles, tmp_path, NEWSFLOW_FEED_BATCH="5")
    progress = {
        "ingest": lambda: fresh.end_offsets(Topics.RAW) - raw_before,
        "enrich": lambda: fresh.end_offsets(Topics.ENRICHED) - enriched_before,
        "index": lambda: fresh.stored_count(tag),
    }[service]
    wait_mid_run(progress, 40, RUN, f"{service}'s progress")
    seconds = terminate(fresh.proc(service), timeout=60)
    assert seconds < 30, f"{service} took {seconds:.1f} s to stop"
    fresh.up()
    finish(feeding)
    fresh.assert_exactly_once(tag, ids_of(articles), mark)
