"""Networks of cross-cluster collaboration, built with networkx from SPARQL rows.

Every view starts from named queries (``queries/network-*.rq``) run through a ``select`` callable, so the same
code works on the embedded store or on any SPARQL 1.1 backend that returns rows of plain values.

- ``collaboration``: cluster organisations, tied where they share a project, network, pilot or initiative.
  The tie's weight is Newman's collaboration weight (each shared item adds 1/(n-1) for its n clusters), so a
  pair alone in a project ties more than two of fifteen clusters registered on the same platform. Items with
  more than ``Filters.max_members`` clusters (default 50) are left out of the projection and listed on the
  graph (``graph.graph["left_out"]``): an item every cluster is registered on (the ECCP) would tie every pair
  and say nothing about who works with whom.
- ``participation``: the bipartite graph of clusters and the items and programmes they take part in, roles on
  the edges.
- ``alignment``: clusters against S3 innovation ecosystems, EU industrial ecosystems and PNRR components.
- ``compare``: the collaboration networks of the 2022 and 2024 reports side by side: edges gained, lost, kept.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import pyoxigraph as ox
from networkx.algorithms import bipartite

from clustergraph.errors import BadRequest
from clustergraph.iris import ONTOLOGY
from clustergraph.kg.store import EmbeddedStore
from clustergraph.network.metrics import (
    annotate,
    annotate_drawing,
    annotate_paths,
    betweenness_plan,
)
from clustergraph.querying.named import NamedQuery, inject_values

Rows = list[dict[str, str]]
Sizes = dict[str, tuple[str, int, str]]  # cluster -> (label, latest member total, acronym); "" where unknown
Select = Callable[[str], Rows]
VIEWS = ("collaboration", "participation", "alignment", "compare")
FAMILIES: dict[str, str] = {
    name: f"{ONTOLOGY}family-{name}"
    for name in ("escp", "euroclusters", "i3", "vanguard", "s3-partnerships", "horizon", "interreg", "cosme",
                 "national-regional", "networks", "other-eu", "unspecified")
}
YEARS = ("2022", "2024")
TIES = ("collaboration", "all")
TIE_COLLABORATION = f"{ONTOLOGY}tie-collaboration"
TIE_RULE = ("Two clusters are tied where both take part in the same collaboration: a project, partnership, pilot "
            "or consortium with a bounded set of partners. Being registered on the same platform, or members of "
            "the same network, regional programme or policy process, makes no tie here (ties=all adds them). "
            "Which kinds of initiative tie is stated in the ontology: classes with cg:tieKind cg:tie-collaboration.")
TIE_RULE_ALL = ("Two clusters are tied where they take part in the same initiative of any kind: collaborations "
                "(projects, partnerships, pilots, consortia) and affiliations (platform registrations, network "
                "memberships, regional programmes and processes) alike.")
# Items shared by more clusters than this are left out of the cluster-to-cluster projection. The real region has
# 15 clusters (its widest item, the ECCP registration, has all 15), so nothing is left out there; at ECCP scale
# the platform registration (every cluster) and international networks of 60 to 400 clusters are.
DEFAULT_MAX_MEMBERS = 50
# nodes x ties from which a server's view defers betweenness and harmonic closeness (build_view's defer_paths):
# below, they take milliseconds and come with the drawing; the ECCP collaboration view (1,200 x 12,345) takes seconds
DEFER_PATHS_MIN_WORK = 1_000_000
LAYOUT_SEED = 42
LAYOUT_SCALE = 1000.0
FAST_LAYOUT_MIN_NODES = 500  # where networkx's spring_layout turns to its slow sparse code
FAST_LAYOUT_ITERATIONS = 50
FAST_LAYOUT_GRAVITY = 10.0  # pull to the centre: without it, clusters with no tie fly off and squash the rest


@dataclass(frozen=True)
class Filters:
    """What a view is restricted to: an initiative family (short name), an edition year, an ecosystem IRI;
    ``max_members``: items with more clusters than that stay out of the collaboration projection (0: none); and
    ``ties``: ``collaboration`` (default: only initiatives that make a collaboration tie) or ``all``."""

    family: str | None = None
    year: str | None = None
    ecosystem: str | None = None
    max_members: int = DEFAULT_MAX_MEMBERS
    ties: str = "collaboration"

    @classmethod
    def parse(cls, family: str | None = None, year: str | None = None, ecosystem: str | None = None,
              max_members: str | int | None = None, ties: str | None = None) -> Filters:
        """:raises BadRequest: naming the filter with an unknown value."""
        family, year, ecosystem = (v.strip() if v else None for v in (family, year, ecosystem))
        if family and family not in FAMILIES:
            raise BadRequest(f"family {family!r} is not one of {', '.join(FAMILIES)}")
        if year and year not in YEARS:
            raise BadRequest(f"year {year!r} is not one of {', '.join(YEARS)}")
        if ecosystem and not ecosystem.startswith(("http://", "https://")):
            raise BadRequest(f"ecosystem {ecosystem[:80]!r} is not an http(s) IRI")
        cap = DEFAULT_MAX_MEMBERS
        if max_members is not None and str(max_members).strip() != "":
            text = str(max_members).strip()
            if not text.isdigit() or int(text) == 1 or len(text) > 9:
                raise BadRequest(f"max_members {text[:20]!r} is not 0 (no cap) or a whole number from 2")
            cap = int(text)
        ties = (ties or "").strip() or "collaboration"
        if ties not in TIES:
            raise BadRequest(f"ties {ties[:40]!r} is not one of {', '.join(TIES)}")
        return cls(family or None, year or None, ecosystem or None, cap, ties)

    def as_params(self) -> dict[str, str]:
        """The filters that are set, as URL query parameters (``max_members`` only when not the default)."""
        params = {k: v for k, v in (("family", self.family), ("year", self.year), ("ecosystem", self.ecosystem))
                  if v}
        if self.max_members != DEFAULT_MAX_MEMBERS:
            params["max_members"] = str(self.max_members)
        if self.ties != "collaboration":
            params["ties"] = self.ties
        return params


@dataclass
class NetworkView:
    """A built network with its metrics and the SPARQL that produced it."""

    view: str
    filters: Filters
    graph: nx.Graph
    sparql: list[str] = field(default_factory=list)
    modularity: float | None = None
    communities: list[list[str]] = field(default_factory=list)
    # set once betweenness and harmonic closeness are on the nodes: from the start, unless built with defer_paths
    paths_done: threading.Event = field(default_factory=lambda: _set(threading.Event()), repr=False, compare=False)
    paths_error: str = ""

    @property
    def paths_ready(self) -> bool:
        """Whether betweenness and harmonic closeness are on the nodes (or failed: see ``paths_error``)."""
        return self.paths_done.is_set()

    def wait_for_paths(self, timeout: float | None = None) -> bool:
        """Wait until :attr:`paths_ready`; False when ``timeout`` seconds passed first."""
        return self.paths_done.wait(timeout)

    @property
    def affiliations(self) -> list[dict]:
        """Items that make no collaboration tie (registrations, networks, programmes), widest first."""
        return list(self.graph.graph.get("affiliations", []))

    @property
    def left_out(self) -> list[dict]:
        """Items left out of the projection: ``{"iri", "label", "family", "members"}``, widest first."""
        return list(self.graph.graph.get("left_out", []))


def _set(event: threading.Event) -> threading.Event:
    event.set()
    return event


def store_select(store: EmbeddedStore) -> Select:
    """A ``select`` over the embedded store: rows of plain values ('' for unbound)."""

    def select(sparql: str) -> Rows:
        solutions = store.query(sparql)
        names = [v.value for v in solutions.variables]
        return [{n: (s[n].value if s[n] is not None else "") for n in names} for s in solutions]

    return select


def build_view(select: Select, queries: dict[str, NamedQuery], view: str, filters: Filters, *,
               defer_paths: bool = False) -> NetworkView:
    """Build ``view`` with ``filters``, annotate its metrics and a seeded layout.

    With ``defer_paths`` and at least ``DEFER_PATHS_MIN_WORK`` nodes x ties, the view comes back with what the
    drawing needs (degrees, communities, articulation points, positions) and without betweenness and harmonic
    closeness, the slowest metrics (shortest paths between every pair): :func:`finish_paths` adds them later
    (the server runs it in the background while the drawing goes out). The numbers are the same either way.

    :raises BadRequest: for an unknown view.
    """
    builders = {"collaboration": _collaboration_view, "participation": _participation_view,
                "alignment": _alignment_view, "compare": _compare_view}
    if view not in builders:
        raise BadRequest(f"view {view!r} is not one of {', '.join(VIEWS)}")
    result = builders[view](select, queries, filters)
    graph = result.graph
    defer_paths = defer_paths and graph.number_of_nodes() * graph.number_of_edges() >= DEFER_PATHS_MIN_WORK
    if defer_paths:
        result.paths_done.clear()
    result.modularity, result.communities = annotate_and_place(result.graph, paths=not defer_paths)
    return result


def finish_paths(view: NetworkView) -> None:
    """Betweenness and harmonic closeness of a view built with ``defer_paths`` (all written together), then
    :attr:`NetworkView.paths_ready`; a failure is kept in ``paths_error`` (and the view is ready, without them)."""
    try:
        if not view.paths_ready:
            annotate_paths(view.graph)
    except Exception as exc:  # the pages say the metric is missing; the drawing stays
        view.paths_error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        view.paths_done.set()


def annotate_and_place(graph: nx.Graph, *, paths: bool = True) -> tuple[float | None, list[list[str]]]:
    """:func:`metrics.annotate` and :func:`place` together: the layout runs in a second thread on a copy of the
    graph made first (its numpy work releases the GIL while Louvain runs in Python), and its positions are
    written once both are done. Same numbers and positions as calling one after the other. Without ``paths``
    only :func:`metrics.annotate_drawing` (no betweenness, no harmonic closeness; ``graph.graph["betweenness"]``
    already says how betweenness will be computed)."""
    ordered = _ordered(graph)
    with ThreadPoolExecutor(max_workers=1) as pool:
        positions = pool.submit(_positions, ordered)
        if paths:
            found = annotate(graph)
        else:
            found = annotate_drawing(graph)
            graph.graph["betweenness"] = betweenness_plan(graph)[1]
        _write_positions(graph, positions.result())
    return found


def _run(select: Select, queries: dict[str, NamedQuery], name: str, params: dict[str, str]) -> tuple[str, Rows]:
    sparql = queries[name].bind(params)
    return sparql, select(sparql)


def _participations(select: Select, queries: dict[str, NamedQuery], filters: Filters,
                    year: str | None) -> tuple[list[str], Rows]:
    """The rows of the named query ``network-participations`` for ``filters`` and ``year``, read with
    :func:`participation_rows`; the SPARQL texts it ran."""
    named = queries["network-participations"]
    params = {"family": FAMILIES[filters.family]} if filters.family else {}
    if year:
        params["edition"] = year
    named.bind(params)  # checks the values as the named query does
    terms = {param.name: param.to_term(params[param.name]) for param in named.params if param.name in params}
    return participation_rows(select, terms)


VIEW_SPARQL = {name: (Path(__file__).with_name("sparql") / f"participation-{name}.rq").read_text()
               for name in ("facts", "items", "labels")}
PARTICIPATION_COLUMNS = ("cluster", "clusterLabel", "item", "itemLabel", "family", "familyLabel", "role",
                         "roleLabel", "edition", "programme", "programmeLabel", "tie")


def participation_rows(select: Select, terms: dict[str, ox.NamedNode | ox.Literal]) -> tuple[list[str], Rows]:
    """The rows the named query ``network-participations`` answers with its parameters bound to ``terms``
    (``family``, ``edition``; as its parameters make them), in its order, from three leaner queries joined here:
    the distinct (cluster, item, edition, role) facts, the items' family, programme and kind of tie, and each
    label once per resource (the resources as terms pyoxigraph writes, in a VALUES block).

    At ECCP scale (18,115 rows) the named query spends most of its time reading a dozen terms back per row and
    in ORDER BY, which reads IRIs back from the store on every comparison; here each label is read once and
    the sort is Python's. Returns (the SPARQL texts run, the rows)."""
    family = [("family", terms["family"])] if "family" in terms else []
    edition = [("edition", terms["edition"])] if "edition" in terms else []
    facts_sparql = inject_values(VIEW_SPARQL["facts"], family + edition)
    items_sparql = inject_values(VIEW_SPARQL["items"], family)
    facts = select(facts_sparql)
    items: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for row in select(items_sparql):
        items[row["item"]].append((row["family"], row["programme"], row["tie"]))
    others = sorted({r["role"] for r in facts if r["role"]}
                    | {v for kept in items.values() for f, p, _ in kept for v in (f, p) if v})
    labels_sparql = VIEW_SPARQL["labels"].replace("RESOURCES", " ".join(str(ox.NamedNode(i)) for i in others))
    labels: dict[str, set[str]] = defaultdict(set)
    for row in select(labels_sparql):
        labels[row["resource"]].add(row["label"])

    def label(iri: str) -> list[str]:
        return sorted(labels.get(iri, ())) or [""] if iri else [""]

    found: set[tuple[str, ...]] = set()
    for fact in facts:
        cluster, item, role = fact["cluster"], fact["item"], fact["role"]
        for fam, programme, tie in items.get(item, ()):
            for cluster_label in label(cluster):
                for item_label in label(item):
                    for family_label in label(fam):
                        for role_label in label(role):
                            for programme_label in label(programme):
                                found.add((cluster, cluster_label, item, item_label, fam, family_label, role,
                                           role_label, fact["edition"], programme, programme_label, tie))
    ordered = sorted(found, key=lambda r: (r[0], r[2], r[8], r[6], r[9], r))
    return [facts_sparql, items_sparql, labels_sparql], [dict(zip(PARTICIPATION_COLUMNS, r)) for r in ordered]


