"""The drawing goes out before betweenness and harmonic closeness: a server's view is built with what the drawing
needs, the shortest-path metrics follow in the background, and until then nothing shows them as numbers (the
page says they are being computed and fills them in; the drawing's tooltips say so too). Same numbers either
way."""

from __future__ import annotations

import gzip
import json
import re
import threading
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT

from clustergraph.errors import BadRequest
from clustergraph.network import views as network
from clustergraph.network.render import PATHS_PENDING, drawing_data, render_html
from clustergraph.network.views import Filters, build_view, finish_paths, store_select
from clustergraph.querying.named import load_named_queries
from clustergraph.web import network_pages
from clustergraph.web.services import make_templates

QUERIES = load_named_queries(ROOT / "queries")
LINK = "/resource?iri=".__add__
PENDING_NOTE = PATHS_PENDING.split(";")[0]  # (the rest has an apostrophe, escaped in HTML)
NUMBER_LINE = re.compile(r"^(betweenness|harmonic closeness): ", re.MULTILINE)


@pytest.fixture
def deferred(monkeypatch):
    """Every view defers its shortest paths, however small."""
    monkeypatch.setattr(network, "DEFER_PATHS_MIN_WORK", 0)


def test_a_deferred_view_draws_first_and_gets_the_same_numbers_after(project_store, deferred) -> None:
    select = store_select(project_store)
    whole = build_view(select, QUERIES, "collaboration", Filters())
    first = build_view(select, QUERIES, "collaboration", Filters(), defer_paths=True)
    assert whole.paths_ready and not first.paths_ready
    assert first.graph.number_of_edges() > 0
    drawn = ("degree", "weighted_degree", "community", "articulation", "x", "y")
    for node, data in first.graph.nodes(data=True):
        assert "betweenness" not in data and "harmonic" not in data
        assert {k: data[k] for k in drawn} == {k: whole.graph.nodes[node][k] for k in drawn}
    assert (first.modularity, first.communities) == (whole.modularity, whole.communities)
    assert first.graph.graph["betweenness"] == whole.graph.graph["betweenness"]  # the method is known up front

    data = drawing_data(first, link=LINK)
    assert all("still being computed" in n["title"] and not NUMBER_LINE.search(n["title"]) for n in data["nodes"])
    assert PENDING_NOTE in render_html(first, link=LINK, data_url="/network/collaboration/graph.json")
    with pytest.raises(BadRequest):
        drawing_data(first, link=LINK, size_by="betweenness")

    finish_paths(first)
    assert first.paths_ready and not first.paths_error
    assert dict(first.graph.nodes(data=True)) == dict(whole.graph.nodes(data=True))
    assert drawing_data(first, link=LINK) == drawing_data(whole, link=LINK)
    assert PENDING_NOTE not in render_html(first, link=LINK, data_url="/network/collaboration/graph.json")


def test_small_views_come_complete_even_when_deferred(project_store) -> None:
    built = build_view(store_select(project_store), QUERIES, "collaboration", Filters(), defer_paths=True)
    assert built.paths_ready and all("betweenness" in d for _, d in built.graph.nodes(data=True))


def test_the_cache_serves_the_drawing_before_betweenness_and_again_after(project_store, deferred,
                                                                         monkeypatch) -> None:
    release = threading.Event()

    def held(built):
        assert release.wait(30)
        finish_paths(built)

    monkeypatch.setattr(network_pages, "finish_paths", held)
    svc = SimpleNamespace(store=lambda: project_store, build_key=lambda: "build-1", named_queries=QUERIES,
                          link=LINK)
    cache = network_pages.ViewCache()
    query = network_pages.Query(Filters())
    try:
        before = cache.drawing(svc, "collaboration", query)
        built = cache.get(svc, "collaboration", Filters())
        assert not built.paths_ready  # the drawing was made while betweenness was still held back
        nodes = json.loads(gzip.decompress(before.gzipped))["nodes"]
        assert nodes and all(not NUMBER_LINE.search(n["title"]) for n in nodes)
        assert cache.drawing(svc, "collaboration", query) is before  # cached while pending

        pending = network_pages.summary(built, LINK, paths=False)
        assert pending["paths_pending"] and pending["brokers"] == []
        assert all(r["betweenness"] is None and r["harmonic"] is None for r in pending["rows"])
        page = render_page(built, pending)
        notice = page.find(id="paths-pending")
        assert notice["data-metrics-url"] == "/network/collaboration/metrics.json"
        assert "reload the page" in notice.text  # without JavaScript the page still says what to do
        cells = [td.text for tr in page.select("#metrics tbody tr") for td in tr.select("td.pending")]
        assert cells and set(cells) == {"computing…"}
        assert "Computing betweenness" in page.find(id="brokers").text
    finally:
        release.set()
    assert built.wait_for_paths(30) and built.paths_ready
    after = cache.drawing(svc, "collaboration", query)
    assert after.etag != before.etag
    assert all(NUMBER_LINE.search(n["title"]) for n in json.loads(gzip.decompress(after.gzipped))["nodes"])

    filled = network_pages.paths_data(built, LINK)
    assert filled["error"] == "" and set(filled["nodes"]) == set(built.graph.nodes)
    assert filled["brokers"] == [list(b) for b in network_pages.top_brokers(built.graph, LINK)]
    page = render_page(built, network_pages.summary(built, LINK, paths=True))
    assert page.find(id="paths-pending") is None and not page.select("td.pending")


def render_page(built, summary: dict) -> BeautifulSoup:
    query = network_pages.Query(Filters())
    context = {"view": "collaboration", "title": "Collaboration network", "description": "", "applies": (),
               "ignored": [], "graph_url": "/network/collaboration/graph", "index_url": "/network",
               "other_views": [], "downloads": [], "form": network_pages.form_context(query, []), "sparql": [],
               "metrics_url": "/network/collaboration/metrics.json", "version": "test", **summary}
    html = make_templates().env.get_template("network_page.html").render(context)
    return BeautifulSoup(html, "html.parser")


def shell_html(view: str = "collaboration", **params: str) -> str:
    """The page a server sends while ``view`` is being built (network_pages.NetworkPages.page)."""
    query = network_pages.Query(Filters.parse(**params))
    context = {**network_pages.page_context(view, query, []), "building": True,
               "page_url": query.url(f"/network/{view}"), "version": "test"}
    return make_templates().env.get_template("network_page.html").render(context)


def test_the_page_of_a_view_being_built_says_so_without_javascript() -> None:
    page = BeautifulSoup(shell_html(year="2024"), "html.parser")
    refresh = page.select_one("noscript meta[http-equiv=refresh]")  # no JavaScript: it reloads until built
    assert refresh is not None and refresh["content"] == "5"
    notice = page.find(id="view-pending")
    assert notice["data-page-url"] == "/network/collaboration?year=2024"
    assert "being built" in notice.text and notice.find("a")["href"] == "/network/collaboration?year=2024"
    assert page.find(id="network-frame")["src"] == "/network/collaboration/graph?year=2024"
    assert page.select_one("form.network-filters") is not None  # the filters work before the view is there
    assert page.find(id="metrics") is None and "Building this view" in page.find(id="view-summary").text
    assert "nodes," not in page.find(id="view-summary").text  # no count before there is one

