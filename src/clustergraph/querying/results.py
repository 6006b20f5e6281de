"""Turn query results into the text formats the CLI offers."""

from __future__ import annotations

import json

import pyoxigraph as ox

from clustergraph.errors import QueryError
from clustergraph.querying.writers import write_boolean

RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
OUTPUT_FORMATS = ("table", *RESULT_FORMATS, *GRAPH_FORMATS)


def term_text(term: object) -> str:
    """A compact, human-readable form of an RDF term for tables."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.Literal):
        return term.value + (f"@{term.language}" if term.language else "")
    return str(term)


def rows(solutions: ox.QuerySolutions) -> tuple[list[str], list[list[str]]]:
    """Variable names and rows of plain text values."""
    names = [v.value for v in solutions.variables]
    return names, [[term_text(s[name]) for name in names] for s in solutions]


def render(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples, fmt: str) -> str | list[list[str]]:
    """Serialise ``result`` in ``fmt``; ``table`` returns [header, *rows] for the CLI to draw.

    :raises QueryError: when the format does not fit the query form.
    """
    if isinstance(result, ox.QueryBoolean):
        if fmt == "table":
            return [["boolean"], ["true" if bool(result) else "false"]]
        if fmt in ("csv", "tsv"):
            return write_boolean(fmt, bool(result))
        if fmt == "json":
            return json.dumps({"head": {}, "boolean": bool(result)})
        if fmt == "xml":
            return result.serialize(format=ox.QueryResultsFormat.XML).decode()
        raise QueryError(f"format {fmt} does not fit an ASK query (use table, json, xml, csv or tsv)")
    if isinstance(result, ox.QueryTriples):
        if fmt not in GRAPH_FORMATS and fmt != "table":
            raise QueryError(f"format {fmt} does not fit a CONSTRUCT/DESCRIBE query (use {', '.join(GRAPH_FORMATS)})")
        return ox.serialize(result, format=GRAPH_FORMATS.get(fmt, ox.RdfFormat.TURTLE)).decode()
    if fmt == "table":
        names, body = rows(result)
        return [names, *body]
    if fmt not in RESULT_FORMATS:
        raise QueryError(f"format {fmt} does not fit a SELECT query (use table, {', '.join(RESULT_FORMATS)})")
    return result.serialize(format=RESULT_FORMATS[fmt]).decode()
