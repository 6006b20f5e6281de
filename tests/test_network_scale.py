"""What keeps the network views fast at ECCP scale without changing what they say: the cap on items shared by
very many clusters (left out and listed), the vectorised betweenness and harmonic closeness (networkx's figures;
a seeded estimate above the exact limit, marked as such), the compact drawing data and the large-graph layout."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from clustergraph.errors import BadRequest
from clustergraph.network import export as network_export
from clustergraph.network import views as network
from clustergraph.network.metrics import (
    BETWEENNESS_SEED,
    ShortestPaths,
    annotate,
    betweenness_is_approximate,
)
from clustergraph.network.render import (
    EDGE_FIELDS,
    drawing_data,
    render_html,
)
from clustergraph.network.views import (
    DEFAULT_MAX_MEMBERS,
    Filters,
    NetworkView,
    collaboration_graph,
    compare_graphs,
)

BASE = "https://example.org/id/"
CLUSTERS = [BASE + f"c{i}" for i in range(6)]


def row(cluster: str, item: str, label: str) -> dict[str, str]:
    return {"cluster": cluster, "clusterLabel": cluster.rsplit("/", 1)[1].upper(), "item": BASE + item,
            "itemLabel": label, "family": "", "familyLabel": "Networks"}


# Six clusters all registered on one platform; two small projects tie c0-c1 and c1-c2.
ROWS = ([row(c, "platform", "ECCP registration") for c in CLUSTERS]
        + [row(CLUSTERS[0], "p1", "Project one"), row(CLUSTERS[1], "p1", "Project one"),
           row(CLUSTERS[1], "p2", "Project two"), row(CLUSTERS[2], "p2", "Project two")])


def test_an_item_linking_every_cluster_is_left_out_and_listed() -> None:
    graph = collaboration_graph(ROWS, {}, max_members=4)
    assert sorted(graph.nodes) == CLUSTERS  # its clusters stay, tied only by what they share otherwise
    assert sorted(graph.edges) == [(CLUSTERS[0], CLUSTERS[1]), (CLUSTERS[1], CLUSTERS[2])]
    assert graph[CLUSTERS[0]][CLUSTERS[1]]["weight"] == 1.0
    assert graph.graph["left_out"] == [{"iri": BASE + "platform", "label": "ECCP registration",
                                        "family": "Networks", "members": 6}]
    view = NetworkView("collaboration", Filters(max_members=4), graph)
    assert view.left_out[0]["members"] == 6
    flat = network_export.flat(graph)
    assert flat.graph["left_out"] == "ECCP registration (6 clusters)" and flat.graph["max_members"] == 4


@pytest.mark.parametrize("cap", [6, 0])
def test_with_the_cap_raised_or_off_the_item_is_in(cap: int) -> None:
    graph = collaboration_graph(ROWS, {}, max_members=cap)
    assert graph.number_of_edges() == 15 and graph.graph["left_out"] == []
    assert graph[CLUSTERS[0]][CLUSTERS[1]]["weight"] == pytest.approx(1 + 1 / 5)
    assert graph[CLUSTERS[4]][CLUSTERS[5]]["items"][0]["label"] == "ECCP registration"


def test_compare_lists_what_either_edition_left_out() -> None:
    before = collaboration_graph(ROWS, {}, max_members=4)
    after = collaboration_graph(ROWS[:5], {}, max_members=4)  # five on the platform in the later edition
    merged = compare_graphs(before, after)
    assert [(i["label"], i["members"]) for i in merged.graph["left_out"]] == [("ECCP registration", 6)]


def test_the_cap_is_a_filter() -> None:
    assert Filters.parse().max_members == DEFAULT_MAX_MEMBERS and Filters.parse().as_params() == {}
    assert Filters.parse(max_members="0").as_params() == {"max_members": "0"}
    assert Filters.parse(max_members=" 120 ").max_members == 120
    for bad in ("1", "-3", "ten", "1e3"):
        with pytest.raises(BadRequest, match="max_members"):
            Filters.parse(max_members=bad)


def random_graph(seed: int, nodes: int, edges: int) -> nx.Graph:
    rng = random.Random(seed)
    graph = nx.gnm_random_graph(nodes, edges, seed=seed)
    graph = nx.relabel_nodes(graph, {n: f"n{n:03d}" for n in graph})
    for _, _, data in graph.edges(data=True):
        data["weight"] = rng.choice([1.0, 0.5, 1 / 3, 0.25, 2.0])  # equal-length paths are common
    return graph


def networkx_figures(graph: nx.Graph, **kwargs) -> tuple[dict, dict]:
    ordered = nx.Graph()
    ordered.add_nodes_from(sorted(graph.nodes))
    ordered.add_edges_from((a, b, {"distance": 1 / d["weight"]}) for a, b, d in graph.edges(data=True))
    return (nx.betweenness_centrality(ordered, weight="distance", **kwargs),
            nx.harmonic_centrality(ordered, distance="distance"))


@pytest.mark.parametrize("seed", range(8))
def test_betweenness_and_harmonic_are_networkx_figures(seed: int) -> None:
    graph = random_graph(seed, 30 + seed * 5, 40 + seed * 12)  # several components in some
    betweenness, harmonic = networkx_figures(graph)
    annotate(graph)
    assert graph.graph["betweenness"] == "exact" and not betweenness_is_approximate(graph)
    for node, data in graph.nodes(data=True):
        assert data["betweenness"] == round(betweenness[node], 6)
        assert data["harmonic"] == pytest.approx(round(harmonic[node], 6), abs=2e-6)


def test_above_the_limit_betweenness_is_a_seeded_estimate() -> None:
    graph = random_graph(11, 60, 150)
    annotate(graph, exact_max=50, samples=20)
    assert betweenness_is_approximate(graph)
    assert graph.graph["betweenness"] == f"approximate: 20 of 60 sampled sources, seed {BETWEENNESS_SEED}"
    estimate, _ = networkx_figures(graph, k=20, seed=BETWEENNESS_SEED)  # same sources, same rescaling
    assert {n: d["betweenness"] for n, d in graph.nodes(data=True)} == \
        {n: round(v, 6) + 0.0 for n, v in estimate.items()}
    again = random_graph(11, 60, 150)
    annotate(again, exact_max=50, samples=20)
    assert dict(again.nodes(data="betweenness")) == dict(graph.nodes(data="betweenness"))
    assert network_export.flat(graph).graph["betweenness"].startswith("approximate")


def test_at_the_limit_betweenness_stays_exact() -> None:
    graph = random_graph(12, 50, 120)
    exact, _ = networkx_figures(graph)
    annotate(graph, exact_max=50, samples=20)
    assert graph.graph["betweenness"] == "exact"
    assert {n: d["betweenness"] for n, d in graph.nodes(data=True)} == {n: round(v, 6) + 0.0 for n, v in exact.items()}


def test_shortest_paths_on_tiny_graphs() -> None:
    for graph in (nx.Graph(), nx.Graph([("a", "b")]), nx.path_graph(["a", "b", "c"])):
        nodes = sorted(graph.nodes)
        betweenness, harmonic = ShortestPaths(graph, nodes).centralities()
        assert list(betweenness) == [nx.betweenness_centrality(graph)[n] for n in nodes]
        assert list(harmonic) == pytest.approx([nx.harmonic_centrality(graph)[n] for n in nodes])


def test_drawing_data_holds_every_node_and_edge_once() -> None:
    graph = collaboration_graph(ROWS, {}, max_members=0)
    view = NetworkView("collaboration", Filters(max_members=0), graph)
    view.modularity, view.communities = annotate(graph)
    network.place(graph)
    data = drawing_data(view, link=lambda iri: iri)
    ids = [n["id"] for n in data["nodes"]]
    assert ids == sorted(graph.nodes)
    pairs = [tuple(sorted((ids[e[0]], ids[e[1]]))) for e in data["edges"]]
    assert pairs == sorted(tuple(sorted(e)) for e in graph.edges) and len(pairs) == 15
    for entry in data["edges"]:
        edge = dict(zip(EDGE_FIELDS, entry))
        shared = graph.edges[ids[edge["from"]], ids[edge["to"]]]["items"]
        assert [data["items"][i][0] for i in edge["items"]] == [i["label"] for i in shared]


def test_the_drawing_states_what_was_left_out_and_estimated() -> None:
    graph = collaboration_graph(ROWS, {}, max_members=4)
    annotate(graph, exact_max=3, samples=3)
    network.place(graph)
    html = render_html(NetworkView("collaboration", Filters(max_members=4), graph), link=lambda iri: "")
    assert "Left out of the projection (items with more than 4 clusters" in html
    assert "ECCP registration (6 clusters)" in html
    assert "Betweenness is an estimate (approximate: 3 of 6 sampled sources, seed 42)" in html


def test_large_graph_layout_is_seeded_and_spread(monkeypatch) -> None:
    monkeypatch.setattr(network, "FAST_LAYOUT_MIN_NODES", 10)
    first, second = random_graph(3, 40, 80), random_graph(3, 40, 80)
    network.place(first)
    network.place(second)
    positions = {n: (d["x"], d["y"]) for n, d in first.nodes(data=True)}
    assert positions == {n: (d["x"], d["y"]) for n, d in second.nodes(data=True)}
    assert len(set(positions.values())) == 40
    assert max(max(abs(x), abs(y)) for x, y in positions.values()) == pytest.approx(network.LAYOUT_SCALE, rel=1e-3)


def test_view_cache_builds_a_view_once_for_concurrent_callers(monkeypatch):
    """The start-up warm-up and a first request asking for the same view share one build."""
    import threading
    import time as clock
    from types import SimpleNamespace

    from clustergraph.network.views import Filters
    from clustergraph.web import network_pages

    calls = []

    def slow_build(select, queries, view, filters, **_):
        calls.append(view)
        clock.sleep(0.3)
        return f"built {view}"

    monkeypatch.setattr(network_pages, "build_view", slow_build)
    monkeypatch.setattr(network_pages, "finish_paths", lambda built: None)
    monkeypatch.setattr(network_pages, "store_select", lambda store: None)
    svc = SimpleNamespace(store=lambda: None, build_key=lambda: "build-1", named_queries={})
    cache = network_pages.ViewCache()
    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get(svc, "collaboration", Filters())))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["built collaboration"] * 3
    assert calls == ["collaboration"]
    assert cache.get(svc, "participation", Filters()) == "built participation" and len(calls) == 2


def test_above_the_work_limit_betweenness_is_a_seeded_estimate() -> None:
    """Nodes x ties over the limit (few nodes, many ties) turns to the seeded estimate too, flagged, reproducible."""
    graph = random_graph(13, 40, 300)
    work = graph.number_of_nodes() * graph.number_of_edges()
    annotate(graph, exact_work=work - 1, samples=20)
    assert graph.graph["betweenness"] == f"approximate: 20 of 40 sampled sources, seed {BETWEENNESS_SEED}"
    estimate, _ = networkx_figures(graph, k=20, seed=BETWEENNESS_SEED)
    assert {n: d["betweenness"] for n, d in graph.nodes(data=True)} == \
        {n: round(v, 6) + 0.0 for n, v in estimate.items()}
    again = random_graph(13, 40, 300)
    annotate(again, exact_work=work - 1, samples=20)
    assert dict(again.nodes(data="betweenness")) == dict(graph.nodes(data="betweenness"))
    at_limit = random_graph(13, 40, 300)
    annotate(at_limit, exact_work=work, samples=20)
    assert at_limit.graph["betweenness"] == "exact"


def test_the_eccp_sized_collaboration_view_is_past_the_work_limit() -> None:
    from clustergraph.network.metrics import EXACT_BETWEENNESS_MAX_NODES, EXACT_BETWEENNESS_MAX_WORK

    assert 1200 <= EXACT_BETWEENNESS_MAX_NODES and 1200 * 12_345 > EXACT_BETWEENNESS_MAX_WORK
    assert 15 * 105 <= EXACT_BETWEENNESS_MAX_WORK  # a region (15 clusters, at most 105 ties) stays exact
