"""Facts curated by helper h2 from the ECCP "Clusters meet Regions" input paper (Milan, March 2024).

Each test checks a fact against the built store: the value, the graph (= document) it sits in and the
place in the paper its locator names.
"""

from __future__ import annotations

import pytest
from facts import rows

ECCP_GRAPH = "https://w3id.org/clustergraph/graph/eccp-input-paper-2024"
LTCS = {"afil", "cat-al", "cluster-scc", "lac", "cluster-tav", "le2c", "lgca", "lombardy-life-sciences-cluster", "clm"}
CGR = "https://w3id.org/clustergraph/id/"



def value(term) -> str:
    return term.value if term is not None else None


# --- the survey (Section 4, pp. 27-28) ------------------------------------------------------------------

def test_survey_was_answered_by_all_nine_ltcs_in_feb_march_2024(project_store):
    found = rows(project_store, """
        SELECT ?g ?r ?n ?start ?end ?ran ?page WHERE {
            GRAPH ?g { cgr:survey-eccp-ltc-s3-2024 a cg:Survey ; cg:respondent ?r ; cg:count ?n ;
                       <http://schema.org/startDate> ?start ; <http://schema.org/endDate> ?end ;
                       prov:wasAssociatedWith ?ran ; prov:wasDerivedFrom ?loc . }
            ?loc bibo:pageStart ?page .
        }""")
    assert {value(r["g"]) for r in found} == {ECCP_GRAPH}
    assert {value(r["r"]).removeprefix(CGR) for r in found} == LTCS
    assert {value(r["n"]) for r in found} == {"9"}
    assert {(value(r["start"]), value(r["end"])) for r in found} == {("2024-02", "2024-03")}
    assert {value(r["ran"]) for r in found} == {CGR + "eccp"}
    assert "27" in {value(r["page"]) for r in found}


def test_survey_results_are_observations_generated_by_the_survey(project_store):
    found = rows(project_store, """
        SELECT ?obs ?item ?v ?unit ?lb ?page WHERE {
            GRAPH cgg:eccp-input-paper-2024 {
                ?obs a cg:IndicatorObservation ; prov:wasGeneratedBy cgr:survey-eccp-ltc-s3-2024 ;
                     cg:indicator ?ind ; cg:value ?v ; cg:unit ?unit ; sdmx-dimension:refPeriod "2024"^^<http://www.w3.org/2001/XMLSchema#gYear> ;
                     prov:wasDerivedFrom ?loc .
                OPTIONAL { ?obs cg:breakdownItem ?item }
                OPTIONAL { ?obs cg:lowerBound ?lb }
            }
            ?loc bibo:pageStart ?page .
        }""")
    assert len({value(r["obs"]) for r in found}) == 18
    by_item = {(value(r["obs"]).removeprefix(CGR + "ind-eccp-ltc-survey-")): r for r in found}
    # all nine expect Sustainability to gain importance: 100 %, exact
    future_sust = by_item["future-s3-sustainability"]
    assert value(future_sust["v"]) == "100" and value(future_sust["unit"]).endswith("unit-percent")
    assert future_sust["lb"] is None and value(future_sust["page"]) == "27"
    # "the majority" contribute highly to Connectivity & Information: more than 50 %
    conn = by_item["high-s3-connectivity-information"]
    assert value(conn["v"]) == "50" and value(conn["lb"]) == "true"
    assert value(conn["item"]) == CGR + "s3-connectivity-information"
    # Sustainability first by contribution; design ahead of implementation (p. 28)
    assert value(by_item["rank-s3-sustainability"]["v"]) == "1"
    assert value(by_item["involvement-rank-policy-design"]["v"]) == "1"
    assert value(by_item["involvement-rank-policy-implementation"]["v"]) == "2"
    assert value(by_item["involvement-rank-policy-design"]["page"]) == "28"
    assert value(by_item["ecosystems-contributed"]["v"]) == "8"


