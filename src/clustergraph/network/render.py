"""A network view as one self-contained, offline HTML page drawn by pyvis (vis-network).

pyvis 0.3.2's own template always pulls Bootstrap from a CDN, so the page comes from our template
``web/templates/network_view.html``, loaded through a :class:`jinja2.ChoiceLoader` that falls back to pyvis's
template folder for the ``lib/`` files it inlines (vis-network, tom-select, pyvis's ``utils.js``).

Nodes and edges are appended to the ``Network`` in bulk, as pyvis's own ``Node``/``Edge`` options (the same
fields ``add_node``/``add_edge`` would store, without their scan of every earlier node and edge per call, which
is quadratic: minutes at 10,000 edges), sorted by IRI, at the positions the view already holds, with physics
off: the same view always gives the same HTML (never ``from_nx``, which changes the graph). Tooltips are plain
text.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx
import pyvis
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from pyvis.edge import Edge
from pyvis.network import Network
from pyvis.node import Node

from clustergraph.errors import BadRequest
from clustergraph.network.export import left_out_text
from clustergraph.network.metrics import betweenness_is_approximate
from clustergraph.network.views import NetworkView

TEMPLATE = "network_view.html"
OUR_TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"
PYVIS_TEMPLATES = Path(pyvis.__file__).resolve().parent / "templates"

# Node shape by kind, so the kind reads without colour: clusters round, programmes triangles, ecosystems and PNRR
# components diamonds, every other item (project, partnership, network) a square.
SHAPES = {"cluster": "dot", "programme": "triangle", "S3 innovation ecosystem": "diamond",
          "EU industrial ecosystem": "diamond", "PNRR component": "diamond"}
COLOUR_BY = {"community": "Louvain community (seed 42)", "kind": "kind of node"}
SIZE_BY = {
    "weighted_degree": "weighted degree (sum of the weights of its ties)",
    "members": "members reported by the cluster (0 when unknown or not a cluster)",
    "degree": "degree (number of ties)",
    "betweenness": "betweenness centrality (how often it lies on shortest paths: a broker)",
}
# Colour-blind-safe first (Okabe-Ito), then Tableau's distinct hues; fixed order, so colours are reproducible.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#8c564b", "#7f7f7f", "#bcbd22", "#17becf", "#9467bd", "#393b79", "#ff9896", "#98df8a")
OTHER_COLOUR = "#c7c7c7"
EDGE_COLOUR = "#9aa5b1"
STATUS_COLOURS = {"gained": "#1a9850", "lost": "#d73027", "kept": "#9aa5b1"}
MIN_SIZE, MAX_SIZE = 8.0, 40.0
MAX_ITEMS_IN_TOOLTIP = 12
OPTIONS = {
    "physics": {"enabled": False},
    "interaction": {"hover": True, "tooltipDelay": 150, "multiselect": False},
    "nodes": {"shape": "dot", "font": {"size": 16, "face": "system-ui,sans-serif"}, "borderWidth": 1},
    "edges": {"smooth": False, "color": {"inherit": False}, "selectionWidth": 2},
}


@dataclass
class LegendEntry:
    colour: str
    text: str
    count: int
    dashed: bool = False


@dataclass
class PageInfo:
    """What our template shows beside the drawing; passed as pyvis's ``heading`` (the only free slot)."""

    title: str
    colour_by: str
    colour_legend: list[LegendEntry]
    size_text: str
    edge_text: str
    edge_legend: list[LegendEntry] = field(default_factory=list)
    filter_properties: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:  # pyvis may print the heading; keep it a plain title
        return self.title


@lru_cache(maxsize=1)
def template_environment() -> Environment:
    """Our template first, pyvis's folder second (for its ``lib/`` includes); autoescaped; compiled once."""
    loader = ChoiceLoader([FileSystemLoader(str(OUR_TEMPLATES)), FileSystemLoader(str(PYVIS_TEMPLATES))])
    return Environment(loader=loader, autoescape=True)


