"""Stream SELECT answers row by row in the four W3C result formats.

Oxigraph's own serializer writes a whole ``QuerySolutions`` and cannot stop at a row cap, so the server
writes rows itself; the tests parse every format back with ``pyoxigraph.parse_query_results``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
SPARQL_RESULTS_NS = "http://www.w3.org/2005/sparql-results#"
Row = list[object]
# The SPARQL 1.1 CSV/TSV formats define no form for an ASK answer; Apache Jena (``sparql --results csv``) and
# Fuseki write it as one column of this name and one row, ``true`` or ``false``.
ASK_COLUMN = "_askResult"


def write_rows(fmt: str, variables: list[str], rows: Iterable[Row]) -> Iterator[str]:
    """Text pieces of a SELECT answer in ``fmt`` (json, xml, csv, tsv); rows hold terms or None."""
    return _WRITERS[fmt](variables, rows)


def _json(variables: list[str], rows: Iterable[Row]) -> Iterator[str]:
    yield '{"head":{"vars":' + json.dumps(variables) + '},"results":{"bindings":['
    for index, row in enumerate(rows):
        binding = {name: _json_term(term) for name, term in zip(variables, row) if term is not None}
        yield ("," if index else "") + json.dumps(binding, ensure_ascii=False, separators=(",", ":"))
    yield "]}}"


def _json_term(term: object) -> dict[str, object]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        parts = ("subject", "predicate", "object")
        return {"type": "triple", "value": {p: _json_term(getattr(term, p)) for p in parts}}
    raise TypeError(f"cannot write {term!r} as a SPARQL JSON term")


def _xml(variables: list[str], rows: Iterable[Row]) -> Iterator[str]:
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="{SPARQL_RESULTS_NS}"><head>'
    yield "".join(f"<variable name={quoteattr(name)}/>" for name in variables)
    yield "</head><results>"
    for row in rows:
        bindings = "".join(
            f"<binding name={quoteattr(name)}>{_xml_term(term)}</binding>"
            for name, term in zip(variables, row)
            if term is not None
        )
        yield f"<result>{bindings}</result>"
    yield "</results></sparql>\n"


def _xml_term(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        inner = "".join(f"<{p}>{_xml_term(getattr(term, p))}</{p}>" for p in ("subject", "predicate", "object"))
        return f"<triple>{inner}</triple>"
    raise TypeError(f"cannot write {term!r} as a SPARQL XML term")


def _csv(variables: list[str], rows: Iterable[Row]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(variables)
    for row in rows:
        writer.writerow([_csv_term(term) for term in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _csv_term(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return term.value
    return str(term)


def _tsv(variables: list[str], rows: Iterable[Row]) -> Iterator[str]:
    yield "\t".join(f"?{name}" for name in variables) + "\n"
    for row in rows:
        yield "\t".join("" if term is None else str(term) for term in row) + "\n"


def write_boolean(fmt: str, value: bool) -> str:
    """An ASK answer in CSV or TSV, as Jena writes it: a header naming :data:`ASK_COLUMN` (``?_askResult`` in
    TSV, where variables carry their ``?``), then ``true`` or ``false``.

    >>> write_boolean("tsv", True)
    '?_askResult\\ntrue\\n'
    """
    answer = "true" if value else "false"
    if fmt == "csv":
        return f"{ASK_COLUMN}\r\n{answer}\r\n"
    if fmt == "tsv":
        return f"?{ASK_COLUMN}\n{answer}\n"
    raise ValueError(f"no CSV/TSV writer for {fmt!r}")


_WRITERS = {"json": _json, "xml": _xml, "csv": _csv, "tsv": _tsv}
