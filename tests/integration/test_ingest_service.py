"""ingest and the CLI's feed on each Kafka: Apache Kafka, noida-db and Tansu."""

import json
import socket
import urllib.error
import urllib.request
from typing import Any

import pytest

from newsflow.contract import DeadLetter, RawArticle, Topics, decode
from newsflow.contract.api import DEFAULT_MAX_ARTICLE_BYTES, DEFAULT_MAX_REQUEST_BYTES
from newsflow.contract.codec import HEADER_SCHEMA, HEADER_VERSION
from newsflow.contract.generate import JSON_DIR, OPENAPI_FILE
from newsflow.contract.stages import topics
from newsflow.runtime.servers import free_port, http_json, wait_until
from newsflow.runtime.topics import ensure_topics
from tests.feedserver import article_text
from tests.integration.kafka_util import produce, read_all
from tests.running import cli, cli_json, service, service_env

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


def read_answer(s: socket.socket) -> tuple[bytes, bytes]:
    """One HTTP answer off a socket: its status line and its body (by Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536) or b"\r\n\r\n"
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(v) for k, _, v in (h.partition(b":") for h in head.split(b"\r\n")) if k.lower() == b"content-length"), 0
    )
    while len(body) < length:
        body += s.recv(65536) or b"x" * length
    return head.split(b"\r\n")[0], body


def test_the_front_door_refuses_what_would_cost_it_before_doing_the_work(isolated_servers, tmp_path):
    """What ingest did on the hand-written server: read a 50 MB body whole before refusing it, answer JSON nested
    100,000 deep with a 500 showing Python's RecursionError, and keep a thread for a client that never finishes
    its request. Each is now refused first, saying what the limit is."""
    env = service_env(isolated_servers, tmp_path, NEWSFLOW_HTTP_HEADER_TIMEOUT_S="1")
    with service("ingest", env, tmp_path):
        port = int(env["NEWSFLOW_INGEST_PORT"])
        limit = DEFAULT_MAX_REQUEST_BYTES  # 32 MiB: it was a full batch of the largest articles, 2 GB
        head = b"POST /v1/articles HTTP/1.1\r\nHost: x\r\nContent-Length: 60000000\r\n\r\n"
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(head)  # no body at all: the answer must not wait for it
            status, body = read_answer(s)
        assert status.startswith(b"HTTP/1.1 413"), status
        assert json.loads(body)["limit_bytes"] == limit and "NEWSFLOW_MAX_REQUEST_BYTES" in json.loads(body)["error"]

        deep = b"[" * 100_000 + b"]" * 100_000
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/articles", data=deep, method="POST")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(req, timeout=30)
        answer = json.loads(caught.value.read())
        assert caught.value.code == 400 and answer["limit_depth"] == 32, answer
        assert "nested more than 32 levels" in answer["error"] and "Recursion" not in answer["error"]

        with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
            s.sendall(b"POST /v1/articles HTTP/1.1\r\nHost: x\r\n")  # a head that never ends
            assert s.recv(100) == b""  # closed by the server's deadline, before this socket's 20 s

        # And the door still works.
        done = cli(["feed", "-"], env, stdin=b'{"text": "The harbour of Riverton reopened on Monday after repairs."}\n')
        assert done.returncode == 0, done.stderr.decode()


def largest_body(n: int) -> tuple[bytes, int]:
    """A request as large as ingest takes by default, of articles as large as it takes; and how many articles."""
    articles, used = [], 0
    while True:
        words = f"Report {n}-{len(articles)}, part {{}}: crews in Riverton began repairs to the harbour wall on Monday."
        text = "\n\n".join(words.format(i) for i in range(DEFAULT_MAX_ARTICLE_BYTES // 90))[:DEFAULT_MAX_ARTICLE_BYTES]
        item = {"origin": "largest", "article": {"title": f"Largest {n}-{len(articles)}", "text": text}}
        used += len(json.dumps(item)) + 2
        if used > DEFAULT_MAX_REQUEST_BYTES - 1_000:
            break
        articles.append(item)
    return json.dumps({"articles": articles}).encode(), len(articles)


def test_eight_of_the_largest_requests_at_once_stay_within_ingest_s_memory_bound_and_lose_nothing(
    isolated_servers, tmp_path
):
    """Before the bound on bytes in flight, each request a client sent was parsed whole at once, whatever its size:
    eight at 32 MB would hold over a gigabyte. Now two fit the default 64 MiB, the others are told to come back
    (503, Retry-After), and ingest stays under the README's figure. Every article accepted is on the raw topic."""
    import threading
    import time

    from bench.procstat import rss_mib

    env = service_env(isolated_servers, tmp_path)
    bodies = [largest_body(n) for n in range(8)]
    assert all(len(b) <= DEFAULT_MAX_REQUEST_BYTES and len(b) > DEFAULT_MAX_REQUEST_BYTES * 0.9 for b, _ in bodies)
    statuses: list[int] = []
    accepted: set[str] = set()
    with service("ingest", env, tmp_path) as proc:
        pid = proc.pid()
        url = f"http://127.0.0.1:{env['NEWSFLOW_INGEST_PORT']}/v1/articles"
        peak, done = [0.0], threading.Event()

        def sample():
            while not done.wait(0.05):
                peak[0] = max(peak[0], rss_mib(pid))

        def client(body: bytes):
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline:
                req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(req, timeout=120) as resp:
                        results = json.loads(resp.read())["results"]
                        statuses.append(200)
                        accepted.update(r["id"] for r in results if r["status"] == "accepted")
                        return
                except urllib.error.HTTPError as exc:
                    statuses.append(exc.code)
                    assert exc.code == 503 and exc.headers.get("Retry-After") == "1", (exc.code, exc.read()[:300])
                    time.sleep(int(exc.headers["Retry-After"]))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        clients = [threading.Thread(target=client, args=(body,)) for body, _ in bodies]
        for t in clients:
            t.start()
        for t in clients:
            t.join(300)
        done.set()
        sampler.join()
    assert peak[0] < 640, f"ingest's memory peaked at {peak[0]:.0f} MiB"
    assert statuses.count(200) == 8, statuses
    assert statuses.count(503) >= 1, "no request was ever held back: the bound was not reached"
    expected = sum(n for _, n in bodies)
    assert len(accepted) == expected
    on_topic = {
        r.key.decode()
        for r in read_all(isolated_servers.kafka_bootstrap, isolated_servers.topic(Topics.RAW), expect=expected)
    }
    assert accepted <= on_topic


