"""The metrics network analysts expect, written onto the nodes of a networkx graph.

Degree and weighted degree; betweenness and harmonic closeness with distance = 1/weight (a strong tie is a
short path); Louvain communities with a fixed seed, and their modularity; articulation points. The same graph
always gives the same numbers.

Shortest paths come from ``scipy.sparse.csgraph`` (Dijkstra in C) instead of one Python Dijkstra per node:

- harmonic closeness is exact at every size (the row sums of 1/distance);
- betweenness is Brandes' algorithm, vectorised over the sources with numpy. It counts every shortest path
  (ties in length included, compared exactly like networkx does) and gives networkx's figures. Up to
  ``EXACT_BETWEENNESS_MAX_NODES`` nodes and ``EXACT_BETWEENNESS_MAX_WORK`` nodes x ties every node is a
  source (exact); above either, ``BETWEENNESS_SAMPLES``
  sources drawn with seed 42 from the sorted nodes give Brandes and Pich's estimate (networkx's ``k=``
  rescaling), deterministic but approximate, and :func:`annotate` records that on ``graph.graph``.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

LOUVAIN_SEED = 42
BETWEENNESS_SEED = 42
EXACT_BETWEENNESS_MAX_NODES = 1500
# nodes x ties: the work of exact Brandes grows with both. The unfiltered ECCP collaboration view (1,200 clusters,
# 12,345 ties: 14.8 M) took 2 to 3 s exact, over half of building the view; 500 sampled sources take under half
# that (largest error 0.003 against a top betweenness of 0.028 there). Region-scale views stay exact.
EXACT_BETWEENNESS_MAX_WORK = 5_000_000
BETWEENNESS_SAMPLES = 500
BATCH_CELLS = 2_000_000  # sources x nodes per vectorised pass (16 MB per float array)
BATCH_TIES = 40_000_000  # sources x directed ties per pass: bounds the shortest-path DAG held at once


def annotate(graph: nx.Graph, *, exact_max: int | None = None, samples: int | None = None,
             exact_work: int | None = None) -> tuple[float | None, list[list[str]]]:
    """Write ``degree``, ``weighted_degree``, ``betweenness``, ``harmonic``, ``community`` and ``articulation``
    onto every node; return (modularity, communities sorted by size then first member).

    ``graph.graph["betweenness"]`` says how betweenness was computed: ``"exact"``, or ``"approximate: k of
    n sampled sources, seed 42"`` above ``exact_max`` nodes (default ``EXACT_BETWEENNESS_MAX_NODES``) or above
    ``exact_work`` nodes x ties (default ``EXACT_BETWEENNESS_MAX_WORK``).

    :func:`annotate_drawing` and :func:`annotate_paths` together; the shortest paths (numpy and scipy work that
    mostly releases the GIL) run in a second thread while Louvain (pure Python) runs here. Neither depends on the
    other, so the numbers are the same as one after the other.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        paths = pool.submit(annotate_paths, graph, exact_max=exact_max, samples=samples, exact_work=exact_work)
        found = annotate_drawing(graph)
        paths.result()
    return found


def annotate_drawing(graph: nx.Graph) -> tuple[float | None, list[list[str]]]:
    """What the drawing needs, without shortest paths: ``degree``, ``weighted_degree``, ``community`` and
    ``articulation`` on every node; returns (modularity, communities)."""
    for _, _, data in graph.edges(data=True):
        data.setdefault("weight", 1.0)
    articulation = set(nx.articulation_points(graph)) if graph else set()
    communities = louvain(graph)
    community_of = {node: index for index, members in enumerate(communities) for node in members}
    for node in sorted(graph.nodes):
        data = graph.nodes[node]
        data["degree"] = int(graph.degree(node))
        data["weighted_degree"] = round(float(graph.degree(node, weight="weight")), 6)
        data["community"] = community_of.get(node, -1)
        data["articulation"] = node in articulation
    modularity = None
    if graph.number_of_edges():
        modularity = round(nx.community.modularity(graph, communities, weight="weight"), 6) + 0.0
    return modularity, communities


