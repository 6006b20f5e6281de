"""The same named queries give the same answers on the embedded store and on a real Oxigraph SPARQL server
reached by the SPARQL 1.1 Protocol (loaded through the Graph Store Protocol)."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT
from live import free_port

from clustergraph.errors import QuerySyntaxError, StoreError
from clustergraph.network.views import Filters, build_view, store_select
from clustergraph.querying.named import load_named_queries
from clustergraph.remote.store import RemoteStore

QUERIES = load_named_queries(ROOT / "queries")


@pytest.fixture(scope="module")
def remote(remote_store) -> RemoteStore:
    """The session's Oxigraph server, loaded with the built project through the Graph Store Protocol."""
    return remote_store


def rows(result) -> list[tuple[str, ...]]:
    names = [v.value for v in result.variables]
    # GROUP_CONCAT order is not defined: compare concatenations as sorted parts (separators ", " and " ")
    return sorted(tuple(" ".join(sorted(re.split(r",? ", s[n].value if s[n] is not None else ""))) for n in names)
                  for s in result)


def test_load_keeps_every_quad_and_graph(remote, project_store) -> None:
    assert remote.quad_count() == project_store.quad_count()
    assert remote.named_graphs() == project_store.named_graphs()


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_named_queries_answer_the_same(remote, project_store, name: str) -> None:
    sparql = QUERIES[name].bind({})
    assert rows(remote.query(sparql)) == rows(project_store.query(sparql))


def test_construct_ask_and_graph_reads(remote, project_store) -> None:
    afil = "https://w3id.org/clustergraph/id/afil"
    construct = f"CONSTRUCT {{ <{afil}> ?p ?o }} WHERE {{ <{afil}> ?p ?o }}"
    assert set(remote.query(construct)) == set(project_store.query(construct))
    assert bool(remote.query(f"ASK {{ <{afil}> ?p ?o }}")) is True
    graph = "https://w3id.org/clustergraph/graph/afil-profile-2024"
    assert remote.has_graph(graph) and set(remote.graph_triples(graph)) == set(project_store.graph_triples(graph))


def test_protocol_dataset_parameters(remote, project_store) -> None:
    graph = "https://w3id.org/clustergraph/graph/afil-profile-2024"
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    far = rows(remote.query(count, default_graph=[graph]))
    near = rows(project_store.query(count, default_graph=[graph]))
    union = rows(project_store.query(count))
    assert far == near and near[0][0] != "0" and near != union


def test_network_views_are_the_same(remote, project_store) -> None:
    local = build_view(store_select(project_store), QUERIES, "collaboration", Filters.parse("vanguard"))
    far = build_view(store_select(remote), QUERIES, "collaboration", Filters.parse("vanguard"))
    assert sorted(local.graph.edges) == sorted(far.graph.edges)
    assert local.communities == far.communities


def test_errors_are_typed(remote) -> None:
    with pytest.raises(QuerySyntaxError):
        remote.query("SELECT ?x WHERE { ?x ")
    with pytest.raises(StoreError, match="cannot reach"):
        RemoteStore(f"http://127.0.0.1:{free_port()}/query").query("ASK {}")
