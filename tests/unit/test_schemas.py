import json
from datetime import UTC, datetime

import jsonschema
import pytest

from newsflow.contract import REGISTRY, DecodeError, RawArticle, decode, encode
from newsflow.contract.codec import HEADER_SCHEMA, HEADER_VERSION
from newsflow.contract.generate import JSON_DIR, OPENAPI_FILE, render, render_openapi


def raw(**over) -> RawArticle:
    fields = dict(
        id="0" * 32,
        content="Body text.",
        content_type="text/plain",
        ingested_at=datetime(2026, 1, 2, tzinfo=UTC),
    )
    return RawArticle(**(fields | over))


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_checked_in_json_schema_matches_the_model(name):
    info = REGISTRY[name]
    path = JSON_DIR / info.json_file
    assert path.exists(), f"{path.name} missing: run `make schemas`"
    assert path.read_text() == render(info), f"{path.name} is stale: run `make schemas` and commit it"


def test_checked_in_openapi_document_matches_the_models():
    assert (JSON_DIR / OPENAPI_FILE).read_text() == render_openapi(), "stale: run `make schemas` and commit it"


def test_the_openapi_document_is_valid_openapi_and_its_request_schema_takes_what_feed_sends():
    import schemathesis

    doc = json.loads((JSON_DIR / OPENAPI_FILE).read_text())
    schema = schemathesis.openapi.from_dict(doc)
    assert schema["/v1/articles"]["POST"] is not None
    request = {"articles": [{"origin": "a.txt", "article": {"text": "Body.", "title": "T", "authors": ["A B"]}}]}
    components = {"$defs": doc["components"]["schemas"]}
    validator = jsonschema.Draft202012Validator(
        json.loads(
            json.dumps(doc["components"]["schemas"]["SubmitRequest"]).replace("#/components/schemas/", "#/$defs/")
        )
        | json.loads(json.dumps(components).replace("#/components/schemas/", "#/$defs/"))
    )
    validator.validate(request)
    assert doc["paths"]["/v1/articles"]["post"]["security"] == [{"key": []}]


def test_encoded_message_validates_against_its_json_schema():
    value, headers = encode(raw(title="T"))
    schema = json.loads((JSON_DIR / REGISTRY["newsflow.article.raw"].json_file).read_text())
    jsonschema.validate(json.loads(value), schema)
    assert dict(headers)[HEADER_SCHEMA] == b"newsflow.article.raw"
    assert dict(headers)[HEADER_VERSION] == REGISTRY["newsflow.article.raw"].version.encode()


def test_round_trip():
    message = raw(title="A title", url="https://example.org/a")
    value, headers = encode(message)
    assert decode(value, headers, RawArticle) == message


def test_newer_minor_version_with_unknown_field_is_read():
    value, headers = encode(raw())
    data = json.loads(value) | {"added_in_1_1": "ignored"}
    headers = [(k, b"1.1" if k == HEADER_VERSION else v) for k, v in headers]
    assert decode(json.dumps(data).encode(), headers, RawArticle).id == "0" * 32


@pytest.mark.parametrize(
    "value, headers, reason",
    [
        (b"\xff\xfe", None, "not-utf8"),
        (b"{not json", None, "not-json"),
        (b"[1, 2]", None, "invalid"),
        (b'{"id": "short"}', None, "invalid"),
        (None, None, "invalid"),
    ],
)
def test_bad_payloads_are_named(value, headers, reason):
    _, good_headers = encode(raw())
    with pytest.raises(DecodeError) as exc:
        decode(value, headers or good_headers, RawArticle)
    assert exc.value.reason == reason


@pytest.mark.parametrize(
    "headers, reason",
    [
        ([], "missing-schema"),
        ([(HEADER_SCHEMA, b"newsflow.other"), (HEADER_VERSION, b"1.0")], "unknown-schema"),
        ([(HEADER_SCHEMA, b"newsflow.article.raw"), (HEADER_VERSION, b"2.0")], "unsupported-version"),
        ([(HEADER_SCHEMA, b"newsflow.article.raw"), (HEADER_VERSION, b"one")], "unsupported-version"),
    ],
)
def test_bad_headers_are_named(headers, reason):
    value, _ = encode(raw())
    with pytest.raises(DecodeError) as exc:
        decode(value, headers, RawArticle)
    assert exc.value.reason == reason
