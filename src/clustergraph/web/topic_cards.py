"""The cards of programmes, policy instruments and ecosystems: what the thing is, how it relates to other
instruments, and what in the graph hangs off it (the initiatives a programme funds, the clusters an S3
ecosystem or PNRR mission is served by). Pure functions over the store's read interface, returning dataclasses.

Every query binds the resource as an IRI term (``node``); the table of facts is one UNION query, so a card
costs a handful of queries whatever the instrument."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import pyoxigraph as ox

from clustergraph.iris import ONTOLOGY
from clustergraph.kg.derived_labels import format_money
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

PROGRAMME_CLASSES = {ONTOLOGY + c for c in ("FundingProgramme", "Call")}
INSTRUMENT_CLASSES = {ONTOLOGY + c for c in ("PolicyInstrument", "Strategy", "Plan", "Roadmap", "LegalAct",
                                             "PolicyMeasure")}
ECOSYSTEM_CLASSES = {ONTOLOGY + c for c in ("InnovationEcosystem", "IndustrialEcosystem", "PnrrItem")}
FUNDED_ROWS_CAP = 200
EUR = "http://publications.europa.eu/resource/authority/currency/EUR"

# (heading, SPARQL property path from the resource): the card's facts, in the order shown. Inverse paths show
# the other end of a link stated on the other resource ("Followed by" is ^cg:precededBy).
FACT_PATHS: tuple[tuple[str, str], ...] = (
    ("Acronym", "cg:acronym"),
    ("Family", "cg:family"),
    ("Scheme", "skos:inScheme"),
    ("Code", "skos:notation|dct:identifier"),
    ("Adopted by", "cg:adoptedBy"),
    ("Made by", "dct:creator|dct:contributor"),
    ("Issued", "dct:issued|cg:year"),
    ("Last changed", "dct:modified"),
    ("Area", "dct:spatial"),
    ("Part of", "dct:isPartOf|skos:broader"),
    ("Defines", "cg:definesScheme"),
    ("Parts", "dct:hasPart|^dct:isPartOf|^skos:broader"),
    ("Preceded by", "cg:precededBy"),
    ("Followed by", "^cg:precededBy"),
    ("Implements", "cg:implements"),
    ("Implemented by", "^cg:implements"),
    ("Informed by", "^cg:informsInstrument"),
    ("Influenced by", "prov:wasInfluencedBy"),
    ("Related instruments", "cg:relatedInstrument|^cg:relatedInstrument"),
    ("Related initiatives", "cg:relatedInitiative"),
    ("Related", "dct:relation|^dct:relation|skos:related|^skos:related"),
    ("Same as", "skos:exactMatch|prov:alternateOf|^prov:alternateOf"),
)


@dataclass
class CardFact:
    """One line of the card: a heading and its values (terms link to their pages; texts are literals)."""

    heading: str
    terms: list[Term] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


@dataclass
class FundedRow:
    """An initiative funded under the programme (or under one of its parts, named in ``via``)."""

    initiative: Term
    via: Term | None
    family: Term | None
    years: str
    eu_contribution: str
    participants: list[Term]


@dataclass
class ServingRow:
    """A cluster serving the ecosystem: as its S3 reference ecosystem, and/or through aligned initiatives."""

    cluster: Term
    reference: list[str]  # the documents stating it is the cluster's reference ecosystem
    through: list[Term]  # the initiatives aligned with it (empty: aligned without a named initiative)
    aligned: list[str]  # the documents stating the alignment

    @property
    def weight(self) -> tuple[int, int]:
        return (1 if self.reference else 0, len(self.through) + (1 if self.aligned else 0))


@dataclass
class TopicCard:
    """Everything the card shows, the most telling first."""

    kind: str  # "programme", "instrument" or "ecosystem"
    kind_label: str
    names: list[tuple[str, str]]
    facts: list[CardFact]
    figures: list[tuple[str, str]]
    description: str
    funded: list[FundedRow] = field(default_factory=list)
    funded_total: int = 0
    funded_money: str = ""
    serving: list[ServingRow] = field(default_factory=list)


def card_kind(types: list[Term]) -> str | None:
    """Which card a resource of these types gets, if any (a programme that is also a call is a programme)."""
    values = {t.value for t in types}
    if values & PROGRAMME_CLASSES:
        return "programme"
    if values & INSTRUMENT_CLASSES:
        return "instrument"
    if values & ECOSYSTEM_CLASSES:
        return "ecosystem"
    return None


def build_topic_card(svc: Services, iri: str, kind: str, types: list[Term]) -> TopicCard:
    """The card of a programme, policy instrument or ecosystem."""
    store, ref = svc.store(), node(iri)
    card = TopicCard(kind=kind, kind_label=", ".join(sorted(t.label for t in types if t.value.startswith(ONTOLOGY))),
                     names=card_names(store, ref), facts=_facts(svc, store, ref),
                     figures=_figures(store, ref), description=_description(store, ref))
    if kind == "programme":
        card.funded, card.funded_total, card.funded_money = _funded(svc, store, ref)
    if kind == "ecosystem":
        card.serving = _serving(svc, store, ref)
    return card


def _facts(svc: Services, store: ReadStore, ref: str) -> list[CardFact]:
    blocks = " UNION ".join(f'{{ {ref} {path} ?v BIND({i} AS ?k) }}' for i, (_, path) in enumerate(FACT_PATHS))
    rows = select_rows(store, f"SELECT DISTINCT ?k ?v WHERE {{ {blocks} FILTER(?v != {ref}) }}")
    labels = labels_for(store, [r["v"].value for r in rows if isinstance(r["v"], ox.NamedNode)])
    found: dict[int, CardFact] = {}
    for r in rows:
        index = int(r["k"].value)
        fact = found.setdefault(index, CardFact(FACT_PATHS[index][0]))
        term = make_term(svc, r["v"], labels)
        if term.kind == "iri":
            if all(t.value != term.value for t in fact.terms):
                fact.terms.append(term)
        elif term.value not in fact.texts:
            fact.texts.append(term.value)
    shown: set[str] = set()  # a resource named under an earlier, more telling heading is not repeated
    for index in sorted(found):
        fact = found[index]
        fact.terms = sorted((t for t in fact.terms if t.value not in shown), key=lambda t: t.label.lower())
        shown |= {t.value for t in fact.terms}
        fact.texts.sort()
    return [found[i] for i in sorted(found) if found[i].terms or found[i].texts]


def _figures(store: ReadStore, ref: str) -> list[tuple[str, str]]:
    """Counts stated about the resource (``cg:count`` with what was counted), each with its source."""
    rows = select_rows(store, f"""SELECT DISTINCT ?v ?item ?short WHERE {{ GRAPH ?g {{ {ref} cg:count ?v }}
        OPTIONAL {{ {ref} cg:countedItem ?item }}
        OPTIONAL {{ ?g prov:hadPrimarySource/dct:alternative ?short }} }} ORDER BY ?item ?v""")
    figures = []
    for r in rows:
        what = r["item"].value if r["item"] is not None else "count"
        source = f" ({r['short'].value})" if r["short"] is not None else ""
        figures.append((what[:1].upper() + what[1:], f"{int(r['v'].value):,}{source}"))
    return figures


def _description(store: ReadStore, ref: str) -> str:
    rows = select_rows(store, f"""SELECT DISTINCT ?d WHERE {{ {ref} dct:description|skos:definition ?d
        FILTER(LANG(?d) IN ("en", "")) }} ORDER BY ?d""")
    return rows[0]["d"].value if rows else ""


def _funded(svc: Services, store: ReadStore, ref: str) -> tuple[list[FundedRow], int, str]:
    """The initiatives funded under the programme or its parts, the largest EU contribution first (capped)."""
    base = f"?i cg:fundedUnder ?via . ?via skos:broader* {ref} ."
    # An initiative's EU contribution: the largest any source states (sources rarely disagree; the page of the
    # initiative shows each). The total adds those of the initiatives that state one, in euros.
    # Ordered outside the grouped query: Virtuoso refuses an aggregate's alias inside ORDER BY (SP031). One row per
    # initiative, read once: the count and total come from all rows, the table from the first FUNDED_ROWS_CAP.
    ranked = select_rows(store, f"""SELECT * WHERE {{ {{
        SELECT ?i (MAX(?value) AS ?eu) (SAMPLE(?cur) AS ?currency) WHERE {{ {base}
          OPTIONAL {{ ?i cg:euContribution ?a . ?a schema:value ?value OPTIONAL {{ ?a cg:currency ?cur }} }} }}
        GROUP BY ?i }} }} ORDER BY DESC(COALESCE(?eu, -1)) ?i""")
    if not ranked:
        return [], 0, ""
    stated = [Decimal(r["eu"].value) for r in ranked if r["eu"] is not None]
    money = (f"{format_money(str(sum(stated)), ox.NamedNode(EUR))} for the {len(stated):,} that state an EU "
             "contribution" if stated else "")
    chosen = ranked[:FUNDED_ROWS_CAP]
    values = " ".join(node(r["i"].value) for r in chosen)
    details = select_rows(store, f"""SELECT DISTINCT ?i ?via ?family ?start ?end ?who WHERE {{ VALUES ?i {{ {values} }}
        OPTIONAL {{ ?i cg:fundedUnder ?via . ?via skos:broader+ {ref} }}
        OPTIONAL {{ ?i cg:family ?family }} OPTIONAL {{ ?i cg:startYear ?start }} OPTIONAL {{ ?i cg:endYear ?end }}
        OPTIONAL {{ ?part a cg:Participation ; cg:initiative ?i ; cg:participant ?who }} }}""")
    labels = labels_for(store, {r[n].value for r in details for n in ("i", "via", "family", "who")
                                if r.get(n) is not None})
    by_item: dict[str, dict] = defaultdict(lambda: {"family": None, "via": None, "start": set(), "end": set(),
                                                     "who": {}})
    for r in details:
        entry = by_item[r["i"].value]
        if r["family"] is not None:
            entry["family"] = make_term(svc, r["family"], labels)
        if r["via"] is not None:
            entry["via"] = make_term(svc, r["via"], labels)
        entry["start"] |= {r["start"].value} if r["start"] is not None else set()
        entry["end"] |= {r["end"].value} if r["end"] is not None else set()
        if r["who"] is not None:
            entry["who"][r["who"].value] = make_term(svc, r["who"], labels)
    rows = []
    for r in chosen:
        entry = by_item[r["i"].value]
        years = year_span(entry["start"], entry["end"])
        money_text = format_money(r["eu"].value, r["currency"]) if r["eu"] is not None else ""
        rows.append(FundedRow(make_term(svc, r["i"], labels), entry["via"], entry["family"], years, money_text,
                              sorted(entry["who"].values(), key=lambda t: t.label.lower())))
    return rows, len(ranked), money


def _serving(svc: Services, store: ReadStore, ref: str) -> list[ServingRow]:
    """Clusters serving the ecosystem (or one of its parts): named as their reference ecosystem, or aligned
    with it by a strategic alignment, each with the documents that say so."""
    rows = select_rows(store, f"""SELECT DISTINCT ?who ?how ?init ?short WHERE {{
        {{ GRAPH ?g {{ ?who cg:referenceEcosystem ?e }} ?e skos:broader* {ref} BIND("reference" AS ?how) }}
        UNION
        {{ GRAPH ?g {{ ?al cg:subject ?who ; cg:s3Ecosystem|cg:pnrrItem|cg:industrialEcosystem ?e .
                      OPTIONAL {{ ?al cg:alignedInitiative ?init }} }}
          ?e skos:broader* {ref} BIND("aligned" AS ?how) }}
        UNION
        {{ GRAPH ?g {{ ?who cg:industrialEcosystem ?e }} ?e skos:broader* {ref} BIND("aligned" AS ?how) }}
        OPTIONAL {{ ?g prov:hadPrimarySource/dct:alternative ?short }} }}""")
    labels = labels_for(store, {r[n].value for r in rows for n in ("who", "init") if r[n] is not None})
    serving: dict[str, ServingRow] = {}
    for r in rows:
        row = serving.setdefault(r["who"].value, ServingRow(make_term(svc, r["who"], labels), [], [], []))
        source = r["short"].value if r["short"] is not None else "curated"
        if r["how"].value == "reference":
            if source not in row.reference:
                row.reference.append(source)
            continue
        if source not in row.aligned:
            row.aligned.append(source)
        if r["init"] is not None and all(t.value != r["init"].value for t in row.through):
            row.through.append(make_term(svc, r["init"], labels))
    for row in serving.values():
        row.reference.sort()
        row.aligned.sort()
        row.through.sort(key=lambda t: t.label.lower())
    return sorted(serving.values(), key=lambda row: (-row.weight[0], -row.weight[1], row.cluster.label.lower()))
