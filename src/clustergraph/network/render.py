"""A network view drawn by vis-network: a light HTML page plus the drawing's data as compact JSON.

The server sends the page (legends, notes, menus; vis-network and Tom Select from ``/static/vendor``, cached by
the browser) and the data from its own URL (``/network/{view}/graph.json``), which :func:`drawing_json` makes
once per build, view, filters and drawing choice. ``clustergraph network --format html`` writes one standalone
file instead: the same page with the scripts, the styles and the data inlined (nothing loaded from elsewhere).

The data (:func:`drawing_data`) holds each node's vis-network fields and plain-text tooltip, and each edge as a
short list (node indexes, width, weight, shared items as indexes into one table of items, compare status and
role); ``static/network-drawing.js`` turns it into vis-network's DataSets and writes the edge tooltips (the text
:func:`edge_tooltip` gives). Nodes are sorted by IRI, at the positions the view already holds, with physics and
vis-network's own layout off: the browser never lays the network out again, and the same view always gives the
same bytes. Our template (``web/templates/network_view.html``) is loaded through a :class:`jinja2.ChoiceLoader`
that falls back to pyvis's template folder for pyvis's ``utils.js`` (neighbourhood highlight, filters).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx
import pyvis
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from markupsafe import Markup

from clustergraph.errors import BadRequest
from clustergraph.network.export import left_out_text
from clustergraph.network.metrics import betweenness_is_approximate
from clustergraph.network.views import NetworkView

TEMPLATE = "network_view.html"
OUR_TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"
STATIC = Path(__file__).resolve().parents[1] / "web" / "static"
PYVIS_TEMPLATES = Path(pyvis.__file__).resolve().parent / "templates"
# The scripts and styles the page loads from /static (server) or inlines (a standalone file), in order.
SCRIPTS = ("vendor/vis-network/vis-network.min.js", "vendor/tom-select/tom-select.complete.min.js",
           "network-drawing.js")
STYLES = ("vendor/tom-select/tom-select.min.css",)

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
    "layout": {"improvedLayout": False},  # positions come with the data: no layout in the browser
    "interaction": {"hover": True, "tooltipDelay": 150, "multiselect": False},
    "nodes": {"shape": "dot", "font": {"size": 16, "face": "system-ui,sans-serif"}, "borderWidth": 1},
    "edges": {"smooth": False, "color": {"inherit": False}, "selectionWidth": 2},
}
PATH_METRICS = ("betweenness", "harmonic")  # computed after the drawing (shortest paths between every pair)
PATHS_PENDING = ("Betweenness and harmonic closeness were still being computed when this drawing was made; the "
                 "view's page fills them in when they are ready, and reloading the drawing shows them.")
# The fields of an edge in the data, in order (network-drawing.js reads them by position).
EDGE_FIELDS = ("from", "to", "width", "weight", "shared", "items", "status", "role", "editions")


@dataclass
class LegendEntry:
    colour: str
    text: str
    count: int
    dashed: bool = False


@dataclass
class PageInfo:
    """What our template shows beside the drawing."""

    title: str
    colour_by: str
    colour_legend: list[LegendEntry]
    size_text: str
    edge_text: str
    edge_legend: list[LegendEntry] = field(default_factory=list)
    filter_properties: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def template_environment() -> Environment:
    """Our template first, pyvis's folder second (for its ``lib/bindings/utils.js``); autoescaped; compiled
    once."""
    loader = ChoiceLoader([FileSystemLoader(str(OUR_TEMPLATES)), FileSystemLoader(str(PYVIS_TEMPLATES))])
    return Environment(loader=loader, autoescape=True)


@lru_cache(maxsize=8)
def static_text(name: str) -> str:
    """A static file's text, for inlining into a standalone page.

    :raises ValueError: if it holds ``</script`` or ``<!--``, which would end or confuse its ``<script>``
        element (none of the vendored files does; escaping them blindly would break regular expressions).
    """
    text = (STATIC / name).read_text(encoding="utf-8")
    if re.search(r"</script|<!--", text, re.IGNORECASE):
        raise ValueError(f"{name} cannot be inlined in a <script> element")
    return text


def check_choices(colour_by: str, size_by: str) -> None:
    """:raises BadRequest: for an unknown ``colour_by`` or ``size_by``."""
    if colour_by not in COLOUR_BY:
        raise BadRequest(f"colour {colour_by!r} is not one of {', '.join(COLOUR_BY)}")
    if size_by not in SIZE_BY:
        raise BadRequest(f"size {size_by!r} is not one of {', '.join(SIZE_BY)}")


def render_html(view: NetworkView, *, link: Callable[[str], str], colour_by: str = "community",
                size_by: str = "weighted_degree", data_url: str | None = None, paths: bool | None = None) -> str:
    """The page of the drawing. With ``data_url`` (the server) it loads the vendored scripts from ``/static``
    and the data (:func:`drawing_json`) from ``data_url``; without, it is one standalone file with the scripts,
    styles and data inlined (nothing loaded from elsewhere).

    ``link(iri)`` gives the href of a node's resource page ('' for none). ``paths``: whether to show betweenness
    and harmonic closeness (default: whether the view has them, :attr:`NetworkView.paths_ready`).

    :raises BadRequest: for an unknown ``colour_by`` or ``size_by``.
    """
    check_choices(colour_by, size_by)
    paths = has_paths(view) if paths is None else paths
    graph = view.graph
    colours, colour_legend = node_colours(graph, colour_by)
    _, size_text = node_sizes(graph, size_by)
    heading = PageInfo(
        title=f"{view.view.capitalize()} network",
        colour_by=COLOUR_BY[colour_by],
        colour_legend=colour_legend,
        size_text=size_text,
        edge_text=edge_text(view.view),
        edge_legend=edge_legend(graph) if view.view == "compare" else [],
        filter_properties=filter_properties(graph),
        notes=view_notes(view, paths=paths),
    )
    context: dict[str, Any] = {"heading": heading, "node_count": graph.number_of_nodes(),
                               "edge_count": graph.number_of_edges(), "data_url": data_url,
                               "scripts": ["/static/" + name for name in SCRIPTS],
                               "styles": ["/static/" + name for name in STYLES]}
    if data_url is None:
        data = drawing_data(view, link=link, colour_by=colour_by, size_by=size_by, paths=paths)
        context["inline_data"] = Markup(script_json(data))
        context["inline_scripts"] = [Markup(static_text(name)) for name in SCRIPTS]
        context["inline_styles"] = [Markup(static_text(name)) for name in STYLES]
    return template_environment().get_template(TEMPLATE).render(context)


def compact_json(data: Any) -> str:
    """JSON without spaces, keys in a fixed order: the same data gives the same bytes."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def script_json(data: Any) -> str:
    """:func:`compact_json` safe inside a ``<script>`` element: ``<``, ``>`` and ``&`` as JSON escapes."""
    return compact_json(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def drawing_json(view: NetworkView, *, link: Callable[[str], str], colour_by: str = "community",
                 size_by: str = "weighted_degree", paths: bool | None = None) -> bytes:
    """:func:`drawing_data` as compact UTF-8 JSON.

    :raises BadRequest: for an unknown ``colour_by`` or ``size_by``.
    """
    return compact_json(drawing_data(view, link=link, colour_by=colour_by, size_by=size_by,
                                     paths=paths)).encode("utf-8")


def drawing_data(view: NetworkView, *, link: Callable[[str], str], colour_by: str = "community",
                 size_by: str = "weighted_degree", paths: bool | None = None) -> dict[str, Any]:
    """What the browser draws: ``nodes`` (vis-network's fields, plain-text ``title``, and ``fullLabel``,
    ``kind``, ``community``, ``articulation``, ``href`` for the menus and the details card), sorted by IRI;
    ``edges`` as lists of :data:`EDGE_FIELDS` (node indexes; the weight as the tooltip writes it; shared items
    as indexes into ``items``, each ``[label, href, family]``), sorted; the vis-network ``options`` and the
    colours of plain and compare edges. Without ``paths`` (default: whether the view has them) the tooltips say
    betweenness and harmonic closeness are still being computed instead of giving numbers.

    :raises BadRequest: for an unknown ``colour_by`` or ``size_by``, or a size by a metric not computed yet.
    """
    check_choices(colour_by, size_by)
    paths = has_paths(view) if paths is None else paths
    if not paths and size_by in PATH_METRICS:
        raise BadRequest(f"size {size_by!r} needs betweenness, which is still being computed")
    graph = view.graph
    colours, _ = node_colours(graph, colour_by)
    sizes, _ = node_sizes(graph, size_by)
    order = sorted(graph.nodes, key=str)
    nodes = [{"id": str(node), **node_options(str(node), graph.nodes[node], colour=colours[node],
                                               size=sizes[node], link=link, paths=paths)} for node in order]
    items: list[list[str]] = []
    item_index: dict[str, int] = {}
    edges = []
    for a, b, options in edge_entries(graph, link):
        shared = []
        for item in options["items"]:
            key = item["iri"]
            if key not in item_index:
                item_index[key] = len(items)
                items.append([item["label"], item["href"], item["family"]])
            shared.append(item_index[key])
        edges.append([options["from"], options["to"], options["width"], options["weight"], options["shared"],
                      shared, options.get("status", ""), options.get("role", ""), options.get("editions", "")])
    return {"nodes": nodes, "edges": edges, "items": items, "options": OPTIONS, "edgeColour": EDGE_COLOUR,
            "statusColours": STATUS_COLOURS, "maxItemsInTooltip": MAX_ITEMS_IN_TOOLTIP}


def has_paths(view: NetworkView) -> bool:
    """Whether the view's nodes hold betweenness and harmonic closeness (a view built with ``defer_paths`` gets
    them later)."""
    return view.paths_ready and not view.paths_error


def view_notes(view: NetworkView, *, paths: bool = True) -> list[str]:
    """What the reader must know to read the metrics: approximate betweenness, items left out; metrics still
    being computed (without ``paths``)."""
    notes = []
    if not paths:
        notes.append(PATHS_PENDING)
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
                 link: Callable[[str], str], paths: bool = True) -> dict[str, Any]:
    """The vis-network fields of one node, plus plain fields for the filter menu and the details panel."""
    label = str(data.get("label") or iri)
    short = str(data.get("acronym") or label)  # acronyms read at a glance; the full name is on hover
    return {
        "label": short if len(short) <= 40 else short[:39] + "…",
        "shape": SHAPES.get(str(data.get("kind") or ""), "square"),
        "title": node_tooltip(iri, data, paths=paths),
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


def node_tooltip(iri: str, data: dict[str, Any], *, paths: bool = True) -> str:
    """Plain text, one fact a line (vis-network shows HTML titles raw); without ``paths``, betweenness and
    harmonic closeness are said to be still being computed (never a number that is not there yet)."""
    lines = [str(data.get("label") or iri), f"kind: {data.get('kind') or 'unknown'}"]
    if data.get("kind") == "cluster":
        lines.append(f"members: {data.get('members') or 'not reported'}")
    lines += [
        f"community: {int(data.get('community', -1)) + 1}",
        f"degree: {data.get('degree', 0)}",
        f"weighted degree: {number(data.get('weighted_degree', 0.0))}",
    ]
    if paths:
        lines += [f"betweenness: {number(data.get('betweenness', 0.0))}",
                  f"harmonic closeness: {number(data.get('harmonic', 0.0))}"]
    else:
        lines.append("betweenness, harmonic closeness: still being computed (reload to see them)")
    if data.get("articulation"):
        lines.append("articulation point: removing it splits the network")
    lines.append("double-click to open its page")
    return "\n".join(lines)


def edge_entries(graph: nx.Graph, link: Callable[[str], str]) -> list[tuple[str, str, dict[str, Any]]]:
    """(from, to, fields) of every edge in sorted order: node indexes (in sorted order), width from the weight,
    the weight and shared count as the tooltip writes them, the shared items, and the compare status and role
    where there are some."""
    index = {str(node): i for i, node in enumerate(sorted(graph.nodes, key=str))}
    top = max((float(d.get("weight", 1.0)) for _, _, d in graph.edges(data=True)), default=1.0) or 1.0
    entries = []
    for a, b in sorted(tuple(sorted((str(u), str(v)))) for u, v in graph.edges):
        data = graph.edges[a, b]
        items = data.get("items") or []
        options: dict[str, Any] = {
            "from": index[a], "to": index[b],
            "width": round(1 + 7 * float(data.get("weight", 1.0)) / top, 2),
            "weight": number(data.get("weight", 0.0)),
            "shared": int(data.get("shared", len(items)) or 0),
            "items": [{"iri": str(i.get("iri")), "label": str(i.get("label") or i.get("iri")),
                       "href": safe_href(link(str(i.get("iri")))), "family": str(i.get("family") or "")}
                      for i in items],
        }
        for key in ("status", "role", "editions"):
            if data.get(key):
                options[key] = str(data[key])
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
