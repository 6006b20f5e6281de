"""What each operation really answers, declared for the OpenAPI spec in one place: the success statuses with
their media types, and the error statuses :mod:`clustergraph.web.errors` turns library errors into.

Error bodies take the caller's form (:func:`clustergraph.web.errors.error_response`): JSON under ``/api/``
and for paths ending in ``.json``; plain text at the protocol endpoints (``/sparql``, ``/update``,
``/store``); elsewhere an HTML page or plain text, by ``Accept``. A ``503`` always carries ``Retry-After``
and a ``401`` ``WWW-Authenticate``. Validation errors are answered ``400`` (never FastAPI's ``422``), so
:func:`finalize` drops the ``422`` FastAPI documents on its own.

``tests/test_api_fuzz.py`` holds the server to these declarations: every status, media type and JSON body a
fuzzed request gets back must be the one declared here.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Any

from clustergraph.querying.media_types import DATASETS, GRAPHS, HTML, RESULTS

Content = dict[str, dict[str, Any]]
Responses = dict[int | str, dict[str, Any]]

TEXT_SCHEMA: dict[str, Any] = {"type": "string"}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["ok", "status", "error"],
    "properties": {"ok": {"const": False}, "status": {"type": "integer"}, "error": {"type": "string"}},
}
SPARQL_JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["head"],
    "properties": {
        "head": {"type": "object", "properties": {"vars": {"type": "array", "items": {"type": "string"}}}},
        "results": {"type": "object", "required": ["bindings"],
                    "properties": {"bindings": {"type": "array", "items": {"type": "object"}}}},
        "boolean": {"type": "boolean"},
    },
}
NAMED_JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["head", "results", "truncated", "query"],
    "properties": {**SPARQL_JSON_SCHEMA["properties"], "truncated": {"type": "boolean"}, "query": {"type": "string"}},
}
TRIPLE_TYPES: list[str] = [m for m, f in GRAPHS.items() if m not in DATASETS]
RESULT_TYPES: list[str] = list(RESULTS)
GRAPH_TYPES: list[str] = list(GRAPHS)
DATASET_TYPES: list[str] = list(DATASETS)
ERROR_TEXT = {
    400: "Malformed request: a bad or repeated parameter, a syntax error (with line:column), a refused "
         "SERVICE/LOAD, or a body that does not parse.",
    401: "A write without the bearer token.",
    403: "A write with a wrong token, or from a web page of another origin.",
    404: "No such resource, graph, named query, view or dump.",
    406: "None of the offered media types is acceptable (Accept), or the one asked for cannot carry the answer.",
    408: "The request body did not arrive in time.",
    413: "The request body is larger than the body cap.",
    415: "The request body's Content-Type is not one this operation reads.",
    503: "The query ran past its time limit, every query worker stayed busy, or the store is unavailable; "
         "try again after Retry-After seconds.",
}
HEADERS: dict[int, dict[str, dict[str, Any]]] = {
    401: {"WWW-Authenticate": {"required": True, "schema": {"type": "string"},
                               "description": "Bearer realm=\"clustergraph\""}},
    503: {"Retry-After": {"required": True, "schema": {"type": "integer", "minimum": 0},
                          "description": "Seconds to wait before trying again."}},
}
TRUNCATION_HEADERS: dict[str, dict[str, Any]] = {
    "X-Clustergraph-Truncated": {"schema": {"type": "string", "enum": ["true"]},
                                 "description": "Present when the answer was cut at the row cap."},
    "X-Clustergraph-Row-Cap": {"schema": {"type": "integer"}, "description": "The row cap that cut the answer."},
}
SECURITY_SCHEME = "writeToken"
SECURITY_SCHEMES = {SECURITY_SCHEME: {
    "type": "http", "scheme": "bearer",
    "description": "The server's write token (CLUSTERGRAPH_WRITE_TOKEN); writes from a web page of another "
                   "origin are refused even with it.",
}}
WRITE_SECURITY: list[dict[str, list[str]]] = [{SECURITY_SCHEME: []}]


class ErrorForm(Enum):
    """How an operation's error bodies are written (see :func:`clustergraph.web.errors.error_response`)."""

    API = "api"  # JSON
    PROTOCOL = "protocol"  # plain text
    PAGE = "page"  # HTML page or plain text, by Accept
    PAGE_OR_JSON = "page-or-json"  # a page whose path parameter may end in .json: JSON then


def content(media_types: Iterable[str], schema: dict[str, Any] | None = None) -> Content:
    """A response or request ``content`` map: each media type with ``schema``; when not given, any JSON value
    for JSON types (JSON-LD, node-link JSON) and a string for the others."""
    return {m: {"schema": dict(schema if schema is not None else default_schema(m))} for m in media_types}


def default_schema(media_type: str) -> dict[str, Any]:
    """Any JSON value for a JSON media type, else a string."""
    return {} if media_type.endswith("json") else dict(TEXT_SCHEMA)


def error_content(form: ErrorForm) -> Content:
    """The media types an error body may come in for ``form``."""
    if form is ErrorForm.API:
        return {"application/json": {"schema": ERROR_SCHEMA}}
    if form is ErrorForm.PROTOCOL:
        return content(["text/plain"])
    pages = content([HTML, "text/plain"])
    if form is ErrorForm.PAGE_OR_JSON:
        pages["application/json"] = {"schema": ERROR_SCHEMA}
    return pages


def ok(media_types: Iterable[str], description: str, schema: dict[str, Any] | None = None,
       headers: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """One success response: its description, media types and optional JSON schema and headers."""
    response: dict[str, Any] = {"description": description, "content": content(media_types, schema)}
    if headers:
        response["headers"] = headers
    return response


def empty(description: str) -> dict[str, Any]:
    """A success response without a body (201, 204)."""
    return {"description": description}


def declare(success: dict[int, dict[str, Any]], errors: Iterable[int], form: ErrorForm) -> Responses:
    """The ``responses=`` of an operation: ``success`` as given, plus one entry per error status."""
    responses: Responses = dict(success)
    for status in errors:
        entry: dict[str, Any] = {"description": ERROR_TEXT[status], "content": error_content(form)}
        if status == 413:  # the body cap answers before the routes, in plain text
            entry["content"] = content(["text/plain"])
        if status in HEADERS:
            entry["headers"] = HEADERS[status]
        responses[status] = entry
    return responses


def html_page(*errors: int, form: ErrorForm = ErrorForm.PAGE) -> Responses:
    """The ``responses=`` of an HTML page: the page, or one of ``errors`` in ``form``."""
    return declare({200: ok([HTML], "An HTML page.")}, errors, form)


def query_parameter(name: str, description: str, schema: dict[str, Any] | None = None,
                    **extra: Any) -> dict[str, Any]:
    """An optional query parameter, for ``openapi_extra``."""
    return {"name": name, "in": "query", "required": False, "schema": schema or {"type": "string"},
            "description": description, **extra}


def finalize(spec: dict[str, Any]) -> dict[str, Any]:
    """The generated spec with the write token's security scheme, and without the ``422`` FastAPI adds to
    operations with parameters (this app answers validation errors ``400``, declared per operation)."""
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    components = spec.setdefault("components", {})
    schemas = components.get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    if not schemas:
        components.pop("schemas", None)
    components["securitySchemes"] = dict(SECURITY_SCHEMES)
    return spec
