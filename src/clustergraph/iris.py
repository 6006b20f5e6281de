"""The persistent IRI bases of the project and the well-known IRIs built from them."""

BASE = "https://w3id.org/clustergraph/"
ONTOLOGY = BASE + "ontology#"
ONTOLOGY_DOCUMENT = BASE + "ontology"
DATA = BASE + "id/"
GRAPH = BASE + "graph/"
SHAPES = BASE + "shapes#"

ONTOLOGY_GRAPH = GRAPH + "ontology"
REFERENCE_FOLDER = "reference"


def graph_for_folder(folder: str) -> str:
    """The named graph that holds the facts curated into ``data/<folder>/``.

    >>> graph_for_folder("ltc-report-2024")
    'https://w3id.org/clustergraph/graph/ltc-report-2024'
    """
    return GRAPH + folder

PREFIXES: dict[str, str] = {
    "cg": ONTOLOGY,
    "cgr": DATA,
    "cgg": GRAPH,
    "cgs": SHAPES,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "qb": "http://purl.org/linked-data/cube#",
    "sdmx-dimension": "http://purl.org/linked-data/sdmx/2009/dimension#",
    "schema": "http://schema.org/",
    "locn": "http://www.w3.org/ns/locn#",
    "bibo": "http://purl.org/ontology/bibo/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "void": "http://rdfs.org/ns/void#",
    "eurio": "http://data.europa.eu/s66#",
    "nutsc": "http://data.europa.eu/nuts/code/",
    "country": "http://publications.europa.eu/resource/authority/country/",
    "currency": "http://publications.europa.eu/resource/authority/currency/",
}


def compact(iri: str) -> str:
    """Shorten ``iri`` with the project's prefixes when one fits.

    >>> compact("https://w3id.org/clustergraph/id/afil")
    'cgr:afil'
    """
    best = max((ns for ns in PREFIXES.values() if iri.startswith(ns)), key=len, default=None)
    if best is None:
        return iri
    prefix = next(p for p, ns in PREFIXES.items() if ns == best)
    local = iri[len(best) :]
    return f"{prefix}:{local}" if local and "/" not in local and "#" not in local else iri
