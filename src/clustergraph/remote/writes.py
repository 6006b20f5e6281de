"""Writing to a SPARQL server: Graph Store Protocol PUT/POST/DELETE and SPARQL Update, as a mixin of
:class:`~clustergraph.remote.store.RemoteStore`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx
import pyoxigraph as ox

from clustergraph.errors import QuerySyntaxError, StoreError
from clustergraph.remote.wire import NQUADS, NTRIPLES, SPARQL_UPDATE, _ntriples_batches
from clustergraph.sparql.guard import inspect_update


class RemoteWrites:
    """The write half of :class:`~clustergraph.remote.store.RemoteStore` (needs its ``client``, ``graph_store_url``
    and ``update_url``)."""

    def load(self, quads: Iterable[ox.Quad]) -> None:
        """Add ``quads`` to the server's dataset through the Graph Store Protocol (N-Quads POST).

        :raises StoreError: without a Graph Store URL or when the server refuses the data.
        """
        body = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
        self._graph_store("POST", None, content=body, content_type=NQUADS, dataset=True)

    def put_graph(self, graph: str | None, triples: Iterable[ox.Triple]) -> bool:
        """Replace ``graph`` (None: the server's default graph) by ``triples``: the first N-Triples batch is
        ``PUT``, the others are ``POST``-ed after it; returns whether the server created the graph (201).

        Every request has a sized body, never a chunked one: Virtuoso 7.2 answers a chunked ``PUT`` with 204
        and stores nothing. So a graph of more than :data:`~clustergraph.remote.wire.BATCH_TRIPLES` triples
        is replaced in several requests, and a reader in between sees its first batches only.

        :raises StoreError: without a Graph Store URL or when the server refuses the data.
        """
        batches = _ntriples_batches(triples)
        response = self._graph_store("PUT", graph, content=next(batches, b""), content_type=NTRIPLES)
        for batch in batches:
            self._graph_store("POST", graph, content=batch, content_type=NTRIPLES)
        return response.status_code == 201

    def post_graph(self, graph: str | None, triples: Iterable[ox.Triple]) -> None:
        """Add ``triples`` to ``graph`` (None: the server's default graph), one sized request per batch."""
        for batch in _ntriples_batches(triples):
            self._graph_store("POST", graph, content=batch, content_type=NTRIPLES)

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
