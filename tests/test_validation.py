"""Invalid data is refused with file, line, focus node and message; the curated data conforms."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import FIXTURES, ROOT, make_project, run_cli

from clustergraph.kg.build import check
from clustergraph.kg.dataset import TermLines, term_lines
from clustergraph.kg.layout import Layout

INVALID = sorted((FIXTURES / "invalid").glob("*.ttl"))
DEFECTS = [p for p in INVALID if p.name != "broken-syntax.ttl"]


def _expected(path: Path) -> str:
    match = re.search(r"^# expect: (.+)$", path.read_text(), re.MULTILINE)
    assert match, f"{path.name} has no '# expect:' line"
    return match[1]


def _expected_location(path: Path) -> str:
    """``data/fixture/<name>:<line>``: where the report must point (the fixture's ``# expect-line:``)."""
    match = re.search(r"^# expect-line: (\d+)$", path.read_text(), re.MULTILINE)
    assert match, f"{path.name} has no '# expect-line:' line"
    return f"data/fixture/{path.name}:{match[1]}"


def test_curated_data_conforms_to_the_shapes():
    report, files = check(Layout(ROOT))
    assert files >= 15
    assert [v.describe() for v in report.violations] == []


def test_minimal_fixture_is_valid(tmp_path):
    result = run_cli("validate", "--root", str(make_project(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert "valid:" in result.stdout


@pytest.mark.parametrize("fixture", DEFECTS, ids=lambda p: p.stem)
def test_each_defect_is_refused_with_its_message(tmp_path, fixture):
    result = run_cli("validate", "--root", str(make_project(tmp_path, fixture)))
    assert result.returncode == 1, result.stdout + result.stderr
    assert _expected(fixture) in result.stderr
    assert re.search(rf"{re.escape(_expected_location(fixture))}\b", result.stderr), \
        "the report must name the file and line the defect is in:\n" + result.stderr
    assert "focus cgr:" in result.stderr


@pytest.mark.parametrize("fixture", DEFECTS, ids=lambda p: p.stem)
def test_the_reference_engine_reports_the_same_lines(tmp_path, fixture):
    report, _ = check(Layout(make_project(tmp_path, fixture)), engine="pyshacl")
    located = [v for v in report.violations if _expected_location(fixture) in v.files]
    assert located and any(_expected(fixture) in v.message for v in located), \
        [v.describe() for v in report.violations]


def test_lines_are_only_looked_up_when_there_is_something_to_report(tmp_path, monkeypatch):
    def refuse(path: Path) -> dict[str, TermLines]:
        raise AssertionError(f"{path} was read for line numbers though nothing is reported")

    monkeypatch.setattr("clustergraph.kg.dataset.term_lines", refuse)
    report, _ = check(Layout(make_project(tmp_path)))
    assert report.violations == []


def test_term_lines_read_the_files_own_prefixes_and_skip_strings_and_comments(tmp_path):
    data = tmp_path / "lines.ttl"
    data.write_text("""@prefix cgr: <https://w3id.org/clustergraph/id/> .
PREFIX ex: <urn:ex:>
# cgr:afil in a comment is not a mention
ex:a ex:says "cgr:afil in a string is not one either" ; ex:knows cgr:afil .
cgr:afil-two ex:knows cgr:afil.
[ ex:p cgr:inner ] ex:q ( cgr:listed ) .
cgr:afil
    ex:note '''two
lines''' .
@base <https://w3id.org/clustergraph/id/> .
<relative> ex:p cgr:dotted\\.name .
""")
    assert len(list(ox.parse(path=str(data), format=ox.RdfFormat.TURTLE))) == 9, "the example is real Turtle"
    lines = term_lines(data)
    iri = "https://w3id.org/clustergraph/id/"
    assert lines[iri + "afil"] == TermLines(subject=7, first=4), "first as a subject, else first at all"
    assert lines[iri + "afil-two"] == TermLines(subject=5, first=5), "a prefixed name ends at its own end"
    assert lines[iri + "inner"].subject is None and lines[iri + "listed"].subject is None
    assert lines["urn:ex:a"].subject == 4
    assert lines[iri + "relative"] == TermLines(subject=11, first=11), "@base resolves relative IRIs"
    assert lines[iri + "dotted.name"].first == 11


def test_broken_turtle_names_file_and_line(tmp_path):
    fixture = FIXTURES / "invalid" / "broken-syntax.ttl"
    line = re.search(r"expect-syntax-line: (\d+)", fixture.read_text())[1]
    result = run_cli("validate", "--root", str(make_project(tmp_path, fixture)))
    assert result.returncode == 1
    assert re.search(rf"data/fixture/broken-syntax\.ttl:{line}:\d+: syntax error", result.stderr), result.stderr


def test_warnings_do_not_block(tmp_path):
    extra = tmp_path / "sum.ttl"
    extra.write_text(
        (FIXTURES / "valid" / "minimal.ttl").read_text().split("# A small")[0]
        + """
cgr:obs-test-afil-companies a cg:MemberCountObservation ; qb:dataSet cgr:member-counts ;
    cg:organisation cgr:afil ; sdmx-dimension:refPeriod "2024"^^xsd:gYear ; cg:memberCategory cg:mc-companies ;
    cg:statedIn cgr:doc-ltc-report-2024 ; cg:memberCount "200"^^xsd:nonNegativeInteger ;
    prov:wasDerivedFrom cgr:loc-test-afil .
"""
    )
    result = run_cli("validate", "--root", str(make_project(tmp_path, extra)))
    assert result.returncode == 0, result.stderr
    assert "Member categories do not add up to the total" in result.stderr
    assert "= 200, total = 143" in result.stderr


@pytest.mark.parametrize("engine", ["sparql", "pyshacl"])
def test_dangling_references_are_reported_once_per_referring_triple(tmp_path, engine):
    """The dangling-reference check works on the distinct objects, then joins the dangling ones back to the
    triples using them: every subject pointing at a missing resource is named; rdf:type objects, literals that
    look like our IRIs, described resources and IRIs outside our namespace are not dangling."""
    extra = tmp_path / "refs.ttl"
    extra.write_text(
        (FIXTURES / "valid" / "minimal.ttl").read_text().split("# A small")[0]
        + """
cgr:afil dct:relation cgr:missing-one , cgr:i3 , <https://example.org/elsewhere> ;
    skos:note "https://w3id.org/clustergraph/id/not-an-iri" .
cgr:i3 dct:relation cgr:missing-one , cgr:missing-two .
"""
    )
    report, _ = check(Layout(make_project(tmp_path, extra)), engine=engine)
    dangling = sorted(v.message.split(",")[0] for v in report.violations if "which no data file describes" in v.message)
    assert dangling == [
        "https://w3id.org/clustergraph/id/afil refers to https://w3id.org/clustergraph/id/missing-one",
        "https://w3id.org/clustergraph/id/i3 refers to https://w3id.org/clustergraph/id/missing-one",
        "https://w3id.org/clustergraph/id/i3 refers to https://w3id.org/clustergraph/id/missing-two",
    ], [v.describe() for v in report.violations]


CGR = "https://w3id.org/clustergraph/id/"


def _observations(rows: str) -> str:
    """Turtle for member-count observations of cgr:afil: one ``name year category count doc [approximate]``
    per line (doc is ``ltc`` for cgr:doc-ltc-report-2024, ``slides`` for cgr:doc-afil-slides-2024)."""
    docs = {"ltc": "cgr:doc-ltc-report-2024", "slides": "cgr:doc-afil-slides-2024"}
    out = []
    for line in rows.strip().splitlines():
        name, year, category, count, doc, *approximate = line.split()
        out.append(
            f'cgr:obs-t-{name} a cg:MemberCountObservation ; qb:dataSet cgr:member-counts ; cg:organisation cgr:afil ;\n'
            f'    sdmx-dimension:refPeriod "{year}"^^xsd:gYear ; cg:memberCategory cg:mc-{category} ;\n'
            f'    cg:statedIn {docs[doc]} ; cg:memberCount "{count}"^^xsd:nonNegativeInteger ;\n'
            f'    {"cg:approximate true ; " if approximate else ""}prov:wasDerivedFrom cgr:loc-test-afil .\n')
    return "\n".join(out)


def _with_observations(tmp_path: Path, rows: str) -> Path:
    extra = tmp_path / "observations.ttl"
    extra.write_text((FIXTURES / "valid" / "minimal.ttl").read_text().split("# A small")[0] + _observations(rows))
    return make_project(tmp_path, extra)


@pytest.mark.parametrize("engine", ["sparql", "pyshacl"])
def test_conflicting_member_counts_are_reported_per_pair_of_exact_observations(tmp_path, engine):
    """The conflicting-counts check groups the observations by organisation, year, category and source first,
    then compares the counts of the groups holding more than one: each exact pair with different counts is
    reported from both sides; equal counts, an approximate observation, another source or another year
    are not conflicts."""
    root = _with_observations(tmp_path, """
        dup-total 2024 total 150 ltc
        same-a 2023 companies 10 ltc
        same-b 2023 companies 10 ltc
        approx-a 2023 research-organisations 5 ltc
        approx-b 2023 research-organisations 6 ltc approximate
        other-doc 2024 total 160 slides
        other-year 2022 total 170 ltc
        three-a 2021 other-entities 1 ltc
        three-b 2021 other-entities 2 ltc
        three-c 2021 other-entities 2 ltc
    """)
    report, _ = check(Layout(root), engine=engine)
    found = sorted((v.focus, v.message.split("counts (")[1].split(")")[0].replace(CGR, "cgr:"))
                   for v in report.violations if "different counts" in v.message)
    assert found == [
        ("cgr:obs-t-dup-total", "cgr:obs-t-dup-total: 150, cgr:obs-test-afil-total: 143"),
        ("cgr:obs-t-three-a", "cgr:obs-t-three-a: 1, cgr:obs-t-three-b: 2"),
        ("cgr:obs-t-three-a", "cgr:obs-t-three-a: 1, cgr:obs-t-three-c: 2"),
        ("cgr:obs-t-three-b", "cgr:obs-t-three-b: 2, cgr:obs-t-three-a: 1"),
        ("cgr:obs-t-three-c", "cgr:obs-t-three-c: 2, cgr:obs-t-three-a: 1"),
        ("cgr:obs-test-afil-total", "cgr:obs-test-afil-total: 143, cgr:obs-t-dup-total: 150"),
    ], [v.describe() for v in report.violations]
    assert all(v.files for v in report.violations if "different counts" in v.message), "file and line are named"


@pytest.mark.parametrize("engine", ["sparql", "pyshacl"])
def test_member_category_sums_are_checked_for_exact_totals_only(tmp_path, engine):
    """The sum check sums the categories of each exact total's organisation, year and source: three parts
    that do not add up, or parts above the total, are warned about; parts that add up, fewer than three
    parts below the total, parts stated in another source and approximate totals are not."""
    root = _with_observations(tmp_path, """
        c24 2024 companies 100 ltc
        r24 2024 research-organisations 30 ltc
        o24 2024 other-entities 10 ltc
        t23 2023 total 50 ltc
        c23 2023 companies 20 ltc
        r23 2023 research-organisations 20 ltc
        o23 2023 other-entities 10 ltc
        elsewhere23 2023 companies 99 slides
        t22 2022 total 50 ltc
        c22 2022 companies 20 ltc
        t21 2021 total 10 ltc
        c21 2021 companies 20 ltc
        t20 2020 total 30 ltc approximate
        c20 2020 companies 1 ltc
        r20 2020 research-organisations 1 ltc
        o20 2020 other-entities 1 ltc
    """)
    report, _ = check(Layout(root), engine=engine)
    found = sorted((v.focus, v.message.split("= ", 1)[1]) for v in report.warnings
                   if "do not add up" in v.message)
    assert found == [
        ("cgr:obs-t-t21", "20, total = 10."),
        ("cgr:obs-test-afil-total", "140, total = 143."),
    ], [v.describe() for v in report.warnings]
    assert all(v.files for v in report.warnings if "do not add up" in v.message), "file and line are named"
