"""Every network view's GEXF validates against the GEXF 1.2 schema Gephi publishes, and its GraphML against the
GraphML 1.0 schema (both vendored in tests/schemas/); the graph notes sit in ``<meta><description>``; files the
schemas forbid are rejected, so the checks can fail."""

from __future__ import annotations

import networkx as nx
import pytest
from conftest import ROOT
from lxml import etree
from xml_schemas import GEXF, GRAPHML, errors

from clustergraph.network import export as network_export
from clustergraph.network.views import VIEWS, Filters, build_view, store_select
from clustergraph.querying.named import load_named_queries

QUERIES = load_named_queries(ROOT / "queries")
GEXF_NS = "{http://www.gexf.net/1.2draft}"
# The default filters, and ones that fill every note (affiliations and items left out of the projection).
FILTER_SETS = ({}, {"ties": "all", "max_members": "5"}, {"family": "vanguard", "year": "2024"})


@pytest.fixture(scope="module")
def graphs(project_store) -> dict[tuple[str, int], nx.Graph]:
    """Every view under every filter set (a view ignores the filters that do not apply to it)."""
    select = store_select(project_store)
    return {(name, i): build_view(select, QUERIES, name, Filters.parse(**filters)).graph
            for name in VIEWS for i, filters in enumerate(FILTER_SETS)}


@pytest.mark.parametrize("i", range(len(FILTER_SETS)))
@pytest.mark.parametrize("name", VIEWS)
def test_every_view_exports_valid_gexf_and_graphml(graphs, name: str, i: int) -> None:
    graph = graphs[name, i]
    assert graph.number_of_nodes() > 0
    assert errors(GEXF, network_export.to_gexf(graph)) == []
    assert errors(GRAPHML, network_export.to_graphml(graph)) == []


def test_gexf_notes_are_in_meta_description(graphs) -> None:
    root = etree.fromstring(network_export.to_gexf(graphs["collaboration", 1]))
    assert root.find(f"{GEXF_NS}graph").get("name") is None
    lines = root.findtext(f"{GEXF_NS}meta/{GEXF_NS}description").splitlines()
    notes = dict(line.split(": ", 1) for line in lines)
    assert notes["ties"] == "all" and notes["max_members"] == "5" and notes["betweenness"] == "exact"
    assert notes["tie_rule"].startswith("Two clusters are tied")
    assert notes["left_out"] != "none" and "clusters)" in notes["left_out"]


def test_a_graph_name_is_rejected_as_the_schema_says() -> None:
    """What networkx writes by itself (``<graph name="...">``) is what the schema refuses."""
    graph = nx.Graph([("a", "b")], name="notes")
    found = errors(GEXF, b"".join(line.encode() for line in nx.generate_gexf(graph)))
    assert found and "'name'" in found[0] and "not allowed" in found[0]


def test_planted_invalid_exports_are_rejected(graphs) -> None:
    valid_gexf = network_export.to_gexf(graphs["collaboration", 0])
    no_id = valid_gexf.replace(b"<node id=", b"<node ident=", 1)
    assert any("id" in e for e in errors(GEXF, no_id))
    bad_version = valid_gexf.replace(b'version="1.2"', b'version="9.9"', 1)
    assert errors(GEXF, bad_version)
    valid_graphml = network_export.to_graphml(graphs["collaboration", 0])
    assert b'edgedefault="undirected"' in valid_graphml
    assert errors(GRAPHML, valid_graphml.replace(b'edgedefault="undirected"', b'edgedefault="sideways"', 1))
    iri_as_id = valid_graphml.replace(b'<node id="n0">', b'<node id="https://w3id.org/clustergraph/id/x">', 1)
    assert iri_as_id != valid_graphml and any("NMTOKEN" in e for e in errors(GRAPHML, iri_as_id))


@pytest.mark.parametrize("suffix", [".gexf", ".graphml"])
def test_web_downloads_validate(live_server, suffix: str) -> None:
    """The files the pages offer (``/network/{view}.gexf|.graphml``) are the ones validated above."""
    xsd = GEXF if suffix == ".gexf" else GRAPHML
    with live_server.client() as client:
        for name in VIEWS:
            response = client.get(f"/network/{name}{suffix}")
            assert response.status_code == 200, (name, response.text[:200])
            assert errors(xsd, response.content) == [], name
