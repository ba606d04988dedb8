"""ingest and the CLI's feed on each Kafka: Apache Kafka, noida-db and Tansu."""

import json

import pytest

from newsflow.contract import DeadLetter, RawArticle, Topics, decode
from newsflow.contract.codec import HEADER_SCHEMA, HEADER_VERSION
from newsflow.contract.stages import topics
from newsflow.runtime.topics import ensure_topics
from tests.feedserver import article_text
from tests.integration.kafka_util import produce, read_all
from tests.running import cli, service, service_env

pytestmark = pytest.mark.integration


def test_topics_are_created_once(stack):
    names = sorted(stack.topic(t) for t in topics())
    assert sorted(ensure_topics(stack.kafka_config, 3, 1, stack.namespace)) == names
    assert ensure_topics(stack.kafka_config, 3, 1, stack.namespace) == []


def test_feed_publishes_valid_files_and_names_each_bad_one(stack, tmp_path):
    files = tmp_path / "in"
    files.mkdir()
    (files / "good.txt").write_text("Harbour works begin\n\nCrews in Riverton began repairs on Monday.")
    (files / "good.json").write_text(
        json.dumps(
            {
                "text": "The council met on Tuesday.",
                "title": "Council meets",
                "url": "https://example.org/council",
                "published": "2025-03-04",
            }
        )
    )
    (files / "empty.txt").write_text("")
    (files / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (files / "notes.pdf").write_bytes(b"%PDF-1.4")
    (files / "wrong.json").write_text(json.dumps({"body": "the field is called text"}))
    env = service_env(stack, tmp_path)
    with service("ingest", env, tmp_path):
        done = cli(["feed", str(files)], env)
        again = cli(["feed", str(files / "good.txt")], env)
    stderr = done.stderr.decode()
    assert done.returncode == 1, stderr
    assert "accepted 2, rejected 4" in done.stdout.decode()
    for name, reason in [
        ("empty.txt", "empty file"),
        ("latin1.txt", "not UTF-8"),
        ("notes.pdf", "unknown extension"),
        ("wrong.json", "body"),
    ]:
        assert any(name in line and reason in line for line in stderr.splitlines()), (name, stderr)
    assert again.returncode == 0

    records = read_all(stack.kafka_bootstrap, stack.topic(Topics.RAW), expect=3)
    assert len(records) == 3
    articles = [decode(r.value, r.headers, RawArticle) for r in records]
    assert all(r.key.decode() == a.id for r, a in zip(records, articles, strict=True))
    assert all(
        dict(r.headers)[HEADER_SCHEMA] == b"newsflow.article.raw"
        and dict(r.headers)[HEADER_VERSION] == RawArticle.SCHEMA_VERSION.encode()
        for r in records
    )
    # The same file fed twice carries the same id (one document downstream).
    by_origin = {}
    for a in articles:
        by_origin.setdefault(a.origin, set()).add(a.id)
    assert len(by_origin[str(files / "good.txt")]) == 1
    council = next(a for a in articles if a.title == "Council meets")
    assert council.url == "https://example.org/council" and str(council.published).startswith("2025-03-04")


def test_feed_from_stdin_as_jsonl(stack, tmp_path):
    env = service_env(stack, tmp_path)
    lines = (
        b'{"text": "First line article about Riverton and its harbour."}\n'
        b'{"html": "<p>The second article says the ferry to Riverton runs again.</p>"}\n'
        b'{"oops": 1}\n'
        b'{"html": "<nav><a href=\\"/\\">Home</a> <a href=\\"/news\\">News</a></nav>"}\n'
    )
    with service("ingest", env, tmp_path):
        done = cli(["feed", "-"], env, stdin=lines)
    assert done.returncode == 1
    assert "accepted 2, rejected 2" in done.stdout.decode()
    stderr = done.stderr.decode()
    assert "stdin:3" in stderr and "stdin:4: no article text" in stderr, stderr


def test_plain_json_on_the_submitted_topic_is_validated_as_over_http(stack, tmp_path):
    """Another tool's producer: no key, no newsflow headers. The valid submissions reach the raw topic, each bad
    one is a dead letter saying why, and none holds up the ones after it."""
    good = [json.dumps({"title": f"Story {n}", "text": article_text(n)}).encode() for n in range(2)]
    bad = [b"{not json", json.dumps({"body": "the field is called text"}).encode()]
    env = service_env(stack, tmp_path)
    with service("ingest", env, tmp_path):
        produce(
            stack.kafka_bootstrap,
            stack.topic(Topics.SUBMITTED),
            [(None, v, []) for v in (bad[0], good[0], bad[1], good[1])],
        )
        raw = read_all(stack.kafka_bootstrap, stack.topic(Topics.RAW), expect=2)
        letters = read_all(stack.kafka_bootstrap, stack.topic(Topics.DEADLETTER), expect=2)
    articles = [decode(r.value, r.headers, RawArticle) for r in raw]
    assert sorted(a.title for a in articles) == ["Story 0", "Story 1"]
    assert {a.origin for a in articles} == {f"kafka:{stack.topic(Topics.SUBMITTED)}"}
    reasons = {
        d.payload: (d.stage, d.error_type, d.error_message)
        for d in (decode(r.value, r.headers, DeadLetter) for r in letters)
    }
    assert reasons[bad[0].decode()][:2] == ("ingest", "not-json")
    assert reasons[bad[1].decode()][1] == "invalid" and "body: unknown field" in reasons[bad[1].decode()][2]
