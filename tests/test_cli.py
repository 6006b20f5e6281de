"""The command line interface: exit codes, formats and exports, called through the console script."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from conftest import make_project, run_cli


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("cli")
    root = make_project(base)
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 0, result.stderr
    return root


def test_every_command_has_help():
    for command in ("build", "validate", "query", "queries", "stats", "export"):
        result = run_cli(command, "--help")
        assert result.returncode == 0 and "Usage" in result.stdout, command


def test_usage_errors_exit_2(built):
    assert run_cli("query", "--root", str(built)).returncode == 2
    assert run_cli("query", "SELECT * WHERE {?s ?p ?o}", "--format", "yaml", "--root", str(built)).returncode == 2
    assert run_cli("frobnicate").returncode == 2


def test_runtime_errors_exit_2_with_a_message(built, tmp_path):
    result = run_cli("query", "SELEC nothing", "--root", str(built))
    assert result.returncode == 2 and "SPARQL syntax error" in result.stderr
    result = run_cli("stats", "--store", str(tmp_path / "empty"))
    assert result.returncode == 2 and "no store has been built yet" in result.stderr
    result = run_cli("query", "--name", "nope", "--root", str(built))
    assert result.returncode == 2 and "no named query 'nope'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("fmt", ["json", "csv", "tsv", "xml"])
def test_select_formats(built, fmt):
    result = run_cli("query", "--name", "member-counts-by-category", "--param", "year=2024",
                     "--format", fmt, "--root", str(built))
    assert result.returncode == 0, result.stderr
    assert "143" in result.stdout
    if fmt == "json":
        assert json.loads(result.stdout)["head"]["vars"][0] == "organisation"


@pytest.mark.parametrize(("fmt", "header"), [("csv", "_askResult"), ("tsv", "?_askResult")])
@pytest.mark.parametrize(("query", "answer"), [("ASK { ?s ?p ?o }", "true"), ("ASK { <urn:none> ?p ?o }", "false")])
def test_ask_in_csv_and_tsv_as_jena_writes_it(built, fmt, header, query, answer):
    result = run_cli("query", query, "--format", fmt, "--root", str(built))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [header, answer]


def test_construct_as_turtle(built):
    result = run_cli("query", "CONSTRUCT { ?s a ?t } WHERE { ?s a ?t } LIMIT 3", "--format", "turtle",
                     "--root", str(built))
    assert result.returncode == 0
    assert len(list(ox.parse(result.stdout.encode(), format=ox.RdfFormat.TURTLE))) == 3


def test_stats_json(built):
    result = run_cli("stats", "--format", "json", "--root", str(built))
    stats = json.loads(result.stdout)
    assert stats["quads"] > 1000
    graphs = {s["graph"].rsplit("/", 1)[-1] for s in stats["triples_per_source"]}
    assert {"fixture", "reference", "ontology"} <= graphs


@pytest.mark.parametrize(("fmt", "suffix", "rdf"), [
    ("turtle", "ttl", ox.RdfFormat.TURTLE), ("nquads", "nq", ox.RdfFormat.N_QUADS),
    ("trig", "trig", ox.RdfFormat.TRIG), ("jsonld", "jsonld", ox.RdfFormat.JSON_LD),
])
def test_export_round_trips(built, tmp_path, fmt, suffix, rdf):
    target = tmp_path / f"dump.{suffix}"
    result = run_cli("export", "--format", fmt, "-o", str(target), "--root", str(built))
    assert result.returncode == 0, result.stderr
    quads = list(ox.parse(path=str(target), format=rdf))
    assert len(quads) > 1000
    if fmt in ("nquads", "trig"):
        assert any(q.graph_name == ox.NamedNode("https://w3id.org/clustergraph/graph/fixture") for q in quads)