def betweenness_plan(graph: nx.Graph, *, exact_max: int | None = None, samples: int | None = None,
                     exact_work: int | None = None) -> tuple[list[int] | None, str]:
    """(the sampled sources as indexes into the sorted nodes, or None for exact; the method in words)."""
    exact_max = EXACT_BETWEENNESS_MAX_NODES if exact_max is None else exact_max
    exact_work = EXACT_BETWEENNESS_MAX_WORK if exact_work is None else exact_work
    samples = BETWEENNESS_SAMPLES if samples is None else samples
    n = graph.number_of_nodes()
    too_big = n > exact_max or n * graph.number_of_edges() > exact_work
    if not (too_big and samples < n):
        return None, "exact"
    sources = sorted(random.Random(BETWEENNESS_SEED).sample(range(n), samples))
    return sources, f"approximate: {len(sources)} of {n} sampled sources, seed {BETWEENNESS_SEED}"


def annotate_paths(graph: nx.Graph, *, exact_max: int | None = None, samples: int | None = None,
                   exact_work: int | None = None) -> None:
    """Write ``betweenness`` and ``harmonic`` onto every node (all computed first, then written together) and
    ``graph.graph["betweenness"]``, the method (see :func:`annotate`)."""
    for _, _, data in graph.edges(data=True):
        data.setdefault("weight", 1.0)
    nodes = sorted(graph.nodes)
    sources, method = betweenness_plan(graph, exact_max=exact_max, samples=samples, exact_work=exact_work)
    betweenness, harmonic = ShortestPaths(graph, nodes).centralities(sources)
    for index, node in enumerate(nodes):
        data = graph.nodes[node]
        data["betweenness"] = round(float(betweenness[index]), 6) + 0.0
        data["harmonic"] = round(float(harmonic[index]), 6) + 0.0
    graph.graph["betweenness"] = method


def betweenness_is_approximate(graph: nx.Graph) -> bool:
    """Whether :func:`annotate` estimated betweenness from sampled sources."""
    return str(graph.graph.get("betweenness", "exact")).startswith("approximate")