def test_survey_gap_says_no_per_cluster_answers(project_store):
    found = rows(project_store, """
        SELECT ?kind WHERE { GRAPH cgg:eccp-input-paper-2024 {
            ?gap a cg:SourceGap ; cg:gapSubject cgr:survey-eccp-ltc-s3-2024 ; cg:gapKind ?kind } }""")
    assert [value(r["kind"]) for r in found] == ["https://w3id.org/clustergraph/ontology#gap-not-stated"]


# --- Tables 2 and 3 (Annex, pp. 32-33) ------------------------------------------------------------------------

def test_table2_seven_sectoral_agglomerations_and_top_five(project_store):
    count = rows(project_store, """
        SELECT ?v ?page WHERE { GRAPH cgg:eccp-input-paper-2024 {
            ?o cg:refArea nutsc:ITC4 ; cg:indicator cgr:indicator-sectoral-agglomerations ; cg:value ?v ;
               cg:unit cg:unit-count ; prov:wasDerivedFrom ?loc . }
            ?loc bibo:pageStart ?page }""")
    assert {(value(r["v"]), value(r["page"])) for r in count} == {("7", "32")}
    ranks = rows(project_store, """
        SELECT ?code ?v ?lb WHERE { GRAPH cgg:eccp-input-paper-2024 {
            ?o a cg:IndicatorObservation ; cg:periodAsStated ?_period ; cg:refArea nutsc:ITC4 ;
               cg:indicator cgr:indicator-sectoral-agglomeration-rank ; cg:breakdownItem ?s ; cg:value ?v .
            OPTIONAL { ?o cg:lowerBound ?lb }
            FILTER NOT EXISTS { ?o sdmx-dimension:refPeriod ?y } }
            ?s skos:notation ?code }""")
    table = {value(r["code"]): (value(r["v"]), value(r["lb"])) for r in ranks}
    assert table == {"T97": ("1", None), "C14": ("2", None), "M74": ("3", None), "M69": ("4", None),
                     "S96": ("5", None), "C25": ("5", "true"), "C28": ("5", "true")}


def test_table3_textile_is_the_only_ecosystem_agglomeration(project_store):
    found = rows(project_store, """
        SELECT ?ind ?v ?item ?page WHERE { GRAPH cgg:eccp-input-paper-2024 {
            ?o a cg:IndicatorObservation ; cg:periodAsStated ?_period ; cg:refArea nutsc:ITC4 ; cg:indicator ?ind ; cg:value ?v ;
               prov:wasDerivedFrom cgr:loc-eccp-annex-table3 .
            OPTIONAL { ?o cg:breakdownItem ?item } }
            cgr:loc-eccp-annex-table3 bibo:pageStart ?page }""")
    got = {(value(r["ind"]).removeprefix(CGR), value(r["v"]), value(r["item"])) for r in found}
    assert got == {("indicator-ecosystem-agglomerations", "1", None),
                   ("indicator-ecosystem-agglomeration-rank", "1", CGR + "ie-textile")}
    assert {value(r["page"]) for r in found} == {"33"}


def test_undated_figures_have_a_no_period_gap(project_store):
    found = rows(project_store, """
        SELECT ?o WHERE { GRAPH cgg:eccp-input-paper-2024 { ?o a cg:IndicatorObservation ; cg:periodAsStated ?_period .
            FILTER NOT EXISTS { ?gap cg:gapSubject ?o ; cg:gapKind cg:gap-no-period ;
                                     cg:gapProperty sdmx-dimension:refPeriod } } }""")
    assert found == []


# --- Box 2 good practices -------------------------------------------------------------------------------------

@pytest.mark.parametrize("practice, nuts", [
    ("gp-basque-country-cluster-working-groups", "ES21"),
    ("gp-tuscany-foresight-roadmapping", "ITI1"),
    ("gp-skane-board-of-cluster-organisations", "SE224"),
])
def test_box2_good_practices_are_regional_policy_measures(project_store, practice, nuts):
    found = rows(project_store, f"""
        SELECT ?g ?place ?section WHERE {{
            GRAPH ?g {{ cgr:{practice} a cg:PolicyMeasure ; dct:spatial ?place ; dct:description ?d ;
                        prov:wasDerivedFrom ?loc . }}
            ?loc bibo:section ?section }}""")
    assert {value(r["g"]) for r in found} == {ECCP_GRAPH}
    assert {value(r["place"]) for r in found} == {"http://data.europa.eu/nuts/code/" + nuts}
    assert all(value(r["section"]).startswith("Box 2") for r in found)


