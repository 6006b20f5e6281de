"""Readable labels for the n-ary nodes, generated at build time from their own facts.

Participations, member counts, indicator observations, source locators, sites, addresses, monetary amounts and
strategic alignments are nodes no curator names, yet pages and query results show them. Each gets an English
``rdfs:label`` composed from what it links to ("AFIL in BATMASS: participant (2024 report)", "EU contribution to
BATMASS: €9,765,017"), written into :data:`DERIVED_LABELS_GRAPH` before validation, so the label shape sees them
and the label always says what the facts say. A node that already has a label in the data keeps it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from clustergraph.iris import GRAPH, PREFIXES

DERIVED_LABELS_GRAPH = GRAPH + "derived-labels"
RDFS_LABEL = ox.NamedNode(PREFIXES["rdfs"] + "label")

_PREFIXES = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
_UNLABELLED = "FILTER NOT EXISTS {{ {node} rdfs:label|skos:prefLabel|dct:title|schema:name ?_given }}"

# Name of anything: its acronym, else its English (or untagged, else any) label, else its notation.
_NAMES = """
SELECT ?x (SAMPLE(?acronym) AS ?a) (SAMPLE(?notation) AS ?n) (SAMPLE(?en) AS ?e) (SAMPLE(?any) AS ?l) WHERE {
  { ?x cg:acronym ?acronym } UNION { ?x skos:notation ?notation }
  UNION { ?x skos:prefLabel|rdfs:label|dct:title ?en FILTER (LANG(?en) IN ("en", "")) }
  UNION { ?x skos:prefLabel|rdfs:label|dct:title ?any }
} GROUP BY ?x
"""
# Short name of a source document: dct:alternative ("2024 report"), else its title.
_DOCUMENTS = """
SELECT ?d (SAMPLE(?short) AS ?s) (SAMPLE(?title) AS ?t) WHERE {
  ?d a cg:SourceDocument . OPTIONAL { ?d dct:alternative ?short } OPTIONAL { ?d dct:title ?title }
} GROUP BY ?d
"""

_KINDS: dict[str, str] = {
    "participation": """
SELECT ?node (SAMPLE(?who) AS ?who1) (SAMPLE(?what) AS ?what1) (SAMPLE(?role) AS ?role1) (SAMPLE(?doc) AS ?doc1) WHERE {
  ?node a cg:Participation . %s
  OPTIONAL { ?node cg:participant ?who } OPTIONAL { ?node cg:initiative ?what } OPTIONAL { ?node cg:role ?role }
  OPTIONAL { ?node prov:wasDerivedFrom/dct:isPartOf ?doc }
} GROUP BY ?node""",
    "member_count": """
SELECT ?node (SAMPLE(?who) AS ?who1) (SAMPLE(?year) AS ?year1) (SAMPLE(?category) AS ?category1) (SAMPLE(?doc) AS ?doc1)
WHERE {
  ?node a cg:MemberCountObservation . %s
  OPTIONAL { ?node cg:organisation ?who } OPTIONAL { ?node sdmx-dimension:refPeriod ?year }
  OPTIONAL { ?node cg:memberCategory ?category } OPTIONAL { ?node cg:statedIn ?doc }
} GROUP BY ?node""",
    "indicator": """
SELECT ?node (SAMPLE(?indicator) AS ?indicator1) (SAMPLE(?area) AS ?area1) (SAMPLE(?year) AS ?year1)
       (SAMPLE(?period) AS ?period1) (SAMPLE(?doc) AS ?doc1) WHERE {
  ?node a cg:IndicatorObservation . %s
  OPTIONAL { ?node cg:indicator ?indicator } OPTIONAL { ?node cg:refArea ?area }
  OPTIONAL { ?node sdmx-dimension:refPeriod ?year } OPTIONAL { ?node cg:periodAsStated ?period }
  OPTIONAL { ?node cg:statedIn ?doc }
} GROUP BY ?node""",
    "locator": """
