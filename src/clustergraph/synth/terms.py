"""IRIs and N-Triples terms of the project's vocabulary, as the generator writes them."""

from __future__ import annotations

# --- IRIs and terms ---------------------------------------------------------------------------------
CG = "https://w3id.org/clustergraph/ontology#"
CGR = "https://w3id.org/clustergraph/id/"
CGG = "https://w3id.org/clustergraph/graph/"
XSD = "http://www.w3.org/2001/XMLSchema#"
NUTS = "http://data.europa.eu/nuts/code/"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"


def _u(iri: str) -> str:
    return f"<{iri}>"


def _cg(local: str) -> str:
    return f"<{CG}{local}>"


def _r(local: str) -> str:
    return f"<{CGR}{local}>"


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def _en(text: str) -> str:
    return f'"{_esc(text)}"@en'


def _str(text: str) -> str:
    return f'"{_esc(text)}"'


def _typed(value: object, datatype: str) -> str:
    return f'"{value}"^^<{XSD}{datatype}>'


def _nni(n: int) -> str:
    return _typed(n, "nonNegativeInteger")


def _year(y: int) -> str:
    return _typed(y, "gYear")


A = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
PREF = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
IN_SCHEME = "<http://www.w3.org/2004/02/skos/core#inScheme>"
DCT = "http://purl.org/dc/terms/"
DCT_SOURCE, DCT_SPATIAL, DCT_PART_OF, DCT_DESCRIPTION = (
    _u(DCT + x) for x in ("source", "spatial", "isPartOf", "description")
)
ORG = "http://www.w3.org/ns/org#"
ORG_SITE_CLASS, ORG_HAS_SITE, ORG_SITE_ADDRESS, ORG_MEMBER_OF = (
    _u(ORG + x) for x in ("Site", "hasSite", "siteAddress", "memberOf")
)
DERIVED = "<http://www.w3.org/ns/prov#wasDerivedFrom>"
FOAF_HOMEPAGE = "<http://xmlns.com/foaf/0.1/homepage>"
QB_DATASET = "<http://purl.org/linked-data/cube#dataSet>"
REF_PERIOD = "<http://purl.org/linked-data/sdmx/2009/dimension#refPeriod>"
LOCN = "http://www.w3.org/ns/locn#"
BIBO_PAGE, BIBO_SECTION = "<http://purl.org/ontology/bibo/pageStart>", "<http://purl.org/ontology/bibo/section>"
SCHEMA_AMOUNT, SCHEMA_VALUE = "<http://schema.org/MonetaryAmount>", "<http://schema.org/value>"
EUR = "<http://publications.europa.eu/resource/authority/currency/EUR>"
_PREFIXES = {
    "cg": CG, "cgr": CGR, "cgg": CGG, "xsd": XSD, "nutsc": NUTS, "country": COUNTRY, "dct": DCT, "org": ORG,
    "skos": "http://www.w3.org/2004/02/skos/core#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "prov": "http://www.w3.org/ns/prov#", "qb": "http://purl.org/linked-data/cube#",
    "foaf": "http://xmlns.com/foaf/0.1/", "wd": "http://www.wikidata.org/entity/",
    "lang": "http://publications.europa.eu/resource/authority/language/",
}
