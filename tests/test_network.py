"""Network views hold what the sources say; metrics match hand-worked answers; output is deterministic;
exports read back into networkx unchanged."""

from __future__ import annotations

import io
import json
from collections import defaultdict

import networkx as nx
import pytest
from conftest import ROOT, run_cli

from clustergraph.errors import BadRequest
from clustergraph.iris import DATA
from clustergraph.network import export as network_export
from clustergraph.network.metrics import annotate, brokers
from clustergraph.network.views import VIEWS, Filters, build_view, store_select
from clustergraph.querying.named import load_named_queries

AFIL, LE2C, LGCA, LLSC, SCC = (DATA + n for n in ("afil", "le2c", "lgca", "lombardy-life-sciences-cluster",
                                                   "cluster-scc"))
QUERIES = load_named_queries(ROOT / "queries")


@pytest.fixture(scope="module")
def view(project_store):
    select = store_select(project_store)
    return lambda name, **filters: build_view(select, QUERIES, name, Filters.parse(**filters))


def test_i3_alone_does_not_tie_afil_and_scc(view) -> None:
    graph = view("collaboration", family="i3").graph
    assert {AFIL, SCC} <= set(graph.nodes)  # both take part in I3 projects (AFIL: BATMASS, SCC: SMART-Growth)...
    assert not graph.has_edge(AFIL, SCC)  # ...but not in the same one


def test_vanguard_ties_its_members_under_that_family(view) -> None:
    """The Vanguard Initiative is a network of regions (an affiliation): it ties its clusters only with ties=all."""
    default = view("collaboration", family="vanguard")
    assert default.graph.number_of_edges() == 0
    assert DATA + "vanguard-initiative" in {i["iri"] for i in default.affiliations}
    graph = view("collaboration", family="vanguard", ties="all").graph
    for a, b in ((AFIL, LE2C), (AFIL, LGCA), (LE2C, LLSC)):
        assert graph.has_edge(a, b)
        assert DATA + "vanguard-initiative" in {i["iri"] for i in graph[a][b]["items"]}
    assert not graph.has_edge(AFIL, SCC)


def test_editions_compare_as_the_reports_say(view) -> None:
    # 2022 report: AFIL, LE2C and LGCA in the Vanguard Initiative; 2024 report: AFIL, LE2C and LLSC.
    graph = view("compare", family="vanguard", ties="all").graph
    assert graph[AFIL][LE2C]["status"] == "kept"
    assert graph[AFIL][LGCA]["status"] == "lost"
    assert graph[LE2C][LLSC]["status"] == "gained"
    assert view("collaboration", family="vanguard", year="2022", ties="all").graph.has_edge(AFIL, LGCA)
    assert not view("collaboration", family="vanguard", year="2024", ties="all").graph.has_edge(AFIL, LGCA)


def test_weights_discount_large_umbrellas(view, named) -> None:
    """Each shared item adds 1/(n-1) for its n clusters: recomputed here from the rows of the named query."""
    rows = named("network-participations")
    clusters_of: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        clusters_of[row["item"]].add(row["cluster"])
    graph = view("collaboration", ties="all").graph
    for a, b, data in graph.edges(data=True):
        shared = [i for i, members in clusters_of.items() if {a, b} <= members]
        assert data["shared"] == len(shared)
        assert data["weight"] == pytest.approx(sum(1 / (len(clusters_of[i]) - 1) for i in shared))
    umbrella = max(clusters_of, key=lambda i: len(clusters_of[i]))
    assert len(clusters_of[umbrella]) >= 10  # a platform most clusters are registered on weighs little


def test_participation_and_alignment_views(view) -> None:
    participation = view("participation", family="i3").graph
    assert participation.nodes[DATA + "batmass"]["kind"] and participation.has_edge(AFIL, DATA + "batmass")
    assert "role" in participation[AFIL][DATA + "batmass"]
    alignment = view("alignment").graph
    kinds = {d["kind"] for _, d in alignment.nodes(data=True)}
    assert {"cluster", "S3 innovation ecosystem", "EU industrial ecosystem", "PNRR component"} <= kinds


def test_bad_filters_and_views_are_refused(view) -> None:
    with pytest.raises(BadRequest, match="family"):
        Filters.parse(family="cosmic")
    with pytest.raises(BadRequest, match="year"):
        Filters.parse(year="2023")
    with pytest.raises(BadRequest, match="view"):
        view("hairball")


def test_same_data_same_numbers_and_layout(view) -> None:
    for name in VIEWS:
        first, second = view(name), view(name)
        assert network_export.to_json(first.graph) == network_export.to_json(second.graph), name
        assert first.communities == second.communities and first.modularity == second.modularity