def test_with_keys_required_only_a_live_key_submits_on_every_replica_and_each_article_names_it(
    isolated_servers, tmp_path
):
    env = service_env(isolated_servers, tmp_path / "a", NEWSFLOW_INGEST_AUTH="required")
    other = env | {"NEWSFLOW_INGEST_PORT": str(free_port()), "NEWSFLOW_HOME": str(tmp_path / "b")}
    article = b'{"text": "The harbour of Riverton reopened on Monday after two years of repairs."}\n'
    with service("ingest", env, tmp_path / "a"), service("ingest", other, tmp_path / "b"):
        # What compose's ingest serves (keys required, default limits) is the checked-in document.
        served = http_json(f"http://127.0.0.1:{env['NEWSFLOW_INGEST_PORT']}/openapi.json")[1]
        assert served == json.loads((JSON_DIR / OPENAPI_FILE).read_text())
        refused = cli(["feed", "-"], env, stdin=article)
        assert refused.returncode == 1 and "401" in refused.stderr.decode(), refused.stderr.decode()
        assert "an API key is required" in refused.stderr.decode()

        created = cli(["keys", "create", "desk-a"], env)
        assert created.returncode == 0, created.stderr.decode()
        secret = created.stdout.decode().strip()
        assert secret.startswith("nf_") and "shown once" in created.stderr.decode()
        listed = cli_json(["keys", "list", "--json"], env)
        assert [(k["name"], k["scopes"], k["revoked_at"]) for k in listed] == [("desk-a", ["submit"], None)]
        assert "sha256" not in listed[0] and secret not in json.dumps(listed)

        # Both replicas read the new key from the topic: each takes it (the wait is for the second one's poll).
        for e in (env, other):
            wait_until(
                lambda e=e: cli(["feed", "-"], e | {"NEWSFLOW_API_KEY": secret}, stdin=article).returncode == 0,
                30,
                "the new key accepted",
            )
        raw = read_all(isolated_servers.kafka_bootstrap, isolated_servers.topic(Topics.RAW), expect=2)
        assert {decode(r.value, r.headers, RawArticle).submitted_by for r in raw} == {"desk-a"}

        assert cli(["keys", "revoke", "desk-a"], env).returncode == 0
        for e in (env, other):
            wait_until(
                lambda e=e: b"revoked" in cli(["feed", "-"], e | {"NEWSFLOW_API_KEY": secret}, stdin=article).stderr,
                30,
                "the revoked key refused",
            )
        assert cli_json(["keys", "list", "--json"], env)[0]["revoked_at"]


