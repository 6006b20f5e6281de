"""The browse lists (issue 14, part 6) against a real server: the member-count column says what the sources
say, facets narrow the list and count what they show, sorting follows the data, bad parameters are a 400 that
names the parameter; and in Chromium at a phone's width the table scrolls inside its frame, not the page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from browser import chromium_page, off_host
from bs4 import BeautifulSoup

CG = "https://w3id.org/clustergraph/ontology#"
CGR = "https://w3id.org/clustergraph/id/"
MEMBER_TOTALS = f"""PREFIX cg: <{CG}>
PREFIX sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#>
SELECT DISTINCT ?org ?year ?n ?approx WHERE {{
  ?org a cg:ClusterOrganisation . ?obs cg:organisation ?org ; cg:memberCategory cg:mc-total ; cg:memberCount ?n ;
  sdmx-dimension:refPeriod ?year . OPTIONAL {{ ?obs cg:approximate ?approx }} }}"""


@pytest.fixture
def client(live_server):
    with live_server.client(headers={"Accept": "text/html"}) as c:
        yield c


def rows(client, path: str, **params) -> list[dict[str, str]]:
    """The table's rows as {column heading: cell text}, with the row's link under ``href`` and every
    cell's title under ``title:<heading>``."""
    response = client.get(path, params=params) if params else client.get(path)  # params={} would drop path's
    assert response.status_code == 200, response.text[:300]
    table = BeautifulSoup(response.text, "html.parser").find("table", class_="browse")
    if table is None:
        return []
    headings = [th.get_text(" ", strip=True).rstrip(" ▲▼") for th in table.find("thead").find_all("th")]
    found = []
    for tr in table.find("tbody").find_all("tr"):
        cells = tr.find_all("td")
        row = {h: c.get_text(" ", strip=True) for h, c in zip(headings, cells, strict=True)}
        row["href"] = cells[0].find("a")["href"]
        row |= {f"title:{h}": t["title"] for h, c in zip(headings, cells, strict=True) if (t := c.find(title=True))}
        found.append(row)
    return found


def by_href(found: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["href"]: row for row in found}


def facet_counts(client, path: str, param: str, **params) -> dict[str, tuple[int, str]]:
    """A facet's values as {label: (count, href)}."""
    soup = BeautifulSoup((client.get(path, params=params) if params else client.get(path)).text, "html.parser")
    values = {}
    for link in soup.select(f'a[data-facet="{param}"]'):
        values[link.select_one(".facet-label").get_text(strip=True)] = (
            int(link.select_one(".count").get_text(strip=True).replace(",", "")), link["href"])
    return values


def test_member_column_shows_the_latest_stated_total_with_its_sources(client) -> None:
    clusters = by_href(rows(client, "/browse/clusters"))
    afil = clusters["/id/afil"]  # data/ltc-report-2024/afil.ttl: 143 in 2024 (also the AFIL profile, ECCP paper)
    assert afil["Members"] == "143 2024"
    assert afil["title:Members"] == "143 members in 2024 (2024 report, AFIL profile, ECCP paper)"
    assert clusters["/id/minit"]["Members"] == "not stated"  # no source gives MinIT a member count
    assert clusters["/id/cat-al"]["Members"] == "14 2024"  # the 2024 report has none; the ECCP paper has 14


def test_a_source_shows_its_own_figures_and_not_stated_where_it_has_none(client) -> None:
    report = by_href(rows(client, "/browse/clusters", source="cgr:doc-ltc-report-2024"))
    assert report["/id/afil"]["Members"] == "143 2024"
    assert report["/id/afil"]["title:Members"] == "143 members in 2024 (2024 report)"
    for gap in ("/id/cat-al", "/id/lgca", "/id/clm"):  # data/ltc-report-2024/gaps.ttl: stated as not stated
        assert report[gap]["Members"] == "not stated"
        assert report[gap]["title:Members"] == "not stated in 2024 report"
    older = by_href(rows(client, "/browse/clusters", source=CGR + "doc-ltc-report-2022"))
    assert older["/id/afil"]["title:Members"] == "144 members in 2022 (2022 report)"
    assert older["/id/lgca"]["Members"] == "50 2022"


def test_approximate_and_lower_bound_figures_are_marked(client) -> None:
    slides = by_href(rows(client, "/browse/organisations", source="cgr:doc-afil-slides-2024", q="afil"))
    assert slides["/id/afil"]["Members"] == "~150 2024"  # "~150" in the AFIL slides
    assert slides["/id/afil"]["title:Members"].startswith("about 150 members")


def test_a_facet_narrows_the_list_and_counts_what_it_shows(client) -> None:
    everything = rows(client, "/browse/clusters")
    kinds = facet_counts(client, "/browse/clusters", "kind")
    assert sum(count for count, _ in kinds.values()) == len(everything)
    count, href = kinds["Lombardy Technology Cluster"]
    narrowed = rows(client, "/browse/clusters" + href)
    assert len(narrowed) == count == 9 < len(everything)
    assert {row["Kind"] for row in narrowed} == {"Lombardy Technology Cluster"}
    families = facet_counts(client, "/browse/clusters", "family")
    count, href = families["Interregional Innovation Investments"]
    i3 = rows(client, "/browse/clusters" + href)
    assert len(i3) == count and "/id/afil" in by_href(i3)
    ecosystems = facet_counts(client, "/browse/clusters", "ecosystem", kind="cg:ct-lombardy-technology-cluster")
    count, href = ecosystems["Sustainability"]
    both = rows(client, "/browse/clusters" + href)
    assert len(both) == count == 3 and {"/id/le2c", "/id/lgca", "/id/cluster-scc"} == set(by_href(both))


