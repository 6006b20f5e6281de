"""The profile card of an organisation's page: who it is, where, what it serves, how many members each source
counts, and the initiatives it takes part in grouped by family (one row per initiative, every role and source
folded into it). Pure functions over the store's read interface, returning dataclasses."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

from clustergraph.iris import ONTOLOGY
from clustergraph.kg.derived_labels import (
    format_money,  # money shown as in the amounts' labels: €9,765,017
)
from clustergraph.remote.store import ReadStore
from clustergraph.web.resource_view import (
    Term,
    card_names,
    labels_for,
    make_term,
    node,
    select_rows,
    year_span,
)
from clustergraph.web.services import Services

ORGANISATION_CLASSES = {ONTOLOGY + "ClusterOrganisation"}
CATEGORIES = (("mc-total", "all members"), ("mc-companies", "companies"),
              ("mc-research-organisations", "research organisations"), ("mc-other-entities", "other entities"))
HEADQUARTERS_FIRST = ("site-headquarters", "site-legal-headquarters", "site-operational-headquarters", "site-office")


@dataclass
class Site:
    """A place of the organisation: its role, address and NUTS 3 region, with the sources that state it."""

    role: str
    address: str
    region: Term | None
    sources: list[str]


@dataclass
class CountBar:
    """One source's member counts for one year, by category (None: not given)."""

    source: str
    year: str
    values: dict[str, int | None]
    approximate: bool = False


@dataclass
class InitiativeRow:
    """One initiative: every role it is given, each with the sources (documents) that state it."""

    initiative: Term
    roles: list[tuple[str, list[Term]]]

    @property
    def conflicting(self) -> bool:
        return len(self.roles) > 1


@dataclass
class Profile:
    """Everything the card shows, most important first."""

    names: list[tuple[str, str]]  # (text, language)
    acronym: str
    kinds: list[Term]
    websites: list[str]
    sites: list[Site]
    ecosystems: list[Term]
    counts: list[CountBar]
    families: list[tuple[str, list[InitiativeRow]]] = field(default_factory=list)

    @property
    def chart_json(self) -> str:
        """The member counts as the chart script reads them (escaped for a <script> data block)."""
        data = {"categories": [label for _, label in CATEGORIES],
                "bars": [{"source": b.source, "year": b.year, "approximate": b.approximate,
                          "values": [b.values.get(label) for _, label in CATEGORIES]} for b in self.counts]}
        return json.dumps(data).replace("</", "<\\/")


def is_profiled(types: list[Term]) -> bool:
    """Whether a resource of these types gets a profile card."""
    return any(t.value in ORGANISATION_CLASSES for t in types)


def build_profile(svc: Services, iri: str) -> Profile:
    store, ref = svc.store(), node(iri)
    acronyms = sorted({r["a"].value for r in select_rows(store, f"SELECT DISTINCT ?a WHERE {{ {ref} cg:acronym ?a }}")})
    kind_rows = select_rows(store, f"SELECT DISTINCT ?k WHERE {{ {ref} cg:clusterType ?k }}")
    ecosystem_rows = select_rows(store, f"SELECT DISTINCT ?e WHERE {{ {ref} cg:referenceEcosystem ?e }}")
    websites = sorted({r["w"].value for r in select_rows(store, f"SELECT DISTINCT ?w WHERE {{ {ref} foaf:homepage ?w }}")})
    labels = labels_for(store, [r["k"].value for r in kind_rows] + [r["e"].value for r in ecosystem_rows])
    return Profile(
        names=card_names(store, ref),
        acronym=", ".join(acronyms),
        kinds=[make_term(svc, r["k"], labels) for r in kind_rows],
        websites=websites,
        sites=_sites(svc, store, ref),
        ecosystems=sorted((make_term(svc, r["e"], labels) for r in ecosystem_rows), key=lambda t: t.label),
        counts=_counts(svc, store, ref),
        families=_families(svc, store, ref),
    )


def _document_names(svc: Services) -> dict[str, str]:
    """Each source document's short name ("2024 report"), read once per build."""
    return svc.memo("document-short-names", lambda: _read_document_names(svc.store()))


def _read_document_names(store: ReadStore) -> dict[str, str]:
    rows = select_rows(store, """SELECT ?d (SAMPLE(?s) AS ?short) (SAMPLE(?t) AS ?title) WHERE {
        ?d a cg:SourceDocument . OPTIONAL { ?d dct:alternative ?s } OPTIONAL { ?d dct:title ?t } } GROUP BY ?d""")
    return {r["d"].value: (r["short"] or r["title"]).value for r in rows if (r["short"] or r["title"])}


