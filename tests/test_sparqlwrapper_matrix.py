"""SPARQLWrapper against /sparql: every return format with every query form, in its default mode (``format``,
``output`` and ``results`` parameters, repeated with a media type for TSV, JSON-LD and RDF/XML) and with only
content negotiation (``setOnlyConneg(True)``), by GET and by POST.

What each combination must give is written out in :func:`expected`: the media type the server answers with,
or 406 where the return format names no serialisation of the query's answer (a SELECT in Turtle).
"""

from __future__ import annotations

import urllib.error
import warnings
from xml.dom.minidom import Document

import pytest
from rdflib import Graph, URIRef
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    RDF,
    RDFXML,
    TSV,
    TURTLE,
    XML,
    SPARQLWrapper,
)

from clustergraph.iris import DATA

AFIL = DATA + "afil"
LABEL = "Lombardy Intelligent Factory Association"
QUERIES = {
    "SELECT": f"SELECT ?label WHERE {{ <{AFIL}> <http://www.w3.org/2004/02/skos/core#prefLabel> ?label }}",
    "ASK": f"ASK {{ <{AFIL}> ?p ?o }}",
    "CONSTRUCT": f"CONSTRUCT {{ <{AFIL}> ?p ?o }} WHERE {{ <{AFIL}> ?p ?o }}",
    "DESCRIBE": f"DESCRIBE <{AFIL}>",
}
RETURN_FORMATS = [XML, JSON, JSONLD, TURTLE, N3, RDF, RDFXML, CSV, TSV]
RESULTS_TYPES = {XML: "application/sparql-results+xml", JSON: "application/sparql-results+json", CSV: "text/csv",
                 TSV: "text/tab-separated-values"}
GRAPH_TYPES = {XML: "application/rdf+xml", RDF: "application/rdf+xml", RDFXML: "application/rdf+xml",
               JSONLD: "application/ld+json", JSON: "application/ld+json", TURTLE: "text/turtle", N3: "text/turtle"}
# With only conneg, SPARQLWrapper sends Accept: */* for these (it has no media type for them), so the server's
# first choice answers: SPARQL JSON results, Turtle.
CONNEG_WILDCARD = {"results": {JSONLD, TURTLE, N3, RDF, RDFXML}, "graph": {JSON, RDF, CSV, TSV}}


def expected(form: str, return_format: str, only_conneg: bool) -> str | int:
    """The media type of the answer, or the status of the refusal."""
    kind = "graph" if form in ("CONSTRUCT", "DESCRIBE") else "results"
    if only_conneg and return_format in CONNEG_WILDCARD[kind]:
        return "application/sparql-results+json" if kind == "results" else "text/turtle"
    table = GRAPH_TYPES if kind == "graph" else RESULTS_TYPES
    return table.get(return_format, 406)


def check_answer(form: str, converted: object) -> None:
    """The converted answer holds what the query asks for, whatever shape SPARQLWrapper gave it."""
    if isinstance(converted, bytes) and form in ("CONSTRUCT", "DESCRIBE"):
        converted = Graph().parse(data=converted, format="turtle")
    if isinstance(converted, Graph):
        assert (URIRef(AFIL), None, None) in converted
        return
    text = converted.toxml() if isinstance(converted, Document) else str(converted)
    assert (LABEL if form == "SELECT" else "true") in text.replace("True", "true")


@pytest.mark.parametrize("method", [GET, POST])
@pytest.mark.parametrize("only_conneg", [False, True], ids=["default", "conneg"])
@pytest.mark.parametrize("form", list(QUERIES))
@pytest.mark.parametrize("return_format", RETURN_FORMATS)
def test_every_return_format_and_query_form(live_server, return_format: str, form: str, only_conneg: bool,
                                            method: str) -> None:
    wrapper = SPARQLWrapper(live_server.url + "/sparql")
    wrapper.setQuery(QUERIES[form])
    wrapper.setReturnFormat(return_format)
    wrapper.setOnlyConneg(only_conneg)
    wrapper.setMethod(method)
    want = expected(form, return_format, only_conneg)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # SPARQLWrapper's note on the */* it sends
        if isinstance(want, int):
            with pytest.raises(urllib.error.HTTPError) as refused:
                wrapper.query()
            assert refused.value.code == want
            assert form in refused.value.read().decode()
            return
        result = wrapper.query()
        assert result.info()["content-type"].split(";")[0] == want
        check_answer(form, result.convert())
