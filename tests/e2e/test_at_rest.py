"""A deployment at rest is silent: no reader of Kafka (stage consumers, table readers, the lag exporter) sends more
than a few requests a second, counted on the wire (tests/wire.py), on each local stack.

On noida-db, which answers an empty fetch at once, the index stage's saved-query table reader sent hundreds of
fetches a second at rest (95% of a core); kafka-python's loop sends the next fetch as soon as one comes back."""

from __future__ import annotations

import json
import threading

import pytest

from newsflow.runtime.servers import wait_until
from tests.running import cli
from tests.tools import require_packet_capture
from tests.wire import KafkaWire

pytestmark = pytest.mark.e2e

WINDOW_S = 20.0
MOST_FETCHES_PER_S = 2.0  # each reader, at rest: the pacer's one pass in two seconds, with room
MOST_REQUESTS_PER_S = 5.0  # each client, every request (fetches, heartbeats, metadata, offsets)


def caught_up(env) -> bool:
    done = cli(["lag", "--json", "--window", "0"], env)
    return done.returncode == 0 and all(r["lag"] == 0 for r in json.loads(done.stdout)["partitions"])


def test_at_rest_no_reader_sends_more_than_a_few_requests_a_second(deployment):
    require_packet_capture()
    env = deployment
    wait_until(lambda: caught_up(env), 120, "every group caught up")
    port = int(env["NEWSFLOW_KAFKA_BOOTSTRAP"].rsplit(":", 1)[1])
    with KafkaWire(port) as wire:
        wait_until(lambda: wire.of("Fetch"), 30, "a fetch seen on the wire")  # the capture sees the traffic
        wire.reset()
        threading.Event().wait(WINDOW_S)  # the window the rates are measured over, not a wait for something
        counts = wire.counts.copy()
    fetches = {client: n / WINDOW_S for (api, client), n in counts.items() if api == "Fetch"}
    requests: dict[str, float] = {}
    for (_, client), n in counts.items():
        requests[client] = requests.get(client, 0.0) + n / WINDOW_S
    report = json.dumps({"fetches_per_s": fetches, "requests_per_s": requests}, indent=1)
    # Every consuming stage's reader is among those seen, so a silent client is not one the capture missed.
    for reader in ("newsflow-ingest", "newsflow-index", "newsflow-webhooks", "newsflow-feeds"):
        assert fetches.get(reader, 0) > 0, f"{reader} never fetched in {WINDOW_S:g} s: {report}"
    assert all(rate <= MOST_FETCHES_PER_S for rate in fetches.values()), report
    assert all(rate <= MOST_REQUESTS_PER_S for rate in requests.values()), report
    print(report)
