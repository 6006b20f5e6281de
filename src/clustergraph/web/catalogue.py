"""What the home and browse pages show: counts by class, the source documents, the report editions and
tables of resources by kind. Pure data gathering over a ``select`` function (SPARQL text → rows of
pyoxigraph terms); no HTTP here.

The default graph is the union of the named graphs and a triple stated by two documents comes back once
per graph, so every query counts or selects DISTINCT. Instances carry only their most specific class, so
a kind is matched through ``rdfs:subClassOf*`` in the ontology graph. User text (the ``q`` search) never
reaches SPARQL: it filters rows in Python.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from clustergraph.iris import ONTOLOGY, ONTOLOGY_GRAPH, PREFIXES, compact

Select = Callable[[str], list[dict[str, Any]]]

CG = ONTOLOGY
SKOS = PREFIXES["skos"]
RDFS = PREFIXES["rdfs"]
DCT = PREFIXES["dct"]
FOAF = PREFIXES["foaf"]
SCHEMA = PREFIXES["schema"]
SDMX = PREFIXES["sdmx-dimension"]
LABEL_PROPERTIES = (SKOS + "prefLabel", RDFS + "label", SCHEMA + "name", DCT + "title")
SEARCH_PROPERTIES = (*LABEL_PROPERTIES, SKOS + "altLabel", CG + "acronym", SKOS + "notation")
LANGUAGE_ORDER = ("en", "", "it")
MAX_SEARCH = 200


@dataclass(frozen=True)
class Column:
    """An extra column of a browse table: one property of the resource."""

    title: str
    property: str


@dataclass(frozen=True)
class Kind:
    """A browsable kind of resource: one or more ontology classes and all their subclasses."""

    slug: str
    title: str
    description: str
    classes: tuple[str, ...]
    columns: tuple[Column, ...] = ()
    show_types: bool = True  # a Type column (off where one class and a column of kinds say more)


ACRONYM = Column("Acronym", CG + "acronym")
WEBSITE = Column("Website", FOAF + "homepage")
FAMILY = Column("Family", CG + "family")
STATUS = Column("Status", CG + "status")
PROGRAMME = Column("Programme", CG + "fundedUnder")

KINDS: tuple[Kind, ...] = (
    Kind("clusters", "Cluster organisations", "Cluster organisations: the Lombardy technology clusters and the "
         "other clusters the sources name.", (CG + "ClusterOrganisation",),
         (ACRONYM, Column("Kind", CG + "clusterType"), Column("S3 ecosystem", CG + "referenceEcosystem")),
         show_types=False),
    Kind("organisations", "Organisations", "Every organisation: clusters, public bodies, associations, research "
         "organisations, companies, innovation hubs, networks of regions and strategic communities.",
         (CG + "Organisation",), (ACRONYM, Column("Unit of", PREFIXES["org"] + "unitOf"), WEBSITE)),
    Kind("initiatives", "Initiatives", "Projects, networks, pilots, support initiatives, cluster partnerships and "
         "S3 partnerships.", (CG + "Initiative",), (ACRONYM, FAMILY, PROGRAMME, STATUS)),
    Kind("projects", "Projects", "Funded projects the clusters take part in.", (CG + "Project",),
         (ACRONYM, PROGRAMME, Column("Start", CG + "startYear"), Column("End", CG + "endYear"), STATUS)),
    Kind("programmes", "Funding programmes", "EU, national and regional funding programmes.",
         (CG + "FundingProgramme",), (FAMILY, Column("Part of", SKOS + "broader"))),
    Kind("ecosystems", "Ecosystems", "S3 innovation ecosystems, EU industrial ecosystems and PNRR missions and "
         "components.", (CG + "InnovationEcosystem", CG + "IndustrialEcosystem", CG + "PnrrItem"),
         (Column("Notation", SKOS + "notation"), Column("Broader", SKOS + "broader"))),
    Kind("policy-instruments", "Policy instruments", "Strategies, plans, roadmaps, legal acts, calls and policy "
         "measures that frame cluster policy.", (CG + "PolicyInstrument",),
         (Column("Adopted by", CG + "adoptedBy"), Column("Year", CG + "year"), Column("Issued", DCT + "issued"),
          Column("Identifier", DCT + "identifier"))),
)
KINDS_BY_SLUG = {kind.slug: kind for kind in KINDS}


@dataclass(frozen=True)
class Value:
    """A cell value: display text, and the IRI it stands for when it is a resource."""

    text: str
    iri: str | None = None
    language: str = ""


@dataclass
class Entry:
    """One row of a browse table."""

    iri: str
    label: str
    types: list[Value] = field(default_factory=list)
    cells: list[list[Value]] = field(default_factory=list)


def fold(text: str) -> str:
    """``text`` for matching: accents dropped, case folded (``"Mobilità"`` and ``"MOBILITA"`` both give
    ``"mobilita"``).

    >>> fold("Mobilità") == fold("MOBILITA")
    True
    """
    if text.isascii():  # most names: nothing to drop, and casefold is lower (ten times faster at ECCP scale)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class Hit:
    """One search result: the resource, its label and the name that matched."""

    iri: str
    label: str
    matched: str


SEARCH_LIMIT = 200
# Nodes that exist to hold one statement (where it is said, who takes part, a count...): found through the
# things they describe, not by name, so the site search leaves them out.
STATEMENT_CLASSES = tuple(f"{ONTOLOGY}{c}" for c in (
    "SourceLocator", "Participation", "MemberCountObservation", "IndicatorObservation", "StrategicAlignment",
    "SourceGap")) + ("http://www.w3.org/ns/org#Site", "http://www.w3.org/ns/locn#Address",
                     "http://schema.org/MonetaryAmount")


def statement_nodes(select: Select) -> frozenset[str]:
    """Every instance of :data:`STATEMENT_CLASSES`."""
    rows = select(f"SELECT DISTINCT ?s WHERE {{ VALUES ?c {{ {iri_list(STATEMENT_CLASSES)} }} ?s a ?c }}")
    return frozenset(row["s"].value for row in rows)


SearchIndex = list[tuple[str, str, list[tuple[str, str]]]]  # (IRI, label, [(folded name, name)])


def search_index(labels: Labels, skip: frozenset[str] = frozenset()) -> SearchIndex:
    """Every searchable resource with its names folded once (per build), so a search folds only its query."""
    return [(iri, labels.label(iri), [(fold(name), name) for name in names])
            for iri, names in sorted(labels.names.items()) if iri not in skip]


def search(index: SearchIndex, query: str) -> list[Hit]:
    """Resources any of whose names (labels, alternative labels, acronyms) contain ``query``, accents and case
    aside: exact names first, then names that start with it, then the rest, each by label; at most
    :data:`SEARCH_LIMIT`."""
    needle = fold(query.strip()[:MAX_SEARCH])
    if not needle:
        return []
    ranked = []
    for iri, label, names in index:
        best = None
        for folded, name in names:
            if needle in folded:
                rank = 0 if folded == needle else 1 if folded.startswith(needle) else 2
                if best is None or rank < best[0]:
                    best = (rank, name)
        if best is not None:
            ranked.append((best[0], label.casefold(), iri, Hit(iri, label, best[1])))
    ranked.sort(key=lambda r: r[:3])
    return [r[3] for r in ranked[:SEARCH_LIMIT]]


@dataclass(frozen=True)
class Count:
    """A line of the home page's counts."""

    title: str
    count: int
    href: str | None = None
    indent: bool = False


