"""The webhook stage's step without Kafka: what is delivered, retried, refused, and dead-lettered, and that one
endpoint down costs the others nothing."""

import json
import threading
from collections import namedtuple

import pytest

from newsflow.contract.alerts import Alert
from newsflow.contract.stages import stage
from newsflow.runtime.consumer import Context, Health, Stopping, stage_metrics
from newsflow.stages.webhooks.step import WebhookStep
from tests import factories

Record = namedtuple("Record", "topic partition offset")


def alert(n: int, webhook: str | None) -> tuple[Record, Alert]:
    return Record("alerts.v1", 0, n), factories.alert(n, webhook)


class Endpoints:
    """POST answers by URL: a list of statuses (or exceptions) given in turn, the last one for ever after."""

    def __init__(self, answers: dict[str, list]):
        self.answers, self.posts = answers, []
        self.lock = threading.Lock()

    def __call__(self, url, body, headers):
        with self.lock:
            self.posts.append((url, json.loads(body), headers))
            given = self.answers[url]
            answer = given.pop(0) if len(given) > 1 else given[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def run(step, messages, stop=None):
    metrics = stage_metrics(stage("webhooks"))
    ctx = Context(Health(stage("webhooks"), metrics), metrics, stop or threading.Event(), max_backoff_s=0.001)
    return step(messages, ctx)


def test_delivered_retried_refused_and_dead_lettered_each_on_its_own():
    post = Endpoints(
        {
            "http://ok/": [200],
            "http://flaky/": [503, ConnectionError("refused"), 204],
            "http://gone/": [404],
            "http://down/": [500],
        }
    )
    step = WebhookStep(post, attempts=4, max_backoff_s=0.001, concurrency=4, stop=threading.Event())
    messages = [alert(1, "http://ok/"), alert(2, "http://flaky/"), alert(3, "http://gone/"), alert(4, "http://down/")]
    messages.append(alert(5, None))  # a saved query without a webhook: nothing to POST
    rejected = run(step, messages)
    assert [(r.offset, reason) for r, reason, _ in rejected] == [(3, "webhook-refused"), (4, "webhook-unreachable")]
    assert "answered 404; not retried" in rejected[0][2] and "4 attempts, the last answered 500" in rejected[1][2]
    count = {url: sum(1 for u, _, _ in post.posts if u == url) for url in post.answers}
    assert count == {"http://ok/": 1, "http://flaky/": 3, "http://gone/": 1, "http://down/": 4}


def test_the_post_is_the_alert_as_json_with_its_id_as_idempotency_key():
    post = Endpoints({"http://ok/": [200]})
    run(WebhookStep(post, 1, 0.001, 1, threading.Event()), [alert(7, "http://ok/")])
    ((_, body, headers),) = post.posts
    assert body["id"] == "q:story-7" and body["story_id"] == "story-7" and "webhook" not in body
    assert headers["Idempotency-Key"] == "q:story-7" and headers["Content-Type"] == "application/json"


def test_a_stop_while_retrying_leaves_the_batch_uncommitted():
    stop = threading.Event()
    post = Endpoints({"http://down/": [500]})

    def stopping(url, body, headers):
        stop.set()
        return post(url, body, headers)

    with pytest.raises(Stopping):
        run(WebhookStep(stopping, 5, 0.001, 1, stop), [alert(1, "http://down/")], stop)