def _sizes(select: Select, queries: dict[str, NamedQuery]) -> tuple[str, dict[str, tuple[str, int, str]]]:
    """Per cluster: (label, latest member total or 0, acronym or '')."""
    sparql, rows = _run(select, queries, "network-cluster-sizes", {})
    return sparql, {r["cluster"]: (r["clusterLabel"], int(r["members"] or 0), r.get("clusterAcronym") or "")
                    for r in rows}


def collaboration_graph(rows: Rows, sizes: Sizes,
                        max_members: int = DEFAULT_MAX_MEMBERS, ties: str = "collaboration") -> nx.Graph:
    """Project cluster–item participations onto clusters (Newman's collaboration weights).

    With ``ties="collaboration"`` only items that make a collaboration tie (``?tie`` of the rows, from the
    ontology's ``cg:tieKind``) tie clusters; the others are listed in ``graph.graph["affiliations"]`` (IRI,
    label, family, clusters), widest first, and every cluster stays in the graph. ``graph.graph["tie_rule"]``
    says the rule in words. Items with more than ``max_members`` clusters (0: no cap) are left out of the
    projection too, listed in ``graph.graph["left_out"]``.
    """
    items: dict[str, dict[str, str]] = {}
    clusters: dict[str, str] = {}
    memberships: set[tuple[str, str]] = set()
    affiliation_items: set[str] = set()
    for row in rows:
        clusters[row["cluster"]] = row["clusterLabel"] or row["cluster"]
        items[row["item"]] = {"iri": row["item"], "label": row["itemLabel"] or row["item"],
                              "family": row["familyLabel"] or row["family"]}
        memberships.add((row["cluster"], row["item"]))
        if ties == "collaboration" and row.get("tie", TIE_COLLABORATION) != TIE_COLLABORATION:
            affiliation_items.add(row["item"])
    members: dict[str, int] = defaultdict(int)
    for _, item in memberships:
        members[item] += 1
    wide = {i for i, count in members.items() if max_members and count > max_members} - affiliation_items
    two_mode = nx.Graph()
    two_mode.add_nodes_from(sorted(clusters), bipartite=0)
    kept = set(items) - wide - affiliation_items
    two_mode.add_nodes_from(sorted(kept), bipartite=1)
    two_mode.add_edges_from(sorted(m for m in memberships if m[1] in kept))
    graph = bipartite.collaboration_weighted_projected_graph(two_mode, sorted(clusters))
    for a, b, data in graph.edges(data=True):
        shared = sorted(set(two_mode[a]) & set(two_mode[b]))
        data["shared"] = len(shared)
        data["items"] = sorted((items[i] for i in shared), key=lambda d: (d["label"], d["iri"]))
    for iri in graph.nodes:
        label, size, acronym = (*sizes.get(iri, (clusters[iri], 0)), "")[:3]
        graph.nodes[iri].update(label=label or clusters[iri], kind="cluster", members=size, acronym=acronym)
        graph.nodes[iri].pop("bipartite", None)
    graph.graph["max_members"] = max_members
    graph.graph["ties"] = ties
    graph.graph["tie_rule"] = TIE_RULE if ties == "collaboration" else TIE_RULE_ALL
    graph.graph["affiliations"] = sorted(({**items[i], "members": members[i]} for i in affiliation_items),
                                         key=lambda d: (-d["members"], d["label"], d["iri"]))
    graph.graph["left_out"] = sorted(({**items[i], "members": members[i]} for i in wide),
                                     key=lambda d: (-d["members"], d["label"], d["iri"]))
    return graph