class ShortestPaths:
    """The graph as a symmetric CSR matrix of distances (1/weight), nodes in the given (sorted) order."""

    def __init__(self, graph: nx.Graph, nodes: list) -> None:
        self.n = len(nodes)
        index = {node: i for i, node in enumerate(nodes)}
        rows, cols, dist = [], [], []
        for a, b, data in graph.edges(data=True):
            weight = float(data.get("weight", 1.0))
            if a == b or not weight > 0:  # self-loops never shorten a path; weight 0 = infinitely far
                continue
            rows += (index[a], index[b])
            cols += (index[b], index[a])
            dist += (1.0 / weight, 1.0 / weight)
        matrix = csr_matrix((np.array(dist, dtype=float), (np.array(rows, dtype=np.int64),
                                                          np.array(cols, dtype=np.int64))), shape=(self.n, self.n))
        matrix.sum_duplicates()
        matrix.sort_indices()
        self.matrix = matrix
        self.indptr = matrix.indptr.astype(np.int64)
        self.indices = matrix.indices.astype(np.int64)
        self.weights = matrix.data
        self.degree = np.diff(self.indptr)
        self.tails = np.repeat(np.arange(self.n, dtype=np.int64), self.degree)
        # a pass holds a few (sources x nodes) arrays and the shortest-path ties of its sources (<= sources x ties)
        self.batch = max(64, min(BATCH_CELLS // max(1, self.n), BATCH_TIES // max(1, len(self.weights))))

    def distances(self, sources: np.ndarray | None = None) -> np.ndarray:
        if self.n == 0:
            return np.zeros((0, 0))
        return dijkstra(self.matrix, directed=True, indices=sources)

    def centralities(self, sources: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(betweenness, harmonic closeness) of every node; betweenness exact, or estimated from ``sources``.

        Harmonic closeness is the sum over the other nodes of 1/distance (0 for unreachable ones). Betweenness
        is normalised, endpoints excluded, with networkx's rescaling of a sampled estimate."""
        n = self.n
        harmonic, total = np.zeros(n), np.zeros(n)
        for start in range(0, n, self.batch):
            batch = np.arange(start, min(n, start + self.batch))
            dist = self.distances(batch)
            with np.errstate(divide="ignore"):
                harmonic[batch] = np.where((dist > 0) & np.isfinite(dist), 1.0 / dist, 0.0).sum(axis=1)
            if sources is None:
                total += self._dependencies(batch, dist)
        if sources is not None:
            chosen = np.array(sources, dtype=np.int64)
            for start in range(0, len(chosen), self.batch):
                batch = chosen[start:start + self.batch]
                total += self._dependencies(batch, self.distances(batch))
        return self._rescale(total, sources), harmonic

    def harmonic(self) -> np.ndarray:
        return self.centralities()[1]

    def betweenness(self, sources: list[int] | None = None) -> np.ndarray:
        return self.centralities(sources)[0]

    def _rescale(self, total: np.ndarray, sources: list[int] | None) -> np.ndarray:
        """networkx's normalisation: 1/((n-1)(n-2)); from k sampled sources 1/(k(n-2)), 1/((k-1)(n-2)) for
        the sources themselves."""
        n = self.n
        if n - 1 < 2:
            return total
        if sources is None:
            return total / ((n - 1) * (n - 2))
        k = len(sources)
        scale = np.full(n, 1 / (k * (n - 2)))
        scale[np.array(sources, dtype=np.int64)] = 1 / ((k - 1) * (n - 2)) if k > 1 else np.nan
        return total * scale

    def _dependencies(self, sources: np.ndarray, dist: np.ndarray) -> np.ndarray:
        """Brandes' dependency sums of every node over ``sources`` (one row per source), all rows at once.

        The shortest-path DAG of every row comes first, in one vectorised pass: the tie u -> v is on a shortest
        path when dist(u) + w(u, v) == dist(v), compared exactly as networkx does. Path counts then flow
        forwards and dependencies backwards one distance rank at a time, every row together."""
        n, count = self.n, len(sources)
        rows = np.arange(count)
        order = np.argsort(dist, axis=1, kind="stable")
        rank = np.empty_like(order)
        rank[rows[:, None], order] = np.arange(n)
        tails, heads, weights = self.tails, self.indices, self.weights
        by_node = np.ascontiguousarray(dist.T)  # one row per node: its distance from every source
        found_edges, found_rows = [], []
        chunk = max(1, BATCH_CELLS // max(1, count))
        for start in range(0, len(weights), chunk):
            tail_dist = by_node[tails[start:start + chunk]]
            tail_dist += weights[start:start + chunk, None]
            e, r = np.nonzero(tail_dist == by_node[heads[start:start + chunk]])
            found_edges.append(e + start)
            found_rows.append(r)
        edge = np.concatenate(found_edges) if found_edges else np.zeros(0, dtype=np.int64)
        row = np.concatenate(found_rows) if found_rows else np.zeros(0, dtype=np.int64)
        reached = np.isfinite(dist[row, heads[edge]])  # inf + w == inf between two unreachable nodes
        edge, row = edge[reached], row[reached]
        source_at = row * n + tails[edge]  # flat (row, u)
        target_at = row * n + heads[edge]  # flat (row, v)
        # each row has one node per rank, so (rank of v, row) names the target (row, v)
        key = rank[row, heads[edge]].astype(np.int64) * count + row
        if n * count < 2**31:
            key = key.astype(np.int32)  # sorts in half the time
        by = np.argsort(key)  # deterministic; the order of ties into one node only changes float rounding
        source_at, target_at, key = source_at[by], target_at[by], key[by]
        # groups: the ties into one (row, v); ranks: the groups of one distance rank
        new_group = np.ones(len(key), dtype=bool)
        new_group[1:] = key[1:] != key[:-1]
        group_start = np.flatnonzero(new_group)
        group_target = target_at[group_start]
        group_of_tie = np.cumsum(new_group) - 1
        group_rank = key[group_start].astype(np.int64) // count
        rank_bounds = np.searchsorted(group_rank, np.arange(n + 1))
        tie_bounds = np.append(group_start, len(key))
        sigma = np.zeros(count * n)
        sigma[rows * n + sources] = 1.0
        steps = [(g0, g1, tie_bounds[g0], tie_bounds[g1]) for g0, g1 in zip(rank_bounds[:-1], rank_bounds[1:])
                 if g1 > g0]
        for g0, g1, t0, t1 in steps:
            sigma[group_target[g0:g1]] = np.add.reduceat(sigma[source_at[t0:t1]], group_start[g0:g1] - t0)
        delta = np.zeros(count * n)
        for g0, g1, t0, t1 in reversed(steps):
            targets = group_target[g0:g1]
            coeff = (1.0 + delta[targets]) / sigma[targets]
            preds = source_at[t0:t1]
            delta[preds] += sigma[preds] * coeff[group_of_tie[t0:t1] - g0]
        delta[rows * n + sources] = 0.0
        return delta.reshape(count, n).sum(axis=0)


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
