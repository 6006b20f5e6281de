"""What the resource page shows, gathered from the store: pure functions returning dataclasses.

The default graph is the union of all named graphs and Oxigraph returns a triple once per graph holding
it, so every query here is DISTINCT or keeps the graph on purpose (the graph of a triple is the source
document that states it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from clustergraph.iris import PREFIXES, compact
from clustergraph.remote.store import ReadStore
from clustergraph.web.services import Services

PREFIX_DECL = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
LABEL_PATH = "rdfs:label|skos:prefLabel|schema:name|dct:title"
LANG_RANK = {"en": 0, "": 1, "it": 2}
INCOMING_CAP = 50
CATEGORY_ORDER = ["mc-total", "mc-companies", "mc-research-organisations", "mc-other-entities"]
VALUES_CHUNK = 400


@dataclass(frozen=True)
class Term:
    """An RDF term ready to show: its text, a label, a safe href ('' = no link) and literal details."""

    value: str
    label: str
    href: str = ""
    kind: str = "iri"
    lang: str = ""
    datatype: str = ""


@dataclass(frozen=True)
class Source:
    """The document (or, for curated graphs, the graph) that states a fact."""

    label: str
    href: str
    graph: str


@dataclass(frozen=True)
class Place:
    """Where in a document a fact of an n-ary node is stated (its cg:SourceLocator)."""

    locator: Term
    document: Term | None
    page: str
    section: str


@dataclass
class Fact:
    """One triple seen from the resource: the property, the other end and who states it."""

    prop: Term
    other: Term
    sources: list[Source]
    place: Place | None = None


@dataclass
class PropertyGroup:
    """The facts of one property in one direction; ``hidden`` counts facts left off the page."""

    prop: Term
    facts: list[Fact]
    hidden: int = 0


@dataclass
class Entry:
    """One value of an observation table cell, with its source."""

    value: str
    observation: Term
    source: Term | None
    place: Place | None
    approximate: bool = False


@dataclass
class Table:
    """Observations as rows × columns; each cell holds every source's value."""

    title: str
    row_header: str
    columns: list[Term]
    rows: list[tuple[Term, list[list[Entry]]]]


@dataclass
class Participation:
    """One participation row: the other party, role, representing, source and place."""

    node: Term
    other: Term
    roles: list[Term]
    representing: list[Term]
    source: Source | None
    place: Place | None


@dataclass
class ResourceView:
    """Everything the resource page shows."""

    iri: str
    label: str
    labels: list[tuple[str, str]]
    types: list[Term]
    places: list[Place]
    outgoing: list[PropertyGroup]
    incoming: list[PropertyGroup]
    tables: list[Table] = field(default_factory=list)
    participations: list[tuple[str, list[Participation]]] = field(default_factory=list)
    graph_triples: int | None = None


def node(iri: str) -> str:
    """``iri`` as a SPARQL IRI reference (validated by Oxigraph, so nothing can be injected)."""
    return str(ox.NamedNode(iri))


def is_described(store: ReadStore, iri: str) -> bool:
    """Whether ``iri`` is the subject or object of some triple, or names a graph of the store."""
    try:
        ref = node(iri)
    except ValueError:
        return False
    if store.query(f"ASK {{ {{ {ref} ?p ?o }} UNION {{ ?s ?p {ref} }} }}"):
        return True
    return store.has_graph(iri)


def _describe_where(ref: str) -> str:
    return (f"{{ BIND({ref} AS ?s) ?s ?p ?o }} UNION {{ BIND({ref} AS ?o) ?s ?p ?o }} UNION "
            f"{{ {ref} ?x ?s FILTER(isBlank(?s)) ?s ?p ?o }}")


def describe_triples(store: ReadStore, iri: str) -> list[ox.Triple]:
    """Distinct triples with ``iri`` as subject or object, plus those of its blank-node objects."""
    rows = store.query(f"SELECT DISTINCT ?s ?p ?o WHERE {{ {_describe_where(node(iri))} }}")
    return [ox.Triple(r["s"], r["p"], r["o"]) for r in rows]


def describe_quads(store: ReadStore, iri: str) -> list[ox.Quad]:
    """The same triples as :func:`describe_triples`, each in every named graph that holds it."""
    ref = node(iri)
    where = _describe_where(ref).replace("?s ?p ?o }", "GRAPH ?g { ?s ?p ?o } }")
    rows = store.query(f"SELECT DISTINCT ?s ?p ?o ?g WHERE {{ {where} }}")
    return [ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows]


def pick_label(candidates: Iterable[ox.Literal]) -> str | None:
    """The English label, else one without a language, else Italian, else any."""
    ranked = sorted(candidates, key=lambda lit: (LANG_RANK.get(lit.language or "", 3), lit.value))
    return ranked[0].value if ranked else None