def post_raw(port: int, articles: list[dict], key: str) -> tuple[int, dict, Any]:
    body = json.dumps({"articles": [{"origin": "t", "article": a} for a in articles]}).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/articles", data=body, method="POST", headers={"Authorization": f"Bearer {key}"}
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read()), resp.headers
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), exc.headers


def test_a_keys_rate_holds_across_two_replicas_and_feed_waits_out_each_429(isolated_servers, tmp_path):
    from tests.feedserver import article_text

    env = service_env(isolated_servers, tmp_path / "a", NEWSFLOW_INGEST_AUTH="required")
    other = env | {"NEWSFLOW_INGEST_PORT": str(free_port()), "NEWSFLOW_HOME": str(tmp_path / "b")}
    ports = [int(e["NEWSFLOW_INGEST_PORT"]) for e in (env, other)]
    with service("ingest", env, tmp_path / "a"), service("ingest", other, tmp_path / "b"):
        created = cli(["keys", "create", "slow", "--rate", "1", "--burst", "10"], env)
        assert created.returncode == 0, created.stderr.decode()
        secret = created.stdout.decode().strip()

        def ready(port: int) -> dict:
            return (http_json(f"http://127.0.0.1:{port}/readyz")[1] or {}).get("auth", {})

        # Both replicas see the key and count each other: each holds half the burst (5) and half the rate.
        wait_until(
            lambda: all(ready(p).get("replicas") == 2 and ready(p).get("keys") == 1 for p in ports),
            60,
            "two replicas, one key",
        )
        n = iter(range(100))
        for port in ports:
            status, body, _ = post_raw(port, [{"text": article_text(next(n))} for _ in range(5)], secret)
            assert status == 200 and all(r["status"] == "accepted" for r in body["results"]), body
            status, body, headers = post_raw(port, [{"text": article_text(next(n))}], secret)
            assert status == 429 and "'slow' is over its rate limit" in body["error"], body
            assert int(headers["Retry-After"]) >= 1

        # `newsflow feed` waits as told, and every article goes in the end.
        lines = b"".join(json.dumps({"text": article_text(200 + i)}).encode() + b"\n" for i in range(4))
        done = cli(["feed", "-"], env | {"NEWSFLOW_API_KEY": secret, "NEWSFLOW_FEED_BATCH": "2"}, stdin=lines)
        assert done.returncode == 0 and "accepted 4" in done.stdout.decode(), done.stderr.decode()
        assert "resent" in done.stdout.decode() and "429" in done.stderr.decode(), done.stderr.decode()
