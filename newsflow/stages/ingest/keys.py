"""Who may submit: the API keys on ``keys.v1``, read whole by every ingest replica, and the check of a request.

Each replica reads the compacted topic whole and goes on reading (newsflow/runtime/tables.py): a key created or
revoked by `newsflow keys` reaches all of them within a poll. Until the topic is read to the end offsets taken at
start, ingest is not ready and refuses submissions with 503: a key created a minute ago must not be refused as
unknown.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from newsflow.contract import Topics
from newsflow.contract.keys import ApiKey, key_hash
from newsflow.runtime.settings import CommonSettings
from newsflow.runtime.tables import TableReader

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
        self.loaded_event = threading.Event()  # set by the reader, once the topic is read to its end at start

    @property
    def loaded(self) -> bool:
        return self.loaded_event.is_set()

    @loaded.setter
    def loaded(self, value: bool) -> None:
        if value:
            self.loaded_event.set()
        else:
            self.loaded_event.clear()

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


def key_reader(settings: CommonSettings, keys: Keys, stop: threading.Event) -> TableReader[ApiKey]:
    """Reads ``keys.v1`` into ``keys`` until stopped; ``keys.loaded`` once it has read what was there at start."""

    def apply(name: str, key: ApiKey | None) -> None:
        keys.apply(name, key)

    reader = TableReader(settings, Topics.KEYS, ApiKey, apply, "newsflow-ingest-keys", stop)
    keys.loaded_event = reader.loaded
    return reader
