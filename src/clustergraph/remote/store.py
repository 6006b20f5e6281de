"""A store reached by the SPARQL 1.1 Protocol (Oxigraph server, Fuseki, Virtuoso, GraphDB...).

It offers the read interface of :class:`clustergraph.kg.store.EmbeddedStore` (:class:`ReadStore`: ``query``,
``named_graphs``, ``quad_count``, ``has_graph``, ``graph_triples``, ``quads``), returning the same pyoxigraph
result objects, so code written against the embedded store runs unchanged. Answers are parsed with pyoxigraph's
own parsers (SPARQL JSON results, N-Triples). Writes go to the server's SPARQL Update endpoint and its Graph
Store Protocol endpoint.

The server must answer queries with the union of its graphs as the default graph, as the embedded store does
(``oxigraph serve --union-default-graph``; Fuseki ``tdb2:unionDefaultGraph true``; GraphDB and Virtuoso do so
by default), or counts and named queries differ.

Endpoint URLs: ``query_url`` is required. The Graph Store and Update URLs are given, or derived by Oxigraph's
convention only (:func:`oxigraph_endpoints`): from a server's base URL (``http://host:7878``) or from a query
URL ending in ``/query``, the siblings ``/store`` and ``/update``.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx
import pyoxigraph as ox
from pyparsing import ParseException
from rdflib.plugins.sparql.algebra import translatePrologue
from rdflib.plugins.sparql.parser import parseQuery

from clustergraph.errors import QueryError, QuerySyntaxError, QueryTimeout, StoreError
from clustergraph.sparql.guard import QueryInfo, inspect_query, inspect_update

JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
NQUADS = "application/n-quads"
SPARQL_UPDATE = "application/sparql-update"
BATCH_TRIPLES = 20_000


class ReadStore(Protocol):
    """What the app, the network views and the build push read from a store, embedded or remote."""

    location: Any

    def query(self, sparql: str, *, default_graph: list[str] | None = None,
              named_graphs: list[str] | None = None, union: bool = True) -> Any: ...

    def quads(self) -> Iterator[ox.Quad]: ...

    def has_graph(self, graph: str) -> bool: ...

    def graph_triples(self, graph: str | None) -> Iterator[ox.Triple]: ...

    def named_graphs(self) -> list[str]: ...

    def quad_count(self) -> int: ...


def oxigraph_endpoints(url: str) -> tuple[str, str | None, str | None]:
    """(query URL, Graph Store URL, Update URL) by Oxigraph's layout; only the query URL for other paths.

    >>> oxigraph_endpoints("http://127.0.0.1:7878")
    ('http://127.0.0.1:7878/query', 'http://127.0.0.1:7878/store', 'http://127.0.0.1:7878/update')
    >>> oxigraph_endpoints("http://db.example/ds/sparql")
    ('http://db.example/ds/sparql', None, None)
    """
    parts = urlsplit(url)
    path = parts.path
    if path in ("", "/"):
        stem = "/"
    elif path.endswith("/query"):
        stem = path[: -len("query")]
    else:
        return url, None, None
    def sibling(name: str) -> str:
        return urlunsplit((parts.scheme, parts.netloc, stem + name, parts.query, ""))
    return sibling("query"), sibling("store"), sibling("update")


def check_url(url: str, what: str) -> str:
    """``url`` if it is an absolute http(s) URL.

    :raises StoreError: naming ``what`` and the URL otherwise.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise StoreError(f"{what} {url!r} is not an http:// or https:// URL")
    return url