def test_initiative_facets_and_contribution_sort(client) -> None:
    programmes = facet_counts(client, "/browse/initiatives", "programme")
    count, href = programmes["Interregional Innovation Investments (I3)"]
    shown = rows(client, "/browse/initiatives" + href)
    assert len(shown) == count and {row["Programme"] for row in shown} == {"Interregional Innovation Investments (I3)"}
    richest = rows(client, "/browse/initiatives", sort="contribution", order="desc")
    assert richest[0]["href"] == "/id/batmass" and richest[0]["EU contribution"] == "€9,765,017"
    amounts = [int(re.sub(r"\D", "", row["EU contribution"])) for row in richest if row["EU contribution"] != "not stated"]
    assert amounts == sorted(amounts, reverse=True) and len(amounts) >= 5


def test_sorting_by_members_follows_the_data(client, project_store) -> None:
    latest: dict[str, tuple[str, bool, int]] = {}
    for r in project_store.query(MEMBER_TOTALS):
        key = (r["year"].value, r["approx"] is None, int(r["n"].value))
        latest[r["org"].value] = max(latest.get(r["org"].value, key), key)
    expected = sorted(latest, key=lambda org: -latest[org][2])
    shown = rows(client, "/browse/clusters", sort="members", order="desc")
    hrefs = [row["href"] for row in shown]
    counted = [h for h in hrefs if h.replace("/id/", CGR) in latest]
    assert [latest[h.replace("/id/", CGR)][2] for h in counted] == [latest[o][2] for o in expected]
    assert hrefs[: len(counted)] == counted  # every stated figure before every "not stated"
    assert all(row["Members"] == "not stated" for row in shown[len(counted):])
    ascending = [row["href"] for row in rows(client, "/browse/clusters", sort="members", order="asc")]
    values = [latest[h.replace("/id/", CGR)][2] for h in ascending[: len(counted)]]
    assert values == sorted(values) and values[0] < values[-1]


def test_sorting_by_initiatives_and_name(client) -> None:
    most = rows(client, "/browse/clusters", sort="initiatives", order="desc")
    counts = [int(row["Initiatives"]) for row in most]
    assert counts == sorted(counts, reverse=True) and most[0]["href"] == "/id/afil"
    names = [row["Name"] for row in rows(client, "/browse/clusters", sort="name", order="desc")]
    assert names == sorted(names, key=str.casefold, reverse=True)


def test_state_survives_in_links(client) -> None:
    soup = BeautifulSoup(client.get("/browse/clusters", params={"kind": "cg:ct-lombardy-technology-cluster",
                                                                "sort": "members", "order": "desc"}).text,
                         "html.parser")
    links = [a["href"] for a in soup.select("table.browse thead th a")]
    assert links[0] == "?kind=cg%3Act-lombardy-technology-cluster"  # by name, ascending: the default, left out
    assert links[1] == "?kind=cg%3Act-lombardy-technology-cluster&sort=members&order=asc"  # again: flips
    hidden = {i["name"]: i["value"] for i in soup.select("form.search input[type=hidden]")}
    assert hidden == {"kind": "cg:ct-lombardy-technology-cluster", "sort": "members", "order": "desc"}


@pytest.mark.parametrize(("params", "names"), [
    ({"sort": "bogus"}, "parameter sort"),
    ({"order": "up"}, "parameter order"),
    ({"page": "0"}, "parameter page"),
    ({"page": "99"}, "parameter page"),
    ({"family": "cg:family-none"}, "parameter family"),
    ({"kind": "https://example.org/x"}, "parameter kind"),
    ({"programme": "cgr:prog-i3"}, "parameter programme"),  # clusters have no programme facet
])
def test_bad_parameters_are_400_naming_the_parameter(live_server, params: dict, names: str) -> None:
    with live_server.client() as c:
        response = c.get("/browse/clusters", params=params, headers={"Accept": "text/plain"})
    assert response.status_code == 400 and response.text.startswith(names), response.text


@pytest.fixture
def browser_page(live_server) -> Iterator:
    with chromium_page(viewport={"width": 390, "height": 844}) as page:
        yield page


def test_the_list_fits_a_phone(browser_page, live_server) -> None:
    page = browser_page
    page.goto(live_server.url + "/browse/clusters?sort=members&order=desc")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the page itself never scrolls sideways
    frame = page.evaluate("(() => { const f = document.querySelector('.table-frame');"
                          " return [f.getBoundingClientRect().right, f.scrollWidth, f.clientWidth,"
                          " getComputedStyle(f).overflowX] })()")
    assert frame[0] <= 390 and (frame[1] <= frame[2] or frame[3] == "auto")
    assert not page.locator("details.facets").evaluate("d => d.open")  # facets folded away on a phone
    page.click("details.facets summary")
    page.click('a[data-facet="kind"] >> text=Lombardy Technology Cluster')
    page.wait_for_url("**kind=cg%3Act-lombardy-technology-cluster**")
    assert page.locator("table.browse tbody tr").count() == 9
    assert not page.errors and not off_host(page.requests)


def test_facets_stand_open_beside_the_table_on_a_laptop(browser_page, live_server) -> None:
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_server.url + "/browse/clusters")
    assert page.locator("details.facets").evaluate("d => d.open")
    facets = page.locator("details.facets").bounding_box()
    table = page.locator("table.browse").bounding_box()
    assert facets["x"] + facets["width"] <= table["x"] and table["x"] + table["width"] <= 1366
    assert not page.errors and not off_host(page.requests)