def _sites(svc: Services, store: ReadStore, ref: str) -> list[Site]:
    rows = select_rows(store, f"""SELECT DISTINCT ?role ?roleLabel ?full ?town ?nuts ?doc WHERE {{
        {ref} org:hasSite ?site . ?site cg:siteRole ?role .
        OPTIONAL {{ ?role skos:prefLabel ?roleLabel FILTER (LANG(?roleLabel) = "en") }}
        OPTIONAL {{ ?site org:siteAddress/locn:fullAddress ?full }} OPTIONAL {{ ?site org:siteAddress/locn:postName ?town }}
        OPTIONAL {{ ?site cg:nuts3 ?nuts }} OPTIONAL {{ ?site prov:wasDerivedFrom/dct:isPartOf ?doc }} }}""")
    docs = _document_names(svc)
    labels = labels_for(store, [r["nuts"].value for r in rows if r["nuts"] is not None])
    merged: dict[tuple[str, str], Site] = {}
    order: dict[tuple[str, str], int] = {}
    for r in rows:
        role_key = r["role"].value.rsplit("#", 1)[-1]
        region = make_term(svc, r["nuts"], labels) if r["nuts"] is not None else None
        place = region.value if region else (r["town"].value if r["town"] is not None else "")
        key = (role_key, place)
        site = merged.setdefault(key, Site(r["roleLabel"].value if r["roleLabel"] is not None else role_key,
                                           r["full"].value if r["full"] is not None else "", region, []))
        order[key] = HEADQUARTERS_FIRST.index(role_key) if role_key in HEADQUARTERS_FIRST else len(HEADQUARTERS_FIRST)
        source = docs.get(r["doc"].value, "") if r["doc"] is not None else ""
        if source and source not in site.sources:
            site.sources.append(source)
    # Headquarters first, then the site the most sources state (AFIL: Milan, in three documents, before Brussels).
    return [merged[k] for k in sorted(merged, key=lambda k: (order[k], -len(merged[k].sources), k))]


def _counts(svc: Services, store: ReadStore, ref: str) -> list[CountBar]:
    rows = select_rows(store, f"""SELECT DISTINCT ?doc ?year ?cat ?n ?approx WHERE {{
        ?obs a cg:MemberCountObservation ; cg:organisation {ref} ; cg:statedIn ?doc ;
             sdmx-dimension:refPeriod ?year ; cg:memberCategory ?cat ; cg:memberCount ?n .
        OPTIONAL {{ ?obs cg:approximate ?approx }} }}""")
    docs = _document_names(svc)
    names = dict(CATEGORIES)
    bars: dict[tuple[str, str, bool], CountBar] = {}
    for r in rows:
        approximate = r["approx"] is not None and r["approx"].value == "true"
        source = docs.get(r["doc"].value, r["doc"].value)
        key = (r["year"].value, source, approximate)
        bar = bars.setdefault(key, CountBar(source, r["year"].value, {}, approximate))
        category = names.get(r["cat"].value.rsplit("#", 1)[-1])
        if category:
            bar.values[category] = int(r["n"].value)
    return [bars[k] for k in sorted(bars)]


def _role_rows(svc: Services, rows: list[dict], other: str, labels: dict[str, str]) -> dict[str, InitiativeRow]:
    """Participation rows (``other``, ``role``, ``doc``, ``part``) folded into one row per ``other``: each role
    with the documents that state it, each document linked to its participation node."""
    docs = _document_names(svc)
    roles_of: dict[str, dict[str, list[Term]]] = defaultdict(dict)
    terms: dict[str, Term] = {}
    for r in rows:
        term = terms.setdefault(r[other].value, make_term(svc, r[other], labels))
        role = (labels.get(r["role"].value, "participant") if r["role"] is not None else "participant").split(" (")[0]
        source = Term(r["part"].value, docs.get(r["doc"].value, "") if r["doc"] is not None else "curated",
                      svc.link(r["part"]))
        sources = roles_of[term.value].setdefault(role, [])
        if all(s.label != source.label for s in sources):
            sources.append(source)
    return {iri: InitiativeRow(terms[iri], sorted(((role, sorted(found, key=lambda t: t.label))
                                                  for role, found in roles.items()), key=lambda x: x[0]))
            for iri, roles in roles_of.items()}


def _by_label(rows: list[InitiativeRow]) -> list[InitiativeRow]:
    return sorted(rows, key=lambda row: row.initiative.label.lower())


