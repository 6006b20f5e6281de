"""Property-based fuzzing of the HTTP API from its own OpenAPI spec (schemathesis): no 5xx, and every response
matches the spec (status, media type, JSON body, declared headers).

The spec is loaded from a real ``clustergraph serve`` (uvicorn on 127.0.0.1) and every operation in it gets
requests over real HTTP: :data:`EXAMPLES` generated valid ones (positive mode) and ones that break the spec
(negative mode; skipped where nothing can: a lone free-text path parameter), plus requests built on the
examples the spec gives (real queries, IRIs, updates, graphs), which reach past the error paths. Every answer
goes through :data:`CHECKS`: no 5xx (``not_a_server_error``), a status the spec declares for the operation
(``status_code_conformance``), a declared media type (``content_type_conformance``), a JSON body that matches
the declared schema (``response_schema_conformance``) and the declared required headers, such as
``Retry-After`` on 503 and ``WWW-Authenticate`` on 401 (``response_headers_conformance``). Generation is
derandomized (Hypothesis ``derandomize=True``, no example database), so every run sends the same requests.

- **Embedded backend only.** The spec, the routes and the error mapping are the same whatever the backend
  (the remote runner shares the query guard, the result writers and ``web/errors.py``); what differs is
  where a query runs, which the read-side suites already check on both backends. One backend keeps the file
  within its time budget.
- **Writes included, on a private store.** The server has a write token, so ``/update`` and the ``/store``
  writes are in the spec and fuzzed with the token; it serves its own copy of the session's build, so
  whatever the fuzzer writes or drops never reaches the store the other tests read.
- **503 is a failure here.** A query that outlives its own ``timeout`` answers a deliberate ``503`` with
  ``Retry-After`` (``tests/test_time_limit.py``); so that every 5xx the fuzzer sees is a defect, generated
  timeouts below :data:`MIN_TIMEOUT` seconds are raised to it before sending, and the time limit is well above
  what any query on this store takes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from live import WRITE_TOKEN, LiveServer, start_server
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clustergraph.kg.store import StoreRoot

EXAMPLES = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 10}  # generated requests per operation
PER_SPEC_EXAMPLE = 2  # requests per example the spec gives (its other parameters generated)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
MIN_TIMEOUT = 2.0
AUTH = {"Authorization": f"Bearer {WRITE_TOKEN}"}
WRITES = {"PUT /store", "POST /store", "DELETE /store", "POST /update"}
TEXT_BODIES = ["application/sparql-query", "application/sparql-update", "application/n-triples"]


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory, project_store_root: StoreRoot) -> Iterator[LiveServer]:
    """A writable server over its own copy of the built store."""
    copy = tmp_path_factory.mktemp("fuzz") / "store"
    shutil.copytree(project_store_root.path, copy, symlinks=True)
    with start_server(copy, write_token=WRITE_TOKEN, time_limit="20") as server:
        yield server


@pytest.fixture(scope="module")
def api_schema(fuzz_server: LiveServer) -> schemathesis.BaseSchema:
    """The spec as the running server publishes it; bodies of the SPARQL and N-Triples types are sent as text
    (without a serializer, schemathesis would leave those media types out)."""
    schemathesis.serializer.alias(TEXT_BODIES, "text/plain")
    return schemathesis.openapi.from_url(fuzz_server.url + "/openapi.json", timeout=30)


def operations(schema: schemathesis.BaseSchema) -> list[schemathesis.APIOperation]:
    """Every operation of the spec (a spec schemathesis cannot read fails here)."""
    return [result.ok() for result in schema.get_all_operations()]


def negatable(operation: schemathesis.APIOperation) -> bool:
    """Whether a request can break the spec of ``operation``: it takes a body or a query parameter (a lone path
    parameter that takes any string cannot be made invalid, and negative generation would find nothing)."""
    definition = operation.definition.raw
    return "requestBody" in definition or any(
        p.get("in") != "path" or set(p.get("schema", {})) - {"type", "title"} for p in definition.get("parameters", [])
    )


def bounded_timeout(case: Case) -> None:
    """Raise a generated ``timeout`` below :data:`MIN_TIMEOUT` to it (values that are not numbers stay)."""
    value = (case.query or {}).get("timeout")
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return
    if 0 < seconds < MIN_TIMEOUT:
        case.query["timeout"] = MIN_TIMEOUT


def check(cases: SearchStrategy[Case], max_examples: int) -> None:
    """Send ``max_examples`` requests drawn from ``cases`` and run :data:`CHECKS` on each answer."""

    @settings(max_examples=max_examples, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(case=cases)
    def run(case: Case) -> None:
        bounded_timeout(case)
        case.call_and_validate(headers=AUTH, checks=CHECKS, timeout=60)

    run()


def test_spec_lists_every_operation_once(api_schema: schemathesis.BaseSchema) -> None:
    labels = [operation.label for operation in operations(api_schema)]
    spec = api_schema.raw_schema
    ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    assert WRITES <= set(labels) and "GET /sparql" in labels and "GET /id/{rest}" in labels
    assert len(ids) == len(set(ids)), "duplicate operationId"
    assert not any("422" in op["responses"] for ops in spec["paths"].values() for op in ops.values())
    assert spec["components"]["securitySchemes"]["writeToken"]["scheme"] == "bearer"


def test_the_spec_examples_answer_as_specified(api_schema: schemathesis.BaseSchema,
                                               subtests: pytest.Subtests) -> None:
    """The examples the spec gives (queries, updates, graphs, IRIs) reach past the error paths."""
    for operation in operations(api_schema):
        examples = operation.get_strategies_from_examples()
        if examples:
            with subtests.test(operation=operation.label):
                check(st.one_of(examples), PER_SPEC_EXAMPLE * len(examples))


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_every_operation_answers_as_specified(api_schema: schemathesis.BaseSchema, mode: GenerationMode,
                                              subtests: pytest.Subtests) -> None:
    for operation in operations(api_schema):
        if mode is GenerationMode.NEGATIVE and not negatable(operation):
            continue
        with subtests.test(operation=operation.label):
            check(operation.as_strategy(mode), EXAMPLES[mode])
