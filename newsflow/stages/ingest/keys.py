"""Who may submit: the API keys on ``keys.v1``, read whole by every ingest replica, and the check of a request.

Each replica reads every partition of the compacted topic from its start, without a consumer group (every
replica needs every key), and goes on reading: a key created or revoked by `newsflow keys` reaches all of them
within a poll. Until the topic is read to the end offsets taken at start, ingest is not ready and refuses
submissions with 503: a key created a minute ago must not be refused as unknown.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from newsflow.contract import Topics
from newsflow.contract.keys import ApiKey, key_hash
from newsflow.runtime.settings import CommonSettings
from newsflow.runtime.topics import table_entry

log = logging.getLogger("newsflow.ingest.keys")

CREATE_HINT = "`newsflow keys create NAME` makes one"


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key a request carries: ``Authorization: Bearer <key>``, or ``X-API-Key: <key>``."""
    given = headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return headers.get("x-api-key", "").strip() or None


class Keys:
    """The keys known, by hash, and the decision on a request."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_name: dict[str, ApiKey] = {}
        self.by_hash: dict[str, ApiKey] = {}
        self.loaded = False

    def apply(self, name: str, key: ApiKey | None) -> None:
        with self.lock:
            old = self.by_name.pop(name, None)
            if old is not None:
                self.by_hash.pop(old.sha256, None)
            if key is not None:
                self.by_name[name] = key
                self.by_hash[key.sha256] = key

    def check(self, headers: Mapping[str, str], scope: str = "submit") -> tuple[str | None, tuple[int, dict] | None]:
        """(the key's name, None) for a request that may go on; else (None, (status, why))."""
        if not self.loaded:
            return None, (503, {"error": "the API keys are not read yet; try again in a few seconds"})
        given = presented_key(headers)
        if given is None:
            return None, (
                401,
                {"error": f"an API key is required: send it as 'Authorization: Bearer <key>' ({CREATE_HINT})"},
            )
        with self.lock:
            key = self.by_hash.get(key_hash(given))
        if key is None:
            return None, (401, {"error": f"the API key is not known ({CREATE_HINT})"})
        if key.revoked_at is not None:
            return None, (401, {"error": f"the API key {key.name!r} was revoked at {key.revoked_at.isoformat()}"})
        if scope not in key.scopes:
            return None, (403, {"error": f"the API key {key.name!r} may not {scope} (its scopes: {key.scopes})"})
        return key.name, None


class KeyReader:
    """Reads ``keys.v1`` into a `Keys`, in a thread of its own, until stopped."""

    def __init__(self, settings: CommonSettings, keys: Keys, stop: threading.Event):
        self.topic, self.keys, self.stop = settings.scoped(Topics.KEYS), keys, stop
        self.consumer = KafkaConsumer(
            **settings.kafka_client_config(), client_id="newsflow-ingest-keys", enable_auto_commit=False
        )
        self.thread = threading.Thread(target=self._run, name="keys", daemon=True)
        self.error: str | None = None

    def start(self) -> KeyReader:
        self.thread.start()
        return self

    def _run(self) -> None:
        ends: dict[TopicPartition, int] | None = None
        try:
            while not self.stop.is_set():
                try:
                    if ends is None:
                        partitions = self.consumer.partitions_for_topic(self.topic)
                        if not partitions:
                            self.stop.wait(0.5)
                            continue
                        tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
                        self.consumer.assign(tps)
                        self.consumer.seek_to_beginning(*tps)
                        ends = self.consumer.end_offsets(tps)
                    for records in self.consumer.poll(timeout_ms=300).values():
                        for record in records:
                            self._apply(record)
                    if not self.keys.loaded and all(self.consumer.position(tp) >= end for tp, end in ends.items()):
                        self.keys.loaded = True
                        log.info("API keys read", extra={"keys": len(self.keys.by_name)})
                    self.error = None
                except KafkaError as exc:
                    self.error = f"cannot read {self.topic}: {exc}"
                    self.stop.wait(1.0)
        finally:
            self.consumer.close()

    def _apply(self, record) -> None:
        entry = table_entry(record, ApiKey)
        if entry is not None:
            self.keys.apply(*entry)
