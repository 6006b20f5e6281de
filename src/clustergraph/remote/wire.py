"""The SPARQL 1.1 Protocol on the wire: media types, request forms, status checks, N-Triples batches and a
file-like reader over streamed chunks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import httpx
import pyoxigraph as ox

from clustergraph.errors import QueryError, QuerySyntaxError
from clustergraph.kg.store import syntax_error
from clustergraph.remote.endpoints import dataset_clause
from clustergraph.sparql.guard import QueryInfo

JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
NQUADS = "application/n-quads"
SPARQL_UPDATE = "application/sparql-update"
BATCH_TRIPLES = 20_000


def _form(sparql: str, info: QueryInfo, default_graph: list[str] | None,
          named_graphs: list[str] | None) -> dict[str, Any]:
    """The Protocol form. A query's own ``FROM``/``FROM NAMED`` are also sent as ``default-graph-uri``/
    ``named-graph-uri`` when the request gives none: a server whose default graph is the union (Oxigraph's
    ``--union-default-graph``) otherwise ignores them, and the Protocol's parameters win over them anyway."""
    form: dict[str, Any] = {"query": sparql}
    if info.has_dataset_clause and not default_graph and not named_graphs:
        defaults, named = dataset_clause(sparql)
        default_graph, named_graphs = list(defaults), list(named)
    if default_graph:
        form["default-graph-uri"] = list(default_graph)
    if named_graphs:
        form["named-graph-uri"] = list(named_graphs)
    return form


def _raise_for_query_status(response: httpx.Response) -> None:
    if response.status_code == 400:
        text = response.text.strip()[:500]
        if text.startswith("error at "):  # Oxigraph names the position like the embedded store does
            raise syntax_error(text)
        raise QuerySyntaxError(f"SPARQL syntax error: the SPARQL server refused the query: {text}")
    if response.status_code >= 300:
        raise QueryError(f"the SPARQL server {response.request.url.copy_with(query=None)} answered "
                         f"{response.status_code}: {response.text.strip()[:300]}")


def _as_boolean(result: ox.QuerySolutions | ox.QueryBoolean) -> ox.QueryBoolean:
    """An ASK query's answer as a boolean. Virtuoso 7.2 answers ASK with a table of one column
    (``__ASK_RETVAL``): one row for true, none for false; a server following the Protocol sends the boolean.

    >>> table = b'{"head": {"vars": ["__ASK_RETVAL"]}, "results": {"bindings": []}}'
    >>> bool(_as_boolean(ox.parse_query_results(table, format=ox.QueryResultsFormat.JSON)))
    False
    """
    if isinstance(result, ox.QueryBoolean):
        return result
    answer = next(iter(result), None) is not None
    return ox.parse_query_results(b'{"head": {}, "boolean": %s}' % (b"true" if answer else b"false"),
                                  format=ox.QueryResultsFormat.JSON)


def _ntriples_batches(triples: Iterable[ox.Triple]) -> Iterator[bytes]:
    """N-Triples bytes, ``BATCH_TRIPLES`` triples at a time (a graph is never held serialised whole)."""
    batch: list[ox.Triple] = []
    for triple in triples:
        batch.append(triple)
        if len(batch) >= BATCH_TRIPLES:
            yield ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES)
            batch = []
    if batch:
        yield ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES)


# Virtuoso writes its blank nodes as ``"value": "nodeID://b10000"`` in JSON results, not a blank node label.
_VIRTUOSO_BNODE = b'"type": "bnode", "value": "nodeID://'
_BNODE = b'"type": "bnode", "value": "'


def _bnode_labels(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``chunks`` with Virtuoso's ``nodeID://`` blank node values made labels (``nodeID://b1`` -> ``b1``).

    >>> b"".join(_bnode_labels(iter([b'{"type": "bnode", "value": "node', b'ID://b1"}'])))
    b'{"type": "bnode", "value": "b1"}'
    """
    keep = len(_VIRTUOSO_BNODE) - 1
    tail = b""
    for chunk in chunks:
        text = (tail + chunk).replace(_VIRTUOSO_BNODE, _BNODE)
        text, tail = text[:-keep], text[-keep:]
        if text:
            yield text
    if tail:
        yield tail


class _StreamReader:
    """A binary file-like object over an iterator of byte chunks, for pyoxigraph's streaming parsers."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = _bnode_labels(chunks)
        self.buffer = b""

    def read(self, size: int = -1) -> bytes:
        while not self.buffer or (size < 0):
            piece = next(self.chunks, None)
            if piece is None:
                break
            self.buffer += piece
            if size >= 0:
                break
        if size < 0:
            out, self.buffer = self.buffer, b""
            return out
        out, self.buffer = self.buffer[:size], self.buffer[size:]
        return out

    def readinto(self, target: bytearray | memoryview) -> int:
        data = self.read(len(target))
        target[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True