def labels_for(store: ReadStore, iris: Iterable[str]) -> dict[str, str]:
    """The preferred label of each IRI that has one."""
    found: dict[str, list[ox.Literal]] = defaultdict(list)
    unique = sorted({i for i in iris})
    for start in range(0, len(unique), VALUES_CHUNK):
        values = " ".join(node(i) for i in unique[start : start + VALUES_CHUNK])
        query = (f"{PREFIX_DECL}SELECT DISTINCT ?x ?l WHERE {{ VALUES ?x {{ {values} }} "
                 f"?x {LABEL_PATH} ?l FILTER(isLiteral(?l)) }}")
        for row in store.query(query):
            found[row["x"].value].append(row["l"])
    return {iri: label for iri, lits in found.items() if (label := pick_label(lits))}


def make_term(svc: Services, term: object, labels: dict[str, str]) -> Term:
    """A :class:`Term` for an Oxigraph term (literals keep language and datatype)."""
    if isinstance(term, ox.NamedNode):
        return Term(term.value, labels.get(term.value) or compact(term.value), svc.link(term))
    if isinstance(term, ox.Literal):
        datatype = "" if term.language else compact(term.datatype.value)
        datatype = "" if datatype == "xsd:string" else datatype
        return Term(term.value, term.value, "", "literal", term.language or "", datatype)
    return Term(str(term), "blank node", "", "bnode")


def iris_of(rows: Iterable[dict], *names: str) -> set[str]:
    """Every IRI bound to one of ``names`` in ``rows``."""
    return {r[n].value for r in rows for n in names if isinstance(r.get(n), ox.NamedNode)}


def sources_by_graph(svc: Services) -> dict[str, Source]:
    """Each named graph's source: its primary source document, else the graph itself (curated data)."""
    store = svc.store()
    docs = {r["g"].value: r["doc"].value for r in store.query(
        f"{PREFIX_DECL}SELECT DISTINCT ?g ?doc WHERE {{ ?g prov:hadPrimarySource ?doc }}")}
    graphs = store.named_graphs()
    labels = labels_for(store, [*docs.values(), *graphs])
    result = {}
    for graph in graphs:
        target = docs.get(graph, graph)
        result[graph] = Source(labels.get(target) or compact(target), svc.link(ox.NamedNode(target)), graph)
    return result


def places_for(svc: Services, subjects: Iterable[str]) -> dict[str, list[Place]]:
    """The source locators (document, page, section) of each n-ary node in ``subjects``."""
    store, result = svc.store(), defaultdict(list)
    unique = sorted(set(subjects))
    for start in range(0, len(unique), VALUES_CHUNK):
        values = " ".join(node(i) for i in unique[start : start + VALUES_CHUNK])
        rows = select_rows(store, f"""SELECT DISTINCT ?x ?loc ?doc ?page ?section WHERE {{ VALUES ?x {{ {values} }}
            ?x prov:wasDerivedFrom ?loc . ?loc a cg:SourceLocator .
            OPTIONAL {{ ?loc dct:isPartOf ?doc }} OPTIONAL {{ ?loc bibo:pageStart ?page }}
            OPTIONAL {{ ?loc bibo:section ?section }} }} ORDER BY ?x ?loc""")
        labels = labels_for(store, iris_of(rows, "doc"))
        for r in rows:
            doc = make_term(svc, r["doc"], labels) if r["doc"] is not None else None
            result[r["x"].value].append(Place(make_term(svc, r["loc"], {}), doc, _text(r["page"]),
                                              _text(r["section"])))
    return result


def card_names(store: ReadStore, ref: str) -> list[tuple[str, str]]:
    """A card's names of ``ref`` (a SPARQL IRI term) as (text, language): English first, then Italian, then
    untagged; other languages are left to the property table."""
    found = {(r["l"].value, r["l"].language or "") for r in select_rows(
        store, f"SELECT DISTINCT ?l WHERE {{ {ref} skos:prefLabel|skos:altLabel ?l }}")}
    rank = {"en": 0, "it": 1, "": 2}
    return sorted((n for n in found if n[1] in rank), key=lambda n: (rank[n[1]], n[0]))


def year_span(starts: Iterable[str], ends: Iterable[str]) -> str:
    """Years as a card shows them.

    >>> year_span(["2023"], ["2026"]), year_span(["2022"], []), year_span([], ["2024"]), year_span([], [])
    ('2023–2026', 'from 2022', 'until 2024', '')
    """
    first, last = sorted(starts), sorted(ends)
    return (f"{first[0]}–{last[-1]}" if first and last else f"from {first[0]}" if first
            else f"until {last[-1]}" if last else "")


