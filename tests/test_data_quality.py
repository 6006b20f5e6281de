"""What a consumer sees of the curated data: every IRI named, gaps and approximations stated in the graph, one
IRI per thing. Run over the real build (ontology, data, derived labels)."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

import pytest
from facts import PREFIXES, rows

from clustergraph.kg.derived_labels import DERIVED_LABELS_GRAPH

CGR = "https://w3id.org/clustergraph/id/"
LABEL = "rdfs:label|skos:prefLabel|schema:name|dct:title"

# Objects of these predicates are classes, properties, vocabularies or web pages shown as links, not
# resources a page names: the one exception to "every object IRI has a label" (classes and properties aside).
SCHEMA_AND_LINK_PREDICATES = """
    rdf:type rdfs:subClassOf rdfs:subPropertyOf rdfs:domain rdfs:range rdfs:isDefinedBy rdfs:seeAlso
    cg:gapProperty owl:versionIRI owl:equivalentClass owl:equivalentProperty owl:inverseOf qb:dimension qb:measure qb:attribute
    <http://rdfs.org/ns/void#vocabulary> <http://xmlns.com/foaf/0.1/homepage> <http://xmlns.com/foaf/0.1/page>
"""



def test_every_object_iri_has_a_label(project_store) -> None:
    """No page or query table shows a bare IRI: every object IRI is labelled (classes, properties and web
    pages aside), authority terms in graph/authorities, n-ary nodes in graph/derived-labels."""
    unlabelled = rows(project_store, f"""
        SELECT DISTINCT ?o ?p WHERE {{
            ?s ?p ?o FILTER (isIRI(?o))
            FILTER (?p NOT IN ({", ".join(SCHEMA_AND_LINK_PREDICATES.split())}))
            FILTER NOT EXISTS {{ ?o {LABEL} ?label }}
            FILTER NOT EXISTS {{ ?o a ?kind VALUES ?kind {{ owl:Class rdfs:Class owl:ObjectProperty
                                                           owl:DatatypeProperty rdf:Property }} }}
            FILTER NOT EXISTS {{ ?anything rdfs:subClassOf ?o }}
            FILTER NOT EXISTS {{ ?anything rdfs:subPropertyOf|rdfs:domain|rdfs:range ?o }}
            FILTER (!STRSTARTS(STR(?o), "http://data.europa.eu/s66#"))  # EURIO classes (skos:closeMatch)
            FILTER (?o != <http://schema.org/funder>)
        }} ORDER BY ?o""")
    assert not unlabelled, "object IRIs without a label:\n" + "\n".join(f"{r['o']} (via {r['p']})" for r in unlabelled)


def test_typed_resources_all_have_a_label(project_store) -> None:
    """What cgs:LabelShape enforces at build time, checked on the served store (blank nodes aside)."""
    found = rows(project_store, f"""
        SELECT DISTINCT ?s WHERE {{ ?s a ?c FILTER (isIRI(?s)) FILTER NOT EXISTS {{ ?s {LABEL} ?l }} }}""")
    assert not found, [r["s"].value for r in found]


def test_nuts_regions_have_names_levels_and_parents(project_store) -> None:
    found = rows(project_store, """
        SELECT ?en ?it ?code ?level ?parent ?grandparent ?country WHERE { GRAPH cgg:authorities {
            nutsc:ITC4C skos:prefLabel ?en , ?it ; skos:notation ?code ; cg:nutsLevel ?level ; skos:broader ?parent .
            ?parent skos:broader ?grandparent . ?grandparent skos:broader ?country .
            FILTER (LANG(?en) = "en" && LANG(?it) = "it") } }""")
    assert len(found) == 1
    row = found[0]
    assert (row["en"].value, row["it"].value, row["code"].value, int(row["level"].value)) == ("Milan", "Milano", "ITC4C", 3)
    assert [row[k].value.rsplit("/", 1)[1] for k in ("parent", "grandparent", "country")] == ["ITC4", "ITC", "IT"]


def test_authority_graph_has_provenance(project_store) -> None:
    found = rows(project_store, """
        SELECT ?title ?source WHERE { cgg:authorities a cg:SourceGraph ; prov:hadPrimarySource ?doc .
            ?doc dct:title ?title ; dct:source ?source }""")
    assert {r["source"].value for r in found} >= {"http://data.europa.eu/nuts/scheme/2021",
                                                   "http://publications.europa.eu/resource/authority/country"}
    assert "NUTS 2021" in found[0]["title"].value


@pytest.mark.parametrize(("node", "label"), [
    ("amount-eccp-batmass", "EU contribution to BATMASS: €9,765,017"),
    ("amount-eccp-i3-budget", "Total budget of I3: €570,000,000"),
    ("site-s2024-afil-milano", "Headquarters of AFIL, Milano"),
    ("obs-s2024-afil-total", "AFIL members 2024, all members (2024 report)"),
    ("obs-s2022-afil-companies", "AFIL members 2022, companies (2022 report)"),
    ("part-s2024-afil-batmass", "AFIL in BATMASS: participant (2024 report)"),
    ("part-s2024-le2c-vi-pilot-hydrogen", "LE2C in Vanguard Initiative pilot: Hydrogen: co-coordinator (2024 report)"),
    ("ind-eccp-itc4-gdp-2022", "Gross domestic product, Lombardy, 2022 (ECCP paper)"),
    ("ind-afils-itc4-gdp-2024", "Gross domestic product, Lombardy, no year given on the slide (AFIL slides)"),
    ("align-s2024-afil-1", "AFIL: S3 Advanced Manufacturing, Sustainability with PNRR M2C1 (2024 report)"),
])
def test_n_ary_nodes_get_readable_labels(project_store, node: str, label: str) -> None:
    found = rows(project_store, f"SELECT ?l WHERE {{ GRAPH <{DERIVED_LABELS_GRAPH}> {{ cgr:{node} rdfs:label ?l }} }}")
    assert [r["l"].value for r in found] == [label]


def test_locator_labels_name_document_page_and_section(project_store) -> None:
    found = rows(project_store, "SELECT ?l WHERE { cgr:loc-s2024-afil-general rdfs:label ?l }")
    assert found[0]["l"].value.startswith("2024 report, p. 6, Lombardy Intelligent Factory Association: general information")


def test_2024_report_member_gaps_point_at_the_eccp_figures(project_store) -> None:
    """The 2024 report gives no member count for CAT.AL, CLM and LGCA; the ECCP paper gives 14, 100 and 50."""
    found = rows(project_store, """
        SELECT ?cluster ?n ?page WHERE { GRAPH cgg:ltc-report-2024 {
            ?gap a cg:SourceGap ; cg:gapSubject ?cluster ; cg:gapProperty cg:memberCount ;
                 cg:gapKind cg:gap-not-stated ; cg:statedIn cgr:doc-ltc-report-2024 ; cg:alternativeFact ?obs ;
                 prov:wasDerivedFrom/<http://purl.org/ontology/bibo/pageStart> ?page }
            GRAPH cgg:eccp-input-paper-2024 { ?obs cg:organisation ?cluster ; cg:memberCount ?n } }""")
    got = {r["cluster"].value.removeprefix(CGR): int(r["n"].value) for r in found}
    assert got == {"cat-al": 14, "clm": 100, "lgca": 50}


def test_lgca_network_box_left_out_on_purpose(project_store) -> None:
    assert project_store.query(PREFIXES + """ASK { cgr:gap-s2024-lgca-networks cg:gapKind cg:gap-left-out ;
        cg:gapSubject cgr:lgca ; dct:description ?why FILTER (CONTAINS(?why, "Lombardy Mobility Cluster")) }""")
    assert not project_store.query(PREFIXES + """ASK { GRAPH cgg:ltc-report-2024 {
        ?p cg:participant cgr:lgca ; cg:initiative cgr:c2future } }""")


def test_forewords_almost_700_is_a_rounded_observation_beside_the_exact_total(project_store) -> None:
    found = rows(project_store, """
        SELECT ?doc ?set ?n ?approx WHERE { ?obs cg:organisation cgr:lombardy-technology-clusters ;
            cg:memberCategory cg:mc-total ; cg:statedIn ?doc ; qb:dataSet ?set ; cg:memberCount ?n .
            OPTIONAL { ?obs cg:approximate ?approx } }""")
    got = {(r["doc"].value.removeprefix(CGR), r["set"].value.removeprefix(CGR), int(r["n"].value),
            r["approx"] is not None and r["approx"].value == "true") for r in found}
    assert got == {("doc-ltc-report-2022", "member-counts", 755, False),
                   ("doc-ltc-report-2022", "member-counts-rounded", 700, True),
                   ("doc-ltc-report-2024", "member-counts", 794, False),
                   ("doc-ltc-report-2024", "member-counts-rounded", 700, True)}


def test_slide_figures_carry_no_invented_year(project_store) -> None:
    """The slides date only the R&D spending (2019): GDP €368 bn is not a 2024 figure."""
    found = rows(project_store, """
        SELECT ?obs ?year ?period ?stated WHERE { GRAPH cgg:afil-slides-2024 { ?obs a cg:IndicatorObservation .
            OPTIONAL { ?obs sdmx-dimension:refPeriod ?year } OPTIONAL { ?obs cg:periodAsStated ?period }
            OPTIONAL { ?obs cg:valueAsStated ?stated } } }""")
    dated = {r["obs"].value.removeprefix(CGR): r["year"].value for r in found if r["year"] is not None}
    assert dated == {"ind-afils-itc4-rd-expenditure-2019": "2019"}
    assert sum(1 for r in found if r["period"] is not None) == len(found) - 1 == 15
    stated = {r["obs"].value.removeprefix(CGR): r["stated"].value for r in found}
    assert stated["ind-afils-itc4-gdp-2024"] == "€ 368 BLN"
    assert project_store.query(PREFIXES + """ASK { ?gap a cg:SourceGap ; cg:gapKind cg:gap-no-period ;
        cg:gapSubject cgr:ind-afils-itc4-gdp-2024 ; cg:statedIn cgr:doc-afil-slides-2024 }""")


def test_every_count_says_what_it_counts(project_store) -> None:
    missing = rows(project_store, "SELECT ?s WHERE { ?s cg:count ?n FILTER NOT EXISTS { ?s cg:countedItem ?i } }")
    assert not missing
    fanghi = rows(project_store, "SELECT ?n ?item WHERE { cgr:fanghi cg:count ?n ; cg:countedItem ?item }")
    assert [(int(r["n"].value), r["item"].value) for r in fanghi] == [(78, "proposals in the Call Hub ranking")]


def test_lower_bounds_are_flagged_one_way(project_store) -> None:
    """'More than N' is cg:lowerBound, never cg:approximate, and no figure is both."""
    both = rows(project_store, "SELECT ?s WHERE { ?s cg:lowerBound true ; cg:approximate true }")
    assert not both
    bounded = {r["s"].value.removeprefix(CGR) for r in rows(project_store, "SELECT ?s WHERE { ?s cg:lowerBound true }")}
    assert {"obs-s2022-confindustria-lombardia-companies", "obs-s2024-confindustria-lombardia-companies",
            "story-s2024-scc-1", "story-s2024-lgca-1", "afil-regional-network"} <= bounded


_GENERIC = re.compile(r"\b(strategic community|project|proposal|call|programme|the)\b")


def normalised(label: str) -> str:
    """Lower case, accents folded, punctuation and generic class words dropped."""
    text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    return " ".join(_GENERIC.sub(" ", re.sub(r"[^a-z0-9]+", " ", text)).split())


def test_normalisation() -> None:
    assert normalised("Strategic Community De- and Remanufacturing for Circular Economy") == \
        normalised("De- and Remanufacturing for Circular Economy")
    assert normalised("Città di Milano") == "citta di milano"


def test_no_two_resources_of_one_class_share_a_name(project_store) -> None:
    """Duplicate identities (one community under two IRIs): named resources only, labels in any language."""
    found = rows(project_store, f"""
        SELECT DISTINCT ?class ?s ?label WHERE {{
            ?s a ?class ; skos:prefLabel ?label FILTER (isIRI(?s))
            FILTER NOT EXISTS {{ GRAPH <{DERIVED_LABELS_GRAPH}> {{ ?s rdfs:label ?generated }} }}
            FILTER (?class NOT IN (skos:Concept, skos:ConceptScheme))
        }}""")
    names: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in found:
        names[(r["class"].value, normalised(r["label"].value))].add(r["s"].value)
    clashes = {key: sorted(iris) for key, iris in names.items() if len(iris) > 1}
    assert not clashes, clashes


def test_reconciled_identities(project_store) -> None:
    assert not project_store.query(PREFIXES + "ASK { <https://w3id.org/clustergraph/id/afil-sc-de-and-remanufacturing-for-circular-economy> ?p ?o }")
    assert project_store.query(PREFIXES + "ASK { cgr:ability prov:alternateOf cgr:prog-ability-2014 }")
    graphs = rows(project_store, """SELECT DISTINCT ?g WHERE { GRAPH ?g {
        ?p cg:participant cgr:cat-al ; cg:initiative cgr:cat-al-proposal-livestock-biosecurity } }""")
    assert {r["g"].value.rsplit("/", 1)[1] for r in graphs} == {"ltc-report-2022", "ltc-report-2024"}