def _collaboration_view(select: Select, queries: dict[str, NamedQuery], filters: Filters) -> NetworkView:
    sparql, rows = _participations(select, queries, filters, filters.year)
    sizes_sparql, sizes = _sizes(select, queries)
    return NetworkView("collaboration", filters,
                       collaboration_graph(rows, sizes, filters.max_members, filters.ties), [*sparql, sizes_sparql])


class _Links:
    """Nodes, and for each linked pair the roles and editions that link it; one edge per pair."""

    def __init__(self, sizes: Sizes) -> None:
        self.graph = nx.Graph()
        self.sizes = sizes
        self.roles: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.editions: dict[tuple[str, str], set[str]] = defaultdict(set)

    def cluster(self, iri: str, label: str) -> None:
        name, members, acronym = (*self.sizes.get(iri, (label, 0)), "")[:3]
        self.graph.add_node(iri, label=name or label or iri, kind="cluster", members=members, acronym=acronym)

    def node(self, iri: str, label: str, kind: str) -> None:
        self.graph.add_node(iri, label=label or iri, kind=kind, members=0)

    def link(self, a: str, b: str, role: str, edition: str) -> None:
        self.roles[(a, b)].add(role)
        self.editions[(a, b)].add(edition)

    def build(self) -> nx.Graph:
        for (a, b), names in sorted(self.roles.items()):
            self.graph.add_edge(a, b, role=", ".join(sorted(names)), weight=1.0, shared=1,
                                editions=", ".join(sorted(self.editions[(a, b)])))
        return self.graph


