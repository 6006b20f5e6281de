"""A store reached by the SPARQL 1.1 Protocol (Oxigraph server, Fuseki, Virtuoso, GraphDB...).

It offers the read interface of :class:`clustergraph.store.EmbeddedStore` (``query``, ``named_graphs``,
``quad_count``, ``has_graph``, ``graph_triples``, ``quads``), returning the same pyoxigraph result objects, so
code written against the embedded store runs unchanged. Answers are parsed with pyoxigraph's own parsers
(SPARQL JSON results, N-Triples, N-Quads).

The server must answer queries with the union of its graphs as the default graph, as the embedded store does
(``oxigraph serve --union-default-graph``; Fuseki ``tdb2:unionDefaultGraph true``; GraphDB and Virtuoso do so
by default), or counts and named queries differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import httpx
import pyoxigraph as ox

from clustergraph.errors import QueryError, QuerySyntaxError, StoreError
from clustergraph.query_guard import inspect_query

JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
NQUADS = "application/n-quads"


@dataclass
class RemoteStore:
    """SPARQL 1.1 endpoints of one dataset: query, and optionally Graph Store (for loading and dumps)."""

    query_url: str
    store_url: str | None = None
    timeout: float = 60.0

    @property
    def location(self) -> str:
        return self.query_url

    def query(
        self,
        sparql: str,
        *,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        union: bool = True,
    ) -> ox.QuerySolutions | ox.QueryBoolean | Iterator[ox.Triple]:
        """Run ``sparql`` on the server (POST, form-encoded).

        :raises QuerySyntaxError: when the server rejects the query with 400.
        :raises QueryError: for any other failure, naming the server's status.
        """
        info = inspect_query(sparql)
        form: dict[str, str | list[str]] = {"query": sparql}
        if default_graph:
            form["default-graph-uri"] = list(default_graph)
        if named_graphs:
            form["named-graph-uri"] = list(named_graphs)
        accept = NTRIPLES if info.returns_graph else JSON
        body = self._post(self.query_url, form, accept)
        if info.returns_graph:
            return (quad.triple for quad in ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)

    def _post(self, url: str, form: dict[str, str | list[str]], accept: str) -> bytes:
        try:
            response = httpx.post(url, data=form, headers={"Accept": accept},
                                  timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise StoreError(f"{url}: cannot reach the SPARQL server ({exc})") from exc
        if response.status_code == 400:
            raise QuerySyntaxError(f"the SPARQL server refused the query: {response.text.strip()[:500]}")
        if response.status_code >= 300:
            raise QueryError(f"the SPARQL server answered {response.status_code}: {response.text.strip()[:300]}")
        return response.content

    def named_graphs(self) -> list[str]:
        rows = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return sorted(r["g"].value for r in rows)

    def quad_count(self) -> int:
        rows = self.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(next(iter(rows))["n"].value)

    def has_graph(self, graph: str) -> bool:
        return bool(self.query(f"ASK {{ GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }} }}"))

    def graph_triples(self, graph: str | None) -> Iterator[ox.Triple]:
        if graph is None:
            return self.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")  # type: ignore[return-value]
        return self.query(  # type: ignore[return-value]
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }} }}")

    def quads(self) -> Iterator[ox.Quad]:
        rows = self.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return (ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows)

    def load(self, quads: Iterable[ox.Quad]) -> None:
        """Add ``quads`` to the server's dataset through the Graph Store Protocol (N-Quads POST).

        :raises StoreError: without a Graph Store URL or when the server refuses the data.
        """
        if self.store_url is None:
            raise StoreError("loading needs the server's Graph Store Protocol URL (--store-url)")
        body = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
        try:
            response = httpx.post(self.store_url, content=body, headers={"Content-Type": NQUADS},
                                  timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise StoreError(f"{self.store_url}: cannot reach the SPARQL server ({exc})") from exc
        if response.status_code >= 300:
            raise StoreError(f"{self.store_url}: the server refused the data ({response.status_code}: "
                             f"{response.text.strip()[:300]})")
