"""Readable labels for the n-ary nodes, generated at build time from their own facts.

Participations, member counts, indicator observations, source locators, sites, addresses, monetary amounts and
strategic alignments are nodes no curator names, yet pages and query results show them. Each gets an English
``rdfs:label`` composed from what it links to ("AFIL in BATMASS: participant (2024 report)", "EU contribution to
BATMASS: €9,765,017"), written into :data:`DERIVED_LABELS_GRAPH` before validation, so the label shape sees them
and the label always says what the facts say. A node that already has a label in the data keeps it.

The build reads the names once for both jobs: :func:`labels_and_search_keys` gives the labels and the search
keys of every name (:mod:`clustergraph.kg.search_keys`), the derived labels' included, without scanning the
store's names a second time after the labels are added.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal, InvalidOperation
from itertools import chain

import pyoxigraph as ox

from clustergraph.iris import GRAPH, PREFIXES
from clustergraph.kg.search_keys import NAMING_PROPERTIES, Term, keys_for, scan

DERIVED_LABELS_GRAPH = GRAPH + "derived-labels"
RDFS_LABEL = ox.NamedNode(PREFIXES["rdfs"] + "label")

_PREFIXES = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())

# Name of anything: its acronym, else its English (or untagged, else any) label, else its notation. Plain
# scans ranked in Python: one grouped UNION took 8 s at ECCP scale (180,000 named resources); these take 2.
# The labels are the rows of skos:prefLabel|rdfs:label|dct:title: one scan per property, in that order, meets
# each node's labels in the order the path did (Oxigraph evaluates the alternative one scan after the other),
# and the scans of prefLabel and rdfs:label are the search keys' too.
_ACRONYMS = "SELECT ?x ?v WHERE { ?x cg:acronym ?v }"
_LABEL_PROPERTIES = (PREFIXES["skos"] + "prefLabel", PREFIXES["rdfs"] + "label", PREFIXES["dct"] + "title")
_NOTATIONS = "SELECT ?x ?v WHERE { ?x skos:notation ?v }"
# Short name of a source document: dct:alternative ("2024 report"), else its title.
_DOCUMENTS = """
SELECT ?d (SAMPLE(?short) AS ?s) (SAMPLE(?title) AS ?t) WHERE {
  ?d a cg:SourceDocument . OPTIONAL { ?d dct:alternative ?short } OPTIONAL { ?d dct:title ?title }
} GROUP BY ?d
"""

# One plain SELECT per kind, no GROUP BY (grouping 27,000 participations cost 2 s at ECCP scale): the rows of
# one node are merged in Python (:class:`_Facts`).
_KINDS: dict[str, str] = {
    "participation": """
SELECT ?node ?who ?what ?role ?doc WHERE {
  ?node a cg:Participation .
  OPTIONAL { ?node cg:participant ?who } OPTIONAL { ?node cg:initiative ?what } OPTIONAL { ?node cg:role ?role }
  OPTIONAL { ?node prov:wasDerivedFrom/dct:isPartOf ?doc }
}""",
    "member_count": """
SELECT ?node ?who ?year ?category ?doc WHERE {
  ?node a cg:MemberCountObservation .
  OPTIONAL { ?node cg:organisation ?who } OPTIONAL { ?node sdmx-dimension:refPeriod ?year }
  OPTIONAL { ?node cg:memberCategory ?category } OPTIONAL { ?node cg:statedIn ?doc }
}""",
    "indicator": """
SELECT ?node ?indicator ?area ?year ?period ?doc WHERE {
  ?node a cg:IndicatorObservation .
  OPTIONAL { ?node cg:indicator ?indicator } OPTIONAL { ?node cg:refArea ?area }
  OPTIONAL { ?node sdmx-dimension:refPeriod ?year } OPTIONAL { ?node cg:periodAsStated ?period }
  OPTIONAL { ?node cg:statedIn ?doc }
}""",
    "locator": """
