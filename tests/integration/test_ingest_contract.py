"""ingest's published contract, fuzzed: schemathesis makes requests from /openapi.json and sends them to a real
ingest with a real broker behind it. No request may get a 5xx or stop the service; every answer must be one the
document lists, in the shape it gives; and every valid article of a fuzzed batch is still accepted."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from newsflow.runtime.servers import http_json
from newsflow.stages.ingest.service import validate
from newsflow.stages.ingest.settings import IngestSettings
from tests.feedserver import article_text
from tests.running import service, service_env

pytestmark = pytest.mark.integration


def test_fuzzed_requests_from_the_published_contract_never_get_a_5xx_and_valid_articles_are_accepted(
    isolated_servers, tmp_path
):
    env = service_env(isolated_servers, tmp_path)
    base = f"http://127.0.0.1:{env['NEWSFLOW_INGEST_PORT']}"
    with service("ingest", env, tmp_path) as proc:
        code, doc = http_json(f"{base}/openapi.json")
        assert code == 200 and doc["openapi"].startswith("3.1") and "/v1/articles" in doc["paths"]
        schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
        operation = schema["/v1/articles"]["POST"]
        seen = {"calls": 0, "articles": 0, "valid": 0}

        @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(), where=st.integers(0, 10_000), n=st.integers(0, 10**6))
        def fuzz(case, where, n):
            # A real article among the fuzzed ones: it must be accepted, whatever surrounds it.
            if isinstance(case.body, dict) and isinstance(case.body.get("articles"), list):
                items = case.body["articles"]
                if len(items) < 1_000:
                    items.insert(where % (len(items) + 1), {"origin": "fuzz", "article": {"text": article_text(n)}})
            response = case.call(base_url=base, timeout=60)
            case.validate_response(
                response,
                checks=[
                    not_a_server_error,
                    status_code_conformance,
                    content_type_conformance,
                    response_schema_conformance,
                ],
            )
            seen["calls"] += 1
            body = case.body if isinstance(case.body, dict) else {}
            items = body.get("articles") if isinstance(body.get("articles"), list) else []
            if response.status_code != 200:
                return
            results = response.json()["results"]
            assert len(results) == len(items)
            now = datetime.now(UTC)
            for item, result in zip(items, results, strict=True):
                raw, _ = validate(item, IngestSettings(), now)
                seen["articles"] += 1
                if raw is not None:
                    seen["valid"] += 1
                    # A valid article is taken whatever its neighbours hold; "failed" is the broker's, resent.
                    assert result["status"] in ("accepted", "failed"), (item, result)
                    assert result["status"] != "accepted" or result["id"] == raw.id

        fuzz()
        assert proc.pid() is not None, "ingest died under the fuzzing"
        assert http_json(f"{base}/readyz")[0] == 200
    print(json.dumps(seen))
    assert seen["calls"] >= 100 and seen["valid"] >= 50