@dataclass(frozen=True)
class SourceRow:
    """A source document and the named graph holding what it states."""

    document: str
    label: str
    identifier: str
    edition: str
    issued: str
    graph: str
    graph_label: str
    triples: int


@dataclass(frozen=True)
class Edition:
    """A report edition (reference year) and what the graph holds for it."""

    year: str
    documents: list[Value]
    member_counts: int
    clusters_counted: int
    participations: int


def iri_list(iris: Iterable[str]) -> str:
    """IRIs as a SPARQL VALUES body; each is checked by pyoxigraph and serialised, never pasted."""
    return " ".join(str(ox.NamedNode(iri)) for iri in iris)


def text(term: Any) -> str:
    """The lexical form of a term ('' for None)."""
    return "" if term is None else term.value


def instances_pattern(classes: Iterable[str]) -> str:
    """A group pattern binding ?s to instances of ``classes`` (or their subclasses) and ?type to its class."""
    return (f"VALUES ?root {{ {iri_list(classes)} }} "
            f"GRAPH <{ONTOLOGY_GRAPH}> {{ ?type <{RDFS}subClassOf>* ?root }} "
            f"GRAPH ?g {{ ?s a ?type }} FILTER (isIRI(?s) && ?g != <{ONTOLOGY_GRAPH}>)")


