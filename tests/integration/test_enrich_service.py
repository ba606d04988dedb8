"""enrich (the faust app and its spaCy worker processes) on each Kafka: Apache Kafka, noida-db and Tansu."""

import time
from datetime import UTC, datetime

import pytest

from newsflow.contract import ArticleSubmission, DeadLetter, EnrichedArticle, RawArticle, Topics, decode, encode
from newsflow.contract.codec import HEADER_SCHEMA, HEADER_VERSION
from newsflow.runtime.servers import http_json
from newsflow.stages.ingest.prepare import article_id, prepare
from tests.conftest import EXAMPLES
from tests.integration.kafka_util import produce, read_all
from tests.running import service, service_env

pytestmark = pytest.mark.integration


def raw_record(text: str, title: str | None = None, through_ingest: bool = True):
    """A raw message as ingest makes it, or (through_ingest=False) as a producer bypassing ingest could."""
    now = datetime.now(UTC)
    if through_ingest:
        raw = prepare(ArticleSubmission(text=text, title=title), "test", now, 10**8)
    else:
        raw = RawArticle(
            id=article_id(ArticleSubmission(text=text, title=title)),
            content=text,
            content_type="text/plain",
            title=title,
            ingested_at=now,
        )
    value, headers = encode(raw)
    return raw, (raw.id.encode(), value, headers)


def long_article(chars: int) -> str:
    paragraphs = [p for p in (EXAMPLES / "harbour-bridge.txt").read_text().split("\n\n") if len(p) > 150]
    out, n = [], 0
    while sum(map(len, out)) < chars:
        out.append(
            f"In part {n} of the inquiry, " + paragraphs[n % len(paragraphs)]
        )  # unique: the cleaner drops repeats
        n += 1
    return "\n\n".join(out)


def test_a_200k_character_article_neither_costs_the_group_nor_holds_up_the_rest(stack, tmp_path):
    env = service_env(
        stack,
        tmp_path,
        NEWSFLOW_ENRICH_PROCESSES="2",
        NEWSFLOW_ENRICH_BATCH="4",
        NEWSFLOW_ENRICH_BATCH_WAIT_S="0.1",
        NEWSFLOW_ENRICH_SESSION_TIMEOUT_S="6",
    )
    big, big_record = raw_record(long_article(200_000), "A very long article")
    small = [
        raw_record(f"Ship number {n} docked in Rotterdam on Monday, the port said in a statement today.", f"Ship {n}")
        for n in range(24)
    ]
    with service("enrich", env, tmp_path):
        port = env["NEWSFLOW_ENRICH_PORT"]
        produce(stack.kafka_bootstrap, stack.topic(Topics.RAW), [big_record] + [r for _, r in small])
        records = []
        deadline = time.monotonic() + 180
        readiness = []
        while len(records) < 25 and time.monotonic() < deadline:
            readiness.append(http_json(f"http://127.0.0.1:{port}/readyz")[1])
            records = read_all(stack.kafka_bootstrap, stack.topic(Topics.ENRICHED), expect=0, timeout=10)
            time.sleep(0.5)
    assert len(records) == 25
    articles = [decode(r.value, r.headers, EnrichedArticle) for r in records]
    done_at = {a.id: r.timestamp for a, r in zip(articles, records, strict=True)}
    long_done = done_at[big.id]
    assert sum(done_at[s.id] < long_done for s, _ in small) >= 8, "small articles waited for the long one"
    # Meaningful on Apache Kafka and Tansu, which expire a member that misses its 6 s session; noida-db never
    # expires one, so there it cannot fail.
    assert all(state and state.get("in_group") for state in readiness), "the worker left its group"
    enriched = next(a for a in articles if a.id == big.id)
    assert len(enriched.body) > 190_000 and enriched.entities and enriched.entities[-1].end > 150_000


def test_poison_messages_are_dead_lettered_and_the_rest_enriched(stack, tmp_path):
    env = service_env(stack, tmp_path, NEWSFLOW_ENRICH_BATCH_WAIT_S="0.1")
    good = [
        raw_record(f"Mayor Ada Lind opened bridge number {n} in Rotterdam on Monday.", f"Bridge {n}") for n in range(5)
    ]
    headers = good[0][1][2]
    poison = [
        (b"p1", b"\xff\xfe\x00", headers),
        (b"p2", b"{not json", headers),
        (b"p3", b'{"id": "x"}', headers),
        (b"p4", good[0][1][1], [(HEADER_SCHEMA, b"newsflow.something.else"), (HEADER_VERSION, b"1.0")]),
        (b"p5", good[0][1][1], [(HEADER_SCHEMA, b"newsflow.article.raw"), (HEADER_VERSION, b"2.0")]),
        raw_record("Skip to Content\n\nRead more\n\nShare this article", through_ingest=False)[1],
    ]
    with service("enrich", env, tmp_path):
        produce(
            stack.kafka_bootstrap,
            stack.topic(Topics.RAW),
            [good[0][1], *poison[:3], good[1][1], *poison[3:], *[g[1] for g in good[2:]]],
        )
        enriched = read_all(stack.kafka_bootstrap, stack.topic(Topics.ENRICHED), expect=5, timeout=120)
        letters = read_all(stack.kafka_bootstrap, stack.topic(Topics.DEADLETTER), expect=6, timeout=60)
    assert sorted(decode(r.value, r.headers, EnrichedArticle).id for r in enriched) == sorted(g[0].id for g in good)
    reasons = sorted(DeadLetter.model_validate_json(r.value).error_type for r in letters)
    assert reasons == ["invalid", "no-article-text", "not-json", "not-utf8", "unknown-schema", "unsupported-version"]
    assert all(DeadLetter.model_validate_json(r.value).stage == "enrich" for r in letters)