def test_metrics_on_a_path() -> None:
    graph = nx.Graph([("a", "b"), ("b", "c")])
    modularity, communities = annotate(graph)
    assert graph.nodes["b"]["betweenness"] == 1.0 and graph.nodes["a"]["betweenness"] == 0.0
    assert graph.nodes["b"]["articulation"] and not graph.nodes["a"]["articulation"]
    assert graph.nodes["a"]["harmonic"] == pytest.approx(1 + 1 / 2)
    assert graph.nodes["b"]["degree"] == 2 and graph.nodes["b"]["weighted_degree"] == 2.0


def test_betweenness_reads_weight_as_closeness() -> None:
    # a-b and b-c are strong ties (weight 10 = distance 0.1); a-c is weak (distance 1): a reaches c through b.
    graph = nx.Graph()
    graph.add_edge("a", "b", weight=10.0)
    graph.add_edge("b", "c", weight=10.0)
    graph.add_edge("a", "c", weight=1.0)
    annotate(graph)
    assert graph.nodes["b"]["betweenness"] == 1.0
    assert graph.nodes["a"]["harmonic"] == pytest.approx(1 / 0.1 + 1 / 0.2)


def test_louvain_finds_two_triangles_and_their_modularity() -> None:
    graph = nx.Graph([("a", "b"), ("b", "c"), ("a", "c"), ("x", "y"), ("y", "z"), ("x", "z"), ("c", "x")])
    modularity, communities = annotate(graph)
    assert communities == [["a", "b", "c"], ["x", "y", "z"]]
    assert modularity == pytest.approx(2 * (3 / 7 - (7 / 14) ** 2), abs=1e-6)  # 0.357143
    assert graph.nodes["c"]["articulation"] and graph.nodes["x"]["articulation"]
    assert [node for node, _ in brokers(graph, top=2)] == ["c", "x"]


@pytest.mark.parametrize("name", VIEWS)
def test_gexf_and_graphml_read_back_without_loss(view, name: str) -> None:
    flat = network_export.flat(view(name).graph)
    for back in (nx.read_gexf(io.BytesIO(network_export.to_gexf(flat))),
                 network_export.from_graphml(network_export.to_graphml(flat))):
        assert set(back.nodes) == set(flat.nodes) and back.number_of_edges() == flat.number_of_edges()
        for node, attrs in flat.nodes(data=True):
            assert {k: back.nodes[node].get(k) for k in attrs} == attrs
        for a, b, attrs in flat.edges(data=True):
            assert {k: back[a][b].get(k) for k in attrs} == attrs


def test_csv_tables_have_gephi_headers(view) -> None:
    graph = view("collaboration").graph
    nodes = network_export.nodes_csv(graph).splitlines()
    edges = network_export.edges_csv(graph).splitlines()
    assert nodes[0].startswith("Id,Label,") and len(nodes) == 1 + graph.number_of_nodes()
    assert edges[0].startswith("Source,Target,Weight,") and len(edges) == 1 + graph.number_of_edges()


def test_cli_writes_every_format(tmp_path, project_store_root) -> None:
    store = str(project_store_root.path)
    for fmt in ("gexf", "graphml", "json", "csv", "html"):
        result = run_cli("network", "--view", "collaboration", "--family", "vanguard", "--format", fmt,
                         "-o", str(tmp_path / f"net.{fmt}"), "--store", store)
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "net-nodes.csv").read_text().startswith("Id,Label")
    data = json.loads((tmp_path / "net.json").read_text())
    assert {n["id"] for n in data["nodes"]} >= {AFIL, LE2C}
    assert "vis-network" in (tmp_path / "net.html").read_text() or "vis.Network" in (tmp_path / "net.html").read_text()
    bad = run_cli("network", "--year", "1999", "-o", str(tmp_path / "x.json"), "--format", "json", "--store", store)
    assert bad.returncode == 2 and "year" in bad.stderr


def test_node_size_prefers_an_exact_total_over_an_approximate_one(view) -> None:
    # 2024: the LTC report states 143 members; AFIL's slides say "about 150" (approximate).
    graph = view("collaboration").graph
    assert graph.nodes[AFIL]["members"] == 143


def test_alignment_targets_are_the_non_cluster_nodes_of_the_alignment_view(view, project_store) -> None:
    from clustergraph.network.views import alignment_targets

    graph = view("alignment").graph
    expected = sorted((d["kind"], d["label"], n) for n, d in graph.nodes(data=True) if d["kind"] != "cluster")
    assert alignment_targets(store_select(project_store), QUERIES) == expected


