"""The network views in a real browser (Chromium through Playwright) against a live server: the drawing holds
every node of the JSON export, the node menu selects a node, a double-click opens its page, the view page
embeds the drawing and sorts its metrics, and no request ever leaves 127.0.0.1.

Skipped when Chromium is missing, unless ``CLUSTERGRAPH_REQUIRE_BROWSER=1`` (CI), which makes it fail."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from browser import chromium_page, off_host

AFIL = "https://w3id.org/clustergraph/id/afil"


@pytest.fixture(scope="module")
def browser_page(live_server) -> Iterator:
    """A fresh Chromium page that records the URL of every request it makes."""
    with chromium_page(viewport={"width": 1400, "height": 900}) as page:
        yield page


def exported(live_server, path: str) -> dict:
    """The node-link JSON export of a view."""
    with live_server.client() as client:
        response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment")
    return response.json()


def test_drawing_holds_every_node_and_the_menu_selects_one(browser_page, live_server) -> None:
    page = browser_page
    data = exported(live_server, "/network/collaboration.json")
    page.goto(live_server.url + "/network/collaboration/graph")
    page.wait_for_function("typeof network !== 'undefined' && network !== null")
    assert page.evaluate("nodes.length") == len(data["nodes"]) > 0
    assert page.evaluate("edges.length") == len(data["edges"]) > 0
    assert page.locator("h1").count() == 1
    label = next(n["label"] for n in data["nodes"] if n["id"] == AFIL)
    page.click("#select-node-ts-control")
    page.keyboard.type("Intelligent Factory")
    page.locator(".ts-dropdown .option", has_text=label).first.click()
    page.wait_for_function("network.getSelectedNodes().length === 1")
    assert page.evaluate("network.getSelectedNodes()") == [AFIL]
    assert page.is_visible("#details")
    assert page.inner_text("#details-title") == label
    assert page.get_attribute("#details-link", "href") == "/id/afil"
    page.click("#reset-selection")
    assert page.evaluate("network.getSelectedNodes()") == []
    assert not page.errors
    assert not off_host(page.requests)


def test_double_click_on_a_node_opens_its_page(browser_page, live_server) -> None:
    page = browser_page
    page.goto(live_server.url + "/network/collaboration/graph")
    page.wait_for_function("typeof network !== 'undefined' && network !== null")
    point = page.evaluate("""(id) => {
        network.fit({animation: false});
        const p = network.canvasToDOM(network.getPositions([id])[id]);
        const box = document.getElementById('mynetwork').getBoundingClientRect();
        return {x: box.left + p.x, y: box.top + p.y};
    }""", AFIL)
    with page.expect_navigation():
        page.mouse.dblclick(point["x"], point["y"])
    assert urlsplit(page.url).path == "/id/afil"
    assert not off_host(page.requests)


def test_view_page_embeds_the_drawing_and_sorts_the_metrics(browser_page, live_server) -> None:
    page = browser_page
    data = exported(live_server, "/network/collaboration.json?year=2024&ties=all")
    page.goto(live_server.url + "/network/collaboration?year=2024&ties=all")  # every shared item: brokers to sort
    frame = page.frame_locator("#network-frame")
    frame.locator("#mynetwork canvas").wait_for()
    drawing = next(f for f in page.frames if urlsplit(f.url).path == "/network/collaboration/graph")
    assert parse_qs(urlsplit(drawing.url).query) == {"year": ["2024"], "ties": ["all"]}
    assert drawing.evaluate("nodes.length") == len(data["nodes"]) == int(page.inner_text("#node-count"))
    for href in page.eval_on_selector_all("ul.downloads a", "links => links.map(a => a.getAttribute('href'))"):
        assert "year=2024" in href
    assert "SELECT" in page.inner_text("pre.sparql >> nth=0")
    page.click("#metrics th >> text=Betweenness")
    page.click("#metrics th >> text=Betweenness")  # descending
    assert page.get_attribute("#metrics th >> nth=6", "aria-sort") == "descending"
    values = [float(v) for v in page.eval_on_selector_all(
        "#metrics tbody tr td:nth-child(7)", "cells => cells.map(c => c.dataset.value)")]
    assert values == sorted(values, reverse=True) and len(values) == len(data["nodes"])
    first_broker = page.inner_text("ol.brokers li >> nth=0 >> a")
    assert page.inner_text("#metrics tbody tr >> nth=0 >> td >> nth=0") == first_broker
    assert not page.errors
    assert not off_host(page.requests)


def test_index_form_carries_filters_to_a_view(browser_page, live_server) -> None:
    page = browser_page
    page.goto(live_server.url + "/network")
    page.select_option("#family", "vanguard")
    with page.expect_navigation():
        page.click("#open-collaboration")
    parts = urlsplit(page.url)
    assert parts.path == "/network/collaboration"
    assert parse_qs(parts.query, keep_blank_values=True) == {"family": ["vanguard"]}
    assert page.locator("#family option[selected]").get_attribute("value") == "vanguard"
    others = page.eval_on_selector_all("p.summary a", "links => links.map(a => a.getAttribute('href'))")
    assert others and all(re.search(r"[?&]family=vanguard(&|$)", href) for href in others)
    assert not off_host(page.requests)


# The routes over HTTP (no browser needed): downloads, filters carried, errors.

@pytest.mark.parametrize(("suffix", "media_type", "start"), [
    (".gexf", "application/gexf+xml", b"<?xml"),
    (".graphml", "application/graphml+xml", b"<?xml"),
    (".nodes.csv", "text/csv", b"Id,Label,"),
    (".edges.csv", "text/csv", b"Source,Target,Weight,"),
    (".json", "application/json", b"{"),
])
def test_downloads_are_attachments(live_server, suffix: str, media_type: str, start: bytes) -> None:
    with live_server.client() as client:
        response = client.get(f"/network/collaboration{suffix}", params={"family": "vanguard", "year": "2024"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.headers["content-disposition"] == \
        f'attachment; filename="collaboration-vanguard-2024{suffix}"'
    assert response.content.lstrip().startswith(start)


def test_view_page_shows_sparql_metrics_and_carries_filters(live_server) -> None:
    with live_server.client() as client:
        response = client.get("/network/participation", params={"family": "vanguard", "colour": "kind"})
    assert response.status_code == 200
    html = response.text
    assert 'src="/network/participation/graph?family=vanguard&amp;colour=kind"' in html
    assert 'href="/network/participation.gexf?family=vanguard"' in html
    assert 'href="/network/collaboration?family=vanguard&amp;colour=kind"' in html
    assert "cg:family" in html and "family-vanguard" in html  # the bound SPARQL
    assert 'id="metrics"' in html and 'class="brokers"' in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//(?!w3id\.org)""", html)