SELECT ?node ?doc ?start ?end ?section ?locator WHERE {
  ?node a cg:SourceLocator .
  OPTIONAL { ?node dct:isPartOf ?doc } OPTIONAL { ?node bibo:pageStart ?start } OPTIONAL { ?node bibo:pageEnd ?end }
  OPTIONAL { ?node bibo:section ?section } OPTIONAL { ?node bibo:locator ?locator }
}""",
    "site": """
SELECT ?node ?who ?role ?town ?nuts WHERE {
  ?node a org:Site .
  OPTIONAL { ?who org:hasSite ?node } OPTIONAL { ?node cg:siteRole ?role }
  OPTIONAL { ?node org:siteAddress/locn:postName ?town } OPTIONAL { ?node cg:nuts3 ?nuts }
}""",
    "address": """
SELECT ?node ?full ?street ?number ?code ?town WHERE {
  ?node a locn:Address .
  OPTIONAL { ?node locn:fullAddress ?full } OPTIONAL { ?node locn:thoroughfare ?street }
  OPTIONAL { ?node locn:locatorDesignator ?number } OPTIONAL { ?node locn:postCode ?code }
  OPTIONAL { ?node locn:postName ?town }
}""",
    "amount": """
SELECT ?node ?value ?currency ?property ?owner WHERE {
  ?node a schema:MonetaryAmount .
  OPTIONAL { ?node schema:value ?value } OPTIONAL { ?node cg:currency ?currency }
  OPTIONAL { ?owner ?property ?node }
}""",
    "alignment": """
SELECT ?node ?who ?ecosystem ?item ?doc WHERE {
  ?node a cg:StrategicAlignment .
  OPTIONAL { ?node cg:subject ?who } OPTIONAL { ?node cg:s3Ecosystem ?ecosystem } OPTIONAL { ?node cg:pnrrItem ?item }
  OPTIONAL { ?node prov:wasDerivedFrom/dct:isPartOf ?doc }
}""",
}

_CURRENCY_SIGNS = {"EUR": "€", "USD": "US$", "GBP": "£"}
_AMOUNT_LINKS = {PREFIXES["cg"] + "euContribution": "to"}  # "EU contribution to BATMASS"; others read "of"


class _Names:
    """What to call a resource in a label, read once from the store; ``scans`` holds the rows of each label
    property (:func:`~clustergraph.kg.search_keys.scan`)."""

    def __init__(self, store: ox.Store, scans: dict[str, list[tuple[Term, Term]]]) -> None:
        acronyms = _values(store, _ACRONYMS)
        english: dict[str, str] = {}
        other: dict[str, str] = {}
        for node, label in chain.from_iterable(scans[iri] for iri in _LABEL_PROPERTIES):
            if isinstance(node, ox.NamedNode) and isinstance(label, ox.Literal):
                (english if label.language in (None, "en") else other).setdefault(node.value, label.value)
        self.codes = _values(store, _NOTATIONS)
        self.names = {**self.codes, **other, **english, **acronyms}
        self.labelled = english.keys() | other.keys()  # nodes the data names keep their own label
        self.documents: dict[str, str] = {}
        for row in _select(store, _DOCUMENTS):
            short = row["s"] or row["t"]
            if short is not None:
                self.documents[row["d"].value] = short.value

    def __call__(self, term: ox.NamedNode | ox.Literal | None) -> str:
        if term is None:
            return "?"
        if isinstance(term, ox.Literal):
            return term.value
        return self.names.get(term.value) or _local_name(term.value)

    def code(self, term: ox.NamedNode | ox.Literal) -> str:
        """The notation of ``term`` ("M2C1"), else its name."""
        return self.codes.get(term.value) or self(term)

    def document(self, term: ox.NamedNode | ox.Literal | None) -> str:
        return "" if term is None else self.documents.get(term.value) or self(term)


class _Facts:
    """The merged rows of one node: ``facts["who"]`` is the first value met (or None), ``facts.all("item")``
    every distinct value."""

    def __init__(self) -> None:
        self.values: dict[str, list[ox.NamedNode | ox.Literal]] = {}

    def add(self, row: ox.QuerySolution, variables: list[str]) -> None:
        for name in variables:
            value = row[name]
            if value is not None:
                seen = self.values.setdefault(name, [])
                if value not in seen:
                    seen.append(value)

    def __getitem__(self, name: str) -> ox.NamedNode | ox.Literal | None:
        found = self.values.get(name)
        return found[0] if found else None

    def all(self, name: str) -> list[ox.NamedNode | ox.Literal]:
        return self.values.get(name, [])


def derive_labels(store: ox.Store) -> list[ox.Quad]:
    """One ``rdfs:label`` quad per unlabelled n-ary node of ``store``, in :data:`DERIVED_LABELS_GRAPH`."""
    return _derive(_read_facts(store), _Names(store, {iri: scan(store, iri) for iri in _LABEL_PROPERTIES}))


def labels_and_search_keys(store: ox.Store, *, labelled: Callable[[list[ox.Quad]], None] | None = None,
                           ) -> tuple[list[ox.Quad], list[ox.Quad]]:
    """The derived labels of ``store`` (:func:`derive_labels`) and the search keys of every name once they are
    added (what :func:`~clustergraph.kg.search_keys.search_keys` gives after them), from one read of the names.

    Neither is added to ``store`` here: it is only read, so validation queries may run on it meanwhile; given
    ``labelled``, it is called with the labels before the keys are computed (the build adds them then). The facts
    of the n-ary nodes are read on a second thread while the names are (Oxigraph releases the GIL while it
    evaluates a query).
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="derived-labels") as reader:
        facts = reader.submit(_read_facts, store)
        scans = {iri: scan(store, iri) for iri in dict.fromkeys(_LABEL_PROPERTIES + NAMING_PROPERTIES)}
        labels = _derive(facts.result(), _Names(store, scans))
    if labelled is not None:
        labelled(labels)
    derived = ((quad.subject, quad.object) for quad in labels)
    return labels, keys_for(chain(chain.from_iterable(scans[iri] for iri in NAMING_PROPERTIES), derived))


