"""The metrics network analysts expect, written onto the nodes of a networkx graph.

Degree and weighted degree; betweenness and harmonic closeness with distance = 1/weight (a strong tie is a
short path); Louvain communities with a fixed seed, and their modularity; articulation points. The same graph
always gives the same numbers.
"""

from __future__ import annotations

import networkx as nx

LOUVAIN_SEED = 42


def annotate(graph: nx.Graph) -> tuple[float | None, list[list[str]]]:
    """Write ``degree``, ``weighted_degree``, ``betweenness``, ``harmonic``, ``community`` and ``articulation``
    onto every node; return (modularity, communities sorted by size then first member)."""
    for _, _, data in graph.edges(data=True):
        weight = data.setdefault("weight", 1.0)
        data["distance"] = 1.0 / weight if weight > 0 else float("inf")
    betweenness = nx.betweenness_centrality(graph, weight="distance", normalized=True) if graph else {}
    harmonic = nx.harmonic_centrality(graph, distance="distance") if graph else {}
    articulation = set(nx.articulation_points(graph)) if graph else set()
    communities = louvain(graph)
    community_of = {node: index for index, members in enumerate(communities) for node in members}
    for node, data in graph.nodes(data=True):
        data["degree"] = int(graph.degree(node))
        data["weighted_degree"] = round(float(graph.degree(node, weight="weight")), 6)
        data["betweenness"] = round(float(betweenness.get(node, 0.0)), 6)
        data["harmonic"] = round(float(harmonic.get(node, 0.0)), 6)
        data["community"] = community_of.get(node, -1)
        data["articulation"] = node in articulation
    for _, _, data in graph.edges(data=True):
        data.pop("distance", None)
    modularity = None
    if graph.number_of_edges():
        modularity = round(nx.community.modularity(graph, communities, weight="weight"), 6) + 0.0
    return modularity, communities


def louvain(graph: nx.Graph) -> list[list[str]]:
    """Louvain communities (seed 42), each sorted, largest first; ties by first member."""
    if graph.number_of_nodes() == 0:
        return []
    ordered = nx.Graph()
    ordered.add_nodes_from(sorted(graph.nodes))
    ordered.add_edges_from(sorted((min(a, b), max(a, b), {"weight": d.get("weight", 1.0)})
                                  for a, b, d in graph.edges(data=True)))
    found = nx.community.louvain_communities(ordered, weight="weight", seed=LOUVAIN_SEED)
    return sorted((sorted(c) for c in found), key=lambda c: (-len(c), c[0]))


def brokers(graph: nx.Graph, top: int = 5) -> list[tuple[str, float]]:
    """The ``top`` nodes by betweenness (ties by IRI): who bridges otherwise distant groups."""
    ranked = sorted(graph.nodes(data=True), key=lambda nd: (-nd[1].get("betweenness", 0.0), nd[0]))
    return [(node, data.get("betweenness", 0.0)) for node, data in ranked[:top]]
