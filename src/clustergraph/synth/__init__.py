"""Reproducible synthetic data in the project's own ontology, for building and querying at scale.

``generate(SynthConfig(clusters=1200), out_dir)`` writes a folder that can serve as the ``data/`` folder of
a project: one sub-folder per synthetic source document (``synth-report-2022/``, ``synth-report-2024/``)
holding N-Triples files of at most ``MAX_TRIPLES_PER_FILE`` triples, and ``reference/`` with a copy of
the project's real reference data plus a synthetic registry and the description of the synthetic
documents and their graphs.

The data follows the curation guide (``data/README.md``) and conforms to ``shapes/``:

- cluster organisations spread over the 27 EU countries and real NUTS 3 regions, each with a cluster type,
  EU industrial ecosystems, a technology area, a headquarters site (and sometimes a Brussels office);
- 20 to 300 member organisations per cluster (``org:memberOf``; companies, research organisations,
  associations, public bodies, hubs), fewer in 2022 than in 2024, a few leaving in between;
- member-count observations per cluster, edition and category whose categories add up to the total
  (they are counted from the generated members, so they agree with the ``org:memberOf`` links);
- projects with 3 to 40 partners under the real programmes and initiative families of the reference data,
  European cluster partnerships, I3 projects under ``cgr:i3``, with EU contributions;
- umbrella networks with hundreds of members at scale, ECCP registration of every cluster, Vanguard pilots;
- counts of cluster organisations per country and NUTS 2 region as indicator observations;
- every n-ary node derived from a ``cg:SourceLocator`` of its document.

Every IRI minted here is ``https://w3id.org/clustergraph/id/synth-...`` and every label says "Synthetic",
so synthetic data never collides with curated data. No text is taken from the real sources.

The same configuration always gives byte-identical files: all randomness comes from ``random.Random``
seeded from ``SynthConfig.seed`` and triples are written in a fixed order. Triples are streamed to the
files as they are made, so memory stays small whatever the size.

Owns: config, terms, tables, sinks, plan, reference, generator, organisations, initiatives.
May import: nothing of the packages (shared modules only).
"""


from __future__ import annotations

import shutil
import time
from pathlib import Path

from clustergraph.errors import LayoutError
from clustergraph.synth.config import (
    MAX_TRIPLES_PER_FILE,
    PRESETS,
    REFERENCE_DIR,
    SynthConfig,
    SynthReport,
)
from clustergraph.synth.generator import Generator
from clustergraph.synth.reference import _copy_reference
from clustergraph.synth.sinks import _Out


def generate(
    config: SynthConfig,
    out_dir: Path,
    *,
    reference: Path | None = None,
    overwrite: bool = False,
    max_triples_per_file: int = MAX_TRIPLES_PER_FILE,
) -> SynthReport:
    """Write a synthetic ``data/`` folder for ``config`` into ``out_dir``.

    ``reference`` is the folder of real reference data to copy (default: the repository's
    ``data/reference``). ``out_dir`` must be empty or missing unless ``overwrite``, which replaces the
    ``reference/`` and ``synth-*`` folders a previous run left there.

    :raises ValueError: for fewer than one cluster or a scale that is not positive.
    :raises LayoutError: when ``out_dir`` holds files and ``overwrite`` is false.
    """
    if config.clusters < 1 or not config.scale > 0:
        raise ValueError("synthetic data needs at least one cluster and a positive scale")
    start = time.perf_counter()
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        if not overwrite:
            raise LayoutError(f"{out_dir}: not empty (pass --overwrite, or overwrite=True, to replace a previous run)")
        for old in sorted(out_dir.iterdir()):
            if old.is_dir() and (old.name == "reference" or old.name.startswith("synth-")):
                shutil.rmtree(old)
    out_dir.mkdir(parents=True, exist_ok=True)

    reference_triples, reference_files = _copy_reference(reference or REFERENCE_DIR, out_dir / "reference")
    out = _Out(out_dir, max_triples_per_file)
    try:
        gen = Generator(config, out)
        gen.run()
    finally:
        out.close()
    return SynthReport(
        files=out.files + reference_files,
        triples=out.triples + reference_triples,
        clusters=config.clusters,
        organisations=gen.organisations,
        projects=gen.projects,
        seconds=round(time.perf_counter() - start, 3),
    )


__all__ = ["MAX_TRIPLES_PER_FILE", "PRESETS", "SynthConfig", "SynthReport", "generate"]