def _read_facts(store: ox.Store) -> dict[str, dict[str, _Facts]]:
    """The facts of each n-ary node of each kind, by the node's IRI."""
    found: dict[str, dict[str, _Facts]] = {}
    for kind, query in _KINDS.items():
        solutions = _select(store, query)
        variables = [v.value for v in solutions.variables if v.value != "node"]
        facts = found[kind] = {}
        for row in solutions:
            node = row["node"]
            if isinstance(node, ox.NamedNode):
                facts.setdefault(node.value, _Facts()).add(row, variables)
    return found


def _derive(found: dict[str, dict[str, _Facts]], names: _Names) -> list[ox.Quad]:
    """The label of each node of ``found`` that the data does not name."""
    graph = ox.NamedNode(DERIVED_LABELS_GRAPH)
    quads = []
    for kind, facts in found.items():
        compose = _COMPOSERS[kind]
        for iri, node_facts in facts.items():
            if iri not in names.labelled:
                label = ox.Literal(compose(node_facts, names), language="en")
                quads.append(ox.Quad(ox.NamedNode(iri), RDFS_LABEL, label, graph))
    return quads


# --- composing one label per kind -------------------------------------------------------------------------------

def _with_source(text: str, document: str) -> str:
    return f"{text} ({document})" if document else text


def _participation(row: _Facts, names: _Names) -> str:
    text = f"{names(row['who'])} in {names(row['what'])}"
    if row["role"] is not None:
        text += f": {names(row['role']).split(' (')[0]}"  # "participant (role not stated)" -> "participant"
    return _with_source(text, names.document(row["doc"]))


def _member_count(row: _Facts, names: _Names) -> str:
    text = f"{names(row['who'])} members"
    if row["year"] is not None:
        text += f" {row['year'].value}"
    if row["category"] is not None:
        text += f", {names(row['category'])}"
    return _with_source(text, names.document(row["doc"]))