def render_html(view: NetworkView, *, link: Callable[[str], str], colour_by: str = "community",
                size_by: str = "weighted_degree") -> str:
    """The view as a standalone HTML page (vis-network and tom-select inlined; nothing loaded from elsewhere).

    ``link(iri)`` gives the href of a node's resource page ('' for none).

    :raises BadRequest: for an unknown ``colour_by`` or ``size_by``.
    """
    if colour_by not in COLOUR_BY:
        raise BadRequest(f"colour {colour_by!r} is not one of {', '.join(COLOUR_BY)}")
    if size_by not in SIZE_BY:
        raise BadRequest(f"size {size_by!r} is not one of {', '.join(SIZE_BY)}")
    graph = view.graph
    colours, colour_legend = node_colours(graph, colour_by)
    sizes, size_text = node_sizes(graph, size_by)
    net = build_network(view, link=link, colours=colours, sizes=sizes)
    net.heading = PageInfo(
        title=f"{view.view.capitalize()} network",
        colour_by=COLOUR_BY[colour_by],
        colour_legend=colour_legend,
        size_text=size_text,
        edge_text=edge_text(view.view),
        edge_legend=edge_legend(graph) if view.view == "compare" else [],
        filter_properties=filter_properties(graph),
        notes=view_notes(view),
    )
    net.templateEnv = template_environment()
    net.path = TEMPLATE
    net.set_options(json.dumps(OPTIONS, sort_keys=True))  # once, last: it swaps the Options object for a dict
    return net.generate_html()


def build_network(view: NetworkView, *, link: Callable[[str], str], colours: dict[Any, str],
                  sizes: dict[Any, float], bulk: bool = True) -> Network:
    """The pyvis ``Network`` holding the view's nodes and edges, sorted.

    ``bulk`` appends pyvis's ``Node``/``Edge`` options directly (linear); ``bulk=False`` goes through
    ``add_node``/``add_edge`` (quadratic; kept to check that both give the same data)."""
    graph = view.graph
    net = Network(height="100%", width="100%", directed=False, select_menu=True, filter_menu=True,
                  cdn_resources="in_line")
    for node in sorted(graph.nodes):
        options = node_options(str(node), graph.nodes[node], colour=colours[node], size=sizes[node], link=link)
        if bulk:
            label, colour, shape = options.pop("label") or str(node), options.pop("color"), options.pop("shape")
            made = Node(str(node), shape, label=label, color=colour, font_color=net.font_color, **options)
            net.nodes.append(made.options)
            net.node_ids.append(str(node))
            net.node_map[str(node)] = made.options
        else:
            net.add_node(str(node), **options)
    for a, b, options in edge_entries(graph, link):
        if bulk:  # the graph has one edge per pair, so add_edge's duplicate check can never fire
            net.edges.append(Edge(a, b, net.directed, **options).options)
        else:
            net.add_edge(a, b, **options)
    return net


def view_notes(view: NetworkView) -> list[str]:
    """What the reader must know to read the metrics: approximate betweenness, items left out."""
    notes = []
    if "tie_rule" in view.graph.graph:
        notes.append(view.graph.graph["tie_rule"])
    if view.affiliations:
        notes.append("Affiliations, making no tie in this view: " + left_out_text(view.affiliations) + ".")
    if betweenness_is_approximate(view.graph):
        notes.append(f"Betweenness is an estimate ({view.graph.graph['betweenness']}); harmonic closeness and "
                     "the other metrics are exact.")
    if view.left_out:
        notes.append(f"Left out of the projection (items with more than {view.graph.graph['max_members']} "
                     f"clusters, whose ties would join every pair): {left_out_text(view.left_out)}.")
    return notes


def node_colours(graph: nx.Graph, colour_by: str) -> tuple[dict[Any, str], list[LegendEntry]]:
    """A colour per node and the legend: palette colours for the largest groups, grey for the rest."""
    group_of = {node: group_key(graph, node, colour_by) for node in graph.nodes}
    counts = Counter(group_of.values())
    ordered = sorted(counts, key=lambda g: (g[0], -counts[g], g[1]))
    named = ordered[: len(PALETTE)]
    colour_of_group = {g: PALETTE[i] for i, g in enumerate(named)}
    legend = [LegendEntry(colour_of_group[g], group_text(graph, g, group_of, colour_by), counts[g]) for g in named]
    rest = sum(counts[g] for g in ordered[len(PALETTE):])
    if rest:
        legend.append(LegendEntry(OTHER_COLOUR, f"other {colour_by == 'kind' and 'kinds' or 'communities'}", rest))
    return {n: colour_of_group.get(g, OTHER_COLOUR) for n, g in group_of.items()}, legend