def test_its_spacy_workers_die_with_it_when_only_the_main_process_is_killed(isolated_servers, tmp_path):
    """SIGKILL of enrich's main process alone, as the OOM killer or a crash does it (not its process group,
    which would hide the problem): its worker processes must not outlive it."""
    import os
    import signal

    from newsflow.cli.procs import alive
    from newsflow.runtime.servers import wait_until

    env = service_env(isolated_servers, tmp_path, NEWSFLOW_ENRICH_PROCESSES="2")
    with service("enrich", env, tmp_path) as proc:
        workers = http_json(f"http://127.0.0.1:{env['NEWSFLOW_ENRICH_PORT']}/readyz")[1]["workers"]
        assert len(workers) == 2 and all(alive(w) for w in workers)
        main = proc.pid()
        os.kill(main, signal.SIGKILL)
        wait_until(lambda: not alive(main), 10, "enrich's main process gone")
        wait_until(lambda: not any(alive(w) for w in workers), 15, f"enrich's workers {workers} gone with it")


def test_a_stage_that_dead_letters_everything_stops_instead_of_draining_its_topic(stack, tmp_path):
    """enrich's dead-letter brake: 30 raw messages that are not JSON, then 3 good ones, with a limit of 5 in a
    row. It dead-letters the batch it trips in, stops, says why, commits nothing; restarted, it goes on."""
    env = service_env(
        stack,
        tmp_path,
        NEWSFLOW_ENRICH_BATCH="10",
        NEWSFLOW_ENRICH_BATCH_WAIT_S="3",  # long: the first batch is a full 10, so the brake trips in it
        NEWSFLOW_DLQ_MAX_CONSECUTIVE="5",
    )
    good = [
        raw_record(f"Mayor Ada Lind opened bridge number {n} in Rotterdam on Monday.", f"Bridge {n}") for n in range(3)
    ]
    poison = [(f"bad-{n}".encode(), b"{not json", good[0][1][2]) for n in range(30)]
    port = env["NEWSFLOW_ENRICH_PORT"]
    from newsflow.exporter.lag import consumer_lag
    from newsflow.runtime.servers import wait_until
    from newsflow.runtime.topics import ensure_topics

    groups = {stack.group("newsflow-enrich"): stack.topic(Topics.RAW)}
    ensure_topics(stack.kafka_config, 3, 1, stack.namespace)
    produce(stack.kafka_bootstrap, stack.topic(Topics.RAW), poison + [g[1] for g in good])  # there before it starts
    with service("enrich", env, tmp_path, probe="/healthz"):

        def braked() -> bool:
            code, body = http_json(f"http://127.0.0.1:{port}/readyz")
            return code == 503 and bool((body or {}).get("deadletter_brake"))

        wait_until(braked, 60, "enrich stopping on its brake")
        assert "in a row dead-lettered" in http_json(f"http://127.0.0.1:{port}/readyz")[1]["deadletter_brake"]
        # It stops within the batches in flight when it trips (batches of up to 10), long before the 30.
        before = len(read_all(stack.kafka_bootstrap, stack.topic(Topics.DEADLETTER), 5))
        assert 5 <= before <= 20, f"{before} dead letters: the brake did not stop the draining"
        assert sum(r["committed"] for r in consumer_lag(stack.kafka_config, groups)) == 0, "something was committed"
    with service("enrich", env | {"NEWSFLOW_DLQ_MAX_CONSECUTIVE": "0"}, tmp_path):
        enriched_records = read_all(stack.kafka_bootstrap, stack.topic(Topics.ENRICHED), 3, timeout=120)
        assert sorted(decode(r.value, r.headers, EnrichedArticle).id for r in enriched_records) == sorted(
            g[0].id for g in good
        )
        assert len(read_all(stack.kafka_bootstrap, stack.topic(Topics.DEADLETTER), before + 30)) == before + 30