def test_index_lists_the_views_and_the_filters(live_server) -> None:
    with live_server.client() as client:
        html = client.get("/network", params={"year": "2022"}).text
    for view in ("collaboration", "participation", "alignment", "compare"):
        assert f'href="/network/{view}?year=2022"' in html
    assert '<option value="vanguard">' in html and '<option value="2022" selected>' in html
    assert "EU industrial ecosystem: " in html  # the ecosystem choices


@pytest.mark.parametrize(("path", "status"), [
    ("/network/nothing", 404),
    ("/network/nothing/graph", 404),
    ("/network/nothing.gexf", 404),
    ("/network/collaboration?family=nothing", 400),
    ("/network/collaboration/graph?year=1999", 400),
    ("/network/collaboration.json?ecosystem=javascript:alert(1)", 400),
    ("/network/collaboration?colour=members", 400),
])
def test_unknown_views_and_bad_filters(live_server, path: str, status: int) -> None:
    with live_server.client() as client:
        assert client.get(path).status_code == status


def test_view_page_lists_items_left_out_of_the_projection(live_server) -> None:
    with live_server.client() as client:
        default = client.get("/network/collaboration").text
        capped = client.get("/network/collaboration", params={"max_members": "5", "ties": "all"}).text
        exported_graph = client.get("/network/collaboration.json",
                                    params={"max_members": "5", "ties": "all"}).json()["graph"]
        bad = client.get("/network/collaboration", params={"max_members": "1"})
    assert 'id="left-out"' not in default  # at the region's scale (15 clusters) the default cap leaves nothing out
    assert 'id="left-out"' in capped and "Left out of the projection" in capped
    assert exported_graph["max_members"] == 5 and exported_graph["left_out"]
    assert all(item["members"] > 5 for item in exported_graph["left_out"])
    for item in exported_graph["left_out"]:
        assert f"({item['members']:,} clusters)" in capped
    assert 'href="/network/collaboration.gexf?max_members=5&amp;ties=all"' in capped
    assert 'name="max_members"' in capped and 'value="5"' in capped
    assert bad.status_code == 400


def test_view_page_states_the_tie_rule_and_the_affiliations(live_server) -> None:
    with live_server.client() as client:
        default = client.get("/network/collaboration").text
        everything = client.get("/network/collaboration", params={"ties": "all"}).text
        bad = client.get("/network/collaboration", params={"ties": "some"})
        exported_graph = client.get("/network/collaboration.json").json()["graph"]
    assert 'id="tie-rule"' in default and "both take part in the same collaboration" in default
    assert "shared affiliations making no tie here" in default and "European Cluster Collaboration Platform" in default
    assert '<option value="collaboration" selected>' in default and 'name="ties"' in default
    assert '<option value="all" selected>' in everything and "of any kind" in everything
    assert exported_graph["ties"] == "collaboration" and "cg:tie-collaboration" in exported_graph["tie_rule"]
    assert bad.status_code == 400


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)])
def test_drawing_fills_the_width_and_zooms(browser_page, live_server, width: int, height: int) -> None:
    """On a phone the drawing was 1 px wide beside a fixed legend; now it fills the width at both sizes, the
    zoom buttons work, clusters are labelled by acronym, and selecting a node shows its card with its page."""
    page = browser_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(live_server.url + "/network/collaboration/graph?ties=all")
    canvas = page.locator("#mynetwork canvas")
    canvas.wait_for()
    box = canvas.bounding_box()
    assert box is not None and box["width"] > min(300, width * 0.8), box
    if width >= 700:
        assert box["width"] > width * 0.6
    scale = page.evaluate("network.getScale()")
    page.click("#zoom-in")
    assert page.evaluate("network.getScale()") > scale
    page.click("#zoom-fit")
    font = page.evaluate("network.body.nodes['https://w3id.org/clustergraph/id/afil'].options.font.size")
    assert font * page.evaluate("network.getScale()") == pytest.approx(13, rel=0.01)  # 13 px on screen
    labels = page.evaluate("nodes.get().map(function (n) { return n.label; })")
    assert "AFIL" in labels and "LE2C" in labels
    afil = page.evaluate("nodes.get('https://w3id.org/clustergraph/id/afil').fullLabel")
    assert afil == "Lombardy Intelligent Factory Association"
    page.evaluate("showNode('https://w3id.org/clustergraph/id/afil')")
    assert page.inner_text("#details-title") == afil
    assert page.get_attribute("#details-link", "href").endswith("/id/afil")
    assert not page.errors