def group_key(graph: nx.Graph, node: Any, colour_by: str) -> tuple[int, Any]:
    """Sort key of a node's colour group: communities by number; kinds with ``cluster`` first, then by name."""
    data = graph.nodes[node]
    if colour_by == "community":
        return (0, int(data.get("community", -1)))
    kind = str(data.get("kind") or "unknown")
    return (0 if kind == "cluster" else 1, kind)


def group_text(graph: nx.Graph, group: tuple[int, Any], group_of: dict[Any, tuple[int, Any]],
               colour_by: str) -> str:
    """The legend text: the kind, or the community named after its member with the highest weighted degree."""
    if colour_by == "kind":
        return str(group[1])
    members = [n for n, g in group_of.items() if g == group]
    hub = min(members, key=lambda n: (-float(graph.nodes[n].get("weighted_degree", 0.0)), str(n)))
    return f"community {group[1] + 1}, around {graph.nodes[hub].get('label') or hub}"


def node_sizes(graph: nx.Graph, size_by: str) -> tuple[dict[Any, float], str]:
    """Node sizes by area (square root), scaled between MIN_SIZE and MAX_SIZE, and the legend text."""
    values = {n: max(0.0, float(d.get(size_by) or 0)) for n, d in graph.nodes(data=True)}
    top = max(values.values(), default=0.0)
    low = min(values.values(), default=0.0)
    sizes = {n: round(MIN_SIZE + (MAX_SIZE - MIN_SIZE) * math.sqrt(v / top), 2) if top > 0 else MIN_SIZE
             for n, v in values.items()}
    return sizes, f"Node area: {SIZE_BY[size_by]}, from {number(low)} to {number(top)}."


def node_options(iri: str, data: dict[str, Any], *, colour: str, size: float,
                 link: Callable[[str], str]) -> dict[str, Any]:
    """The vis-network fields of one node, plus plain fields for the filter menu and the details panel."""
    label = str(data.get("label") or iri)
    short = str(data.get("acronym") or label)  # acronyms read at a glance; the full name is on hover
    return {
        "label": short if len(short) <= 40 else short[:39] + "…",
        "shape": SHAPES.get(str(data.get("kind") or ""), "square"),
        "title": node_tooltip(iri, data),
        "color": colour,
        "size": size,
        "x": float(data.get("x", 0.0)),
        "y": float(data.get("y", 0.0)),
        "fullLabel": label,
        "kind": str(data.get("kind") or ""),
        "community": f"community {int(data.get('community', -1)) + 1}",
        "articulation": "yes" if data.get("articulation") else "no",
        "href": safe_href(link(iri)),
    }


def node_tooltip(iri: str, data: dict[str, Any]) -> str:
    """Plain text, one fact a line (vis-network shows HTML titles raw)."""
    lines = [str(data.get("label") or iri), f"kind: {data.get('kind') or 'unknown'}"]
    if data.get("kind") == "cluster":
        lines.append(f"members: {data.get('members') or 'not reported'}")
    lines += [
        f"community: {int(data.get('community', -1)) + 1}",
        f"degree: {data.get('degree', 0)}",
        f"weighted degree: {number(data.get('weighted_degree', 0.0))}",
        f"betweenness: {number(data.get('betweenness', 0.0))}",
        f"harmonic closeness: {number(data.get('harmonic', 0.0))}",
    ]
    if data.get("articulation"):
        lines.append("articulation point: removing it splits the network")
    lines.append("double-click to open its page")
    return "\n".join(lines)


