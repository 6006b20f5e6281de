"""Facts curated by helper h1, checked against the built store (union default graph).

Sources: the "Lombardy Technology Clusters" 2024 report (p. 26 S3 governance and co-design; names in the
profiles), the AFIL profile (PLASTIX, ADMANTEX2i) and the 2022 edition (EUSALP AG2 of Cluster TAV).
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from facts import PREFIXES

ROOT = Path(__file__).resolve().parents[1]
G2024 = "https://w3id.org/clustergraph/graph/ltc-report-2024"
GAFILP = "https://w3id.org/clustergraph/graph/afil-profile-2024"
G2022 = "https://w3id.org/clustergraph/graph/ltc-report-2022"
CGR = "https://w3id.org/clustergraph/id/"
H1_FILES = [
    "data/ltc-report-2024/s3-governance.ttl",
    "data/ltc-report-2024/named-in-text.ttl",
    "data/ltc-report-2024/plastix-regions.ttl",
    "data/afil-profile-2024/plastix-regions.ttl",
    "data/afil-profile-2024/clusters-go-international.ttl",
    "data/ltc-report-2022/eusalp-ag2.ttl",
    "data/ltc-report-2024/source-gaps-h1.ttl",
]


def rows(store, sparql: str) -> list[dict[str, str]]:
    solutions = store.query(PREFIXES + sparql)
    names = [v.value for v in solutions.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in solutions]


def values(store, sparql: str, var: str) -> set[str]:
    return {r[var] for r in rows(store, sparql) if var in r}


# --- 1. S3 governance (2024 report, p. 26) -------------------------------------------------------------

def test_internal_governance_bodies_are_units_of_the_region_in_the_2024_graph(project_store):
    found = rows(project_store, """
        SELECT ?unit ?alt ?page WHERE {
          GRAPH cgg:ltc-report-2024 { ?unit org:unitOf cgr:regione-lombardia ; skos:altLabel ?alt ;
                                      prov:wasDerivedFrom ?loc . }
          ?loc bibo:pageStart ?page .
        }""")
    by_alt = {r["alt"]: r for r in found}
    assert by_alt["Interdepartmental Steering Committee"]["unit"] == CGR + "regione-lombardia-cabina-di-regia"
    assert by_alt["Interdirectional Working Group"]["unit"] == CGR + "regione-lombardia-gruppo-lavoro-interdirezionale"
    assert {by_alt[k]["page"] for k in ("Interdepartmental Steering Committee", "Interdirectional Working Group")} == {"26"}


def test_working_group_supports_the_steering_committee(project_store):
    assert project_store.query(PREFIXES + """ASK { GRAPH cgg:ltc-report-2024 {
        cgr:regione-lombardia-cabina-di-regia cg:supportedBy cgr:regione-lombardia-gruppo-lavoro-interdirezionale } }""")


def test_governance_participants_and_roles(project_store):
    found = rows(project_store, """
        SELECT ?who ?role ?page WHERE { GRAPH cgg:ltc-report-2024 {
            ?p a cg:Participation ; cg:initiative cgr:ris3-multilevel-governance ; cg:participant ?who ;
               cg:role ?role ; prov:wasDerivedFrom ?loc . }
          ?loc bibo:pageStart ?page . }""")
    roles = {r["who"].removeprefix(CGR): r["role"].rsplit("#", 1)[1] for r in found}
    assert roles == {
        "regione-lombardia-gruppo-lavoro-interdirezionale": "role-supporter",
        "regione-lombardia-cabina-di-regia": "role-participant",
        "patto-per-lo-sviluppo": "role-participant",
        "foro-regionale-ricerca-innovazione": "role-participant",
        "lombardy-technology-clusters": "role-participant",
    }
    assert {r["page"] for r in found} == {"26"}


def test_external_bodies_are_not_units_and_are_named(project_store):
    found = rows(project_store, """
        SELECT ?b ?label WHERE { GRAPH cgg:ltc-report-2024 {
            VALUES ?b { cgr:patto-per-lo-sviluppo cgr:foro-regionale-ricerca-innovazione }
            ?b a cg:Organisation ; skos:prefLabel ?label ; org:purpose ?purpose ; dct:description ?d . }
          FILTER NOT EXISTS { ?b org:unitOf ?any } }""")
    assert {r["label"] for r in found} == {"Development Pact", "Regional Forum for Research and Innovation"}


def test_governance_informs_the_strategy_and_the_work_programmes(project_store):
    targets = values(project_store, """SELECT ?i WHERE { GRAPH cgg:ltc-report-2024 {
        cgr:ris3-multilevel-governance cg:informsInstrument ?i } }""", "i")
    assert targets == {CGR + "lombardy-s3-2021-2027", CGR + "rl-ris3-work-programmes"}


def test_co_design_produces_priorities_that_feed_the_work_programmes(project_store):
    found = rows(project_store, """
        SELECT ?wp ?page WHERE { GRAPH cgg:ltc-report-2024 {
            cgr:ris3-ecosystem-priorities prov:wasGeneratedBy cgr:ris3-co-design ; dct:isPartOf ?wp ;
                prov:wasDerivedFrom ?loc .
            cgr:ris3-co-design cg:informsInstrument ?wp . }
          ?loc bibo:pageStart ?page . ?wp a cg:Plan . }""")
    assert found == [{"wp": CGR + "rl-ris3-work-programmes", "page": "26"}]


def test_co_design_participants_are_the_region_and_the_nine_clusters(project_store):
    who = values(project_store, """SELECT ?w WHERE { GRAPH cgg:ltc-report-2024 {
        ?p cg:initiative cgr:ris3-co-design ; cg:participant ?w } }""", "w")
    assert len(who) == 10 and CGR + "regione-lombardia" in who and CGR + "cluster-tav" in who


def test_co_design_seeks_synergy_with_named_strategies(project_store):
    related = values(project_store, """SELECT ?r WHERE { GRAPH cgg:ltc-report-2024 {
        cgr:ris3-co-design dct:relation ?r } }""", "r")
    assert {CGR + "prog-horizon-europe", CGR + "prog-pnrr", CGR + "pnr",
            CGR + "lombardy-regional-strategy-sustainable-development"} <= related
    assert project_store.query(PREFIXES + "ASK { GRAPH cgg:ltc-report-2024 { cgr:pnr a cg:Plan } }")


# --- 2. Named in the 2024 text ----------------------------------------------------------------------------

@pytest.mark.parametrize(("iri", "ident", "issued", "target"), [
    ("rl-dgr-xi-4155", "DGR XI/4155", "2020-12-30", "lombardy-s3-2021-2027"),
    ("rl-dgr-xii-262", "XII/262", "2023-05-11", "rl-regional-programme-sustainable-development"),
])
def test_regional_resolutions_carry_their_identifier_in_the_label(project_store, iri, ident, issued, target):
    found = rows(project_store, f"""
        SELECT ?label ?id ?issued ?page WHERE {{ GRAPH cgg:ltc-report-2024 {{
            cgr:{iri} a cg:LegalAct ; skos:prefLabel ?label ; dct:identifier ?id ; dct:issued ?issued ;
                cg:adoptedBy cgr:regione-lombardia ; dct:relation cgr:{target} ; prov:wasDerivedFrom ?loc . }}
          ?loc bibo:pageStart ?page . }}""")
    assert len(found) == 1
    assert found[0]["id"] == ident and ident in found[0]["label"]
    assert found[0]["issued"] == issued and found[0]["page"] == "26"


def test_esf_plus_is_a_programme_named_on_the_confindustria_page(project_store):
    found = rows(project_store, """
        SELECT ?alt ?family ?page WHERE { GRAPH cgg:ltc-report-2024 {
            cgr:prog-esf-plus a cg:FundingProgramme ; skos:inScheme cgr:programmes ; skos:altLabel ?alt ;
                cg:family ?family ; prov:wasDerivedFrom ?loc .
            cgr:confindustria-lombardia dct:relation cgr:prog-esf-plus , cgr:prog-erdf . }
          ?loc bibo:pageStart ?page . }""")
    assert found == [{"alt": "ESF+", "family": "https://w3id.org/clustergraph/ontology#family-national-regional",
                      "page": "27"}]


def test_ospedale_san_raffaele_valve_center_in_llsc_matchmaking(project_store):
    found = rows(project_store, """
        SELECT ?role ?page WHERE { GRAPH cgg:ltc-report-2024 {
            cgr:ospedale-san-raffaele-valve-center org:unitOf cgr:ospedale-san-raffaele .
            cgr:ospedale-san-raffaele skos:prefLabel "Ospedale San Raffaele"@en .
            ?p cg:participant cgr:ospedale-san-raffaele-valve-center ; cg:initiative cgr:llsc-member-matchmaking ;
               cg:role ?role ; prov:wasDerivedFrom ?loc . }
          ?loc bibo:pageStart ?page . }""")
    assert found == [{"role": "https://w3id.org/clustergraph/ontology#role-participant", "page": "12"}]
    # membership in the cluster is not stated: recorded as a source gap, not as org:hasMember
    assert not project_store.query(PREFIXES + "ASK { cgr:lombardy-life-sciences-cluster org:hasMember cgr:ospedale-san-raffaele }")
    assert project_store.query(PREFIXES + """ASK { GRAPH cgg:ltc-report-2024 {
        cgr:gap-s2024-llsc-osr-membership cg:gapSubject cgr:lombardy-life-sciences-cluster ; cg:gapKind cg:gap-not-stated } }""")


def test_agora_pillar_of_ambitious_and_scc_role(project_store):
    found = rows(project_store, """
        SELECT ?role ?family ?page WHERE { GRAPH cgg:ltc-report-2024 {
            cgr:ambitious-agora cg:partOfInitiative cgr:ambitious ; cg:family ?family .
            ?p cg:participant cgr:cluster-scc ; cg:initiative cgr:ambitious-agora ; cg:role ?role ;
               prov:wasDerivedFrom ?loc . }
          ?loc bibo:pageStart ?page . }""")
    assert found == [{"role": "https://w3id.org/clustergraph/ontology#role-supporter",
                      "family": "https://w3id.org/clustergraph/ontology#family-i3", "page": "18"}]


def test_eehrxf_is_the_standard_xpandh_promotes(project_store):
    found = rows(project_store, """
        SELECT ?label ?alt ?page WHERE { GRAPH cgg:ltc-report-2024 {
            cgr:xpandh dct:relation cgr:eehrxf .
            cgr:eehrxf a dct:Standard ; skos:prefLabel ?label ; skos:altLabel ?alt ; prov:wasDerivedFrom ?loc . }
          ?loc bibo:pageStart ?page . }""")
    assert found == [{"label": "European Electronic Health Record Exchange Format", "alt": "EEHRxF", "page": "16"}]


@pytest.mark.parametrize("graph", [G2024, GAFILP])
def test_admantex2i_funded_under_cosme_clusters_go_international(project_store, graph):
    assert project_store.query(PREFIXES + f"""ASK {{ GRAPH <{graph}> {{
        cgr:admantex2i cg:fundedUnder cgr:prog-cosme-clusters-go-international .
        cgr:prog-cosme-clusters-go-international skos:broader cgr:prog-cosme ;
            skos:prefLabel "COSME - Clusters Go International"@en ; cg:family cg:family-escp . }} }}""")


def test_eusalp_ag2_with_cluster_tav_only_in_the_2022_graph(project_store):
    graphs = values(project_store, """SELECT ?g WHERE { GRAPH ?g {
        ?p cg:participant cgr:cluster-tav ; cg:initiative cgr:eusalp-ag2 ; cg:role cg:role-participant } }""", "g")
    assert graphs == {G2022}
    assert project_store.query(PREFIXES + """ASK { GRAPH cgg:ltc-report-2022 {
        cgr:eusalp-ag2 a cg:Network ; cg:partOfInitiative cgr:eusalp ; skos:altLabel "EUSALP AG2"@en } }""")


def test_infn_is_not_minted(project_store):
    # The 2024 report never names INFN (nor Istituto Nazionale di Fisica Nucleare).
    assert not project_store.query(PREFIXES + """ASK { ?s skos:prefLabel ?l .
        FILTER (CONTAINS(LCASE(STR(?l)), "fisica nucleare") || STR(?l) = "INFN") }""")


def test_regional_directorate_on_back_cover(project_store):
    assert project_store.query(PREFIXES + """ASK { GRAPH cgg:ltc-report-2024 {
        cgr:regione-lombardia-dg-university-research-innovation org:unitOf cgr:regione-lombardia ;
            skos:prefLabel "General Directorate University, Research, Innovation"@en ;
            org:hasSite cgr:site-s2024-regione-lombardia-milano . } }""")


# --- 3. PLASTIX regions ---------------------------------------------------------------------------------

def test_plastix_regions_in_the_2024_graph(project_store):
    regions = values(project_store, """SELECT ?r WHERE { GRAPH cgg:ltc-report-2024 {
        cgr:plastix cg:partnerRegion ?r } }""", "r")
    nuts = "http://data.europa.eu/nuts/code/"
    assert regions == {nuts + "ITC4", nuts + "ES51", nuts + "NL12", nuts + "FI197", nuts + "SE311",
                       "http://publications.europa.eu/resource/authority/country/SVN"}
    count = values(project_store, """SELECT ?n WHERE { GRAPH cgg:ltc-report-2024 { cgr:plastix cg:regionCount ?n } }""", "n")
    assert count == {"6"}
    gap = rows(project_store, """SELECT ?page WHERE { GRAPH cgg:ltc-report-2024 {
        cgr:gap-s2024-plastix-savinja-salek-nuts cg:gapSubject cgr:plastix ; cg:gapProperty cg:partnerRegion ;
            cg:gapKind cg:gap-left-out ; prov:wasDerivedFrom ?loc . } ?loc bibo:pageStart ?page . }""")
    assert gap == [{"page": "6"}]


def test_plastix_addresses_the_regional_value_chains_instrument_in_both_graphs(project_store):
    graphs = values(project_store, """SELECT ?g WHERE { GRAPH ?g {
        cgr:plastix cg:relatedInstrument cgr:lombardy-regional-value-chains } }""", "g")
    assert graphs == {G2024, GAFILP}


def test_plastix_countries_in_the_afil_profile_graph(project_store):
    countries = values(project_store, """SELECT ?c WHERE { GRAPH cgg:afil-profile-2024 {
        cgr:plastix cg:partnerCountry ?c } }""", "c")
    base = "http://publications.europa.eu/resource/authority/country/"
    assert countries == {base + c for c in ("ITA", "ESP", "NLD", "SVN", "FIN", "SWE")}


# --- conventions of the new files -----------------------------------------------------------------------

GENERATED_LABEL_CLASSES = {
    "https://w3id.org/clustergraph/ontology#" + c
    for c in ("Participation", "MemberCountObservation", "IndicatorObservation", "SourceLocator")
} | {"http://www.w3.org/ns/org#Site", "http://www.w3.org/ns/locn#Address", "http://schema.org/MonetaryAmount",
     "https://w3id.org/clustergraph/ontology#StrategicAlignment"}


def test_every_node_minted_by_h1_has_an_english_rdfs_label_and_provenance():
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    derived = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
    store = ox.Store()
    for name in H1_FILES:
        store.load(path=str(ROOT / name), format=ox.RdfFormat.TURTLE)
    typed = {}
    for quad in store.quads_for_pattern(None, rdf_type, None):
        typed.setdefault(quad.subject, set()).add(quad.object.value)
    # nodes first described here (not re-typed existing ones): those with a label or a locator in these files
    minted = [s for s, types in typed.items() if any(store.quads_for_pattern(s, derived, None))]
    assert len(minted) >= 20
    for node in minted:
        if typed[node] & GENERATED_LABEL_CLASSES:
            continue
        labels = [q.object for q in store.quads_for_pattern(node, label, None)]
        assert any(getattr(lit, "language", None) == "en" for lit in labels), node


# --- source gaps from the section-by-section review ---------------------------------------------------------

def test_member_count_gaps_for_the_three_clusters_without_figures(project_store):
    found = rows(project_store, """
        SELECT ?subject ?page WHERE { GRAPH cgg:ltc-report-2024 {
            ?gap a cg:SourceGap ; cg:gapProperty cg:memberCount ; cg:gapKind cg:gap-not-stated ;
                 cg:gapSubject ?subject ; cg:statedIn cgr:doc-ltc-report-2024 ; prov:wasDerivedFrom ?loc . }
          ?loc bibo:pageStart ?page . }""")
    assert {(r["subject"].removeprefix(CGR), r["page"]) for r in found} == {("cat-al", "8"), ("clm", "10"), ("lgca", "24")}
    # and indeed no 2024 member count exists for them
    for cluster in ("cat-al", "clm", "lgca"):
        assert not project_store.query(PREFIXES + f"""ASK {{ ?o cg:organisation cgr:{cluster} ;
            cg:statedIn cgr:doc-ltc-report-2024 }}""")


def test_aam_budget_gap(project_store):
    # (the foreword's "almost 700 subjects" is an approximate observation: tests/test_data_quality.py)
    assert project_store.query(PREFIXES + """ASK { GRAPH cgg:ltc-report-2024 {
        cgr:gap-s2024-lac-olympics-2026-budget cg:gapSubject cgr:lac-olympics-2026 ; cg:gapProperty cg:totalBudget . } }""")
