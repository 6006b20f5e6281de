"""``/api/queries``: every ``queries/*.rq`` file as an operation with typed parameters (JSON or CSV), plus
``/api/version`` and ``/api/settings``.

Each named query gets its own OpenAPI operation, generated from its header, so ``/docs`` lists every
parameter with its type. Values are checked and bound as RDF terms (:meth:`NamedQuery.bind`), never pasted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, Response

from clustergraph import __version__
from clustergraph.errors import BadRequest, NotFound
from clustergraph.querying.answer import Answer
from clustergraph.querying.conneg import negotiate
from clustergraph.querying.named import NamedQuery, Param
from clustergraph.querying.worker import QueryJob
from clustergraph.web.openapi_responses import (
    NAMED_JSON_SCHEMA,
    TRUNCATION_HEADERS,
    ErrorForm,
    content,
    declare,
    ok,
)
from clustergraph.web.services import Services, services
from clustergraph.web.sparql_endpoint import (
    ROW_CAP_HEADER,
    TRUNCATED_HEADER,
    stream_answer,
    time_limit,
)

JSON = "application/json"
CSV = "text/csv"
_SCHEMAS = {
    "iri": {"type": "string", "format": "iri"},
    "string": {"type": "string"},
    "searchtext": {"type": "string", "minLength": 1},
    "langstring": {"type": "string", "pattern": "^.*@[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$"},
    "integer": {"type": "integer"},
    "year": {"type": "string", "pattern": "^[0-9]{4}$"},
}
_CONTROL = ("format", "timeout")
_ANSWER = ok([CSV], "SPARQL JSON results plus the truncated flag and the query's name, or CSV (?format=csv or "
             "Accept).", headers=TRUNCATION_HEADERS)
_ANSWER["content"].update(content([JSON], NAMED_JSON_SCHEMA))
NAMED_RESPONSES = declare({200: _ANSWER}, [400, 406, 503], ErrorForm.API)
_QUERY_LIST_SCHEMA = {"type": "object", "required": ["queries"], "properties": {"queries": {"type": "array", "items": {
    "type": "object", "required": ["name", "title", "url", "parameters", "sparql"],
    "properties": {"name": {"type": "string"}, "title": {"type": "string"}, "url": {"type": "string"},
                   "page": {"type": "string"}, "parameters": {"type": "array", "items": {"type": "object"}},
                   "sparql": {"type": "string"}}}}}}
LIST_RESPONSES = declare({200: ok([JSON], "Every named query with its parameters and SPARQL.", _QUERY_LIST_SCHEMA)},
                         [], ErrorForm.API)
VERSION_RESPONSES = declare({200: ok([JSON], "The package name and version.", {
    "type": "object", "required": ["name", "version"],
    "properties": {"name": {"type": "string"}, "version": {"type": "string"}}})}, [], ErrorForm.API)
SETTINGS_RESPONSES = declare({200: ok([JSON], "Each setting's value in force; secrets masked.", {
    "type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}})}, [], ErrorForm.API)


@dataclass(frozen=True)
class NamedResult:
    """A named query's answer, parsed: what the HTML page and the JSON API show."""

    query: NamedQuery
    sparql: str
    variables: list[str]
    bindings: list[dict[str, Any]]
    truncated: bool


def make_router(svc: Services) -> APIRouter:
    router = APIRouter(tags=["named queries"])
    router.add_api_route("/api/queries", list_queries, methods=["GET"], summary="List the named queries",
                         response_class=JSONResponse, responses=LIST_RESPONSES)
    for query in svc.named_queries.values():
        router.add_api_route(
            f"/api/queries/{query.name}",
            _runner(query.name),
            methods=["GET"],
            summary=query.title,
            description=query.description,
            operation_id=f"named_{query.name.replace('-', '_')}",
            response_class=Response,
            responses=NAMED_RESPONSES,
            openapi_extra={"parameters": [_parameter_doc(p) for p in query.params] + _CONTROL_DOCS},
        )
    router.add_api_route("/api/queries/{name}", unknown_query, methods=["GET"], include_in_schema=False)
    router.add_api_route("/api/version", version, methods=["GET"], tags=["pages"], summary="Version",
                         response_class=JSONResponse, responses=VERSION_RESPONSES)
    router.add_api_route("/api/settings", settings_json, methods=["GET"], tags=["pages"],
                         summary="Settings in force (secrets masked)", response_class=JSONResponse,
                         responses=SETTINGS_RESPONSES)
    return router


def describe(query: NamedQuery) -> dict[str, Any]:
    """A named query's metadata as JSON."""
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "url": f"/api/queries/{query.name}",
        "page": f"/queries/{query.name}",
        "parameters": [
            {"name": p.name, "type": p.type, "required": p.required, "default": p.default,
             "description": p.description}
            for p in query.params
        ],
        "sparql": query.sparql,
    }


