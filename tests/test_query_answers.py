"""Every named query answers what the source documents say.

Expected values are written from the documents in shared/sources (002 = 2024 report, 003 = ECCP input
paper, 004 = 2022 report, 001 = AFIL profile), not from the queries' output.
"""

from __future__ import annotations

from clustergraph.kg.search_keys import fold

CG = "https://w3id.org/clustergraph/ontology#"
ID = "https://w3id.org/clustergraph/id/"


def _by(rows: list[dict[str, str]], key: str) -> dict[str, list[dict[str, str]]]:
    grouped: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        grouped.setdefault(row[key].removeprefix(ID), []).append(row)
    return grouped


def test_member_counts_2022_vs_2024(named):
    rows = {r["cluster"].removeprefix(ID): r for r in named("member-counts-2022-vs-2024")}
    assert len(rows) == 9, "one row per Lombardy Technology Cluster, no duplicates across source graphs"
    # 004: AFIL 144 in 2022; 002 and 003 Box 1: 143 in 2024
    assert (rows["afil"]["members2022"], rows["afil"]["members2024Report"], rows["afil"]["membersEccp2024"]) == (
        "144", "143", "143")
    assert rows["afil"]["change"] == "-1"
    # 002: Life Sciences 114, Aerospace 114, Energy Cleantech 140, Smart Cities 88, TAV 31
    for slug, n in [("lombardy-life-sciences-cluster", "114"), ("lac", "114"), ("le2c", "140"),
                    ("cluster-scc", "88"), ("cluster-tav", "31")]:
        assert rows[slug]["members2024Report"] == n, slug
    # 002 gives no figure for CAT.AL, CLM, LGCA; 003 Box 1 gives 14, 100, 50
    for slug, n in [("cat-al", "14"), ("clm", "100"), ("lgca", "50")]:
        assert rows[slug]["members2024Report"] == "" and rows[slug]["membersEccp2024"] == n, slug


def test_member_counts_by_category_add_up(named):
    rows = named("member-counts-by-category", year="2024", organisation=ID + "lombardy-life-sciences-cluster")
    report = {r["category"]: r["members"] for r in rows if r["source"] == ID + "doc-ltc-report-2024"}
    # 002: 114 members of which 63 companies, 36 research organisations, 15 other entities
    assert report == {"all members": "114", "companies": "63", "research organisations": "36", "other entities": "15"}
    afil_2022 = {r["category"]: r["members"] for r in named("member-counts-by-category", year="2022",
                                                            organisation=ID + "afil")}
    assert afil_2022 == {"all members": "144", "companies": "116", "research organisations": "14",
                         "other entities": "14"}
    ltcs = {r["category"]: r["members"] for r in named("member-counts-by-category", year="2024",
                                                       organisation=ID + "lombardy-technology-clusters")
            if r["approximate"] != "true"}  # the foreword's "almost 700" is listed too, flagged approximate
    assert (ltcs["all members"], ltcs["companies"], ltcs["research organisations"], ltcs["other entities"]) == (
        "794", "585", "111", "98")


def test_i3_projects(named):
    rows = _by(named("i3-projects"), "project")
    # 003, section 3: the five I3 projects with Lombardy clusters and their EU contributions
    expected = {"rise": ("le2c", "1240000"), "smart-growth": ("afil", "2996000"), "batmass": ("afil", "9765017"),
                "deremco": ("afil", "8822751"), "ambitious": ("cluster-scc", "4383000")}
    for project, (cluster, eu) in expected.items():
        clusters = {r["cluster"].removeprefix(ID) for r in rows[project]}
        assert cluster in clusters, project
        assert {r["euContribution"] for r in rows[project]} == {eu}, project
        assert all(r["currency"].endswith("/currency/EUR") for r in rows[project])
        assert all(ID + "doc-eccp-input-paper-2024" in r["sources"] for r in rows[project] if r["cluster"])
    assert rows["deremco"][0]["partners"] == "30" and rows["deremco"][0]["countries"] == "7"
    assert rows["ambitious"][0]["partners"] == "18" and rows["ambitious"][0]["countries"] == "5"
    assert rows["batmass"][0]["partners"] == "15"


def test_clusters_per_initiative_filters_by_initiative_and_family(named):
    batmass = named("clusters-per-initiative", initiative=ID + "batmass")
    assert {r["cluster"].removeprefix(ID) for r in batmass} == {"afil"}
    i3 = {r["cluster"].removeprefix(ID) for r in named("clusters-per-initiative", family=CG + "family-i3")}
    assert {"afil", "le2c", "cluster-scc"} <= i3
    ai_redgio = named("clusters-per-initiative", initiative=ID + "ai-redgio-5-0")
    assert any("communication" in r["roles"] for r in ai_redgio), "001/002: AFIL leads communication"