def select_rows(store: ReadStore, sparql: str) -> list[dict]:
    """Rows of a SELECT (with the project prefixes) as {variable: term or None}."""
    solutions = store.query(PREFIX_DECL + sparql)
    names = [v.value for v in solutions.variables]
    return [{n: s[n] for n in names} for s in solutions]


def _text(term: object) -> str:
    return term.value if term is not None else ""


def property_groups(svc: Services, rows: list[dict], other: str, sources: dict[str, Source],
                    places: dict[str, list[Place]], labels: dict[str, str], cap: int | None) -> list[PropertyGroup]:
    """Group (p, other, g) rows by property, merging graphs into sources; keep ``cap`` facts per property."""
    facts: dict[tuple, dict] = {}
    for r in rows:
        key = (r["p"], r[other])
        entry = facts.setdefault(key, {"sources": []})
        source = sources.get(r["g"].value)
        if source is not None and source not in entry["sources"]:
            entry["sources"].append(source)
    groups: dict[str, PropertyGroup] = {}
    for (p, o), entry in facts.items():
        group = groups.setdefault(p.value, PropertyGroup(make_term(svc, p, labels), []))
        place = (places.get(o.value) or [None])[0] if isinstance(o, ox.NamedNode) else None
        group.facts.append(Fact(group.prop, make_term(svc, o, labels), entry["sources"], place))
    for group in groups.values():
        group.facts.sort(key=lambda f: (f.other.label.lower(), f.other.value))
        if cap is not None and len(group.facts) > cap:
            group.hidden, group.facts = len(group.facts) - cap, group.facts[:cap]
    return sorted(groups.values(), key=lambda g: (g.prop.value != PREFIXES["rdf"] + "type", g.prop.label.lower()))


def build_view(svc: Services, iri: str) -> ResourceView:
    """Gather the resource page of ``iri`` (which :func:`is_described` accepted)."""
    store, ref = svc.store(), node(iri)
    out_rows = select_rows(store, f"SELECT DISTINCT ?p ?o ?g WHERE {{ GRAPH ?g {{ {ref} ?p ?o }} }}")
    in_rows = select_rows(store, f"SELECT DISTINCT ?s ?p ?g WHERE {{ GRAPH ?g {{ ?s ?p {ref} }} }}")
    labels = labels_for(store, {iri} | iris_of(out_rows, "p", "o") | iris_of(in_rows, "p", "s"))
    sources = sources_by_graph(svc)
    places = places_for(svc, {iri} | iris_of(in_rows, "s"))
    type_iri = PREFIXES["rdf"] + "type"
    types = sorted({r["o"].value for r in out_rows if r["p"].value == type_iri and isinstance(r["o"], ox.NamedNode)})
    own_labels = [(r["o"].value, r["o"].language or "") for r in out_rows
                  if r["p"].value in _label_iris() and isinstance(r["o"], ox.Literal)]
    view = ResourceView(
        iri, labels.get(iri) or compact(iri), sorted(set(own_labels)),
        [make_term(svc, ox.NamedNode(t), labels) for t in types], places.get(iri, []),
        property_groups(svc, out_rows, "o", sources, {}, labels, None),
        property_groups(svc, in_rows, "s", sources, places, labels, INCOMING_CAP),
    )
    view.tables = [t for t in (member_count_table(svc, iri), indicator_table(svc, iri)) if t is not None]
    view.participations = participation_sections(svc, iri, sources)
    if store.has_graph(iri):
        view.graph_triples = len(list(store.graph_triples(iri)))
    return view


def _label_iris() -> set[str]:
    return {PREFIXES[p] + n for p, n in (("rdfs", "label"), ("skos", "prefLabel"), ("schema", "name"),
                                         ("dct", "title"))}


def _entries(svc: Services, rows: list[dict]) -> tuple[dict[str, str], dict[str, list[Place]]]:
    """Labels of the IRIs and places of the observations in ``rows``."""
    labels = labels_for(svc.store(), iris_of(rows, "row", "col", "doc", "unit"))
    return labels, places_for(svc, iris_of(rows, "obs"))


