"""render_html and drawing_data on a small hand-made view (no server, no store): offline, complete,
deterministic, escaped; the server's page loads only /static files and its own data URL."""

from __future__ import annotations

import json
import re

import networkx as nx
import pytest

from clustergraph.errors import BadRequest
from clustergraph.network.render import (
    EDGE_FIELDS,
    PALETTE,
    PYVIS_TEMPLATES,
    SCRIPTS,
    STATIC,
    STYLES,
    drawing_data,
    drawing_json,
    render_html,
)
from clustergraph.network.views import Filters, NetworkView

BASE = "https://w3id.org/clustergraph/id/"
ITEMS = {
    "eccp": {"iri": BASE + "eccp", "label": "European Cluster Collaboration Platform", "family": "Networks"},
    "vanguard": {"iri": BASE + "vanguard", "label": "Vanguard Initiative", "family": "Vanguard Initiative"},
}
OFF_HOST = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:|//)""", re.IGNORECASE)
INLINE_DATA = re.compile(r'<script type="application/json" id="drawing-data">(.*?)</script>', re.DOTALL)


def node(graph: nx.Graph, name: str, label: str, *, community: int, members: int, x: float, y: float,
         articulation: bool = False) -> None:
    graph.add_node(BASE + name, label=label, kind="cluster", members=members, community=community, degree=0,
                   weighted_degree=0.0, betweenness=0.0, harmonic=0.0, articulation=articulation, x=x, y=y)


def small_view() -> NetworkView:
    """Four clusters, three ties; one label that would break HTML if it were not escaped."""
    graph = nx.Graph()
    node(graph, "afil", "Lombardy Intelligent Factory Association", community=0, members=150, x=-500, y=10)
    node(graph, "clm", "Lombardy Mobility Cluster", community=0, members=100, x=0, y=0, articulation=True)
    node(graph, "lgca", "Green <Chemistry> & \"Co\"</script>", community=1, members=0, x=500, y=-20)
    node(graph, "cat", "Cluster Alta Tecnologia Agrifood", community=1, members=40, x=900, y=300)
    graph.add_edge(BASE + "afil", BASE + "clm", weight=1.5, shared=2, items=[ITEMS["eccp"], ITEMS["vanguard"]])
    graph.add_edge(BASE + "clm", BASE + "lgca", weight=0.5, shared=1, items=[ITEMS["eccp"]])
    graph.add_edge(BASE + "lgca", BASE + "cat", weight=0.25, shared=1, items=[ITEMS["eccp"]])
    for name, data in graph.nodes(data=True):
        data["degree"] = graph.degree(name)
        data["weighted_degree"] = float(graph.degree(name, weight="weight"))
    return NetworkView("collaboration", Filters(), graph, ["SELECT * WHERE { ?s ?p ?o }"], 0.2,
                       [[BASE + "afil", BASE + "clm"], [BASE + "cat", BASE + "lgca"]])


def link(iri: str) -> str:
    return "/" + iri[len("https://w3id.org/clustergraph/"):] if iri.startswith("https://w3id.org/clustergraph/") else ""


def datasets(html: str) -> dict[str, list[dict]]:
    """The nodes and edges of a standalone page's inlined data, edges as dicts with node IRIs and items."""
    (body,) = INLINE_DATA.findall(html)
    return readable(json.loads(body))


def readable(data: dict) -> dict[str, list[dict]]:
    ids = [n["id"] for n in data["nodes"]]
    edges = []
    for entry in data["edges"]:
        edge = dict(zip(EDGE_FIELDS, entry))
        edge["from"], edge["to"] = ids[edge["from"]], ids[edge["to"]]
        edge["items"] = [{"label": data["items"][i][0], "href": data["items"][i][1]} for i in edge["items"]]
        edges.append(edge)
    return {"nodes": data["nodes"], "edges": edges}


@pytest.fixture(scope="module")
def html() -> str:
    return render_html(small_view(), link=link)


def test_nothing_is_loaded_from_elsewhere(html: str) -> None:
    assert not OFF_HOST.findall(html)
    assert "cdn" not in html
    assert not re.search(r"jsdelivr|cdnjs|bootstrap|unpkg", html, re.IGNORECASE)
    assert "<link" not in html
    assert not re.search(r"<script[^>]+src=", html)
    assert html.lower().count("javascript:") == vendor_count("javascript:")  # none of our own


def vendor_count(text: str) -> int:
    """How often ``text`` occurs in the files the page inlines (Tom Select's remove button, core-js)."""
    files = [STATIC / name for name in (*SCRIPTS, *STYLES)] + [PYVIS_TEMPLATES / "lib" / "bindings" / "utils.js"]
    return sum(path.read_text(encoding="utf-8").lower().count(text) for path in files)


def test_vis_network_and_tom_select_are_inlined(html: str) -> None:
    assert "vis-network" in html and "new vis.Network(" in html
    assert "TomSelect" in html
    assert len(html) > 600_000  # the standalone vis-network 9.1.9 alone is 689 KB
    assert html.count("<h1>") == 1


def test_the_served_page_loads_only_static_files_and_its_data() -> None:
    url = "/network/collaboration/graph.json?year=2024&ties=all"
    page = render_html(small_view(), link=link, data_url=url)
    sources = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", page)
    assert sorted(set(sources)) == sorted({url.replace("&", "&amp;"), *("/static/" + n for n in (*SCRIPTS, *STYLES))})
    assert 'data-src="/network/collaboration/graph.json?year=2024&amp;ties=all"' in page
    assert "drawing-data" not in page and len(page) < 30_000
    for name in (*SCRIPTS, *STYLES):
        assert (STATIC / name).is_file()
    assert (STATIC / "vendor" / "vis-network" / "LICENSE-MIT").is_file()
    assert (STATIC / "vendor" / "tom-select" / "LICENSE").is_file()


