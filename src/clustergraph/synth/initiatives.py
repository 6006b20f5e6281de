"""The generator's initiative part: networks, projects with partners and amounts, and the landscape
indicators."""

from __future__ import annotations

import random

from clustergraph.synth.config import EDITIONS
from clustergraph.synth.plan import _doc, _s
from clustergraph.synth.tables import (
    _PROG_CUM,
    COUNTRIES,
    PROGRAMMES,
    _pick,
    _Programme,
)
from clustergraph.synth.terms import (
    COUNTRY,
    DCT_DESCRIPTION,
    DCT_SOURCE,
    DERIVED,
    EUR,
    NUTS,
    PREF,
    QB_DATASET,
    REF_PERIOD,
    SCHEMA_AMOUNT,
    SCHEMA_VALUE,
    A,
    _cg,
    _en,
    _nni,
    _r,
    _str,
    _typed,
    _u,
    _year,
)


class InitiativeParts:
    """Mixin of :class:`~clustergraph.synth.generator.Generator`: networks, projects, indicators."""

    def networks(self) -> None:
        """Umbrella networks of clusters: a few, each joined by 10-35 % of the clusters."""
        rng = self.rng_networks
        count = max(3, round(len(self.clusters) / 60))
        registry = self.sink(None, "synth-registry")
        for n in range(1, count + 1):
            local = f"synth-network-{n:03d}"
            node = _r(local)
            registry(node, A, _cg("Network"))
            registry(node, PREF, _en(f"Synthetic Network {n:03d}"))
            registry(node, _cg("acronym"), _str(f"SYNNET{n:03d}"))
            registry(node, _cg("family"), _cg("family-networks"))
            for e in EDITIONS:
                registry(node, DCT_SOURCE, _doc(e))
            rate = rng.uniform(0.10, 0.35)
            joined = [c for c in self.clusters if rng.random() < rate]
            if len(joined) < 2:
                joined = sorted(rng.sample(self.clusters, min(2, len(self.clusters))), key=lambda c: c.index)
            locs: dict[int, str] = {}
            for c in joined:
                role = "role-founding-member" if rng.random() < 0.05 else "role-member"
                stays = rng.random()
                for e in c.editions:
                    if len(c.editions) == 2 and ((e == 2022 and stays < 0.15) or (e == 2024 and stays > 0.9)):
                        continue  # joined after 2022 / left before 2024
                    if e not in locs:
                        locs[e] = self.locator(e, f"network-{n:03d}", f"Networks: Synthetic Network {n:03d}")
                    self.participation(e, c.local, local, role, locs[e])

    def projects_(self) -> None:
        rng = self.rng_projects
        total = max(2, round(len(self.clusters) * 1.4 * self.config.scale))
        by_country: dict[int, list[int]] = {}
        for c in self.clusters:
            by_country.setdefault(c.country, []).append(c.index)
        for p in range(1, total + 1):
            prog = PROGRAMMES[_pick(rng, _PROG_CUM)]
            start = rng.randint(*prog.years)
            end = start + rng.randint(2, 4)
            editions = tuple(e for e in EDITIONS if (e == 2022 and start <= 2021) or (e == 2024 and end >= 2022))
            n = 3 + round((prog.max_partners - 3) * rng.betavariate(1.2, 3.5))
            pool_editions = editions[0]
            pool = self.by_edition[pool_editions] or [c.index for c in self.clusters]
            if prog.key in ("erdf", "pnrr"):  # one country
                italian = [i for i in pool if self.clusters[i].code3 == "ITA"]
                if prog.key == "pnrr" and italian:
                    pool = italian
                else:
                    country = self.clusters[rng.choice(pool)].country
                    allowed = set(pool)
                    pool = [i for i in by_country[country] if i in allowed] or pool
            partners: list[tuple[str, int]] = []  # (local name, country index)
            seen: set[str] = set()
            cluster_share = 1.0 if prog.kind == "ClusterPartnership" else 0.35
            attempts = 0
            while len(partners) < n and attempts < n * 20:
                attempts += 1
                c = self.clusters[rng.choice(pool)]
                if not partners or rng.random() < cluster_share:
                    local = c.local
                else:
                    local = f"synth-org-{c.num}-{rng.randrange(c.span):04d}"
                if local not in seen:
                    seen.add(local)
                    partners.append((local, c.country))
            self.project(p, prog, start, end, editions, partners, rng)
            self.projects += 1

    def project(self, p: int, prog: _Programme, start: int, end: int, editions: tuple[int, ...],
                partners: list[tuple[str, int]], rng: random.Random) -> None:
        local = f"synth-project-{p:05d}"
        node = _r(local)
        word = "Cluster Partnership" if prog.kind == "ClusterPartnership" else "Project"
        countries = sorted({COUNTRIES[ci][0] for _, ci in partners})
        contribution = len(partners) * rng.randint(120, 650) * 1000
        roles = ["role-coordinator"] + ["role-partner"] * (len(partners) - 1)
        if len(partners) > 4 and rng.random() < 0.3:
            roles[1] = "role-technical-coordinator"
        for i in range(2, min(len(partners), 2 + rng.randint(0, 3))):
            roles[i] = "role-work-package-leader"
        if len(partners) > 6:
            roles[-1] = "role-communication-leader"
        for i in range(len(partners)):
            if roles[i] == "role-partner" and rng.random() < 0.06:
                roles[i] = "role-associated-partner"
        status = "completed" if end < 2024 else "ongoing"
        latest = editions[-1]
        for e in editions:
            emit = self.sink(e, "initiatives")
            loc = self.locator(e, f"project-{p:05d}", f"Project sheet {p:05d}")
            emit(node, A, _cg(prog.kind))
            emit(node, PREF, _en(f"Synthetic {word} {p:05d}"))
            emit(node, _cg("family"), _cg(prog.family))
            emit(node, _cg("fundedUnder"), _r(prog.programme))
            if prog.parent:
                emit(node, _cg("partOfInitiative"), _r(prog.parent))
            if e == latest:
                emit(node, _cg("acronym"), _str(f"SYN{p:05d}"))
                emit(node, DCT_DESCRIPTION, _en(
                    f"Synthetic {prog.label} {word.lower()} with {len(partners)} partners from "
                    f"{len(countries)} countries, {start}-{end}."))
                emit(node, _cg("partnerCount"), _nni(len(partners)))
                emit(node, _cg("countryCount"), _nni(len(countries)))
                for code in countries:
                    emit(node, _cg("partnerCountry"), _u(COUNTRY + code))
                emit(node, _cg("startYear"), _year(start))
                emit(node, _cg("endYear"), _year(end))
                emit(node, _cg("status"), _str(status))
                amount = _r(f"synth-amount-{_s(e)}-project-{p:05d}")
                emit(node, _cg("euContribution"), amount)
                emit(amount, A, SCHEMA_AMOUNT)
                emit(amount, SCHEMA_VALUE, _typed(contribution, "decimal"))
                emit(amount, _cg("currency"), EUR)
                emit(amount, DERIVED, loc)
            for (partner, _), role in zip(partners, roles):
                self.participation(e, partner, local, role, loc)

    def indicators(self) -> None:
        """Cluster organisations per country and NUTS 2 region and edition, counted from the clusters."""
        node_ind = _r("synth-indicator-cluster-organisations")
        for e in EDITIONS:
            per_area: dict[str, int] = {}
            for i in self.by_edition[e]:
                c = self.clusters[i]
                for area in (COUNTRY + c.code3, NUTS + c.nuts3[:4]):
                    per_area[area] = per_area.get(area, 0) + 1
            if not per_area:
                continue
            emit = self.sink(e, "indicators")
            loc = self.locator(e, "landscape", "Cluster landscape: cluster organisations by country and region")
            for area in sorted(per_area):
                code = area.rsplit("/", 1)[1].lower()
                obs = _r(f"synth-ind-{_s(e)}-{code}-cluster-organisations")
                emit(obs, A, _cg("IndicatorObservation"))
                emit(obs, QB_DATASET, _r("regional-indicators"))
                emit(obs, _cg("refArea"), _u(area))
                emit(obs, _cg("indicator"), node_ind)
                emit(obs, REF_PERIOD, _year(e))
                emit(obs, _cg("value"), _typed(per_area[area], "decimal"))
                emit(obs, _cg("unit"), _cg("unit-count"))
                emit(obs, _cg("statedIn"), _doc(e))
                emit(obs, DERIVED, loc)
