"""The synthetic data generator: state shared by its parts, and the order they run in."""

from __future__ import annotations

import random

from clustergraph.synth.config import EDITIONS, SOURCE_FOLDERS, SynthConfig
from clustergraph.synth.initiatives import InitiativeParts
from clustergraph.synth.organisations import OrganisationParts
from clustergraph.synth.plan import _doc, _plan_clusters, _s
from clustergraph.synth.sinks import _Out, _Sink
from clustergraph.synth.terms import (
    BIBO_PAGE,
    BIBO_SECTION,
    DCT_PART_OF,
    DERIVED,
    A,
    _cg,
    _r,
    _str,
)


class Generator(OrganisationParts, InitiativeParts):
    """One synthetic landscape written to ``out``: shared helpers here, the parts in their mixins."""

    def __init__(self, config: SynthConfig, out: _Out) -> None:
        self.config, self.out = config, out
        self.organisations = 0
        self.projects = 0
        seed = config.seed
        self.clusters = _plan_clusters(config, random.Random(f"{seed}:clusters"))
        self.rng_members = random.Random(f"{seed}:members")
        self.rng_projects = random.Random(f"{seed}:projects")
        self.rng_networks = random.Random(f"{seed}:networks")
        self.by_edition = {e: [c.index for c in self.clusters if e in c.editions] for e in EDITIONS}
        self.page = {e: 12 for e in EDITIONS}

    def sink(self, edition: int | None, stem: str) -> _Sink:
        return self.out("reference" if edition is None else SOURCE_FOLDERS[edition], stem)

    def locator(self, edition: int, local: str, section: str, pages: int = 1) -> str:
        node = _r(f"synth-loc-{_s(edition)}-{local}")
        emit = self.sink(edition, "locators")
        emit(node, A, _cg("SourceLocator"))
        emit(node, DCT_PART_OF, _doc(edition))
        emit(node, BIBO_PAGE, _str(str(self.page[edition])))
        emit(node, BIBO_SECTION, _str(section))
        self.page[edition] += pages
        return node

    def participation(self, edition: int, org_local: str, init_local: str, role: str, locator: str) -> None:
        emit = self.sink(edition, "participations")
        node = _r(f"synth-part-{_s(edition)}-{org_local.removeprefix('synth-')}-{init_local.removeprefix('synth-')}")
        emit(node, A, _cg("Participation"))
        emit(node, _cg("participant"), _r(org_local))
        emit(node, _cg("initiative"), _r(init_local))
        emit(node, _cg("role"), _cg(role))
        emit(node, DERIVED, locator)

    # --- the whole landscape --------------------------------------------------------------------------
    def run(self) -> None:
        self.registry()
        for cluster in self.clusters:
            self.cluster(cluster)
        self.networks()
        self.projects_()
        self.indicators()