def _table(svc: Services, rows: list[dict], title: str, row_header: str,
           column_key, row_key) -> Table | None:
    """Lay out observation rows (variables obs, row, col, value, doc, approx, unit) as a table."""
    if not rows:
        return None
    labels, places = _entries(svc, rows)
    cells: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    columns: dict[str, Term] = {}
    row_terms: dict[str, Term] = {}
    for r in rows:
        col, row = make_term(svc, r["col"], labels), make_term(svc, r["row"], labels)
        columns[col.value], row_terms[row.value] = col, row
        unit = f" {labels.get(r['unit'].value) or compact(r['unit'].value)}" if r.get("unit") is not None else ""
        entry = Entry(r["value"].value + unit, make_term(svc, r["obs"], labels),
                      make_term(svc, r["doc"], labels) if r["doc"] is not None else None,
                      (places.get(r["obs"].value) or [None])[0], _text(r["approx"]) == "true")
        if entry not in cells[(row.value, col.value)]:
            cells[(row.value, col.value)].append(entry)
    ordered_cols = sorted(columns.values(), key=column_key)
    ordered_rows = sorted(row_terms.values(), key=row_key)
    body = [(row, [cells.get((row.value, c.value), []) for c in ordered_cols]) for row in ordered_rows]
    return Table(title, row_header, ordered_cols, body)


def _category_key(term: Term) -> tuple[int, str]:
    local = term.value.rsplit("#", 1)[-1]
    return (CATEGORY_ORDER.index(local) if local in CATEGORY_ORDER else len(CATEGORY_ORDER), term.label)


def member_count_table(svc: Services, iri: str) -> Table | None:
    """Member counts of organisation ``iri``: rows are years (newest first), columns member categories."""
    rows = select_rows(svc.store(), f"""SELECT DISTINCT ?obs ?row ?col ?value ?doc ?approx WHERE {{
        ?obs a cg:MemberCountObservation ; cg:organisation {node(iri)} ; sdmx-dimension:refPeriod ?row ;
             cg:memberCategory ?col ; cg:memberCount ?value .
        OPTIONAL {{ ?obs cg:statedIn ?doc }} OPTIONAL {{ ?obs cg:approximate ?approx }} }}""")
    return _table(svc, rows, "Member counts", "Year", _category_key, lambda t: _neg_year(t.value))


def _neg_year(value: str) -> tuple[int, str]:
    return (-int(value[:4]) if value[:4].isdigit() else 0, value)


def indicator_table(svc: Services, iri: str) -> Table | None:
    """Indicator observations about area ``iri`` (rows: indicators) or of indicator ``iri`` (rows: areas);
    columns are years."""
    ref = node(iri)
    for dim, other, header in (("cg:refArea", "cg:indicator", "Indicator"), ("cg:indicator", "cg:refArea", "Area")):
        rows = select_rows(svc.store(), f"""SELECT DISTINCT ?obs ?row ?col ?value ?unit ?doc ?approx WHERE {{
            ?obs a cg:IndicatorObservation ; {dim} {ref} ; {other} ?row ; sdmx-dimension:refPeriod ?col ;
                 cg:value ?value .
            OPTIONAL {{ ?obs cg:unit ?unit }} OPTIONAL {{ ?obs cg:statedIn ?doc }}
            OPTIONAL {{ ?obs cg:approximate ?approx }} }}""")
        if rows:
            return _table(svc, rows, "Indicator observations", header, lambda t: _neg_year(t.value),
                          lambda t: (t.label.lower(), t.value))
    return None


def participation_sections(svc: Services, iri: str,
                           sources: dict[str, Source]) -> list[tuple[str, list[Participation]]]:
    """Participations of ``iri`` as participant (in initiatives) and as initiative (its participants)."""
    sections = []
    for mine, other, title in (("cg:participant", "cg:initiative", "Takes part in"),
                               ("cg:initiative", "cg:participant", "Participants")):
        rows = select_rows(svc.store(), f"""SELECT DISTINCT ?part ?other ?role ?rep ?g WHERE {{
            GRAPH ?g {{ ?part a cg:Participation ; {mine} {node(iri)} ; {other} ?other .
            OPTIONAL {{ ?part cg:role ?role }} OPTIONAL {{ ?part cg:representing ?rep }} }} }}""")
        if rows:
            sections.append((title, _participations(svc, rows, sources)))
    return sections


def _participations(svc: Services, rows: list[dict], sources: dict[str, Source]) -> list[Participation]:
    labels = labels_for(svc.store(), iris_of(rows, "other", "role", "rep"))
    places = places_for(svc, iris_of(rows, "part"))
    found: dict[str, Participation] = {}
    for r in rows:
        item = found.setdefault(r["part"].value, Participation(
            make_term(svc, r["part"], labels), make_term(svc, r["other"], labels), [], [],
            sources.get(r["g"].value), (places.get(r["part"].value) or [None])[0]))
        for name, target in (("role", item.roles), ("rep", item.representing)):
            if r[name] is not None and (term := make_term(svc, r[name], labels)) not in target:
                target.append(term)
    return sorted(found.values(), key=lambda p: (p.other.label.lower(), p.node.value))