def _families(svc: Services, store: ReadStore, ref: str) -> list[tuple[str, list[InitiativeRow]]]:
    rows = select_rows(store, f"""SELECT DISTINCT ?item ?family ?role ?doc ?part WHERE {{
        GRAPH ?g {{ ?part a cg:Participation ; cg:participant {ref} ; cg:initiative ?item .
                    OPTIONAL {{ ?part cg:role ?role }} }}
        OPTIONAL {{ ?g prov:hadPrimarySource ?doc }} OPTIONAL {{ ?item cg:family ?family }} }}""")
    labels = labels_for(store, {r[n].value for r in rows for n in ("item", "family", "role") if r[n] is not None})
    rows_by_item = _role_rows(svc, rows, "item", labels)
    family_of = {r["item"].value: (labels.get(r["family"].value, "Other") if r["family"] is not None else "Other")
                 for r in rows}
    families: dict[str, list[InitiativeRow]] = defaultdict(list)
    for iri, row in rows_by_item.items():
        families[family_of[iri]].append(row)
    return [(family, _by_label(families[family])) for family in sorted(families, key=lambda f: (f == "Other", f))]



# --- initiatives (projects, partnerships, pilots, networks, ...) ---------------------------------------------
INITIATIVE_CLASSES = {ONTOLOGY + c for c in ("Initiative", "Project", "ClusterPartnership", "Pilot", "S3Partnership",
                                             "Network", "SupportInitiative")}


@dataclass
class InitiativeProfile:
    """The card of an initiative: what it is, who funds it, how big, when, and who takes part."""

    names: list[tuple[str, str]]
    acronym: str
    family: list[Term]
    programmes: list[Term]
    part_of: list[Term]
    figures: list[tuple[str, str]]  # (what, value as shown, with its source)
    countries: list[Term]
    regions: list[Term]
    money: list[tuple[str, str]]  # (what, "€9,765,017")
    years: str
    status: list[str]
    description: str
    participants: list[InitiativeRow] = field(default_factory=list)


def is_initiative(types: list[Term]) -> bool:
    return any(t.value in INITIATIVE_CLASSES for t in types)


def build_initiative_profile(svc: Services, iri: str) -> InitiativeProfile:
    store, ref = svc.store(), node(iri)

    def values(prop: str) -> list:
        return [r["v"] for r in select_rows(store, f"SELECT DISTINCT ?v WHERE {{ {ref} {prop} ?v }}")]

    def terms(prop: str) -> list[Term]:
        found = values(prop)
        labels = labels_for(store, [v.value for v in found])
        return sorted((make_term(svc, v, labels) for v in found), key=lambda t: t.label.lower())

    docs = _document_names(svc)
    figures = []
    for prop, what in (("cg:partnerCount", "partners"), ("cg:countryCount", "countries"),
                       ("cg:regionCount", "regions"), ("cg:count", "")):
        rows = select_rows(store, f"""SELECT DISTINCT ?v ?doc ?item WHERE {{ GRAPH ?g {{ {ref} {prop} ?v }}
            OPTIONAL {{ ?g prov:hadPrimarySource ?doc }} OPTIONAL {{ {ref} cg:countedItem ?item }} }}""")
        for r in rows:
            label = what or (r["item"].value if r["item"] is not None else "count")
            source = docs.get(r["doc"].value, "") if r["doc"] is not None else ""
            figures.append((label[:1].upper() + label[1:], f"{int(r['v'].value):,}" + (f" ({source})" if source else "")))
    money = []
    for prop, what in (("cg:euContribution", "EU contribution"), ("cg:totalBudget", "Total budget")):
        for r in select_rows(store, f"""SELECT DISTINCT ?value ?currency WHERE {{ {ref} {prop} ?a .
                OPTIONAL {{ ?a schema:value ?value }} OPTIONAL {{ ?a cg:currency ?currency }} }}"""):
            money.append((what, format_money(r["value"].value if r["value"] is not None else None, r["currency"])))
    years = year_span((v.value for v in values("cg:startYear")), (v.value for v in values("cg:endYear")))
    english = sorted(d.value for d in values("dct:description") if d.language in ("en", None))
    return InitiativeProfile(
        names=card_names(store, ref), acronym=", ".join(sorted({v.value for v in values("cg:acronym")})),
        family=terms("cg:family"), programmes=terms("cg:fundedUnder"), part_of=terms("cg:partOfInitiative"),
        figures=figures, countries=terms("cg:partnerCountry"), regions=terms("cg:partnerRegion"), money=money,
        years=years, status=sorted({v.value for v in values("cg:status")}), description=english[0] if english else "",
        participants=_participants(svc, store, ref),
    )


def _participants(svc: Services, store: ReadStore, ref: str) -> list[InitiativeRow]:
    rows = select_rows(store, f"""SELECT DISTINCT ?who ?role ?doc ?part WHERE {{
        GRAPH ?g {{ ?part a cg:Participation ; cg:initiative {ref} ; cg:participant ?who . OPTIONAL {{ ?part cg:role ?role }} }}
        OPTIONAL {{ ?g prov:hadPrimarySource ?doc }} }}""")
    labels = labels_for(store, {r[n].value for r in rows for n in ("who", "role") if r[n] is not None})
    return _by_label(list(_role_rows(svc, rows, "who", labels).values()))