SELECT ?node (SAMPLE(?doc) AS ?doc1) (SAMPLE(?start) AS ?start1) (SAMPLE(?end) AS ?end1) (SAMPLE(?section) AS ?section1)
       (SAMPLE(?locator) AS ?locator1) WHERE {
  ?node a cg:SourceLocator . %s
  OPTIONAL { ?node dct:isPartOf ?doc } OPTIONAL { ?node bibo:pageStart ?start } OPTIONAL { ?node bibo:pageEnd ?end }
  OPTIONAL { ?node bibo:section ?section } OPTIONAL { ?node bibo:locator ?locator }
} GROUP BY ?node""",
    "site": """
SELECT ?node (SAMPLE(?who) AS ?who1) (SAMPLE(?role) AS ?role1) (SAMPLE(?town) AS ?town1) (SAMPLE(?nuts) AS ?nuts1) WHERE {
  ?node a org:Site . %s
  OPTIONAL { ?who org:hasSite ?node } OPTIONAL { ?node cg:siteRole ?role }
  OPTIONAL { ?node org:siteAddress/locn:postName ?town } OPTIONAL { ?node cg:nuts3 ?nuts }
} GROUP BY ?node""",
    "address": """
SELECT ?node (SAMPLE(?full) AS ?full1) (SAMPLE(?street) AS ?street1) (SAMPLE(?number) AS ?number1)
       (SAMPLE(?code) AS ?code1) (SAMPLE(?town) AS ?town1) WHERE {
  ?node a locn:Address . %s
  OPTIONAL { ?node locn:fullAddress ?full } OPTIONAL { ?node locn:thoroughfare ?street }
  OPTIONAL { ?node locn:locatorDesignator ?number } OPTIONAL { ?node locn:postCode ?code }
  OPTIONAL { ?node locn:postName ?town }
} GROUP BY ?node""",
    "amount": """
SELECT ?node (SAMPLE(?value) AS ?value1) (SAMPLE(?currency) AS ?currency1) (SAMPLE(?property) AS ?property1)
       (SAMPLE(?owner) AS ?owner1) WHERE {
  ?node a schema:MonetaryAmount . %s
  OPTIONAL { ?node schema:value ?value } OPTIONAL { ?node cg:currency ?currency }
  OPTIONAL { ?owner ?property ?node }
} GROUP BY ?node""",
    "alignment": """
