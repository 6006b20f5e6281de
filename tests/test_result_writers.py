"""Our streaming SELECT writers, read back by Oxigraph's own parsers (and csv for CSV)."""

from __future__ import annotations

import csv
import io

import pyoxigraph as ox
import pytest

from clustergraph.querying.writers import write_rows

XSD = "http://www.w3.org/2001/XMLSchema#"
TERMS = [
    ox.NamedNode("https://w3id.org/clustergraph/id/afil"),
    ox.Literal('quote " back\\slash\nnew line\ttab <tag> & amp'),
    ox.Literal("Lombardia", language="it"),
    ox.Literal("143", datatype=ox.NamedNode(XSD + "integer")),
    ox.BlankNode("b0"),
    None,
]
VARIABLES = ["a", "b", "c", "d", "e", "f"]


@pytest.mark.parametrize("fmt", ["json", "xml", "tsv"])
def test_round_trip_through_oxigraph(fmt: str) -> None:
    text = "".join(write_rows(fmt, VARIABLES, [TERMS, TERMS]))
    format_ = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
               "tsv": ox.QueryResultsFormat.TSV}[fmt]
    solutions = ox.parse_query_results(text.encode(), format=format_)
    assert [v.value for v in solutions.variables] == VARIABLES
    rows = [[s[name] for name in VARIABLES] for s in solutions]
    assert len(rows) == 2
    for row in rows:
        assert row[:4] == TERMS[:4]
        assert isinstance(row[4], ox.BlankNode) and row[5] is None


def test_csv_is_rfc4180() -> None:
    text = "".join(write_rows("csv", VARIABLES, [TERMS]))
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == VARIABLES
    assert rows[1][:4] == [TERMS[0].value, TERMS[1].value, "Lombardia", "143"]
    assert rows[1][4] == "_:b0" and rows[1][5] == ""
    assert text.endswith("\r\n")


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_empty_answer_still_has_a_head(fmt: str) -> None:
    text = "".join(write_rows(fmt, ["x"], []))
    assert "x" in text