def _indicator(row: _Facts, names: _Names) -> str:
    period = row["year"] or row["period"]
    parts = [names(row["indicator"]), names(row["area"])] + ([period.value] if period is not None else [])
    return _with_source(", ".join(parts), names.document(row["doc"]))


def _locator(row: _Facts, names: _Names) -> str:
    parts = [names.document(row["doc"]) or "Source"]
    if row["start"] is not None:
        pages = row["start"].value + (f"–{row['end'].value}" if row["end"] is not None else "")
        parts.append(("pp. " if row["end"] is not None else "p. ") + pages)
    for key in ("section", "locator"):
        if row[key] is not None:
            parts.append(row[key].value)
    return ", ".join(parts)


def _site(row: _Facts, names: _Names) -> str:
    role = names(row["role"]) if row["role"] is not None else "site"
    text = f"{role[:1].upper()}{role[1:]} of {names(row['who'])}"
    place = row["town"] or row["nuts"]
    return f"{text}, {names(place)}" if place is not None else text


def _address(row: _Facts, names: _Names) -> str:
    if row["full"] is not None:
        return row["full"].value
    street = " ".join(row[k].value for k in ("street", "number") if row[k] is not None)
    town = " ".join(row[k].value for k in ("code", "town") if row[k] is not None)
    return ", ".join(p for p in (street, town) if p) or "Address"


def _amount(row: _Facts, names: _Names) -> str:
    money = format_money(row["value"].value if row["value"] is not None else None, row["currency"])
    if row["property"] is None:
        return f"Amount: {money}"
    what = names(row["property"])
    link = _AMOUNT_LINKS.get(row["property"].value, "of")
    return f"{what[:1].upper()}{what[1:]} {link} {names(row['owner'])}: {money}"


def _alignment(row: _Facts, names: _Names) -> str:
    ecosystems = ", ".join(sorted(names(term) for term in row.all("ecosystem")))
    items = ", ".join(sorted(names.code(term) for term in row.all("item")))
    text = f"{names(row['who'])}: S3 {ecosystems or 'ecosystems not stated'}"
    if items:
        text += f" with PNRR {items}"
    return _with_source(text, names.document(row["doc"]))


_COMPOSERS: dict[str, Callable[[_Facts, _Names], str]] = {
    "participation": _participation, "member_count": _member_count, "indicator": _indicator,
    "locator": _locator, "site": _site, "address": _address, "amount": _amount, "alignment": _alignment,
}


def format_money(value: str | None, currency: ox.NamedNode | ox.Literal | None) -> str:
    """``"9765017"``, EUR → ``"€9,765,017"``; cents only where the value has them.

    >>> format_money("9765017", ox.NamedNode("http://publications.europa.eu/resource/authority/currency/EUR"))
    '€9,765,017'
    >>> format_money("1250.5", None)
    '1,250.50'
    """
    code = _local_name(currency.value) if currency is not None else ""
    sign = _CURRENCY_SIGNS.get(code, f"{code} " if code else "")
    try:
        number = Decimal(value) if value is not None else None
    except InvalidOperation:
        number = None
    if number is None:
        return f"{sign}{value or '?'}"
    text = f"{number:,.0f}" if number == number.to_integral_value() else f"{number:,.2f}"
    return f"{sign}{text}"


def _local_name(iri: str) -> str:
    return iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _values(store: ox.Store, query: str) -> dict[str, str]:
    """``?x`` → ``?v`` (the first value met) for the rows of ``query``."""
    found: dict[str, str] = {}
    for row in _select(store, query):
        if isinstance(row["x"], ox.NamedNode):
            found.setdefault(row["x"].value, row["v"].value)
    return found


def _select(store: ox.Store, query: str) -> ox.QuerySolutions:
    return store.query(_PREFIXES + query, use_default_graph_as_union=True)  # type: ignore[return-value]


__all__ = ["DERIVED_LABELS_GRAPH", "derive_labels", "format_money", "labels_and_search_keys"]
