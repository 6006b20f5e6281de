"""The cards of programmes, policy instruments and ecosystems (issue 14, part 2): what each is, how it relates
to other instruments, and what hangs off it, read from the real store through a real server."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup


def page(live_server, name: str) -> BeautifulSoup:
    with live_server.client() as client:
        response = client.get(f"/id/{name}", headers={"Accept": "text/html"})
    assert response.status_code == 200, name
    return BeautifulSoup(response.text, "html.parser")


def card_facts(soup: BeautifulSoup) -> dict[str, str]:
    card = soup.find(id="topic-card")
    assert card is not None
    return {dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(" ", strip=True) for dt in card.find_all("dt")}


def euros(text: str) -> int:
    return int(re.sub(r"[€,]", "", text))


def test_programme_card_lists_what_it_funds_largest_first(live_server) -> None:
    soup = page(live_server, "prog-i3")
    facts = card_facts(soup)
    assert facts["Kind"] == "Funding programme" and facts["Part of"] == "European Regional Development Fund"
    rows = [[td.get_text(" ", strip=True) for td in tr.find_all("td")] for tr in soup.select("table.funded tbody tr")]
    by_name = {row[0]: row for row in rows}
    assert by_name["BATMASS"][3] == "€9,765,017"  # 2024 report, AFIL profile and ECCP paper agree
    assert "Lombardy Intelligent Factory Association" in by_name["BATMASS"][4]
    stated = [euros(row[3]) for row in rows if row[3] != "not stated"]
    assert stated == sorted(stated, reverse=True) and len(stated) == 5
    # The total is the sum of the stated contributions, and says over how many it runs.
    assert facts["Initiatives funded"] == f"{len(rows)}; EU contribution €{sum(stated):,} for the 5 that state an EU contribution"


def test_programme_card_counts_initiatives_funded_under_its_parts(live_server) -> None:
    soup = page(live_server, "prog-horizon-europe")
    rows = {tr.find("td").find("a").get_text(strip=True): tr.find("td").get_text(" ", strip=True)
            for tr in soup.select("table.funded tbody tr")}
    assert "SYSCHEMIQ" in rows and "XpanDH" in rows
    via = [name for name, cell in rows.items() if "under Horizon Europe call" in cell]
    assert len(via) == 2  # CAT.AL's two proposals, funded under two calls that are parts of Horizon Europe
    assert card_facts(soup)["Initiatives funded"].startswith(f"{len(rows)}")


def test_strategy_card_names_who_adopted_it_and_what_implements_it(live_server) -> None:
    soup = page(live_server, "lombardy-s3-2021-2027")
    facts = card_facts(soup)
    assert facts["Kind"] == "Strategy" and facts["Adopted by"] == "Regione Lombardia"
    assert facts["Code"] == "DGR XI/4155" and "RIS3" in facts["Also known as"]
    assert "Innovation ecosystems of Lombardy's S3" in facts["Defines"]
    shown = [a["href"] for dd in soup.find(id="topic-card").find_all("dd") for a in dd.find_all("a")]
    assert len(shown) == len(set(shown)), "a resource is named once, under its most telling heading"


@pytest.mark.parametrize(("name", "cluster", "reference"), [
    ("s3-sustainability", "Lombardy Energy Cleantech Cluster", True),
    ("s3-sustainability", "Lombardy Intelligent Factory Association", False),
    ("pnrr-m2", "Lombardy Green Chemistry Association", False),  # aligned with a component, M2C1
])
def test_ecosystem_card_lists_the_clusters_serving_it(live_server, name: str, cluster: str, reference: bool) -> None:
    soup = page(live_server, name)
    rows = {tr.find("td").get_text(" ", strip=True).removeprefix("Cluster: "): [
        td.get_text(" ", strip=True) for td in tr.find_all("td")] for tr in soup.select("table.serving tbody tr")}
    assert cluster in rows
    assert rows[cluster][1].startswith("yes") is reference
    assert card_facts(soup)["Clusters serving it"].startswith(str(len(rows)))


def test_a_cluster_page_gets_no_topic_card(live_server) -> None:
    assert page(live_server, "afil").find(id="topic-card") is None
