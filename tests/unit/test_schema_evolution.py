"""The rules of newsflow/contract/EVOLUTION.md, on the checked-in example messages of every version."""

import json
from pathlib import Path

import pytest

from newsflow.contract import REGISTRY, DecodeError, decode, encode

EXAMPLES = Path(__file__).resolve().parents[2] / "newsflow" / "contract" / "examples"
WIRE = [info for info in REGISTRY.values() if info.name != "newsflow.article.submission"]


def load(info, version: str):
    doc = json.loads((EXAMPLES / f"{info.name.removeprefix('newsflow.')}.v{version}.json").read_text())
    return json.dumps(doc["value"]).encode(), [(k, v.encode()) for k, v in doc["headers"].items()]


@pytest.mark.parametrize("info", WIRE, ids=lambda i: i.name)
def test_todays_reader_reads_the_current_example_and_writes_it_back_unchanged(info):
    value, headers = load(info, info.version)
    message = decode(value, headers, info.model)
    again, again_headers = encode(message)
    assert json.loads(again) == json.loads(value)
    assert dict(again_headers) == dict(headers)


def newer_minor(info) -> str:
    major, minor = info.version.split(".")
    return f"{major}.{int(minor) + 1}"


@pytest.mark.parametrize("info", WIRE, ids=lambda i: i.name)
def test_a_newer_minor_version_is_read_and_its_new_field_ignored(info):
    value, headers = load(info, newer_minor(info))
    assert decode(value, headers, info.model) == decode(*load(info, info.version), info.model)


@pytest.mark.parametrize("info", WIRE, ids=lambda i: i.name)
def test_every_older_minor_version_is_still_read_its_missing_fields_defaulted(info):
    major, minor = (int(p) for p in info.version.split("."))
    for older in range(minor):
        value, headers = load(info, f"{major}.{older}")
        message = decode(value, headers, info.model)
        old_fields = set(json.loads(value))
        assert old_fields < set(info.model.model_fields)
        current = decode(*load(info, info.version), info.model)
        # The fields both versions have read the same; the added ones take their defaults.
        assert {k: v for k, v in message.model_dump().items() if k in old_fields} == {
            k: v for k, v in current.model_dump().items() if k in old_fields
        }
        for name in set(info.model.model_fields) - old_fields:
            assert getattr(message, name) == info.model.model_fields[name].get_default(call_default_factory=True)


@pytest.mark.parametrize("info", WIRE, ids=lambda i: i.name)
def test_a_new_major_version_is_refused_not_guessed(info):
    with pytest.raises(DecodeError) as exc:
        decode(*load(info, "2.0"), info.model)
    assert exc.value.reason == "unsupported-version"


@pytest.mark.parametrize("info", WIRE, ids=lambda i: i.name)
def test_an_older_minor_reader_reads_what_todays_writer_writes(info):
    """Today's messages hold only fields a 1.0 reader knows (the examples are 1.0): every field of the
    current model is in the checked-in 1.0 example, so adding one without a version bump fails here."""
    value, _ = load(info, info.version)
    assert set(json.loads(value)) == set(info.model.model_fields)