def edge_entries(graph: nx.Graph, link: Callable[[str], str]) -> list[tuple[str, str, dict[str, Any]]]:
    """(from, to, options) of every edge in sorted order; width from the weight, colour from the compare status."""
    top = max((float(d.get("weight", 1.0)) for _, _, d in graph.edges(data=True)), default=1.0) or 1.0
    entries = []
    for a, b in sorted(tuple(sorted((str(u), str(v)))) for u, v in graph.edges):
        data = graph.edges[a, b]
        status = str(data.get("status") or "")
        options: dict[str, Any] = {
            "width": round(1 + 7 * float(data.get("weight", 1.0)) / top, 2),
            "title": edge_tooltip(graph, a, b, data),
            "color": STATUS_COLOURS.get(status, EDGE_COLOUR),
            "items": [{"label": str(i.get("label") or i.get("iri")), "href": safe_href(link(str(i.get("iri"))))}
                      for i in data.get("items") or []],
        }
        if status:
            options["status"] = status
            options["dashes"] = status == "lost"
        if data.get("role"):
            options["role"] = str(data["role"])
        entries.append((a, b, options))
    return entries


def edge_tooltip(graph: nx.Graph, a: str, b: str, data: dict[str, Any]) -> str:
    """Who is tied, by what, and (for collaboration) the shared items behind the tie."""
    lines = [f"{graph.nodes[a].get('label') or a} — {graph.nodes[b].get('label') or b}"]
    if data.get("status"):
        lines.append(f"between 2022 and 2024: {data['status']}")
    if data.get("role"):
        lines.append(f"role: {data['role']}")
    if data.get("editions"):
        lines.append(f"editions: {data['editions']}")
    items = data.get("items") or []
    if items:
        lines.append(f"shared items: {data.get('shared', len(items))}, collaboration weight "
                     f"{number(data.get('weight', 0.0))}")
        for item in items[:MAX_ITEMS_IN_TOOLTIP]:
            family = f" ({item['family']})" if item.get("family") else ""
            lines.append(f"• {item.get('label') or item.get('iri')}{family}")
        if len(items) > MAX_ITEMS_IN_TOOLTIP:
            lines.append(f"… and {len(items) - MAX_ITEMS_IN_TOOLTIP} more")
    return "\n".join(lines)


def edge_text(view: str) -> str:
    """What an edge and its width mean in ``view``."""
    return {
        "collaboration": "A tie joins two clusters that share an item (see 'Read with care' for which items tie); "
                         "its width is Newman's collaboration weight (each shared item adds 1/(n−1) for its n "
                         "clusters).",
        "participation": "A tie joins a cluster to an item it takes part in (role in the tooltip), and an item to "
                         "the programme that funds it.",
        "alignment": "A tie joins a cluster to an S3 innovation ecosystem, EU industrial ecosystem or PNRR "
                     "component it is aligned with.",
        "compare": "Collaboration ties of the 2022 and 2024 editions; width is the collaboration weight.",
    }.get(view, "")


def edge_legend(graph: nx.Graph) -> list[LegendEntry]:
    """Edge colours of the compare view with their counts."""
    counts = Counter(str(d.get("status")) for _, _, d in graph.edges(data=True))
    texts = {"gained": "gained (2024 only)", "lost": "lost (2022 only)", "kept": "kept (both editions)"}
    return [LegendEntry(STATUS_COLOURS[s], texts[s], counts.get(s, 0), dashed=s == "lost") for s in STATUS_COLOURS]


def filter_properties(graph: nx.Graph) -> dict[str, list[str]]:
    """The properties the filter menu offers (not vis-network's drawing fields)."""
    edge_props = sorted({p for _, _, d in graph.edges(data=True) for p in ("status", "role") if d.get(p)})
    return {"node": ["kind", "community", "articulation"], "edge": edge_props}


def safe_href(href: str) -> str:
    """Only local paths and http(s) addresses become links."""
    return href if href.startswith(("/", "http://", "https://")) and not href.startswith("//") else ""


def number(value: Any) -> str:
    """Short, stable text for a metric."""
    value = float(value or 0.0)
    return str(int(value)) if value.is_integer() else f"{value:.4g}"