async def list_queries(svc: Services = Depends(services)) -> JSONResponse:
    return JSONResponse({"queries": [describe(q) for q in svc.named_queries.values()]})


async def unknown_query(name: str, svc: Services = Depends(services)) -> Response:
    raise NotFound(f"no named query {name!r}; see /api/queries for the list")


def _runner(name: str):
    async def run(request: Request, svc: Services = Depends(services)) -> Response:
        return await run_named_http(request, svc, svc.named_queries[name])

    run.__name__ = f"named_{name.replace('-', '_')}"
    return run


def parameter_values(request: Request, query: NamedQuery) -> dict[str, str]:
    """The query's parameters from the URL, each given at most once.

    :raises BadRequest: for a repeated parameter.
    """
    values: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key in _CONTROL:
            continue
        if key in values:
            raise BadRequest(f"parameter {key!r} given more than once")
        values[key] = value
    return values


async def run_named_http(request: Request, svc: Services, query: NamedQuery) -> Response:
    """Run ``query`` with the request's parameters; SPARQL JSON results, or CSV on request."""
    fmt = request.query_params.get("format")
    media_type = {"json": JSON, "csv": CSV}.get(fmt or "", None) if fmt else None
    if fmt and media_type is None:
        raise BadRequest("format must be json or csv")
    media_type = media_type or negotiate(request.headers.get("accept"), [JSON, CSV])
    sparql = query.bind(parameter_values(request, query))
    answer = await _run(svc, sparql, request.query_params.get("timeout"), csv=media_type == CSV)
    if media_type == CSV:
        return await stream_answer(answer, CSV, svc.settings.row_cap)
    headers = {"Vary": "Accept"}
    if answer.truncated:
        headers.update({TRUNCATED_HEADER: "true", ROW_CAP_HEADER: str(svc.settings.row_cap)})
    return Response(with_members(await answer.read_all(), truncated=answer.truncated, query=query.name),
                    media_type=JSON, headers=headers)


def with_members(results: bytes, **members: Any) -> bytes:
    """The worker's SPARQL JSON results object with ``members`` added at its end, spliced as bytes: parsing and
    writing again an answer of thousands of rows took the event loop tens of milliseconds per request.

    >>> with_members(b'{"head":{"vars":[]},"results":{"bindings":[]}}\\n', truncated=False, query="q")
    b'{"head":{"vars":[]},"results":{"bindings":[]},"truncated":false,"query":"q"}'
    """
    body = results.rstrip()
    if not body.endswith(b"}"):
        raise ValueError("a SPARQL JSON results object ends with '}'")
    return body[:-1] + b"," + json.dumps(members, ensure_ascii=False, separators=(",", ":"))[1:].encode("utf-8")


async def run_named(svc: Services, query: NamedQuery, sparql: str, timeout: str | None = None) -> NamedResult:
    """Run an already bound named query in a worker, under the time limit and row cap.

    :raises QueryTimeout, QueryError, ServerBusy: as :meth:`QueryPool.run`.
    """
    answer = await _run(svc, sparql, timeout)
    parsed = json.loads(await answer.read_all())
    return NamedResult(query, sparql, parsed["head"].get("vars", []), parsed.get("results", {}).get("bindings", []),
                       answer.truncated)


async def _run(svc: Services, sparql: str, timeout: str | None, *, csv: bool = False) -> Answer:
    """A bound named query run in a worker under the time limit, the row cap and the answer's byte cap; its
    answer in SPARQL JSON, or CSV."""
    job = QueryJob(sparql=sparql, row_cap=svc.settings.row_cap, byte_cap=svc.settings.answer_cap_mb * 2**20,
                   **({"results_media_type": CSV} if csv else {}))
    return await svc.pool.run(job, time_limit=time_limit(svc, timeout))


def _parameter_doc(param: Param) -> dict[str, Any]:
    schema = dict(_SCHEMAS[param.type])
    if param.default is not None:
        schema["default"] = param.default
    return {"name": param.name, "in": "query", "required": param.required, "schema": schema,
            "description": f"{param.description} ({param.type})".strip()}


_CONTROL_DOCS = [
    {"name": "format", "in": "query", "required": False, "schema": {"type": "string", "enum": ["json", "csv"]},
     "description": "json (SPARQL results JSON plus a truncated flag) or csv; default by Accept."},
    {"name": "timeout", "in": "query", "required": False, "schema": {"type": "number", "exclusiveMinimum": 0},
     "description": "Seconds the query may run; can only lower the server's limit."},
]


async def version() -> JSONResponse:
    return JSONResponse({"name": "clustergraph", "version": __version__})


async def settings_json(svc: Services = Depends(services)) -> JSONResponse:
    return JSONResponse({s.name: value for s, value in svc.settings.public_items()})