@dataclass
class Labels:
    """Display labels and searchable names of every IRI that has one."""

    best: dict[str, str]
    names: dict[str, tuple[str, ...]]

    def label(self, iri: str) -> str:
        """The best label of ``iri``, or its compact form."""
        return self.best.get(iri) or compact(iri)

    def value(self, term: Any) -> Value:
        """A cell value for a term: IRIs get their label and keep the IRI, literals their text."""
        if isinstance(term, ox.NamedNode):
            return Value(self.label(term.value), term.value)
        if isinstance(term, ox.Literal):
            return Value(term.value, None, term.language or "")
        return Value(text(term))


def label_rank(prop: str, language: str) -> tuple[int, int]:
    """Sort key of a label: preferred property first, then English, untagged, Italian, other."""
    prop_rank = LABEL_PROPERTIES.index(prop) if prop in LABEL_PROPERTIES else len(LABEL_PROPERTIES)
    lang_rank = LANGUAGE_ORDER.index(language) if language in LANGUAGE_ORDER else len(LANGUAGE_ORDER)
    return prop_rank, lang_rank


def load_labels(select: Select) -> Labels:
    """Every label, alternative label and acronym of the graph (a few thousand rows at most)."""
    rows = select(f"SELECT DISTINCT ?s ?p ?l WHERE {{ VALUES ?p {{ {iri_list(SEARCH_PROPERTIES)} }} "
                  "?s ?p ?l FILTER (isIRI(?s) && isLiteral(?l)) }")
    ranked: dict[str, tuple[tuple[int, int, str], str]] = {}
    names: dict[str, list[str]] = {}
    for row in rows:
        # One string object per IRI and per name, shared by both tables (at ECCP scale they hold 131k IRIs)
        iri, prop, literal = sys.intern(row["s"].value), row["p"].value, row["l"]
        known = names.setdefault(iri, [])
        value = literal.value
        if value in known:
            value = known[known.index(value)]
        else:
            known.append(value)
        if prop in LABEL_PROPERTIES:
            key = (*label_rank(prop, literal.language or ""), value)
            if iri not in ranked or key < ranked[iri][0]:
                ranked[iri] = (key, value)
    return Labels({iri: value for iri, (_, value) in ranked.items()},
                  {iri: tuple(known) for iri, known in names.items()})


def count_instances(select: Select, classes: Iterable[str]) -> dict[str, int]:
    """Distinct instances of each class in ``classes``, subclasses included, outside the ontology graph."""
    rows = select(f"SELECT ?root (COUNT(DISTINCT ?s) AS ?n) WHERE {{ VALUES ?root {{ {iri_list(classes)} }} "
                  f"GRAPH <{ONTOLOGY_GRAPH}> {{ ?type <{RDFS}subClassOf>* ?root }} "
                  f"GRAPH ?g {{ ?s a ?type }} FILTER (?g != <{ONTOLOGY_GRAPH}>) }} GROUP BY ?root")
    counts = {row["root"].value: int(row["n"].value) for row in rows}
    return {iri: counts.get(iri, 0) for iri in classes}


