"""Invalid data is refused with file, line, focus node and message; the curated data conforms."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, make_project, run_cli
from clustergraph.build import check
from clustergraph.layout import Layout

INVALID = sorted((FIXTURES / "invalid").glob("*.ttl"))


def _expected(path: Path) -> str:
    match = re.search(r"^# expect: (.+)$", path.read_text(), re.MULTILINE)
    assert match, f"{path.name} has no '# expect:' line"
    return match[1]


def test_curated_data_conforms_to_the_shapes():
    report, files = check(Layout(ROOT))
    assert files >= 15
    assert [v.describe() for v in report.violations] == []


def test_minimal_fixture_is_valid(tmp_path):
    result = run_cli("validate", "--root", str(make_project(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert "valid:" in result.stdout


@pytest.mark.parametrize("fixture", [p for p in INVALID if p.name != "broken-syntax.ttl"], ids=lambda p: p.stem)
def test_each_defect_is_refused_with_its_message(tmp_path, fixture):
    result = run_cli("validate", "--root", str(make_project(tmp_path, fixture)))
    assert result.returncode == 1, result.stdout + result.stderr
    assert _expected(fixture) in result.stderr
    assert f"data/fixture/{fixture.name}" in result.stderr, "the report must name the file the defect is in"
    assert "focus cgr:" in result.stderr


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