def test_edge_tooltips_written_in_the_browser_are_the_servers(browser_page, live_server, project_store) -> None:
    """network-drawing.js writes each edge's tooltip from the compact data; it is render.edge_tooltip's text."""
    from clustergraph.network.render import edge_tooltip
    from clustergraph.network.views import Filters, build_view, store_select

    page = browser_page
    page.goto(live_server.url + "/network/compare/graph?ties=all")
    page.wait_for_function("typeof network !== 'undefined' && network !== null")
    drawn = page.evaluate("edges.get().map(function (e) { return [e.from, e.to, e.title, !!e.dashes, e.status]; })")
    from clustergraph.querying.named import load_named_queries
    from live import ROOT

    graph = build_view(store_select(project_store), load_named_queries(ROOT / "queries"), "compare",
                       Filters(ties="all")).graph
    assert len(drawn) == graph.number_of_edges() > 0
    for a, b, title, dashed, status in drawn:
        assert title == edge_tooltip(graph, a, b, graph.edges[a, b])
        assert dashed == (status == "lost")
    assert not page.errors


def test_drawing_data_is_gzipped_tagged_and_cached(live_server) -> None:
    with live_server.client() as client:
        # betweenness comes after the drawing (and a new drawing with it): wait for it, so all three are the same
        assert client.get("/network/collaboration/metrics.json", params={"year": "2024"}).status_code == 200
        first = client.get("/network/collaboration/graph.json", params={"year": "2024"})
        again = client.get("/network/collaboration/graph.json", params={"year": "2024"},
                           headers={"If-None-Match": first.headers["etag"]})
        plain = client.get("/network/collaboration/graph.json", params={"year": "2024"},
                           headers={"Accept-Encoding": "identity"})
        page = client.get("/network/collaboration/graph", params={"year": "2024"}).text
        bad = client.get("/network/collaboration/graph.json", params={"colour": "members"})
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    assert first.headers["content-encoding"] == "gzip"
    assert again.status_code == 304 and again.headers["etag"] == first.headers["etag"]
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert plain.json() == first.json() and {"nodes", "edges", "items", "options"} <= set(first.json())
    assert 'data-src="/network/collaboration/graph.json?year=2024"' in page
    assert bad.status_code == 400


def test_a_page_sent_while_its_view_was_built_fills_in_after_the_drawing(browser_page, live_server) -> None:
    """The page a server sends while the view is being built (the view of the test store builds too fast to
    catch it, so the browser is handed that page): once the drawing in its frame is drawn, network.js asks for
    the whole page and takes its summary and details; the frame is not loaded again."""
    from test_network_deferred import shell_html

    page = browser_page
    path = "/network/collaboration?year=2024"

    def placeholder(route) -> None:
        if route.request.headers.get("x-network-part") == "details":
            route.continue_()
        else:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=shell_html(year="2024"))

    seen, errors = len(page.requests), len(page.errors)
    page.route(live_server.url + path, placeholder)
    try:
        page.goto(live_server.url + path)
        page.wait_for_selector("#metrics tbody tr", timeout=20_000)
    finally:
        page.unroute(live_server.url + path)
    assert page.locator("#view-pending").count() == 0
    assert int(page.inner_text("#node-count")) > 0
    assert page.locator("#brokers").count() == 1 and "Computing" not in page.inner_text("#brokers")
    frames = [f for f in page.frames if urlsplit(f.url).path == "/network/collaboration/graph"]
    assert len(frames) == 1 and frames[0].evaluate("nodes.length") == int(page.inner_text("#node-count"))
    page.click("#metrics th >> text=Degree")
    assert page.get_attribute("#metrics th >> nth=4", "aria-sort") == "ascending"
    asked = [r for r in page.requests[seen:] if urlsplit(r).path == "/network/collaboration"]
    assert len(asked) == 2  # the page, then its details (X-Network-Part: details)
    assert page.errors[errors:] == []
    assert not off_host(page.requests[seen:])
