"""The media types the server speaks, in its order of preference, and the short names ``?format=`` takes."""

from __future__ import annotations

import pyoxigraph as ox

from clustergraph.errors import BadRequest

# SELECT and ASK answers: media type -> writer name (see result_writers).
RESULTS: dict[str, str] = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/xml": "xml",
}
# Graphs (CONSTRUCT, DESCRIBE, resource pages, dumps): media type -> Oxigraph format.
GRAPHS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/trig": ox.RdfFormat.TRIG,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "text/plain": ox.RdfFormat.N_TRIPLES,
}
# Datasets with their graphs (Graph Store reads of everything, dumps).
DATASETS: dict[str, ox.RdfFormat] = {
    "application/trig": ox.RdfFormat.TRIG,
    "application/n-quads": ox.RdfFormat.N_QUADS,
}
SHORT_NAMES: dict[str, str] = {
    "json": "application/sparql-results+json",
    "srj": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "srx": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
    "rdfxml": "application/rdf+xml",
    "owl": "application/rdf+xml",
    "trig": "application/trig",
    "nq": "application/n-quads",
    "nquads": "application/n-quads",
    "html": "text/html",
}
HTML = "text/html"
SUFFIX_FOR: dict[str, str] = {
    "text/turtle": "ttl",
    "application/n-triples": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdf",
    "application/trig": "trig",
    "application/n-quads": "nq",
    "text/html": "html",
}


def from_format_parameter(value: str) -> str:
    """The media type a ``format`` parameter names (a short name or a full media type).

    :raises BadRequest: for a name the server does not know.

    >>> from_format_parameter("ttl")
    'text/turtle'
    """
    value = value.strip().lower()
    if value in SHORT_NAMES:
        return SHORT_NAMES[value]
    if value in RESULTS or value in GRAPHS or value == HTML:
        return value
    raise BadRequest(f"unknown format {value!r}; use one of {', '.join(sorted(SHORT_NAMES))} or a media type")


def with_charset(media_type: str) -> str:
    """The Content-Type header value: text and JSON/XML types say UTF-8."""
    if media_type.startswith("text/") or media_type.endswith(("json", "xml")):
        return f"{media_type}; charset=utf-8"
    return media_type
