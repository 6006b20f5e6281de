"""Networks of cross-cluster collaboration, built with networkx from SPARQL rows.

Every view starts from named queries (``queries/network-*.rq``) run through a ``select`` callable, so the same
code works on the embedded store or on any SPARQL 1.1 backend that returns rows of plain values.

- ``collaboration``: cluster organisations, tied where they share a project, network, pilot or initiative.
  The tie's weight is Newman's collaboration weight (each shared item adds 1/(n-1) for its n clusters), so a
  pair alone in a project ties more than two of fifteen clusters registered on the same platform.
- ``participation``: the bipartite graph of clusters and the items and programmes they take part in, roles on
  the edges.
- ``alignment``: clusters against S3 innovation ecosystems, EU industrial ecosystems and PNRR components.
- ``compare``: the collaboration networks of the 2022 and 2024 reports side by side: edges gained, lost, kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import networkx as nx
from networkx.algorithms import bipartite

from clustergraph.errors import BadRequest
from clustergraph.iris import ONTOLOGY
from clustergraph.metrics import annotate
from clustergraph.queries import NamedQuery
from clustergraph.store import EmbeddedStore

Rows = list[dict[str, str]]
Select = Callable[[str], Rows]
VIEWS = ("collaboration", "participation", "alignment", "compare")
FAMILIES: dict[str, str] = {
    name: f"{ONTOLOGY}family-{name}"
    for name in ("escp", "euroclusters", "i3", "vanguard", "s3-partnerships", "horizon", "interreg", "cosme",
                 "national-regional", "networks", "other-eu", "unspecified")
}
YEARS = ("2022", "2024")
LAYOUT_SEED = 42
LAYOUT_SCALE = 1000.0


@dataclass(frozen=True)
class Filters:
    """What a view is restricted to: an initiative family (short name), an edition year, an ecosystem IRI."""

    family: str | None = None
    year: str | None = None
    ecosystem: str | None = None

    @classmethod
    def parse(cls, family: str | None = None, year: str | None = None, ecosystem: str | None = None) -> Filters:
        """:raises BadRequest: naming the filter with an unknown value."""
        family, year, ecosystem = (v.strip() if v else None for v in (family, year, ecosystem))
        if family and family not in FAMILIES:
            raise BadRequest(f"family {family!r} is not one of {', '.join(FAMILIES)}")
        if year and year not in YEARS:
            raise BadRequest(f"year {year!r} is not one of {', '.join(YEARS)}")
        if ecosystem and not ecosystem.startswith(("http://", "https://")):
            raise BadRequest(f"ecosystem {ecosystem[:80]!r} is not an http(s) IRI")
        return cls(family or None, year or None, ecosystem or None)

    def as_params(self) -> dict[str, str]:
        """The filters that are set, as URL query parameters."""
        return {k: v for k, v in (("family", self.family), ("year", self.year), ("ecosystem", self.ecosystem)) if v}


@dataclass
class NetworkView:
    """A built network with its metrics and the SPARQL that produced it."""

    view: str
    filters: Filters
    graph: nx.Graph
    sparql: list[str] = field(default_factory=list)
    modularity: float | None = None
    communities: list[list[str]] = field(default_factory=list)


def store_select(store: EmbeddedStore) -> Select:
    """A ``select`` over the embedded store: rows of plain values ('' for unbound)."""

    def select(sparql: str) -> Rows:
        solutions = store.query(sparql)
        names = [v.value for v in solutions.variables]
        return [{n: (s[n].value if s[n] is not None else "") for n in names} for s in solutions]

    return select


def build_view(select: Select, queries: dict[str, NamedQuery], view: str, filters: Filters) -> NetworkView:
    """Build ``view`` with ``filters``, annotate its metrics and a seeded layout.

    :raises BadRequest: for an unknown view.
    """
    builders = {"collaboration": _collaboration_view, "participation": _participation_view,
                "alignment": _alignment_view, "compare": _compare_view}
    if view not in builders:
        raise BadRequest(f"view {view!r} is not one of {', '.join(VIEWS)}")
    result = builders[view](select, queries, filters)
    result.modularity, result.communities = annotate(result.graph)
    place(result.graph)
    return result


def _run(select: Select, queries: dict[str, NamedQuery], name: str, params: dict[str, str]) -> tuple[str, Rows]:
    sparql = queries[name].bind(params)
    return sparql, select(sparql)


def _participations(select: Select, queries: dict[str, NamedQuery], filters: Filters,
                    year: str | None) -> tuple[str, Rows]:
    params = {"family": FAMILIES[filters.family]} if filters.family else {}
    if year:
        params["edition"] = year
    return _run(select, queries, "network-participations", params)


def _sizes(select: Select, queries: dict[str, NamedQuery]) -> tuple[str, dict[str, tuple[str, int]]]:
    sparql, rows = _run(select, queries, "network-cluster-sizes", {})
    return sparql, {r["cluster"]: (r["clusterLabel"], int(r["members"] or 0)) for r in rows}


def collaboration_graph(rows: Rows, sizes: dict[str, tuple[str, int]]) -> nx.Graph:
    """Project cluster–item participations onto clusters (Newman's collaboration weights)."""
    items: dict[str, dict[str, str]] = {}
    clusters: dict[str, str] = {}
    memberships: set[tuple[str, str]] = set()
    for row in rows:
        clusters[row["cluster"]] = row["clusterLabel"] or row["cluster"]
        items[row["item"]] = {"iri": row["item"], "label": row["itemLabel"] or row["item"],
                              "family": row["familyLabel"] or row["family"]}
        memberships.add((row["cluster"], row["item"]))
    two_mode = nx.Graph()
    two_mode.add_nodes_from(sorted(clusters), bipartite=0)
    two_mode.add_nodes_from(sorted(items), bipartite=1)
    two_mode.add_edges_from(sorted(memberships))
    graph = bipartite.collaboration_weighted_projected_graph(two_mode, sorted(clusters))
    for a, b, data in graph.edges(data=True):
        shared = sorted(set(two_mode[a]) & set(two_mode[b]))
        data["shared"] = len(shared)
        data["items"] = sorted((items[i] for i in shared), key=lambda d: (d["label"], d["iri"]))
    for iri in graph.nodes:
        label, members = sizes.get(iri, (clusters[iri], 0))
        graph.nodes[iri].update(label=label or clusters[iri], kind="cluster", members=members)
        graph.nodes[iri].pop("bipartite", None)
    return graph


def _collaboration_view(select: Select, queries: dict[str, NamedQuery], filters: Filters) -> NetworkView:
    sparql, rows = _participations(select, queries, filters, filters.year)
    sizes_sparql, sizes = _sizes(select, queries)
    return NetworkView("collaboration", filters, collaboration_graph(rows, sizes), [sparql, sizes_sparql])


class _Links:
    """Nodes, and for each linked pair the roles and editions that link it; one edge per pair."""

    def __init__(self, sizes: dict[str, tuple[str, int]]) -> None:
        self.graph = nx.Graph()
        self.sizes = sizes
        self.roles: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.editions: dict[tuple[str, str], set[str]] = defaultdict(set)

    def cluster(self, iri: str, label: str) -> None:
        name, members = self.sizes.get(iri, (label, 0))
        self.graph.add_node(iri, label=name or label or iri, kind="cluster", members=members)

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


def participation_graph(rows: Rows, sizes: dict[str, tuple[str, int]]) -> nx.Graph:
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
    return NetworkView("participation", filters, participation_graph(rows, sizes), [sparql, sizes_sparql])


def alignment_graph(rows: Rows, sizes: dict[str, tuple[str, int]]) -> nx.Graph:
    """Clusters against ecosystems and PNRR components; how each link is stated on the edge."""
    links = _Links(sizes)
    for row in rows:
        links.cluster(row["cluster"], row["clusterLabel"])
        links.node(row["ecosystem"], row["ecosystemLabel"], row["kind"])
        links.link(row["cluster"], row["ecosystem"], row["how"], row["edition"])
    return links.build()


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
            graph.add_node(node, **{k: data[k] for k in ("label", "kind", "members")})
    for a, b in sorted({tuple(sorted(e)) for e in (*before.edges, *after.edges)}):
        in_before, in_after = before.has_edge(a, b), after.has_edge(a, b)
        data = dict(after[a][b] if in_after else before[a][b])
        data["status"] = "kept" if in_before and in_after else ("gained" if in_after else "lost")
        graph.add_edge(a, b, **data)
    return graph


def _compare_view(select: Select, queries: dict[str, NamedQuery], filters: Filters) -> NetworkView:
    sizes_sparql, sizes = _sizes(select, queries)
    old_sparql, old_rows = _participations(select, queries, filters, YEARS[0])
    new_sparql, new_rows = _participations(select, queries, filters, YEARS[1])
    graph = compare_graphs(collaboration_graph(old_rows, sizes), collaboration_graph(new_rows, sizes))
    return NetworkView("compare", Filters(filters.family, None, None), graph, [old_sparql, new_sparql, sizes_sparql])


def place(graph: nx.Graph) -> None:
    """Seeded spring layout written onto the nodes as x, y (deterministic for the same graph)."""
    if graph.number_of_nodes() == 0:
        return
    ordered = nx.Graph()
    ordered.add_nodes_from(sorted(graph.nodes))
    ordered.add_edges_from(sorted((min(a, b), max(a, b), {"weight": d.get("weight", 1.0)})
                                  for a, b, d in graph.edges(data=True)))
    positions = nx.spring_layout(ordered, seed=LAYOUT_SEED, weight="weight", scale=LAYOUT_SCALE)
    for node, (x, y) in positions.items():
        graph.nodes[node]["x"] = round(float(x), 2)
        graph.nodes[node]["y"] = round(float(y), 2)