def participation_graph(rows: Rows, sizes: Sizes) -> nx.Graph:
    """Clusters and the items and programmes they take part in; roles and editions on the edges."""
    links = _Links(sizes)
    for row in rows:
        links.cluster(row["cluster"], row["clusterLabel"])
        links.node(row["item"], row["itemLabel"], row["familyLabel"] or "initiative")
        links.link(row["cluster"], row["item"], row["roleLabel"] or "participant", row["edition"])
        if row["programme"]:
            links.node(row["programme"], row["programmeLabel"], "programme")
            links.link(row["item"], row["programme"], "funded under", row["edition"])
    return links.build()


def _participation_view(select: Select, queries: dict[str, NamedQuery], filters: Filters) -> NetworkView:
    sparql, rows = _participations(select, queries, filters, filters.year)
    sizes_sparql, sizes = _sizes(select, queries)
    return NetworkView("participation", filters, participation_graph(rows, sizes), [*sparql, sizes_sparql])


def alignment_graph(rows: Rows, sizes: Sizes) -> nx.Graph:
    """Clusters against ecosystems and PNRR components; how each link is stated on the edge."""
    links = _Links(sizes)
    for row in rows:
        links.cluster(row["cluster"], row["clusterLabel"])
        links.node(row["ecosystem"], row["ecosystemLabel"], row["kind"])
        links.link(row["cluster"], row["ecosystem"], row["how"], row["edition"])
    return links.build()