def kind_counts(select: Select) -> dict[str, int]:
    """Number of resources of each browsable kind, by slug."""
    counts = {}
    for kind in KINDS:
        rows = select(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {instances_pattern(kind.classes)} }}")
        counts[kind.slug] = int(rows[0]["n"].value) if rows else 0
    return counts


INITIATIVE_KINDS = (("Projects", "Project"), ("Networks", "Network"), ("Pilots", "Pilot"),
                    ("Support initiatives", "SupportInitiative"), ("Cluster partnerships", "ClusterPartnership"),
                    ("S3 partnerships", "S3Partnership"))
ECOSYSTEM_KINDS = (("S3 innovation ecosystems", "InnovationEcosystem"),
                   ("EU industrial ecosystems", "IndustrialEcosystem"), ("PNRR missions and components", "PnrrItem"))
OTHER_COUNTS = (("Participations (organisation × initiative × source)", "Participation"),
                ("Member-count observations", "MemberCountObservation"),
                ("Regional indicator observations", "IndicatorObservation"),
                ("Success stories", "SuccessStory"), ("Strategic alignments (S3 ↔ PNRR)", "StrategicAlignment"),
                ("Source documents", "SourceDocument"))


def home_counts(select: Select) -> list[Count]:
    """The home page's table of counts, with the browse page of each kind where there is one."""
    local = [name for group in (INITIATIVE_KINDS, ECOSYSTEM_KINDS, OTHER_COUNTS) for _, name in group]
    by_class = count_instances(select, [CG + name for name in local])
    by_kind = kind_counts(select)
    lines = [Count("Cluster organisations", by_kind["clusters"], "/browse/clusters"),
             Count("Organisations (all kinds, clusters included)", by_kind["organisations"], "/browse/organisations"),
             Count("Initiatives (all kinds)", by_kind["initiatives"], "/browse/initiatives")]
    for title, name in INITIATIVE_KINDS:
        href = "/browse/projects" if name == "Project" else None
        lines.append(Count(title, by_class[CG + name], href, indent=True))
    lines.append(Count("Funding programmes", by_kind["programmes"], "/browse/programmes"))
    lines.append(Count("Ecosystems", by_kind["ecosystems"], "/browse/ecosystems"))
    lines += [Count(title, by_class[CG + name], None, indent=True) for title, name in ECOSYSTEM_KINDS]
    lines.append(Count("Policy instruments", by_kind["policy-instruments"], "/browse/policy-instruments"))
    lines += [Count(title, by_class[CG + name]) for title, name in OTHER_COUNTS]
    return lines


def source_documents(select: Select, labels: Labels) -> list[SourceRow]:
    """The source documents, each with its edition, its named graph and the triples in that graph."""
    rows = select(f"""SELECT ?doc ?id ?edition ?issued ?graph ?triples WHERE {{
  {{ SELECT DISTINCT ?doc ?graph WHERE {{ ?doc a <{CG}SourceDocument> . OPTIONAL {{ ?doc <{CG}namedGraph> ?graph }} }} }}
  OPTIONAL {{ SELECT ?doc (SAMPLE(?i) AS ?id) (MIN(?e) AS ?edition) (MIN(STR(?d)) AS ?issued) WHERE {{
    ?doc a <{CG}SourceDocument> . OPTIONAL {{ ?doc <{DCT}identifier> ?i }}
    OPTIONAL {{ ?doc <{CG}edition> ?e }} OPTIONAL {{ ?doc <{DCT}issued> ?d }} }} GROUP BY ?doc }}
  OPTIONAL {{ SELECT ?graph (COUNT(*) AS ?triples) WHERE {{ GRAPH ?graph {{ ?s ?p ?o }} }} GROUP BY ?graph }}
}} ORDER BY ?edition ?doc""")
    return [SourceRow(document=row["doc"].value, label=labels.label(row["doc"].value), identifier=text(row["id"]),
                      edition=text(row["edition"]), issued=text(row["issued"]), graph=text(row["graph"]),
                      graph_label=labels.label(text(row["graph"])) if row["graph"] else "",
                      triples=int(text(row["triples"]) or 0)) for row in rows]