def test_shared_family_is_not_a_shared_project(named):
    # AFIL and Cluster SCC are both in I3 projects, but not the same one (003)
    i3_pairs = {(r["a"].removeprefix(ID), r["b"].removeprefix(ID))
                for r in named("cluster-pairs-sharing-initiatives", family=CG + "family-i3")}
    assert ("afil", "cluster-scc") not in i3_pairs
    vanguard = {(r["a"].removeprefix(ID), r["b"].removeprefix(ID))
                for r in named("cluster-pairs-sharing-initiatives", family=CG + "family-vanguard")}
    # 002: AFIL, LE2C and the Life Sciences Cluster all list the Vanguard Initiative
    assert ("afil", "le2c") in vanguard
    assert ("afil", "lombardy-life-sciences-cluster") in vanguard


def test_vanguard_roles(named):
    rows = named("vanguard-pilots")
    roles = {(r["pilot"].removeprefix(ID), r["organisation"].removeprefix(ID), r["role"]) for r in rows}
    # 002: LGCA technical coordinator of the Bioeconomy pilot; LE2C co-coordinator of the Hydrogen table
    assert ("vi-pilot-bioeconomy", "lgca", "technical coordinator") in roles
    assert ("vi-pilot-hydrogen", "le2c", "co-coordinator") in roles
    hydrogen = [r for r in rows if r["pilot"] == ID + "vi-pilot-hydrogen" and r["organisation"] == ID + "le2c"]
    assert hydrogen[0]["representing"] == ID + "regione-lombardia"
    assert len(rows) == len({tuple(r.values()) for r in rows}), "no duplicate rows"


def test_eccp_clusters_table_4(named):
    rows = {r["cluster"].removeprefix(ID): r for r in named("eccp-clusters")}
    assert len(rows) == 15
    assert rows["minit"]["type"] == "National technology cluster" and rows["minit"]["ecosystems"] == "Textile"
    assert rows["triulza"]["type"] == "Other ECCP-registered cluster organisation"
    assert set(rows["italbiotec"]["ecosystems"].split(", ")) == {"Agri-Food", "Energy - Renewables", "Health"}
    assert sum(r["type"] == "Lombardy Technology Cluster" for r in rows.values()) == 9
    health = {r["cluster"].removeprefix(ID) for r in named("eccp-clusters", ecosystem=ID + "ie-health")}
    # 003: Health is the strongest ecosystem with four cluster organisations
    assert len(health) == 4


def test_cluster_sites_and_nuts(named):
    rows = named("cluster-sites")
    afil = {r["nuts3"].rsplit("/", 1)[-1] for r in rows if r["cluster"] == ID + "afil"}
    assert {"ITC4C", "BE100"} <= afil, "001: Milan and Brussels seats"
    tav = {r["nuts3"].rsplit("/", 1)[-1] for r in rows if r["cluster"] == ID + "cluster-tav"}
    assert tav == {"ITC43"}, "Lecco"
    lecco = named("cluster-sites", nuts3="http://data.europa.eu/nuts/code/ITC43")
    assert {r["cluster"].removeprefix(ID) for r in lecco} == {"cluster-tav"}
    lac_roles = {r["siteRole"] for r in rows if r["cluster"] == ID + "lac" and r["source"].endswith("2024")}
    assert {"legal headquarters", "operational headquarters"} <= lac_roles


def test_s3_and_pnrr_alignment(named):
    nutrition = named("clusters-per-s3-ecosystem", ecosystem=ID + "s3-nutrition")
    assert "cat-al" in {r["cluster"].removeprefix(ID) for r in nutrition}
    sustainability = {r["cluster"].removeprefix(ID) for r in named("clusters-per-s3-ecosystem",
                                                                    ecosystem=ID + "s3-sustainability")}
    assert {"le2c", "lgca"} <= sustainability
    m2c1 = {r["cluster"].removeprefix(ID) for r in named("clusters-per-pnrr-component", component=ID + "pnrr-m2c1")}
    assert {"afil", "lgca", "cat-al", "le2c"} <= m2c1
    m3c2 = {r["cluster"].removeprefix(ID) for r in named("clusters-per-pnrr-component", component=ID + "pnrr-m3c2")}
    assert "lac" in m3c2, "002: the Aerospace Cluster names M3 C2"
    health = named("clusters-per-pnrr-component", component=ID + "pnrr-m6c2")
    assert {r["mission"] for r in health} == {"M6"}


def test_regional_indicators_table_1(named):
    rows = named("regional-indicators")
    values = {(r["indicatorLabel"].lower(), r["year"], r["value"]) for r in rows}
    assert any(("gdp" in label or "gross domestic product" in label) and year == "2022" and value == "439986"
               for label, year, value in values)
    assert any("population" in label and year == "2023" and value == "9977" for label, year, value in values)


def test_sources_of_fact(named):
    rows = named("sources-of-fact", subject=ID + "afil", property="http://xmlns.com/foaf/0.1/homepage")
    documents = {r["document"].removeprefix(ID) for r in rows}
    assert {"doc-ltc-report-2024", "doc-ltc-report-2022"} <= documents
    assert all(r["identifier"] and r["edition"] for r in rows)