def alignment_targets(select: Select, queries: dict[str, NamedQuery]) -> list[tuple[str, str, str]]:
    """(kind, label, IRI) of every ecosystem and PNRR item the alignment view can show, sorted: the nodes of the
    unfiltered alignment view that are not clusters, without building that view (no metrics, no layout)."""
    found: dict[str, tuple[str, str]] = {}
    for row in _run(select, queries, "network-alignments", {})[1]:
        found[row["ecosystem"]] = (row["kind"], row["ecosystemLabel"] or row["ecosystem"])
    return sorted((kind, label, iri) for iri, (kind, label) in found.items())


def _alignment_view(select: Select, queries: dict[str, NamedQuery], filters: Filters) -> NetworkView:
    params = {k: v for k, v in (("edition", filters.year), ("ecosystem", filters.ecosystem)) if v}
    sparql, rows = _run(select, queries, "network-alignments", params)
    sizes_sparql, sizes = _sizes(select, queries)
    return NetworkView("alignment", filters, alignment_graph(rows, sizes), [sparql, sizes_sparql])


def compare_graphs(before: nx.Graph, after: nx.Graph) -> nx.Graph:
    """The union of two collaboration networks; each edge ``gained``, ``lost`` or ``kept``."""
    graph = nx.Graph()
    for source in (before, after):
        for node, data in sorted(source.nodes(data=True)):
            graph.add_node(node, **{k: data[k] for k in ("label", "kind", "members", "acronym") if k in data})
    for a, b in sorted({tuple(sorted(e)) for e in (*before.edges, *after.edges)}):
        in_before, in_after = before.has_edge(a, b), after.has_edge(a, b)
        data = dict(after[a][b] if in_after else before[a][b])
        data["status"] = "kept" if in_before and in_after else ("gained" if in_after else "lost")
        graph.add_edge(a, b, **data)
    for key in ("left_out", "affiliations"):
        widest: dict[str, dict] = {}
        for source in (before, after):
            for item in source.graph.get(key, []):
                if item["members"] > widest.get(item["iri"], {}).get("members", -1):
                    widest[item["iri"]] = item
        if key in after.graph:
            graph.graph[key] = sorted(widest.values(), key=lambda d: (-d["members"], d["label"], d["iri"]))
    for key in ("max_members", "ties", "tie_rule"):
        if key in after.graph:
            graph.graph[key] = after.graph[key]
    return graph


