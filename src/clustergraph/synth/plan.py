"""The model of one synthetic landscape: which clusters exist, where, in which editions."""

from __future__ import annotations

import random
from dataclasses import dataclass

from clustergraph.synth.config import SynthConfig
from clustergraph.synth.tables import _COUNTRY_CUM, COUNTRIES, _pick
from clustergraph.synth.terms import _r


# --- the model of one synthetic landscape -------------------------------------------------------------
@dataclass
class _Cluster:
    index: int
    country: int  # index into COUNTRIES
    nuts3: str
    city: str
    editions: tuple[int, ...]
    founded: int
    ranges: dict[int, tuple[int, int]]  # edition -> [first, end) member indexes
    span: int  # member indexes 0..span-1

    @property
    def num(self) -> str:
        return f"{self.index + 1:05d}"

    @property
    def local(self) -> str:
        return f"synth-cluster-{self.num}"

    @property
    def iso(self) -> str:
        return COUNTRIES[self.country][1]

    @property
    def code3(self) -> str:
        return COUNTRIES[self.country][0]


def _doc(edition: int) -> str:
    return _r(f"synth-doc-report-{edition}")


def _s(edition: int) -> str:
    return f"s{edition}"


def _plan_clusters(config: SynthConfig, rng: random.Random) -> list[_Cluster]:
    clusters = []
    for i in range(config.clusters):
        country = _pick(rng, _COUNTRY_CUM)
        nuts3, city = rng.choice(COUNTRIES[country][3])
        roll = rng.random()
        if roll < 0.07:
            founded, editions = rng.randint(2023, 2024), (2024,)
        elif roll < 0.10:
            founded, editions = rng.randint(1995, 2018), (2022,)  # in the 2022 report, gone by 2024
        else:
            founded, editions = rng.randint(1995, 2022), (2022, 2024)
        base = 20 + 280 * rng.betavariate(1.3, 3.0)
        m24 = max(3, round(base * config.scale))
        m22 = max(3, round(m24 * rng.uniform(0.72, 1.02)))
        if editions == (2022, 2024):
            leavers = max(round(m22 * rng.uniform(0.0, 0.08)), m22 - m24)
            ranges = {2022: (0, m22), 2024: (leavers, leavers + m24)}
            span = leavers + m24
        elif editions == (2024,):
            ranges, span = {2024: (0, m24)}, m24
        else:
            ranges, span = {2022: (0, m22)}, m22
        clusters.append(_Cluster(i, country, nuts3, city, editions, founded, ranges, span))
    return clusters
