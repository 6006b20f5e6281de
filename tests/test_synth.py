"""Synthetic data: reproducible, conforming to the shapes, answering the named queries, linear in size."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from clustergraph.errors import LayoutError
from clustergraph.kg.build import build
from clustergraph.kg.layout import Layout
from clustergraph.kg.store import EmbeddedStore, StoreRoot
from clustergraph.querying.named import load_named_queries
from clustergraph.synth import (
    MAX_TRIPLES_PER_FILE,
    PRESETS,
    SynthConfig,
    SynthReport,
    generate,
)

ROOT = Path(__file__).resolve().parents[1]
SMALL = SynthConfig(clusters=12, scale=0.5, seed=7)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _count_triples(folder: Path) -> int:
    total = 0
    for path in sorted(folder.rglob("*")):
        if path.suffix in (".nt", ".ttl"):
            fmt = ox.RdfFormat.N_TRIPLES if path.suffix == ".nt" else ox.RdfFormat.TURTLE
            total += sum(1 for _ in ox.parse(path=str(path), format=fmt))
    return total


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthReport]:
    out = tmp_path_factory.mktemp("synth") / "data"
    return out, generate(SMALL, out)


@pytest.fixture(scope="module")
def synth_store(small: tuple[Path, SynthReport], tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    """A project made of the real ontology, shapes and queries and the synthetic data, built for real."""
    out, _ = small
    root = tmp_path_factory.mktemp("synth-project") / "project"
    root.mkdir()
    for name in ("ontology", "shapes", "queries"):
        (root / name).symlink_to(ROOT / name)
    (root / "data").symlink_to(out)
    store_root = StoreRoot(tmp_path_factory.mktemp("synth-store"))
    report = build(Layout(root), store_root)  # raises ValidationFailed on any violation
    assert report.warnings == []
    assert set(report.triples_per_graph) >= {
        "https://w3id.org/clustergraph/graph/synth-report-2022",
        "https://w3id.org/clustergraph/graph/synth-report-2024",
        "https://w3id.org/clustergraph/graph/reference",
    }
    return store_root.open_current()


def test_layout_and_report(small: tuple[Path, SynthReport]) -> None:
    out, report = small
    assert sorted(p.name for p in out.iterdir()) == ["reference", "synth-report-2022", "synth-report-2024"]
    assert (out / "reference" / "synth-documents.ttl").is_file()
    assert (out / "reference" / "schemes.ttl").read_bytes() == (ROOT / "data" / "reference" / "schemes.ttl").read_bytes()
    assert not any(p.is_symlink() for p in out.rglob("*"))
    assert report.clusters == 12 and report.organisations > 12 * 10 and report.projects >= 2
    assert report.files == len(_files(out))
    assert report.triples == _count_triples(out)  # also: every file parses


def test_only_synthetic_iris_are_minted(small: tuple[Path, SynthReport]) -> None:
    out, _ = small
    subjects = set()
    for path in sorted(out.glob("synth-report-*/*.nt")):
        for triple in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES):
            subjects.add(triple.subject.value)
    assert subjects
    assert all(s.startswith("https://w3id.org/clustergraph/id/synth-") for s in subjects)


def test_deterministic(small: tuple[Path, SynthReport], tmp_path: Path) -> None:
    out, _ = small
    again = tmp_path / "again"
    generate(SMALL, again)
    assert _files(again) == _files(out)
    other = tmp_path / "other"
    generate(SynthConfig(clusters=12, scale=0.5, seed=8), other)
    assert _files(other) != _files(out)


def test_refuses_a_non_empty_folder_unless_asked(small: tuple[Path, SynthReport], tmp_path: Path) -> None:
    target = tmp_path / "data"
    generate(SynthConfig(clusters=3, seed=1), target)
    with pytest.raises(LayoutError, match="not empty"):
        generate(SMALL, target)
    generate(SMALL, target, overwrite=True)
    assert _files(target) == _files(small[0])


def test_files_are_split(tmp_path: Path) -> None:
    report = generate(SynthConfig(clusters=6, seed=3), tmp_path / "data", max_triples_per_file=500)
    for path in (tmp_path / "data").rglob("*.nt"):
        assert sum(1 for _ in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)) <= 500
    assert report.files > 14
    assert MAX_TRIPLES_PER_FILE == 200_000


def test_size_scales_linearly(tmp_path: Path) -> None:
    small = generate(SynthConfig(clusters=12), tmp_path / "a")
    large = generate(SynthConfig(clusters=24), tmp_path / "b")
    assert 1.6 <= large.triples / small.triples <= 2.4
    scaled = generate(SynthConfig(clusters=12, scale=2.0), tmp_path / "c")
    assert 1.4 <= scaled.triples / small.triples <= 2.6


def test_presets() -> None:
    assert PRESETS["region"].clusters <= 20
    assert PRESETS["eccp"].clusters >= 1000
    assert PRESETS["10m"].clusters * PRESETS["10m"].scale > 8 * PRESETS["eccp"].clusters * PRESETS["eccp"].scale


def test_rejects_empty_config(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(SynthConfig(clusters=0), tmp_path / "data")


# --- built with the real pipeline -------------------------------------------------------------------------
def _run(store: EmbeddedStore, name: str, **params: str) -> list[dict[str, str]]:
    queries = load_named_queries(ROOT / "queries")
    solutions = store.query(queries[name].bind(params))
    names = [v.value for v in solutions.variables]
    return [{n: (s[n].value if s[n] is not None else "") for n in names} for s in solutions]


def test_builds_without_violations_or_warnings(synth_store: EmbeddedStore) -> None:
    rows = list(synth_store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s a <https://w3id.org/clustergraph/ontology#ClusterOrganisation> } }"
    ))
    assert int(rows[0]["n"].value) >= 12


@pytest.mark.parametrize(
    "name",
    [
        "clusters-per-initiative",
        "member-counts-by-category",
        "eccp-clusters",
        "cluster-sites",
        "projects-by-programme",
        "network-cluster-sizes",
        "network-participations",
    ],
)
def test_named_queries_answer(synth_store: EmbeddedStore, name: str) -> None:
    assert _run(synth_store, name)


def test_regional_indicators_per_country_and_region(synth_store: EmbeddedStore) -> None:
    rows = list(synth_store.query(
        "SELECT DISTINCT ?a WHERE { ?o a <https://w3id.org/clustergraph/ontology#IndicatorObservation> ; "
        "<https://w3id.org/clustergraph/ontology#refArea> ?a }"
    ))
    areas = {r["a"].value for r in rows}
    assert any(a.startswith("http://publications.europa.eu/resource/authority/country/") for a in areas)
    region = next(a for a in sorted(areas) if a.startswith("http://data.europa.eu/nuts/code/"))
    answer = _run(synth_store, "regional-indicators", area=region)
    assert answer and {r["area"] for r in answer} == {region}


def test_member_categories_add_up(synth_store: EmbeddedStore) -> None:
    rows = _run(synth_store, "member-counts-by-category")
    totals: dict[tuple[str, str], int] = {}
    parts: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["organisation"], row["source"])
        if row["category"] == "all members":
            totals[key] = int(row["members"])
        else:
            parts[key] = parts.get(key, 0) + int(row["members"])
    assert totals and parts
    assert all(parts[key] == totals[key] for key in parts)


def test_member_counts_match_the_members(synth_store: EmbeddedStore) -> None:
    """The 2024 totals are the number of org:memberOf links the 2024 report states."""
    query = """
        PREFIX cg: <https://w3id.org/clustergraph/ontology#>
        PREFIX org: <http://www.w3.org/ns/org#>
        PREFIX sdmx: <http://purl.org/linked-data/sdmx/2009/dimension#>
        SELECT ?c ?total (COUNT(DISTINCT ?m) AS ?members) WHERE {
            ?obs cg:organisation ?c ; cg:memberCategory cg:mc-total ; sdmx:refPeriod "2024"^^<http://www.w3.org/2001/XMLSchema#gYear> ;
                 cg:memberCount ?total .
            GRAPH <https://w3id.org/clustergraph/graph/synth-report-2024> { ?m org:memberOf ?c }
        } GROUP BY ?c ?total"""
    rows = list(synth_store.query(query))
    assert rows
    assert all(int(r["total"].value) == int(r["members"].value) for r in rows)


def test_cli_writes_a_preset_and_refuses_to_mix_runs(tmp_path) -> None:
    from conftest import run_cli

    first = run_cli("synth", "--preset", "region", "-o", str(tmp_path / "data"))
    again = run_cli("synth", "--preset", "region", "-o", str(tmp_path / "data"))
    assert first.returncode == 0 and "15 clusters" in first.stdout
    assert again.returncode == 2 and "--overwrite" in again.stderr