def _compare_view(select: Select, queries: dict[str, NamedQuery], filters: Filters) -> NetworkView:
    sizes_sparql, sizes = _sizes(select, queries)
    old_sparql, old_rows = _participations(select, queries, filters, YEARS[0])
    new_sparql, new_rows = _participations(select, queries, filters, YEARS[1])
    cap, ties = filters.max_members, filters.ties
    graph = compare_graphs(collaboration_graph(old_rows, sizes, cap, ties), collaboration_graph(new_rows, sizes, cap, ties))
    return NetworkView("compare", Filters(filters.family, None, None, cap, ties), graph,
                       [*old_sparql, *new_sparql, sizes_sparql])


def place(graph: nx.Graph) -> None:
    """Seeded force-directed layout written onto the nodes as x, y (deterministic for the same graph).

    Below ``FAST_LAYOUT_MIN_NODES`` nodes: networkx's ``spring_layout`` (its dense Fruchterman-Reingold). From
    there on networkx switches to a sparse implementation that loops in Python (9 s at 1,100 nodes), so
    :func:`force_layout` runs the same Fruchterman-Reingold forces with whole-matrix numpy operations instead.
    """
    _write_positions(graph, _positions(_ordered(graph)))


def _ordered(graph: nx.Graph) -> nx.Graph:
    """A copy with nodes and edges (weights only) in sorted order, so the layout does not depend on insertion."""
    ordered = nx.Graph()
    ordered.add_nodes_from(sorted(graph.nodes))
    ordered.add_edges_from(sorted((min(a, b), max(a, b), {"weight": d.get("weight", 1.0)})
                                  for a, b, d in graph.edges(data=True)))
    return ordered


