"""The generator's organisation part: the registry of shared entities, each cluster with its members,
sites, member counts and ecosystem links."""

from __future__ import annotations

from clustergraph.synth.plan import _Cluster, _doc, _s
from clustergraph.synth.tables import (
    _KIND_CATEGORY,
    _KIND_CLASS,
    _KIND_CUM,
    CATEGORIES,
    INDUSTRIAL_ECOSYSTEMS,
    MEMBER_KINDS,
    S3_ECOSYSTEMS,
    TECHNOLOGY_AREAS,
    VANGUARD_PILOTS,
    _pick,
)
from clustergraph.synth.terms import (
    COUNTRY,
    DCT_SOURCE,
    DCT_SPATIAL,
    DERIVED,
    FOAF_HOMEPAGE,
    IN_SCHEME,
    LOCN,
    NUTS,
    ORG_HAS_SITE,
    ORG_MEMBER_OF,
    ORG_SITE_ADDRESS,
    ORG_SITE_CLASS,
    PREF,
    QB_DATASET,
    REF_PERIOD,
    A,
    _cg,
    _en,
    _nni,
    _r,
    _str,
    _u,
    _year,
)


class OrganisationParts:
    """Mixin of :class:`~clustergraph.synth.generator.Generator`: registry, clusters, sites."""

    def registry(self) -> None:
        emit = self.sink(None, "synth-registry")
        for n, label in enumerate(TECHNOLOGY_AREAS, 1):
            ta = _r(f"synth-ta-{n:02d}")
            emit(ta, A, _cg("TechnologyArea"))
            emit(ta, IN_SCHEME, _r("technology-areas"))
            emit(ta, PREF, _en(f"Synthetic technology area: {label}"))
        ind = _r("synth-indicator-cluster-organisations")
        emit(ind, A, _cg("Indicator"))
        emit(ind, IN_SCHEME, _r("indicators"))
        emit(ind, PREF, _en("Synthetic indicator: number of cluster organisations"))
        for c in self.clusters:
            node = _r(c.local)
            emit(node, A, _cg("ClusterOrganisation"))
            emit(node, PREF, _en(f"Synthetic Cluster {c.num} ({c.iso})"))
            for e in c.editions:
                emit(node, DCT_SOURCE, _doc(e))

    def cluster(self, c: _Cluster) -> None:
        rng = self.rng_members
        node = _r(c.local)
        lombardy = c.nuts3.startswith("ITC4")
        if lombardy and rng.random() < 0.5:
            ctype = "ct-lombardy-technology-cluster"
        elif c.code3 == "ITA" and rng.random() < 0.2:
            ctype = "ct-national-technology-cluster"
        else:
            ctype = "ct-eccp-registered"
        ecosystems = sorted(rng.sample(INDUSTRIAL_ECOSYSTEMS, rng.choice((1, 1, 2, 2, 3))))
        area = rng.randint(1, len(TECHNOLOGY_AREAS))
        s3 = rng.choice(S3_ECOSYSTEMS) if lombardy else None
        office = rng.random() < 0.15 and c.nuts3 != "BE100"
        kinds = [_pick(rng, _KIND_CUM) for _ in range(c.span)]
        street = rng.randint(1, 240)
        postcode = f"{rng.randint(1000, 99999):05d}"
        breakdown_2022 = rng.random() < 0.88
        pilot = rng.choice(VANGUARD_PILOTS) if rng.random() < 0.06 else None
        pilot_role = "role-co-coordinator" if rng.random() < 0.2 else "role-participant"
        s3p = rng.random() < 0.05

        latest = c.editions[-1]
        for e in c.editions:
            emit = self.sink(e, "clusters")
            loc = self.locator(e, f"cluster-{c.num}", f"Cluster profile {c.num}: general information", 2)
            emit(node, A, _cg("ClusterOrganisation"))
            emit(node, _cg("acronym"), _str(f"SC{c.num}"))
            emit(node, _cg("clusterType"), _cg(ctype))
            for ie in ecosystems:
                emit(node, _cg("industrialEcosystem"), _r(ie))
            emit(node, _cg("technologyArea"), _r(f"synth-ta-{area:02d}"))
            if s3:
                emit(node, _cg("referenceEcosystem"), _r(s3))
            if ctype == "ct-lombardy-technology-cluster":
                emit(node, _cg("recognisedBy"), _r("regione-lombardia"))
            emit(node, FOAF_HOMEPAGE, f"<https://cluster-{c.num}.synth.example/>")
            emit(node, _cg("foundingYear"), _year(c.founded))
            self.site(e, c, "hq", "site-headquarters", c.nuts3, c.code3, c.iso, c.city, street, postcode, loc)
            if office and e == 2024:
                self.site(e, c, "brussels", "site-office", "BE100", "BEL", "BE", "Brussels", 7, "01040", loc)

            # members, described in the latest edition that lists them
            first, end = c.ranges[e]
            members = self.sink(e, "members")
            for k in range(first, end):
                org = _r(f"synth-org-{c.num}-{k:04d}")
                later = [x for x in c.editions if x > e and c.ranges[x][0] <= k < c.ranges[x][1]]
                if not later:
                    kind = MEMBER_KINDS[kinds[k]]
                    members(org, A, _KIND_CLASS[kinds[k]])
                    members(org, PREF, _en(f"Synthetic {kind[1]} {c.num}-{k:04d} ({c.iso})"))
                    members(org, DCT_SPATIAL, _u(COUNTRY + c.code3))
                    self.organisations += 1
                members(org, ORG_MEMBER_OF, node)

            # member counts, counted from the members above
            counts = dict.fromkeys(CATEGORIES, 0)
            for k in range(first, end):
                counts[_KIND_CATEGORY[kinds[k]]] += 1
            values = {"mc-total": end - first}
            if e == 2024 or breakdown_2022:
                values.update(counts)
            obs_sink = self.sink(e, "observations")
            for category, value in values.items():
                obs = _r(f"synth-obs-{_s(e)}-cluster-{c.num}-{category.removeprefix('mc-')}")
                obs_sink(obs, A, _cg("MemberCountObservation"))
                obs_sink(obs, QB_DATASET, _r("member-counts"))
                obs_sink(obs, _cg("organisation"), node)
                obs_sink(obs, REF_PERIOD, _year(e))
                obs_sink(obs, _cg("memberCategory"), _cg(category))
                obs_sink(obs, _cg("statedIn"), _doc(e))
                obs_sink(obs, _cg("memberCount"), _nni(value))
                obs_sink(obs, DERIVED, loc)

            self.participation(e, c.local, "eccp", "role-registered", loc)
            if pilot and (e == latest or rng.random() < 0.7):
                self.participation(e, c.local, pilot, pilot_role, loc)
            if s3p:
                self.participation(e, c.local, "s3-platform-industrial-modernisation", "role-participant", loc)

    def site(self, e: int, c: _Cluster, tag: str, role: str, nuts3: str, code3: str, iso: str, city: str,
             street: int, postcode: str, loc: str) -> None:
        emit = self.sink(e, "clusters")
        site = _r(f"synth-site-{_s(e)}-cluster-{c.num}-{tag}")
        addr = _r(f"synth-addr-{_s(e)}-cluster-{c.num}-{tag}")
        emit(_r(c.local), ORG_HAS_SITE, site)
        emit(site, A, ORG_SITE_CLASS)
        emit(site, _cg("siteRole"), _cg(role))
        emit(site, ORG_SITE_ADDRESS, addr)
        emit(site, _cg("nuts3"), _u(NUTS + nuts3))
        emit(site, DCT_SPATIAL, _u(COUNTRY + code3))
        emit(site, DERIVED, loc)
        emit(addr, A, _u(LOCN + "Address"))
        emit(addr, _u(LOCN + "fullAddress"), _str(f"Synthetic Street {street} - {postcode} {city} ({iso})"))
        emit(addr, _u(LOCN + "thoroughfare"), _str("Synthetic Street"))
        emit(addr, _u(LOCN + "locatorDesignator"), _str(str(street)))
        emit(addr, _u(LOCN + "postCode"), _str(postcode))
        emit(addr, _u(LOCN + "postName"), _str(city))
        emit(addr, _u(LOCN + "adminUnitL1"), _str(iso))
