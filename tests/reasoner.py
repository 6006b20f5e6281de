"""An OWL 2 DL reasoner for the tests: HermiT, bundled with owlready2, run on the system's Java.

Skips when Java or owlready2 is missing, unless ``CLUSTERGRAPH_REQUIRE_REASONER=1`` (CI), which fails."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import rdflib

REQUIRED = os.environ.get("CLUSTERGRAPH_REQUIRE_REASONER") == "1"


def unavailable() -> str | None:
    """Why HermiT cannot run here, or None."""
    if shutil.which("java") is None:
        return "no java on PATH (Debian: default-jre-headless)"
    try:
        import owlready2  # noqa: F401
    except ImportError:
        return "the owlready2 package is not installed"
    return None


def require() -> None:
    """Skip the calling test when HermiT cannot run, or fail it under ``CLUSTERGRAPH_REQUIRE_REASONER=1``."""
    reason = unavailable()
    if reason:
        if REQUIRED:
            pytest.fail(f"CLUSTERGRAPH_REQUIRE_REASONER=1 but {reason}")
        pytest.skip(f"the reasoner tests need HermiT: {reason}")


def hermit(graph: rdflib.Graph, workdir: Path):
    """Load ``graph`` (as N-Triples, which owlready2 reads best) into a fresh owlready2 World and run HermiT on
    it. Returns the World, its inferences added.

    :raises owlready2.OwlReadyInconsistentOntologyError: when the ontology is inconsistent.
    :raises owlready2.OwlReadyJavaError: when HermiT refuses it (e.g. a datatype outside the OWL 2 map).
    """
    import owlready2

    path = workdir / "ontology.nt"
    graph.serialize(path, format="nt", encoding="utf-8")
    world = owlready2.World()
    world.get_ontology(path.as_uri()).load()
    owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    return world