def test_the_default_cap_leaves_nothing_out_at_the_region_scale(view) -> None:
    for name in ("collaboration", "compare"):
        built = view(name)
        assert built.left_out == [] and built.graph.graph["max_members"] == 50
    assert view("collaboration").graph.graph["betweenness"] == "exact"


def test_cli_max_members_leaves_wide_items_out_and_says_so(tmp_path, project_store_root) -> None:
    store = str(project_store_root.path)
    result = run_cli("network", "--view", "collaboration", "--max-members", "5", "--ties", "all", "--format", "json",
                     "-o", str(tmp_path / "capped.json"), "--store", store)
    assert result.returncode == 0, result.stderr
    assert "left out of the projection (more than 5 clusters)" in result.stdout
    graph = json.loads((tmp_path / "capped.json").read_text())["graph"]
    assert graph["max_members"] == 5 and all(i["members"] > 5 for i in graph["left_out"]) and graph["left_out"]
    bad = run_cli("network", "--max-members", "1", "-o", str(tmp_path / "x.json"), "--format", "json",
                  "--store", store)
    assert bad.returncode == 2 and "max_members" in bad.stderr


def test_default_collaboration_network_ties_only_joint_collaborations(view, named) -> None:
    """On the real data the default view is not a complete graph: shared registrations (ECCP), networks and
    regional processes tie nobody; a tie is a project, partnership or pilot both clusters take part in."""
    built = view("collaboration")
    graph = built.graph
    n = graph.number_of_nodes()
    assert n == 15 and graph.number_of_edges() < n * (n - 1) // 2
    assert graph.number_of_edges() >= 1
    collaborations = {r["item"] for r in named("network-participations")
                      if r["tie"] == "https://w3id.org/clustergraph/ontology#tie-collaboration"}
    for a, b, data in graph.edges(data=True):
        assert {i["iri"] for i in data["items"]} <= collaborations
    widest = built.affiliations[0]
    assert (widest["iri"], widest["members"]) == (DATA + "eccp", 15)
    assert "cg:tie-collaboration" in graph.graph["tie_rule"]
    everything = view("collaboration", ties="all").graph
    assert everything.number_of_edges() == n * (n - 1) // 2  # what the old default drew: every pair tied


def test_tie_rule_is_data_in_the_ontology(project_store) -> None:
    """Which classes make a collaboration tie is stated by cg:tieKind in the ontology, not hard-coded."""
    rows = project_store.query("""PREFIX cg: <https://w3id.org/clustergraph/ontology#>
        SELECT ?class ?kind WHERE { ?class cg:tieKind ?kind }""")
    kinds = {r["class"].value.rsplit("#", 1)[1]: r["kind"].value.rsplit("-", 1)[1] for r in rows}
    assert kinds["Project"] == kinds["ClusterPartnership"] == kinds["Pilot"] == "collaboration"
    assert kinds["Network"] == kinds["SupportInitiative"] == "affiliation"


def test_exports_and_cli_state_the_rule(view, tmp_path, project_store_root) -> None:
    notes = network_export.graph_notes(view("collaboration").graph)
    assert notes["ties"] == "collaboration" and "collaboration" in notes["tie_rule"]
    assert "European Cluster Collaboration Platform (15 clusters)" in notes["affiliations"]
    gexf = network_export.to_gexf(view("collaboration").graph)
    assert b"tie_rule: Two clusters are tied" in gexf
    result = run_cli("network", "--format", "json", "-o", str(tmp_path / "c.json"), "--store",
                     str(project_store_root.path))
    assert result.returncode == 0 and "Two clusters are tied" in result.stdout
    bad = run_cli("network", "--ties", "some", "-o", str(tmp_path / "x.json"), "--format", "json",
                  "--store", str(project_store_root.path))
    assert bad.returncode == 2 and "ties" in bad.stderr


@pytest.mark.parametrize("params", [{}, {"family": "vanguard"}, {"edition": "2022"},
                                    {"family": "i3", "edition": "2024"}])
def test_views_read_the_rows_of_the_named_query(project_store, named, params) -> None:
    """The views read network-participations' rows from leaner queries joined in Python: same rows, same order."""
    from clustergraph.network.views import FAMILIES, _participations

    filters = Filters.parse(family=params.get("family"))
    expected = named("network-participations",
                     **{k: (FAMILIES[v] if k == "family" else v) for k, v in params.items()})
    assert expected
    sparql, rows = _participations(store_select(project_store), QUERIES, filters, params.get("edition"))
    assert rows == expected
    assert len(sparql) == 3
