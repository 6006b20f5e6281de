"""Parse, validate and load the project into a fresh store, then publish it atomically."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from clustergraph.dataset import ParsedDataset, load_project
from clustergraph.errors import Violation
from clustergraph.layout import Layout
from clustergraph.store import StoreRoot, write_store
from clustergraph.validation import ValidationReport, load_shapes, validate

Progress = Callable[[str], None]


@dataclass
class BuildReport:
    """What a successful build loaded, and the warnings it let through."""

    store: Path
    quads: int
    files: int
    triples_per_graph: dict[str, int]
    warnings: list[Violation] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def _parse_and_validate(layout: Layout, progress: Progress, seconds: dict[str, float]) -> tuple[ParsedDataset, ValidationReport]:
    mark = time.perf_counter()
    progress("parsing ontology, shapes and data")
    dataset = load_project(layout)
    shapes = load_shapes(layout.shapes_files())
    seconds["parse"] = time.perf_counter() - mark
    progress(f"validating {len(dataset.quads)} quads from {len(dataset.files)} files against the shapes")
    mark = time.perf_counter()
    report = validate(dataset, shapes)
    seconds["validate"] = time.perf_counter() - mark
    return dataset, report


def check(layout: Layout, *, progress: Progress = lambda _: None) -> tuple[ValidationReport, int]:
    """Parse and validate without loading; returns the report and the number of files read.

    :raises DataSyntaxError: for a file that does not parse.
    """
    dataset, report = _parse_and_validate(layout, progress, {})
    return report, len(dataset.files)


def build(layout: Layout, root: StoreRoot, *, progress: Progress = lambda _: None) -> BuildReport:
    """Build a new store from the project files and make it the current one.

    Nothing is published unless every step succeeds, so a failed build leaves the previous store serving.

    :raises DataSyntaxError: for a file that does not parse.
    :raises ValidationFailed: when the data violates a shape of severity Violation.
    :raises StoreError: when the store cannot be written.
    """
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    dataset, report = _parse_and_validate(layout, progress, seconds)
    report.raise_for_violations()

    progress("loading into a fresh Oxigraph store")
    mark = time.perf_counter()
    with root.lock():
        build_dir = root.new_build_dir()
        try:
            count = write_store(build_dir, dataset.quads)
            root.publish(build_dir)
        except BaseException:
            shutil.rmtree(build_dir, ignore_errors=True)
            raise
    seconds["load"] = time.perf_counter() - mark
    seconds["total"] = time.perf_counter() - start
    return BuildReport(
        store=build_dir,
        quads=count,
        files=len(dataset.files),
        triples_per_graph=dict(sorted(dataset.triples_per_graph.items())),
        warnings=report.warnings,
        seconds=seconds,
    )