def test_skane_council_and_tuscany_poles(project_store):
    skane = rows(project_store, """
        SELECT ?council WHERE { GRAPH cgg:eccp-input-paper-2024 {
            cgr:skane-board-of-cluster-organisations org:memberOf ?council .
            cgr:skane-innovation-strategy dct:creator ?council ; dct:isPartOf cgr:open-skane-2030 } }""")
    assert [value(r["council"]) for r in skane] == [CGR + "research-and-innovation-council-skane"]
    poles = rows(project_store, """
        SELECT ?n WHERE { GRAPH cgg:eccp-input-paper-2024 { cgr:tuscany-innovation-poles cg:count ?n } }""")
    assert [value(r["n"]) for r in poles] == ["13"]


# --- ESCP-4i target markets and themes (Section 3, p. 23) --------------------------------------------------------

def test_escp_4i_target_markets_and_themes(project_store):
    markets = rows(project_store, """
        SELECT ?m WHERE { GRAPH cgg:eccp-input-paper-2024 {
            ?c cg:relatedInitiative cgr:escp-4i ; cg:targetMarket ?m ; cg:count 10 ;
               prov:wasDerivedFrom/bibo:pageStart "23" } }""")
    codes = {value(r["m"]).rsplit("/", 1)[1] for r in markets}
    assert codes == {"DZA", "ECU", "CHL", "BRA", "CHN", "IND", "SGP", "JPN", "USA", "CAN", "MEX"}
    themes = rows(project_store, """
        SELECT ?label WHERE { GRAPH cgg:eccp-input-paper-2024 {
            cgr:escp-4i-partnerships-with-lombardy-clusters dct:subject ?t . ?t skos:prefLabel ?label } }""")
    assert {value(r["label"]) for r in themes} == {"Textiles", "Cosmetics", "Photonics", "Smart cities"}


# --- organisations named in the text ------------------------------------------------------------------------

def test_prognos_wrote_the_paper(project_store):
    found = rows(project_store, """
        SELECT ?label ?page WHERE { GRAPH cgg:eccp-input-paper-2024 {
            cgr:doc-eccp-input-paper-2024 dct:creator cgr:prognos .
            cgr:prognos a cg:Company ; skos:prefLabel ?label ; prov:wasDerivedFrom cgr:loc-eccp-title-page . }
            cgr:loc-eccp-title-page bibo:pageStart ?page }""")
    assert {(value(r["label"]), value(r["page"])) for r in found} == {("Prognos", "1")}


def test_parco_tecnologico_padano_is_named_with_cat_al_in_table4(project_store):
    found = rows(project_store, """
        SELECT ?page WHERE { GRAPH cgg:eccp-input-paper-2024 {
            cgr:cat-al dct:relation cgr:parco-tecnologico-padano .
            cgr:parco-tecnologico-padano a cg:Organisation ; prov:wasDerivedFrom ?loc . }
            ?loc bibo:pageStart ?page }""")
    assert [value(r["page"]) for r in found] == ["34"]


def test_data_source_bodies_belong_to_the_commission(project_store):
    found = rows(project_store, """
        SELECT ?b WHERE { GRAPH cgg:eccp-input-paper-2024 { ?b org:subOrganizationOf cgr:european-commission } }""")
    assert {value(r["b"]).removeprefix(CGR) for r in found} == {"eurostat", "dg-grow", "dg-regio", "jrc"}
    tables = rows(project_store, """
        SELECT ?loc WHERE { GRAPH cgg:eccp-input-paper-2024 { ?loc dct:source cgr:eurostat } }""")
    assert {CGR + "loc-eccp-annex-table2", CGR + "loc-eccp-annex-table3"} <= {value(r["loc"]) for r in tables}
