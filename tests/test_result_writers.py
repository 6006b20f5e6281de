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


@pytest.mark.parametrize(("row_cap", "byte_cap", "rows", "truncated"), [
    (0, 0, 500, False),          # no cap: streamed by Oxigraph's writer
    (10_000, 64 << 20, 500, False),  # short answer: cannot pass the cap, written as it is
    (500, 64 << 20, 500, False),     # exactly the cap: counted, not cut
    (499, 64 << 20, 499, True),      # one over: counted and cut
    (100, 64 << 20, 100, True),
    (10_000, 20_000, None, True),    # past the byte cap: run again and capped row by row
])
def test_native_json_answers_match_the_row_by_row_writer(project_store_root, row_cap, byte_cap, rows,
                                                         truncated) -> None:
    """The worker writes SELECT answers in JSON with Oxigraph's own writer; the terms, the row cap, the truncation
    flag and the byte cap are those of the Python writer, row for row."""
    from clustergraph.kg.store import LiveStore
    from clustergraph.querying.worker import QueryJob, run, write_answer

    live = LiveStore(project_store_root)
    job = QueryJob(sparql="SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 500", row_cap=row_cap,
                   byte_cap=byte_cap)
    answers = []
    for rerun in (lambda: run(live, job), None):
        flags, out = [], io.BytesIO()
        write_answer(run(live, job), job, lambda kind, cut: flags.append((kind, cut)), out, rerun=rerun)
        solutions = ox.parse_query_results(out.getvalue(), format=ox.QueryResultsFormat.JSON)
        answers.append((flags, [[solution[v] for v in ("s", "p", "o")] for solution in solutions]))
    (native_flags, native_rows), (python_flags, python_rows) = answers
    assert native_flags == python_flags == [("solutions", truncated)]
    assert native_rows == python_rows
    if rows is not None:
        assert len(native_rows) == rows