def test_participation_changes_between_editions(named):
    rows = {(r["initiative"].removeprefix(ID), r["change"]) for r in named(
        "participation-changes-between-editions", cluster=ID + "afil")}
    assert ("plastix", "only in 2024") in rows, "PLASTIX is new in the 2024 report"
    assert ("vanguard-initiative", "kept") in rows
    assert ("admantex2i", "kept") in rows


def test_programmes_policy_and_stories(named):
    programmes = {r["programme"].removeprefix(ID): int(r["initiatives"]) for r in named("projects-by-programme")}
    assert programmes["prog-i3"] >= 5 and programmes["prog-horizon-europe"] >= 3
    labels = " ".join(r["label"] for r in named("policy-instruments")).lower()
    assert "circular economy" in labels and "smart specialisation" in labels
    stories = named("success-stories", cluster=ID + "afil")
    assert any(r["year"] == "2022" for r in stories), "001: the Sustainable Development Protocol, signed 2022"


def test_cluster_partnerships(named):
    rows = named("cluster-partnerships")
    partnerships = {r["partnership"].removeprefix(ID) for r in rows}
    assert {"hempclub", "pimap4sustainability", "admantex2i"} <= partnerships
    assert any(r["partnership"] == ID + "pimap4sustainability" and r["organisation"] == ID + "afil" for r in rows)


def test_source_gaps(named):
    rows = named("source-gaps", document=ID + "doc-ltc-report-2024")
    by_subject = _by(rows, "subject")
    # 002: "number of members" headings without a figure for CAT.AL (p. 8), CLM (p. 10), LGCA (p. 24);
    # 003 Box 1 gives 14, 100 and 50
    for slug, eccp in [("cat-al", "obs-eccp-cat-al-total"), ("clm", "obs-eccp-clm-total"), ("lgca", "obs-eccp-lgca-total")]:
        member = [r for r in by_subject[slug] if r["missing"] == CG + "memberCount"]
        assert len(member) == 1 and member[0]["kind"] == "not stated by the source", slug
        assert member[0]["alternativeFact"] == ID + eccp
    # 002 p. 24: LGCA's network box repeats CLM's list; left out on purpose
    assert any(r["kind"] == "left out on purpose" and "Mobility Cluster" in r["why"] for r in by_subject["lgca"])
    slides = named("source-gaps", document=ID + "doc-afil-slides-2024")
    no_year = [r for r in slides if r["kind"] == "no reference period"]
    # 000: only the R&D spending (2019) of the 16 Lombardy figures has a year
    assert len({r["subject"] for r in no_year}) == 15


def test_member_counts_nine_together(named):
    rows = {r["edition"]: r for r in named("member-counts-nine-together")}
    # 004's overview infographic: 755 = 555 companies + 109 research organisations + 91 other entities
    assert {k: rows["2022"][k] for k in ("total", "companies", "researchOrganisations", "otherEntities",
                                          "clustersCounted")} == {
        "total": "755", "companies": "555", "researchOrganisations": "109", "otherEntities": "91", "clustersCounted": "9"}
    # 2024: 002's totals for six clusters (88 + 114 + 31 + 140 + 143 + 114 = 630), 003 Box 1 for CAT.AL, CLM and
    # LGCA (14 + 100 + 50 = 164): 794, and the row says so.
    assert rows["2024"]["total"] == "794" and rows["2024"]["clustersCounted"] == "9"
    assert sorted(rows["2024"]["basis"].split("; ")) == ["2024 report for 6 clusters", "ECCP paper for 3 clusters"]
    # 002 gives categories for only some clusters: no category is added up over a partial set.
    assert rows["2024"]["companies"] == rows["2024"]["researchOrganisations"] == rows["2024"]["otherEntities"] == ""


def test_search_by_name_ignores_case_and_accents(named):
    # 004 names the Lombardy Mobility Cluster "Cluster Lombardo della Mobilità" in Italian
    plain = {(r["resource"].removeprefix(ID), r["label"]) for r in named("search-by-name", text="mobilita")}
    accented = {(r["resource"].removeprefix(ID), r["label"]) for r in named("search-by-name", text="MOBILITÀ")}
    assert ("clm", "Cluster Lombardo della Mobilità") in plain
    assert plain == accented
    # only the names that match are listed, each as written
    assert all("mobilita" in fold(label) for _, label in plain)


def test_search_by_name_pages_in_name_order(named):
    first = named("search-by-name", text="a")
    second = named("search-by-name", text="a", page="2")
    assert len(first) == 100 and second and not {r["resource"] + r["label"] for r in first} & {
        r["resource"] + r["label"] for r in second}
    assert [r["label"].lower() for r in first] == sorted(r["label"].lower() for r in first)
