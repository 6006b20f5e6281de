"""Named queries: headers parse, parameters are typed and bound as RDF terms, never pasted."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import ROOT

from clustergraph.errors import NamedQueryError
from clustergraph.querying.named import (
    load_named_queries,
    parse_named_query,
    where_brace,
)

QUERIES = load_named_queries(ROOT / "queries")
HOSTILE = ['x" } ; DROP ALL ; #', "x> } ; DROP ALL ; #", "a\nb", "\\u0022 }", "{ ?s ?p ?o }", "' OR 1=1 --"]


def test_at_least_fifteen_documented_queries():
    assert len(QUERIES) >= 15
    for query in QUERIES.values():
        assert query.title and query.description, query.name
        for param in query.params:
            assert param.description, f"{query.name}: parameter {param.name} needs a description"


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_named_query_answers_with_its_defaults_on_the_real_store(project_store, name):
    rows = list(project_store.query(QUERIES[name].bind({})))
    assert rows, f"{name} returns no rows with its default parameters"


def test_where_brace_skips_comments_strings_and_iris():
    text = '# WHERE { in a comment\nSELECT ?where WHERE { ?s <urn:WHERE{> "WHERE {" . { ?a ?b ?c } }'
    assert text[where_brace(text):].startswith('{ ?s <urn:WHERE{>')


def test_construct_template_brace_is_not_taken_for_where():
    text = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    assert where_brace(text) == text.index("WHERE") + 6


def test_iri_parameter_binds_as_values_block():
    bound = QUERIES["initiatives-of-cluster"].bind({"cluster": "https://w3id.org/clustergraph/id/le2c"})
    assert "VALUES (?cluster) { (<https://w3id.org/clustergraph/id/le2c>) }" in bound


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_string_values_match_nothing_and_break_nothing(project_store, value):
    query = parse_named_query(_write(ROOT, "#+ title: t\n#+ param: label string required -- l\n"
                                     "SELECT ?s WHERE { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?label }"))
    result = list(project_store.query(query.bind({"label": value})))
    assert result == []
    assert project_store.quad_count() > 1000


@pytest.mark.parametrize("value", HOSTILE + ["not an iri", "javascript:alert(1)>"])
def test_hostile_iri_values_are_rejected(value):
    with pytest.raises(NamedQueryError, match="parameter cluster"):
        QUERIES["initiatives-of-cluster"].bind({"cluster": value})


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [("integer", "42", "4 2"), ("year", "2024", "24"), ("langstring", "Lombardia@it", "Lombardia")],
)
def test_typed_parameters_are_checked(tmp_path, kind, good, bad):
    query = parse_named_query(_write(tmp_path, f"#+ title: t\n#+ param: v {kind} required -- v\n"
                                               "SELECT ?v WHERE { ?s ?p ?v }"))
    assert "VALUES (?v)" in query.bind({"v": good})
    with pytest.raises(NamedQueryError, match="parameter v"):
        query.bind({"v": bad})


def test_required_unknown_and_overlong_parameters(tmp_path):
    query = QUERIES["sources-of-fact"]
    with pytest.raises(NamedQueryError, match="unknown parameter"):
        query.bind({"nope": "1"})
    with pytest.raises(NamedQueryError, match="longer than"):
        query.bind({"subject": "https://x/" + "a" * 5000})


def test_malformed_headers_name_file_and_line(tmp_path):
    with pytest.raises(NamedQueryError, match=r"bad\.rq:2: bad parameter line"):
        parse_named_query(_write(tmp_path, "#+ title: t\n#+ param: x color required\nSELECT * WHERE {}", "bad.rq"))
    with pytest.raises(NamedQueryError, match="not used as"):
        parse_named_query(_write(tmp_path, "#+ title: t\n#+ param: x iri optional -- x\nSELECT * WHERE {}"))
    with pytest.raises(NamedQueryError, match="missing '#\\+ title:'"):
        parse_named_query(_write(tmp_path, "SELECT * WHERE {}"))


def _write(folder: Path, text: str, name: str = "q.rq") -> Path:
    import tempfile

    directory = Path(tempfile.mkdtemp(dir=folder if folder != ROOT else None))
    path = directory / name
    path.write_text(text)
    return path


def test_column_headers_and_groups_come_from_the_file(tmp_path):
    path = _write(tmp_path, "#+ title: T\n#+ group: network\n#+ column: n -- Members (2024 report) -- not stated\n"
                            "SELECT ?n WHERE { ?s ?p ?n }\n")
    query = parse_named_query(path)
    assert query.group == "network"
    assert query.column("n").header == "Members (2024 report)" and query.column("n").empty == "not stated"
    assert query.column("other").header == "other"  # a column the file says nothing about keeps its name


@pytest.mark.parametrize(("line", "where"), [("#+ column: n", 3), ("#+ column: 1n -- X", 3), ("#+ group: misc", None)])
def test_bad_column_and_group_lines_name_the_file(tmp_path, line: str, where: int | None):
    path = _write(tmp_path, f"#+ title: T\n#+ description: d\n{line}\nSELECT ?n WHERE {{ ?s ?p ?n }}\n")
    with pytest.raises(NamedQueryError) as caught:
        parse_named_query(path)
    assert str(path) + (f":{where}" if where else "") in str(caught.value)


def test_network_queries_are_grouped_apart():
    groups = {q.name: q.group for q in QUERIES.values()}
    assert {n for n, g in groups.items() if g == "network"} == {n for n in groups if n.startswith("network-")}


def test_choices_name_the_class_an_iri_parameter_is_picked_from(tmp_path):
    path = _write(tmp_path, "#+ title: T\n#+ param: cluster iri optional -- c\n"
                            "#+ choices: cluster -- cg:ClusterOrganisation\nSELECT ?x WHERE { ?cluster ?p ?x }\n")
    assert parse_named_query(path).choice_class("cluster") == "https://w3id.org/clustergraph/ontology#ClusterOrganisation"
    for bad in ("#+ choices: year -- cg:X", "#+ choices: cluster -- nope:X", "#+ choices: cluster"):
        path = _write(tmp_path, "#+ title: T\n#+ param: cluster iri optional -- c\n#+ param: year year optional -- y\n"
                                f"{bad}\nSELECT ?x WHERE {{ ?cluster ?year ?x }}\n")
        with pytest.raises(NamedQueryError, match=rf"{path}:4"):
            parse_named_query(path)


def test_searchtext_parameter_is_folded_like_the_search_keys():
    bound = QUERIES["search-by-name"].bind({"text": "  Mobilità   SOSTENIBILE "})
    assert 'VALUES (?text) { ("mobilita sostenibile") }' in bound
    with pytest.raises(NamedQueryError, match="parameter text: empty search text"):
        QUERIES["search-by-name"].bind({"text": "\u0301 "})  # a lone accent folds to nothing


def test_paged_query_gets_a_page_parameter_and_a_limit(tmp_path):
    query = parse_named_query(_write(tmp_path, "#+ title: t\n#+ page: 50\n"
                                               "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s\n"))
    assert [p.name for p in query.params] == ["page"] and query.page_size == 50
    assert query.bind({}).rstrip().endswith("LIMIT 50 OFFSET 0")
    assert query.bind({"page": "3"}).rstrip().endswith("LIMIT 50 OFFSET 100")
    for bad in ("0", "-1", "x", "100001"):
        with pytest.raises(NamedQueryError, match="page"):
            query.bind({"page": bad})


@pytest.mark.parametrize("text", ["SELECT ?s WHERE { ?s ?p ?o }", "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 5",
                                  "SELECT ?s WHERE { { SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s } }"])
def test_paged_query_must_end_with_order_by_and_no_limit(tmp_path, text):
    with pytest.raises(NamedQueryError, match=r"q\.rq:2: a paged query ends with ORDER BY"):
        parse_named_query(_write(tmp_path, f"#+ title: t\n#+ page: 50\n{text}\n"))


def _participations(store, graph: str, initiative: str, clusters: list[str]) -> None:
    """Each cluster takes part in ``initiative``, stated in ``graph`` (as the build states it: a
    cg:Participation with cg:participant and cg:initiative)."""
    cg, idns = "https://w3id.org/clustergraph/ontology#", "https://w3id.org/clustergraph/id/"
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    g = ox.NamedNode(graph)
    for c in clusters:
        p = ox.NamedNode(f"{idns}p-{initiative}-{c}")
        store.add(ox.Quad(p, rdf_type, ox.NamedNode(cg + "Participation"), g))
        store.add(ox.Quad(p, ox.NamedNode(cg + "participant"), ox.NamedNode(idns + c), g))
        store.add(ox.Quad(p, ox.NamedNode(cg + "initiative"), ox.NamedNode(idns + initiative), g))


def test_cluster_pairs_leave_out_initiatives_of_more_than_fifty_clusters():
    """A platform every cluster is on says nothing about a pair: as the collaboration view (max_members 50),
    cluster-pairs-sharing-initiatives counts only initiatives with at most 50 cluster organisations."""
    cg, idns = "https://w3id.org/clustergraph/ontology#", "https://w3id.org/clustergraph/id/"
    store = ox.Store()
    clusters = [f"c{i:02d}" for i in range(51)]
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    label = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
    for graph in ("https://example.org/g1", "https://example.org/g2"):  # every fact stated twice
        g = ox.NamedNode(graph)
        for c in clusters:
            store.add(ox.Quad(ox.NamedNode(idns + c), rdf_type, ox.NamedNode(cg + "ClusterOrganisation"), g))
            store.add(ox.Quad(ox.NamedNode(idns + c), label, ox.Literal(f"Cluster {c}", language="en"), g))
        for initiative in ("platform", "project", "network"):
            store.add(ox.Quad(ox.NamedNode(idns + initiative), ox.NamedNode(cg + "family"),
                              ox.NamedNode(cg + "family-i3"), g))
            store.add(ox.Quad(ox.NamedNode(idns + initiative), label, ox.Literal(initiative, language="en"), g))
        _participations(store, graph, "platform", clusters)  # 51 clusters: left out
        _participations(store, graph, "project", ["c00", "c01", "c02"])
        _participations(store, graph, "network", clusters[:50])  # 50 clusters: kept
    query = QUERIES["cluster-pairs-sharing-initiatives"]
    rows = []
    for page in (1, 2, 3):
        solutions = store.query(query.bind({"page": str(page)}), use_default_graph_as_union=True)
        rows += [{v.value: s[v].value for v in solutions.variables if s[v] is not None} for s in solutions]
    pairs = {(r["a"].removeprefix(idns), r["b"].removeprefix(idns)): r for r in rows}
    assert len(rows) == len(pairs) == 50 * 49 // 2, "each pair once, of the 50 clusters of 'network'"
    assert pairs[("c00", "c01")]["shared"] == "2"
    assert sorted(pairs[("c00", "c01")]["initiatives"].split(" | ")) == ["network", "project"]
    assert pairs[("c03", "c49")]["shared"] == "1"
    assert all("c50" not in pair for pair in pairs), "c50 is only on the platform, which is left out"
    assert [r["shared"] for r in rows[:3]] == ["2", "2", "2"], "most shared initiatives first"