def test_every_node_and_edge_is_in_the_data(html: str) -> None:
    view = small_view()
    data = datasets(html)
    assert [n["id"] for n in data["nodes"]] == sorted(view.graph.nodes)
    assert len(data["edges"]) == view.graph.number_of_edges()
    assert readable(json.loads(drawing_json(view, link=link))) == data


def test_positions_are_fixed_and_physics_is_off(html: str) -> None:
    nodes = {n["id"]: n for n in datasets(html)["nodes"]}
    assert (nodes[BASE + "afil"]["x"], nodes[BASE + "afil"]["y"]) == (-500.0, 10.0)
    options = drawing_data(small_view(), link=link)["options"]
    assert options["physics"]["enabled"] is False and options["layout"]["improvedLayout"] is False


def test_output_is_identical_across_runs_and_the_graph_is_untouched() -> None:
    view = small_view()
    before = (sorted(view.graph.nodes(data=True)), sorted(view.graph.edges(data=True)))
    first, second = render_html(view, link=link), render_html(view, link=link)
    assert first == second
    assert drawing_json(view, link=link) == drawing_json(view, link=link)
    assert (sorted(view.graph.nodes(data=True)), sorted(view.graph.edges(data=True))) == before


def test_tooltips_are_plain_text_and_links_come_from_link(html: str) -> None:
    data = datasets(html)
    nodes = {n["id"]: n for n in data["nodes"]}
    afil = nodes[BASE + "afil"]
    assert afil["title"].startswith("Lombardy Intelligent Factory Association\nkind: cluster\nmembers: 150")
    assert "<" not in afil["title"]
    assert afil["href"] == "/id/afil"
    assert "articulation point" in nodes[BASE + "clm"]["title"]
    tie = next(e for e in data["edges"] if {e["from"], e["to"]} == {BASE + "afil", BASE + "clm"})
    assert (tie["shared"], tie["weight"]) == (2, "1.5")  # the edge tooltip is written in the browser
    assert {"label": "Vanguard Initiative", "href": "/id/vanguard"} in tie["items"]
    assert tie["width"] > next(e for e in data["edges"] if BASE + "cat" in (e["from"], e["to"]))["width"]


def test_data_from_the_graph_is_escaped(html: str) -> None:
    assert "Green <Chemistry>" not in html
    assert "</script>\"" not in html and 'Co"</script>' not in html
    assert "Green \\u003cChemistry\\u003e \\u0026 \\\"Co\\\"\\u003c/script\\u003e" in html  # the inlined JSON
    label = next(n["fullLabel"] for n in datasets(html)["nodes"] if n["id"] == BASE + "lgca")
    assert label == 'Green <Chemistry> & "Co"</script>'  # the data itself is unchanged


def test_legend_names_colours_and_size(html: str) -> None:
    assert "Colour: Louvain community" in html
    assert f'background: {PALETTE[0]}' in html and f'background: {PALETTE[1]}' in html
    assert "community 1, around Lombardy Mobility Cluster" in html
    assert "Node area: weighted degree" in html
    nodes = {n["id"]: n for n in datasets(html)["nodes"]}
    assert nodes[BASE + "afil"]["color"] == PALETTE[0] and nodes[BASE + "cat"]["color"] == PALETTE[1]
    assert nodes[BASE + "clm"]["size"] > nodes[BASE + "cat"]["size"]


def test_colour_by_kind_and_size_by_members() -> None:
    html = render_html(small_view(), link=link, colour_by="kind", size_by="members")
    assert "Colour: kind of node" in html and "Node area: members" in html
    nodes = {n["id"]: n for n in datasets(html)["nodes"]}
    assert {n["color"] for n in nodes.values()} == {PALETTE[0]}
    assert nodes[BASE + "afil"]["size"] > nodes[BASE + "clm"]["size"] > nodes[BASE + "lgca"]["size"]


def test_compare_view_has_an_edge_legend() -> None:
    view = small_view()
    for (a, b), status in zip(sorted(view.graph.edges), ("gained", "lost", "kept")):
        view.graph.edges[a, b]["status"] = status
    view.view = "compare"
    html = render_html(view, link=link)
    assert 'id="edge-legend"' in html and "lost (2022 only)" in html
    edges = datasets(html)["edges"]
    assert sorted(e["status"] for e in edges) == ["gained", "kept", "lost"]
    assert drawing_data(view, link=link)["statusColours"]["lost"] == "#d73027"  # dashed in the browser


def test_unsafe_links_are_dropped() -> None:
    html = render_html(small_view(), link=lambda iri: "javascript:alert(1)")
    assert html.lower().count("javascript:") == vendor_count("javascript:")
    assert all(n["href"] == "" for n in datasets(html)["nodes"])


def test_an_empty_view_renders() -> None:
    html = render_html(NetworkView("alignment", Filters(), nx.Graph()), link=link)
    assert datasets(html) == {"nodes": [], "edges": []}
    assert render_html(NetworkView("alignment", Filters(), nx.Graph()), link=link, data_url="/x.json")


@pytest.mark.parametrize("kwargs", [{"colour_by": "members"}, {"size_by": "label"}])
def test_unknown_colour_or_size_is_a_bad_request(kwargs: dict[str, str]) -> None:
    with pytest.raises(BadRequest):
        render_html(small_view(), link=link, **kwargs)