def _positions(ordered: nx.Graph) -> dict:
    if ordered.number_of_nodes() == 0:
        return {}
    if ordered.number_of_nodes() < FAST_LAYOUT_MIN_NODES:
        return nx.spring_layout(ordered, seed=LAYOUT_SEED, weight="weight", scale=LAYOUT_SCALE)
    return force_layout(ordered)


def _write_positions(graph: nx.Graph, positions: dict) -> None:
    for node, (x, y) in positions.items():
        graph.nodes[node]["x"] = round(float(x), 2)
        graph.nodes[node]["y"] = round(float(y), 2)


def force_layout(graph: nx.Graph, iterations: int = FAST_LAYOUT_ITERATIONS) -> dict:
    """Fruchterman-Reingold as in networkx (repulsion k²/d between every pair, attraction weight·d²/k along
    ties, linear cooling, seeded random start) plus a pull to the centre (``FAST_LAYOUT_GRAVITY`` · distance,
    as in networkx's ``method="energy"``, so nodes without ties ring the others instead of squashing them),
    with the pairwise forces as whole-matrix numpy operations in float32 (no BLAS, so no thread-dependent
    sums); scaled to ``LAYOUT_SCALE``. Nodes in ``graph``'s order; the same graph gives the same positions."""
    nodes = list(graph.nodes)
    n = len(nodes)
    index = {node: i for i, node in enumerate(nodes)}
    ties = [(index[a], index[b], float(d.get("weight", 1.0))) for a, b, d in graph.edges(data=True) if a != b]
    tail = np.array([t[0] for t in ties], dtype=np.int64)
    head = np.array([t[1] for t in ties], dtype=np.int64)
    weight = np.array([t[2] for t in ties], dtype=float)
    pos = np.random.RandomState(LAYOUT_SEED).rand(n, 2).astype(np.float32)  # float32: half the memory traffic
    k2 = np.float32(1.0 / n)  # k = sqrt(1/n), as networkx
    k = math.sqrt(1.0 / n)
    temperature = 0.1 * float(np.ptp(pos, axis=0).max())
    cooling = temperature / (iterations + 1)
    dx, dy, d2 = (np.empty((n, n), dtype=np.float32) for _ in range(3))
    for _ in range(iterations):  # elementwise numpy only: single-threaded, so the same sums every time
        x, y = pos[:, 0], pos[:, 1]
        np.subtract(x[:, None], x[None, :], out=dx)
        np.subtract(y[:, None], y[None, :], out=dy)
        np.multiply(dx, dx, out=d2)
        d2 += dy * dy
        np.maximum(d2, np.float32(1e-4), out=d2)  # networkx clips distances at 0.01
        np.divide(k2, d2, out=d2)  # now the repulsion factor k²/d²
        np.fill_diagonal(d2, 0.0)
        dx *= d2
        dy *= d2
        move = np.stack([dx.sum(axis=1), dy.sum(axis=1)], axis=1).astype(float)
        delta = (pos[tail] - pos[head]).astype(float)
        length = np.maximum(np.sqrt((delta * delta).sum(axis=1)), 0.01)
        pull = delta * (weight * length / k)[:, None]
        for axis in (0, 1):
            move[:, axis] -= np.bincount(tail, weights=pull[:, axis], minlength=n)
            move[:, axis] += np.bincount(head, weights=pull[:, axis], minlength=n)
        move -= FAST_LAYOUT_GRAVITY * (pos - pos.mean(axis=0)).astype(float)  # keeps isolated nodes near the rest
        size = np.maximum(np.sqrt((move * move).sum(axis=1)), 0.01)
        pos += (move * (temperature / size)[:, None]).astype(np.float32)
        temperature -= cooling
    pos = nx.rescale_layout(pos.astype(float), scale=LAYOUT_SCALE)
    return dict(zip(nodes, pos))