SELECT ?node (SAMPLE(?who) AS ?who1) (GROUP_CONCAT(DISTINCT STR(?ecosystem); separator=" ") AS ?ecosystems)
       (GROUP_CONCAT(DISTINCT STR(?item); separator=" ") AS ?items) (SAMPLE(?doc) AS ?doc1) WHERE {
  ?node a cg:StrategicAlignment . %s
  OPTIONAL { ?node cg:subject ?who } OPTIONAL { ?node cg:s3Ecosystem ?ecosystem } OPTIONAL { ?node cg:pnrrItem ?item }
  OPTIONAL { ?node prov:wasDerivedFrom/dct:isPartOf ?doc }
} GROUP BY ?node""",
}

_CURRENCY_SIGNS = {"EUR": "€", "USD": "US$", "GBP": "£"}
_AMOUNT_LINKS = {PREFIXES["cg"] + "euContribution": "to"}  # "EU contribution to BATMASS"; others read "of"


class _Names:
    """What to call a resource in a label, read once from the store."""

    def __init__(self, store: ox.Store) -> None:
        self.names: dict[str, str] = {}
        self.codes: dict[str, str] = {}
        for row in _select(store, _NAMES):
            node = row["x"]
            if isinstance(node, ox.NamedNode):
                value = next((row[v] for v in ("a", "e", "l", "n") if row[v] is not None), None)
                if value is not None:
                    self.names[node.value] = value.value
                if row["n"] is not None:
                    self.codes[node.value] = row["n"].value
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

    def code(self, term: ox.NamedNode) -> str:
        """The notation of ``term`` ("M2C1"), else its name."""
        return self.codes.get(term.value) or self(term)

    def document(self, term: ox.NamedNode | None) -> str:
        return "" if term is None else self.documents.get(term.value) or self(term)


def derive_labels(store: ox.Store) -> list[ox.Quad]:
    """One ``rdfs:label`` quad per unlabelled n-ary node of ``store``, in :data:`DERIVED_LABELS_GRAPH`."""
    names = _Names(store)
    graph = ox.NamedNode(DERIVED_LABELS_GRAPH)
    quads = []
    for kind, query in _KINDS.items():
        compose = _COMPOSERS[kind]
        for row in _select(store, query % _UNLABELLED.format(node="?node")):
            node = row["node"]
            if isinstance(node, ox.NamedNode):
                quads.append(ox.Quad(node, RDFS_LABEL, ox.Literal(compose(row, names), language="en"), graph))
    return quads


def add_derived_labels(store: ox.Store) -> int:
    """Write the derived labels into ``store``; returns how many were written."""
    quads = derive_labels(store)
    store.extend(quads)
    return len(quads)


# --- composing one label per kind -------------------------------------------------------------------------------

def _with_source(text: str, document: str) -> str:
    return f"{text} ({document})" if document else text


def _participation(row: ox.QuerySolution, names: _Names) -> str:
    text = f"{names(row['who1'])} in {names(row['what1'])}"
    if row["role1"] is not None:
        text += f": {names(row['role1']).split(' (')[0]}"  # "participant (role not stated)" -> "participant"
    return _with_source(text, names.document(row["doc1"]))


def _member_count(row: ox.QuerySolution, names: _Names) -> str:
    text = f"{names(row['who1'])} members"
    if row["year1"] is not None:
        text += f" {row['year1'].value}"
    if row["category1"] is not None:
        text += f", {names(row['category1'])}"
    return _with_source(text, names.document(row["doc1"]))


def _indicator(row: ox.QuerySolution, names: _Names) -> str:
    period = row["year1"] or row["period1"]
    parts = [names(row["indicator1"]), names(row["area1"])] + ([period.value] if period is not None else [])
    return _with_source(", ".join(parts), names.document(row["doc1"]))


def _locator(row: ox.QuerySolution, names: _Names) -> str:
    parts = [names.document(row["doc1"]) or "Source"]
    if row["start1"] is not None:
        pages = row["start1"].value + (f"–{row['end1'].value}" if row["end1"] is not None else "")
        parts.append(("pp. " if row["end1"] is not None else "p. ") + pages)
    for key in ("section1", "locator1"):
        if row[key] is not None:
            parts.append(row[key].value)
    return ", ".join(parts)


def _site(row: ox.QuerySolution, names: _Names) -> str:
    role = names(row["role1"]) if row["role1"] is not None else "site"
    text = f"{role[:1].upper()}{role[1:]} of {names(row['who1'])}"
    place = row["town1"] or row["nuts1"]
    return f"{text}, {names(place)}" if place is not None else text


def _address(row: ox.QuerySolution, names: _Names) -> str:
    if row["full1"] is not None:
        return row["full1"].value
    street = " ".join(row[k].value for k in ("street1", "number1") if row[k] is not None)
    town = " ".join(row[k].value for k in ("code1", "town1") if row[k] is not None)
    return ", ".join(p for p in (street, town) if p) or "Address"


def _amount(row: ox.QuerySolution, names: _Names) -> str:
    money = format_money(row["value1"].value if row["value1"] is not None else None, row["currency1"])
    if row["property1"] is None:
        return f"Amount: {money}"
    what = names(row["property1"])
    link = _AMOUNT_LINKS.get(row["property1"].value, "of")
    return f"{what[:1].upper()}{what[1:]} {link} {names(row['owner1'])}: {money}"


def _alignment(row: ox.QuerySolution, names: _Names) -> str:
    def joined(iris: ox.Literal | None, name: Callable[[ox.NamedNode], str]) -> str:
        return ", ".join(sorted(name(ox.NamedNode(i)) for i in (iris.value.split() if iris is not None else [])))

    ecosystems, items = joined(row["ecosystems"], names), joined(row["items"], names.code)
    text = f"{names(row['who1'])}: S3 {ecosystems or 'ecosystems not stated'}"
    if items:
        text += f" with PNRR {items}"
    return _with_source(text, names.document(row["doc1"]))


_COMPOSERS: dict[str, Callable[[ox.QuerySolution, _Names], str]] = {
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


def _select(store: ox.Store, query: str) -> Iterable[ox.QuerySolution]:
    return store.query(_PREFIXES + query, use_default_graph_as_union=True)  # type: ignore[return-value]


__all__ = ["DERIVED_LABELS_GRAPH", "add_derived_labels", "derive_labels", "format_money"]
