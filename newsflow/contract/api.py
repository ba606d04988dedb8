"""ingest's HTTP contract, published as OpenAPI at ``/openapi.json``: generated from these models, so the document
and what ingest checks cannot drift apart.

The request is an envelope of items, each an article (a submission) and where it came from. A wrong envelope is
refused whole (400); inside a good one, each article is decided on its own: one bad article never costs the
others their place.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from newsflow.contract.articles import ArticleSubmission


class SubmissionItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    origin: str | None = Field(None, max_length=1_000, description="Where it came from: a file name, a feed, a URL.")
    article: ArticleSubmission


class SubmitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    articles: list[SubmissionItem] = Field(description="At most NEWSFLOW_MAX_BATCH (1,000) of them.")


class ItemResult(BaseModel):
    index: int = Field(ge=0, description="The item's place in the request.")
    status: Literal["accepted", "rejected", "failed"] = Field(
        description="accepted: on the raw topic, acknowledged; rejected: invalid, final; failed: the broker did not "
        "acknowledge it, send it again."
    )
    id: str | None = Field(None, description="The article's stable id, when accepted.")
    partition: int | None = None
    offset: int | None = None
    reason: str | None = Field(None, description="Why it was rejected or failed.")


class SubmitResponse(BaseModel):
    results: list[ItemResult]


class ErrorBody(BaseModel):
    """Every refusal of a whole request: what was wrong, and the limit where one was passed."""

    model_config = ConfigDict(extra="allow")

    error: str


API_VERSION = "1.0"  # of the HTTP API: /v1/ is its major
# ingest's defaults (NEWSFLOW_MAX_BATCH, NEWSFLOW_MAX_ARTICLE_BYTES), declared here for the published document.
DEFAULT_MAX_BATCH = 1_000
DEFAULT_MAX_ARTICLE_BYTES = 2_000_000
# The largest body read (NEWSFLOW_MAX_REQUEST_BYTES): tens of megabytes, as a user of such an API expects (Elasticsearch
# takes 100 MB), not a full batch of the largest articles (2 GB). Parsing costs a few times the body in memory, so
# this and the bound on the bodies in flight together bound ingest's memory.
DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024


def openapi(max_batch: int, max_request_bytes: int, auth_required: bool) -> dict:
    _, defs = models_json_schema(
        [(m, "validation") for m in (SubmitRequest, SubmitResponse, ErrorBody)],
        ref_template="#/components/schemas/{model}",
    )
    schemas = defs["$defs"]
    schemas["SubmitRequest"]["properties"]["articles"]["maxItems"] = max_batch

    def error(description: str) -> dict:
        return {"description": description, "content": {"application/json": {"schema": ref("ErrorBody")}}}

    responses = {
        "200": {
            "description": "A result per article, in the request's order.",
            "content": {"application/json": {"schema": ref("SubmitResponse")}},
        },
        "400": error('Not JSON, nested too deep, or not the envelope {"articles": [...]}.'),
        "408": error("The body did not arrive in time."),
        "413": error(f"Over {max_batch:,} articles, or a body over {max_request_bytes:,} bytes."),
        "503": {
            **error(
                "Too many connections or request bytes at once (NEWSFLOW_HTTP_MAX_IN_FLIGHT_BYTES), or the API keys "
                "not read yet."
            ),
            "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait, when given."}},
        },
    }
    operation: dict = {
        "operationId": "submitArticles",
        "summary": "Submit articles: each is checked, given its stable id and put on the raw topic.",
        "requestBody": {"required": True, "content": {"application/json": {"schema": ref("SubmitRequest")}}},
        "responses": responses,
    }
    doc: dict = {
        "openapi": "3.1.0",
        "info": {"title": "newsflow ingest", "version": API_VERSION},
        "paths": {"/v1/articles": {"post": operation}},
        "components": {"schemas": schemas},
    }
    if auth_required:
        doc["components"]["securitySchemes"] = {"key": {"type": "http", "scheme": "bearer"}}
        operation["security"] = [{"key": []}]
        responses["401"] = error("No API key, or one unknown or revoked.")
        responses["403"] = error("The key may not submit.")
        responses["429"] = {
            **error("The key is over its rate limit."),
            "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
        }
    return doc


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}
