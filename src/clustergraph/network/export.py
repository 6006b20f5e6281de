"""Network exports for Gephi and friends: GEXF, GraphML, CSV tables (Gephi's headers) and JSON.

GEXF reads lists as time spells and both XML formats reject None, so :func:`flat` turns every attribute into a
scalar first (lists of shared items become ``" | "``-joined labels and IRIs). The exports read back into
networkx with the same nodes, edges and attribute values.

Graph attributes say how the view was made: ``betweenness`` (``exact``, or ``approximate: k of n sampled
sources, seed 42``), ``ties`` and ``tie_rule`` (what ties two clusters) with ``affiliations`` (the items that make
no collaboration tie), ``max_members`` and ``left_out`` (the items left out of the collaboration projection,
``label (n clusters)``). GraphML and JSON carry them as graph data; GEXF, which has no graph attributes (and
whose schema allows no ``name`` on ``<graph>``), states them one per line in ``<meta><description>``. Both XML
exports validate against their published schemas (tests/schemas/).
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import networkx as nx
from networkx.readwrite.gexf import GEXFWriter

NODE_COLUMNS = ("label", "kind", "members", "community", "degree", "weighted_degree", "betweenness", "harmonic",
                "articulation", "x", "y")
EDGE_COLUMNS = ("weight", "shared", "items", "item_iris", "families", "role", "editions", "status")


def flat(graph: nx.Graph) -> nx.Graph:
    """A copy of ``graph`` whose attributes are all str, int, float or bool (never None, never a list)."""
    out = nx.Graph()
    out.graph.update(graph_notes(graph))
    for node, data in sorted(graph.nodes(data=True)):
        out.add_node(node, **{k: _scalar(v) for k, v in data.items() if v is not None})
    for a, b, data in sorted(graph.edges(data=True)):
        items = data.get("items")
        attrs = {k: _scalar(v) for k, v in data.items() if v is not None and not (k == "items" and isinstance(v, list))}
        if isinstance(items, list):
            attrs["items"] = " | ".join(i["label"] for i in data["items"])
            attrs["item_iris"] = " ".join(i["iri"] for i in data["items"])
            attrs["families"] = " | ".join(sorted({i["family"] for i in data["items"]}))
        out.add_edge(a, b, **attrs)
    return out


def graph_notes(graph: nx.Graph) -> dict[str, str | int]:
    """The graph attributes as scalars: how betweenness was computed, the tie rule and the affiliations it
    leaves out, the cap and what it left out."""
    notes: dict[str, str | int] = {}
    if "betweenness" in graph.graph:
        notes["betweenness"] = str(graph.graph["betweenness"])
    if "tie_rule" in graph.graph:
        notes["ties"] = str(graph.graph["ties"])
        notes["tie_rule"] = str(graph.graph["tie_rule"])
        notes["affiliations"] = left_out_text(graph.graph.get("affiliations", []))  # type: ignore[arg-type]
    if "max_members" in graph.graph:
        notes["max_members"] = int(graph.graph["max_members"])
        notes["left_out"] = left_out_text(graph.graph.get("left_out", []))
    return notes


def left_out_text(items: list[dict] | str) -> str:
    """``"European Cluster Collaboration Platform (1200 clusters) | ..."``, or '' when nothing was left out; a
    text already made (a flattened graph's attribute) is kept."""
    if isinstance(items, str):
        return items
    return " | ".join(f"{i['label']} ({i['members']} cluster{'s' if i['members'] != 1 else ''})" for i in items)


def _scalar(value: object) -> str | int | float | bool:
    if isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple, set)):
        return " | ".join(str(v) for v in value)
    return str(value)


def to_gexf(graph: nx.Graph) -> bytes:
    """GEXF 1.2 (Gephi): the graph notes go in ``<meta><description>``, the one place the schema has for them."""
    out = flat(graph)
    notes = out.graph
    out.graph = {}
    writer = GEXFWriter(version="1.2draft")
    writer.add_graph(out)
    writer.graph_element.attrib.pop("name", None)  # networkx writes name="" always; GEXF 1.2 and 1.3 forbid it
    if notes:
        meta = writer.xml.find("meta")
        assert meta is not None  # GEXFWriter always writes <meta><creator>
        ET.SubElement(meta, "description").text = gexf_description(notes)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def gexf_description(notes: dict[str, str | int]) -> str:
    """The graph notes as ``key: value`` lines (``none`` for an empty value)."""
    return "\n".join(f"{k}: {v if v != '' else 'none'}" for k, v in notes.items())


def to_graphml(graph: nx.Graph) -> bytes:
    """GraphML 1.0. Its schema takes only an NMTOKEN as a node id, which an IRI (with its ``/``) is not, so nodes
    are ``n0``, ``n1``, ... in sorted order, each with its IRI as the ``iri`` data key."""
    buffer = io.BytesIO()
    out = flat(graph)
    for node in out:
        out.nodes[node]["iri"] = str(node)
    nx.write_graphml(nx.relabel_nodes(out, {node: f"n{i}" for i, node in enumerate(out)}), buffer)
    return buffer.getvalue()


def from_graphml(data: bytes) -> nx.Graph:
    """A :func:`to_graphml` file read back, its nodes named by their IRIs again."""
    graph = nx.read_graphml(io.BytesIO(data))
    return nx.relabel_nodes(graph, {node: attrs.pop("iri") for node, attrs in graph.nodes(data=True)})


def nodes_csv(graph: nx.Graph) -> str:
    """Gephi's node table: ``Id,Label`` then the metrics."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["Id", "Label", *NODE_COLUMNS[1:]])
    for node, data in sorted(flat(graph).nodes(data=True)):
        writer.writerow([node, data.get("label", node), *(data.get(c, "") for c in NODE_COLUMNS[1:])])
    return buffer.getvalue()


def edges_csv(graph: nx.Graph) -> str:
    """Gephi's edge table: ``Source,Target,Weight`` then the edge attributes (undirected)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["Source", "Target", "Weight", "Type", *EDGE_COLUMNS[1:]])
    for a, b, data in sorted(flat(graph).edges(data=True)):
        writer.writerow([a, b, data.get("weight", 1.0), "Undirected", *(data.get(c, "") for c in EDGE_COLUMNS[1:])])
    return buffer.getvalue()


def to_json(graph: nx.Graph) -> str:
    """node-link JSON (networkx's ``node_link_data``), with shared items kept as lists."""
    return json.dumps(nx.node_link_data(graph, edges="edges"), ensure_ascii=False, sort_keys=True, indent=1)
