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
    # the names SPARQLWrapper sends in its default mode (setReturnFormat), as Virtuoso and Fuseki read them
    "n3": "text/turtle",  # Turtle is the subset of N3 that RDF serialisers write
    "json-ld": "application/ld+json",
    "rdf+xml": "application/rdf+xml",
}
# Short names that name a results format for SELECT and ASK and a graph format for CONSTRUCT and DESCRIBE
# (SPARQLWrapper's XML and JSON, Virtuoso's format=xml / format=json): the query's form picks.
GRAPH_COUNTERPART: dict[str, str] = {"xml": "application/rdf+xml", "json": "application/ld+json"}
# Other names clients give graph formats in Accept (SPARQLWrapper's JSON and XML return formats, plain
# ``Accept: application/json`` on a resource).
GRAPH_ALIASES: dict[str, tuple[str, ...]] = {"application/ld+json": ("application/json",),
                                             "application/rdf+xml": ("application/xml",)}
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


def format_preference(values: list[str]) -> str | None:
    """The ``format`` (or ``output``) parameters of a request as an Accept header value; None when there are
    none. A value is a short name or a list of media types (SPARQLWrapper repeats its short name with the
    media types it sends as Accept, e.g. ``format=tsv&format=text/tab-separated-values``); empty values say
    nothing. Repeated values must name the same format.

    :raises BadRequest: for a value naming no format the server knows, or values naming different formats.

    >>> format_preference(["tsv", "text/tab-separated-values", ""])
    'text/tab-separated-values'
    >>> format_preference(["json"])
    'application/sparql-results+json, application/ld+json'
    """
    chosen: list[str] | None = None
    for value in values:
        named = _named_by(value)
        if not named:
            continue
        common = named if chosen is None else [media for media in chosen if media in named]
        if not common:
            raise BadRequest(f"the format parameters name different formats ({', '.join(map(repr, values))}); "
                             "give one")
        chosen = common
    return ", ".join(chosen) if chosen else None


def _named_by(value: str) -> list[str]:
    """The media types one format value names (none for an empty value).

    :raises BadRequest: for a value naming no format the server knows.
    """
    value = value.strip().lower()
    if not value:
        return []
    if value in SHORT_NAMES:
        return [SHORT_NAMES[value], *([GRAPH_COUNTERPART[value]] if value in GRAPH_COUNTERPART else [])]
    known = [media for media in (part.split(";")[0].strip() for part in value.split(","))
             if media in RESULTS or media in GRAPHS]
    if not known:
        raise BadRequest(f"unknown format {value[:100]!r}; use one of {', '.join(sorted(SHORT_NAMES))} or a "
                         "media type")
    return known


def with_charset(media_type: str) -> str:
    """The Content-Type header value: text and JSON/XML types say UTF-8."""
    if media_type.startswith("text/") or media_type.endswith(("json", "xml")):
        return f"{media_type}; charset=utf-8"
    return media_type
