"""The map page in real Chromium at a laptop's and a phone's size: the regions and every Lombardy site of a
cluster are drawn, the map fills a phone's width, nothing is fetched off the host, and a point leads to its
organisation's page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser import chromium_page, off_host
from test_map import cluster_sites, lombardy_codes


@pytest.fixture
def browser_page(live_server) -> Iterator:
    with chromium_page() as page:
        yield page


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)])
def test_map_draws_every_lombardy_site(browser_page, live_server, project_store, width: int, height: int) -> None:
    page = browser_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(live_server.url + "/map")
    page.wait_for_function("window.siteMapReady === true")
    drawn = page.evaluate("""() => {
        const chart = window.siteMap, meta = chart.getDatasetMeta(1);
        return {regions: chart.data.datasets[0].data.map(d => d.feature.id),
                points: meta.data.map((e, i) => ({href: chart.data.datasets[1].data[i].point.href,
                    region: chart.data.datasets[1].data[i].point.region, x: e.x, y: e.y,
                    radius: e.options.radius})),
                width: chart.width, height: chart.height};
    }""")
    codes = lombardy_codes(project_store)
    assert sorted(drawn["regions"]) == sorted(codes)
    assert {(p["href"], p["region"]) for p in drawn["points"]} == {s for s in cluster_sites(project_store)
                                                                   if s[1] in codes}
    assert ("/id/afil", "ITC4C") in {(p["href"], p["region"]) for p in drawn["points"]}
    for p in drawn["points"]:  # on the canvas, visible
        assert 0 < p["x"] < drawn["width"] and 0 < p["y"] < drawn["height"] and p["radius"] >= 5, p
    box = page.locator("#site-map").bounding_box()
    assert box["width"] > 300 and box["height"] > 200
    if width < 500:
        assert box["width"] >= width - 60  # fills the phone's width, less the page's margins
    assert "AFIL" in page.inner_text("#not-drawn")
    assert not page.errors and not off_host(page.requests)


def test_clicking_a_point_opens_its_organisation(browser_page, live_server) -> None:
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_server.url + "/map")
    page.wait_for_function("window.siteMapReady === true")
    target = page.evaluate("""() => {
        const chart = window.siteMap, points = chart.data.datasets[1].data;
        const i = points.findIndex(d => d.point.href === '/id/cluster-tav');
        const e = chart.getDatasetMeta(1).data[i];
        return {x: e.x, y: e.y};
    }""")
    box = page.locator("#site-map").bounding_box()
    page.mouse.move(box["x"] + target["x"], box["y"] + target["y"])
    page.mouse.click(box["x"] + target["x"], box["y"] + target["y"])
    page.wait_for_url("**/id/cluster-tav")
    assert "Lombardy Cluster for Technologies for Living Environments" in page.inner_text("h1")
    assert not page.errors and not off_host(page.requests)
