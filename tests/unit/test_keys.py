"""ingest's API keys without a broker: what a request must carry, and each way it is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsflow.contract.keys import ApiKey, key_hash, new_key
from newsflow.stages.ingest.keys import Keys, presented_key
from newsflow.stages.ingest.settings import IngestSettings

NOW = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)


def table(*keys: tuple[str, str, list[str], datetime | None]) -> Keys:
    out = Keys()
    for name, secret, scopes, revoked in keys:
        out.apply(
            name,
            ApiKey(
                name=name, sha256=key_hash(secret), shown=secret[:10], scopes=scopes, created_at=NOW, revoked_at=revoked
            ),
        )
    out.loaded = True
    return out


def test_a_new_key_is_long_random_and_recognisable():
    a, b = new_key(), new_key()
    assert a != b and a.startswith("nf_") and len(a) >= 40 and key_hash(a) != key_hash(b)


@pytest.mark.parametrize(
    ("headers", "key"),
    [
        ({"authorization": "Bearer nf_abc"}, "nf_abc"),
        ({"authorization": "bearer  nf_abc "}, "nf_abc"),
        ({"x-api-key": "nf_abc"}, "nf_abc"),
        ({"authorization": "Basic dXNlcjpwYXNz"}, None),
        ({}, None),
    ],
)
def test_the_key_a_request_carries(headers, key):
    assert presented_key(headers) == key


def test_a_known_key_passes_and_names_its_holder():
    secret = new_key()
    assert table(("desk-a", secret, ["submit"], None)).check({"authorization": f"Bearer {secret}"}) == ("desk-a", None)


def test_each_refusal_says_why():
    secret, old = new_key(), new_key()
    keys = table(("desk-a", secret, ["submit"], None), ("gone", old, ["submit"], NOW))
    missing = keys.check({})
    assert missing[0] is None and missing[1][0] == 401 and "newsflow keys create" in missing[1][1]["error"]
    assert keys.check({"x-api-key": new_key()})[1][0] == 401
    revoked = keys.check({"x-api-key": old})[1]
    assert revoked[0] == 401 and "'gone' was revoked at 2026-03-02T13:00:00+00:00" in revoked[1]["error"]


def test_a_key_replaced_under_its_name_no_longer_works():
    first, second = new_key(), new_key()
    keys = table(("desk-a", first, ["submit"], None))
    keys.apply("desk-a", ApiKey(name="desk-a", sha256=key_hash(second), shown="x", scopes=["submit"], created_at=NOW))
    assert keys.check({"x-api-key": first})[1][0] == 401 and keys.check({"x-api-key": second})[0] == "desk-a"
    keys.apply("desk-a", None)
    assert keys.check({"x-api-key": second})[1][0] == 401


def test_before_the_keys_are_read_every_request_waits_with_503():
    keys = table()
    keys.loaded = False
    assert keys.check({"x-api-key": new_key()})[1][0] == 503


@pytest.mark.parametrize(
    ("auth", "host", "required"),
    [
        ("auto", "127.0.0.1", False),
        ("auto", "::1", False),
        ("auto", "localhost", False),
        ("auto", "0.0.0.0", True),
        ("auto", "10.1.2.3", True),
        ("auto", "ingest.internal", True),
        ("required", "127.0.0.1", True),
        ("off", "0.0.0.0", False),
    ],
)
def test_keys_are_required_on_any_bind_but_loopback_unless_set(auth, host, required):
    assert IngestSettings(ingest_auth=auth, http_host=host).auth_required is required