def other_graphs(select: Select, labels: Labels, sources: list[SourceRow]) -> list[SourceRow]:
    """The named graphs that hold no source document's statements (reference data, the ontology)."""
    taken = {row.graph for row in sources}
    rows = select("SELECT ?graph (COUNT(*) AS ?triples) WHERE { GRAPH ?graph { ?s ?p ?o } } "
                  "GROUP BY ?graph ORDER BY ?graph")
    return [SourceRow("", "", "", "", "", row["graph"].value, graph_label(labels, row["graph"].value),
                      int(row["triples"].value)) for row in rows if row["graph"].value not in taken]


def graph_label(labels: Labels, graph: str) -> str:
    """A graph's label; the ontology graph has none in the data, so it gets a fixed one."""
    if graph == ONTOLOGY_GRAPH and graph not in labels.best:
        return "The ontology: classes, properties and controlled vocabularies"
    return labels.label(graph)


def totals(select: Select) -> dict[str, int]:
    """Quads, distinct triples and named graphs of the store."""
    quads = select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    distinct = select("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }")
    graphs = select("SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    return {"quads": int(quads[0]["n"].value), "triples": int(distinct[0]["n"].value),
            "graphs": int(graphs[0]["n"].value)}


def editions(select: Select, sources: list[SourceRow]) -> list[Edition]:
    """Each report edition: its documents, member-count observations and the participations its graphs state."""
    years = sorted({row.edition for row in sources if row.edition})
    observed = select(f"""SELECT ?year (COUNT(DISTINCT ?obs) AS ?n) (COUNT(DISTINCT ?org) AS ?orgs) WHERE {{
  ?obs a <{CG}MemberCountObservation> ; <{SDMX}refPeriod> ?y . OPTIONAL {{ ?obs <{CG}organisation> ?org }}
  BIND (STR(?y) AS ?year) }} GROUP BY ?year""")
    parts = select(f"""SELECT ?year (COUNT(DISTINCT ?part) AS ?n) WHERE {{
  ?doc a <{CG}SourceDocument> ; <{CG}edition> ?e ; <{CG}namedGraph> ?g . GRAPH ?g {{ ?part a <{CG}Participation> }}
  BIND (STR(?e) AS ?year) }} GROUP BY ?year""")
    obs = {row["year"].value: (int(row["n"].value), int(row["orgs"].value)) for row in observed}
    part = {row["year"].value: int(row["n"].value) for row in parts}
    return [Edition(year, [Value(row.label, row.document) for row in sources if row.edition == year],
                    obs.get(year, (0, 0))[0], obs.get(year, (0, 0))[1], part.get(year, 0)) for year in years]


def page_entries(select: Select, kind: Kind, labels: Labels, rows: Iterable[tuple[str, list[str]]]) -> list[Entry]:
    """Table rows for the resources of one page, given as (IRI, classes), in that order, with the kind's columns
    read for those resources only (one query per column, bounded by the page)."""
    entries = {iri: Entry(iri, labels.label(iri), sorted((labels.value(ox.NamedNode(t)) for t in types),
                                                        key=lambda value: value.text),
                          cells=[[] for _ in kind.columns]) for iri, types in rows}
    for index, column in enumerate(kind.columns):
        fill_column(select, column, index, labels, entries)
    return list(entries.values())


def fill_column(select: Select, column: Column, index: int, labels: Labels, entries: dict[str, Entry]) -> None:
    """Add the values of ``column`` to the cells of ``entries``."""
    if not entries:
        return
    rows = select(f"SELECT DISTINCT ?s ?o WHERE {{ VALUES ?s {{ {iri_list(entries)} }} "
                  f"?s {ox.NamedNode(column.property)} ?o }} ORDER BY ?o")
    for row in rows:
        entry = entries.get(row["s"].value)
        value = labels.value(row["o"])
        if entry is not None and value not in entry.cells[index]:
            entry.cells[index].append(value)
