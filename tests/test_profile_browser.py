"""The organisation profile card (issue 14, part 2) in real Chromium at a laptop's and a phone's size: name,
website, headquarters and the member chart within the first screen; initiatives one row each, by family."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser import chromium_page, off_host
from bs4 import BeautifulSoup


@pytest.fixture
def browser_page(live_server) -> Iterator:
    with chromium_page() as page:
        yield page


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)])
def test_cluster_profile_fits_the_first_screen(browser_page, live_server, width: int, height: int) -> None:
    page = browser_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(live_server.url + "/id/afil")
    page.wait_for_function("window.memberChartReady === true")
    assert page.inner_text("h1") == "Lombardy Intelligent Factory Association"
    for selector in ("#profile dd >> text=www.afil.it", "#headquarters", "#member-chart"):
        box = page.locator(selector).first.bounding_box()
        assert box is not None and box["y"] < 900, (selector, box)
    assert "Milan" in page.inner_text("#headquarters") and "NUTS 3" in page.inner_text("#headquarters")
    assert page.inner_text("#profile").count("Associazione Fabbrica Intelligente Lombardia") == 1
    chart = page.locator("#member-chart").bounding_box()
    assert chart["width"] > 250 and chart["height"] > 150
    assert not page.errors and not off_host(page.requests)


def test_member_table_and_chart_say_the_same(browser_page, live_server) -> None:
    page = browser_page
    page.goto(live_server.url + "/id/afil")
    page.wait_for_function("window.memberChartReady === true")
    rows = page.eval_on_selector_all("#member-table tbody tr", "rows => rows.map(r => r.innerText.split('\\t'))")
    first = [cell.strip() for cell in rows[0]]
    assert first == ["2022 report (2022)", "144", "116", "14", "14"]  # 004: AFIL, 144 = 116 + 14 + 14
    data = page.evaluate("JSON.parse(document.getElementById('member-data').textContent)")
    assert data["bars"][0]["values"] == [144, 116, 14, 14]
    assert any(b["source"] == "AFIL slides" and b["approximate"] for b in data["bars"])  # "~150 members"


def test_initiatives_one_row_each_grouped_by_family(live_server) -> None:
    with live_server.client() as client:
        html = client.get("/id/afil", headers={"Accept": "text/html"}).text
    assert 'id="initiatives"' in html and "<h3>Interregional Innovation Investments</h3>" in html
    assert html.count(">BATMASS</a>") == 1  # one row, its three sources folded into it
    row = html[html.index(">BATMASS</a>"):][:600]
    for source in ("2024 report", "AFIL profile", "ECCP paper"):
        assert source in row
    assert "Takes part in</h2>" not in html
    assert html.index('id="profile"') < html.index('id="initiatives"') < html.index('id="outgoing"')


def test_a_picker_fills_a_named_query_parameter(browser_page, live_server) -> None:
    """IRI parameters are chosen by name from a list the graph gives, never typed as IRIs."""
    page = browser_page
    page.goto(live_server.url + "/queries/initiatives-of-cluster")
    options = page.eval_on_selector_all("#param-cluster option", "os => os.map(o => o.textContent)")
    assert "Lombardy Energy Cleantech Cluster" in options and len(options) >= 9
    assert not any(text.startswith("http") for text in options)
    page.select_option("#param-cluster", label="Lombardy Energy Cleantech Cluster")
    with page.expect_navigation():
        page.click("form.params button[type=submit]")
    assert "cluster=https%3A%2F%2Fw3id.org%2Fclustergraph%2Fid%2Fle2c" in page.url
    assert int(page.inner_text("#row-count")) > 5
    assert page.locator("#param-cluster").input_value() == "https://w3id.org/clustergraph/id/le2c"
    assert not page.errors and not off_host(page.requests)


def test_member_count_query_draws_its_figures(browser_page, live_server) -> None:
    """member-counts-2022-vs-2024 draws one group of bars per cluster, one bar per source; CAT.AL's 2024 report
    bar is a gap ('not stated'), not a zero."""
    page = browser_page
    page.goto(live_server.url + "/queries/member-counts-2022-vs-2024")
    page.wait_for_function("window.resultChartReady === true")
    data = page.evaluate("JSON.parse(document.getElementById('chart-data').textContent)")
    assert [s["label"] for s in data["series"]] == ["Members (2022 report)", "Members (2024 report)",
                                                    "Members (ECCP paper, 2024)"]
    row = data["labels"].index("High Technology Cluster Agrifood Lombardy")
    assert [s["values"][row] for s in data["series"]] == [14, None, 14]
    box = page.locator("#result-chart").bounding_box()
    assert box["width"] > 600 and box["height"] > 200
    assert not page.errors and not off_host(page.requests)


def test_project_card_gives_money_countries_programme_and_partners(live_server) -> None:
    """003 Section 3: BATMASS, I3, 15 partners in 4 countries, EU contribution EUR 9,765,017; no start year."""
    with live_server.client() as client:
        html = client.get("/id/batmass", headers={"Accept": "text/html"}).text
    card = BeautifulSoup(html, "html.parser").find(id="initiative-card")
    facts = {dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(" ", strip=True) for dt in card.find_all("dt")}
    assert facts["EU contribution"] == "€9,765,017"
    assert facts["Partners"] == "15 (ECCP paper)" and facts["Countries"] == "4 (ECCP paper)"
    assert facts["Partner countries"].replace(" ", "") == "France,Italy,Slovenia,Spain"
    assert "Interregional Innovation Investments" in facts["Programme"]
    assert "Years" not in facts  # the document gives no start year (it used to be shown as 2023)
    rows = card.select("table.initiatives tbody tr")
    assert [r.td.get_text(strip=True) for r in rows] == ["Lombardy Intelligent Factory Association"]
    assert "Participants</h2>" not in html