@functools.lru_cache(maxsize=256)
def dataset_clause(sparql: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The IRIs of the query's ``FROM`` and ``FROM NAMED`` clauses, prefixes resolved.

    >>> dataset_clause("PREFIX g: <urn:g:> SELECT * FROM g:a FROM NAMED <urn:b> WHERE { ?s ?p ?o }")
    (('urn:g:a',), ('urn:b',))
    """
    try:
        tree = parseQuery(sparql)
        prologue = translatePrologue(tree[0], None)
    except (ParseException, ValueError, TypeError, AttributeError, KeyError):
        return (), ()
    defaults: list[str] = []
    named: list[str] = []
    for clause in tree[1].get("datasetClause") or []:
        key = "default" if "default" in clause else "named"
        (defaults if key == "default" else named).append(str(prologue.absolutize(clause[key])))
    return tuple(defaults), tuple(named)


@dataclass
class RemoteStore:
    """SPARQL 1.1 endpoints of one dataset: query, and optionally Graph Store (loading, dumps) and Update."""

    query_url: str
    store_url: str | None = None
    update_url: str | None = None
    timeout: float = 60.0
    _local: threading.local = field(default_factory=threading.local, init=False, repr=False, compare=False)

    @classmethod
    def from_urls(cls, url: str, *, graph_store_url: str = "", update_url: str = "",
                  timeout: float = 60.0) -> RemoteStore:
        """The endpoints of ``url`` (a query URL or an Oxigraph base URL), with explicit ones taking precedence.

        :raises StoreError: for a URL that is not http(s).
        """
        query, store, update = oxigraph_endpoints(check_url(url, "store_url"))
        return cls(query, store_url=check_url(graph_store_url, "graph_store_url") if graph_store_url else store,
                   update_url=check_url(update_url, "update_url") if update_url else update, timeout=timeout)

    @property
    def location(self) -> str:
        return self.query_url

    @property
    def client(self) -> httpx.Client:
        """One keep-alive HTTP client per thread (the app calls from several threads)."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = httpx.Client(timeout=self.timeout)
        return client

    def ping(self) -> None:
        """Check that the query endpoint answers a trivial query.

        :raises StoreError: naming the URL when it does not.
        """
        try:
            self.query("ASK {}")
        except QueryError as exc:
            raise StoreError(f"{self.query_url}: not a working SPARQL endpoint ({exc})") from exc

    def query(
        self,
        sparql: str,
        *,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        union: bool = True,
    ) -> ox.QuerySolutions | ox.QueryBoolean | Iterator[ox.Triple]:
        """Run ``sparql`` on the server (POST, form-encoded) and read the whole answer.

        ``union`` is accepted for the embedded store's signature; the server decides its default graph.

        :raises QueryRefused: for SERVICE or LOAD (the query guard, as for the embedded store's endpoint).
        :raises QuerySyntaxError: when the server rejects the query with 400.
        :raises QueryError: for any other failure, naming the server's status.
        :raises StoreError: when the server cannot be reached.
        """
        info = inspect_query(sparql)
        form = _form(sparql, info, default_graph, named_graphs)
        body = self._post(self.query_url, form, NTRIPLES if info.returns_graph else JSON)
        if info.returns_graph:
            return (quad.triple for quad in ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)

    @contextlib.contextmanager
    def stream_query(
        self,
        sparql: str,
        *,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        time_limit: float,
    ) -> Iterator[ox.QuerySolutions | ox.QueryBoolean | Iterator[ox.Triple]]:
        """Run ``sparql`` and parse the answer while it arrives (rows are read only as far as they are used).

        The HTTP timeout is ``time_limit``: a server that stays silent that long ends the query.

        :raises QueryTimeout: when the server does not answer within ``time_limit``.
        :raises QueryRefused, QuerySyntaxError, QueryError, StoreError: as :meth:`query`.
        """
        info = inspect_query(sparql)
        form = _form(sparql, info, default_graph, named_graphs)
        accept = NTRIPLES if info.returns_graph else JSON
        try:
            with self.client.stream("POST", self.query_url, data=form, headers={"Accept": accept},
                                    timeout=httpx.Timeout(time_limit)) as response:
                if response.status_code >= 300:
                    response.read()
                    _raise_for_query_status(response)
                reader = _StreamReader(response.iter_raw())
                if info.returns_graph:
                    yield (quad.triple for quad in ox.parse(reader, format=ox.RdfFormat.N_TRIPLES))
                else:
                    yield ox.parse_query_results(reader, format=ox.QueryResultsFormat.JSON)
        except httpx.TimeoutException as exc:
            raise QueryTimeout(f"the query was stopped after the time limit of {time_limit:g} s") from exc
        except httpx.HTTPError as exc:
            raise StoreError(f"{self.query_url}: cannot reach the SPARQL server ({exc})") from exc

    def _post(self, url: str, form: dict[str, str | list[str]], accept: str) -> bytes:
        try:
            response = self.client.post(url, data=form, headers={"Accept": accept})
        except httpx.HTTPError as exc:
            raise StoreError(f"{url}: cannot reach the SPARQL server ({exc})") from exc
        _raise_for_query_status(response)
        return response.content

    def named_graphs(self) -> list[str]:
        rows = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return sorted(r["g"].value for r in rows if isinstance(r["g"], ox.NamedNode))

    def quad_count(self) -> int:
        rows = self.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(next(iter(rows))["n"].value)

    def has_graph(self, graph: str) -> bool:
        return bool(self.query(f"ASK {{ GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }} }}"))

    def graph_triples(self, graph: str | None) -> Iterator[ox.Triple]:
        """The triples of ``graph``; for None, the distinct triples of the union of all graphs."""
        if graph is None:
            return self.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")  # type: ignore[return-value]
        return self.query(  # type: ignore[return-value]
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }} }}")

    def quads(self) -> Iterator[ox.Quad]:
        rows = self.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return (ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows)

    # Writes: the Graph Store Protocol (loading, /store writes) and SPARQL Update (/update).

    def load(self, quads: Iterable[ox.Quad]) -> None:
        """Add ``quads`` to the server's dataset through the Graph Store Protocol (N-Quads POST).

        :raises StoreError: without a Graph Store URL or when the server refuses the data.
        """
        body = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
        self._graph_store("POST", None, content=body, content_type=NQUADS, dataset=True)

    def put_graph(self, graph: str | None, triples: Iterable[ox.Triple]) -> bool:
        """Replace ``graph`` (None: the server's default graph) by ``triples``, streamed as N-Triples in
        batches; returns whether the server created the graph (201).

        :raises StoreError: without a Graph Store URL or when the server refuses the data.
        """
        response = self._graph_store("PUT", graph, content=_ntriples_batches(triples), content_type=NTRIPLES)
        return response.status_code == 201

    def post_graph(self, graph: str | None, triples: Iterable[ox.Triple]) -> None:
        """Add ``triples`` to ``graph`` (None: the server's default graph)."""
        self._graph_store("POST", graph, content=_ntriples_batches(triples), content_type=NTRIPLES)

    def delete_graph(self, graph: str | None) -> None:
        """Drop ``graph`` (None: empty the server's default graph); a graph already absent is no error."""
        self._graph_store("DELETE", graph, missing_ok=True)

    def update(self, sparql: str) -> None:
        """Forward a SPARQL Update to the server's update endpoint, after the same guard as local updates.

        :raises QueryRefused: for LOAD or SERVICE. :raises QuerySyntaxError: when the server answers 400.
        :raises StoreError: without an Update URL, or when the server cannot be reached.
        """
        inspect_update(sparql)
        if not self.update_url:
            raise StoreError("this server has no SPARQL Update URL (set update_url / --update-url)")
        try:
            response = self.client.post(self.update_url, content=sparql.encode("utf-8"),
                                        headers={"Content-Type": SPARQL_UPDATE})
        except httpx.HTTPError as exc:
            raise StoreError(f"{self.update_url}: cannot reach the SPARQL server ({exc})") from exc
        if response.status_code == 400:
            raise QuerySyntaxError(f"the SPARQL server refused the update: {response.text.strip()[:500]}")
        if response.status_code >= 300:
            raise StoreError(f"{self.update_url}: the server answered {response.status_code}: "
                             f"{response.text.strip()[:300]}")

    def _graph_store(self, method: str, graph: str | None, *, content: Any = None, content_type: str = "",
                     dataset: bool = False, missing_ok: bool = False) -> httpx.Response:
        if not self.store_url:
            raise StoreError("this needs the server's Graph Store Protocol URL (set graph_store_url / "
                             "--graph-store-url)")
        params = {} if dataset else ({"default": ""} if graph is None else {"graph": graph})
        headers = {"Content-Type": content_type} if content_type else {}
        try:
            response = self.client.request(method, self.store_url, params=params, content=content,
                                           headers=headers)
        except httpx.HTTPError as exc:
            raise StoreError(f"{self.store_url}: cannot reach the SPARQL server ({exc})") from exc
        if response.status_code == 404 and missing_ok:
            return response
        if response.status_code >= 300:
            target = "the dataset" if dataset else (f"graph {graph}" if graph else "the default graph")
            raise StoreError(f"{self.store_url}: {method} of {target} refused ({response.status_code}: "
                             f"{response.text.strip()[:300]})")
        return response


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
            raise QuerySyntaxError(f"SPARQL syntax {text}")
        raise QuerySyntaxError(f"SPARQL syntax error: the SPARQL server refused the query: {text}")
    if response.status_code >= 300:
        raise QueryError(f"the SPARQL server {response.request.url.copy_with(query=None)} answered "
                         f"{response.status_code}: {response.text.strip()[:300]}")


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


class _StreamReader:
    """A binary file-like object over an iterator of byte chunks, for pyoxigraph's streaming parsers."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
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
