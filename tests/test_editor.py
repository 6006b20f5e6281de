"""The SPARQL editor (issue 14, part 5): YASGUI over /sparql in real Chromium at a laptop's and a phone's size,
the readable missing-PREFIX error, and the streamed CSV of every row past the row cap, over HTTP."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from browser import chromium_page, off_host
from bs4 import BeautifulSoup
from live import start_server

from clustergraph.iris import PREFIXES

MISSING_PREFIX = "SELECT * WHERE {\n  ?s a cg:Cluster }"
EVERYTHING = "SELECT ?s ?p WHERE { ?s ?p ?o }"
SIZES = [(1366, 900), (390, 844)]


def test_missing_prefix_is_a_400_naming_prefix_line_column_and_the_fix(live_server) -> None:
    with live_server.client() as client:
        response = client.post("/sparql", data={"query": MISSING_PREFIX})
    assert response.status_code == 400
    text = response.text
    assert "prefix cg: is not declared" in text and "line 2, column 8" in text
    assert f"PREFIX cg: <{PREFIXES['cg']}>" in text


def test_unknown_prefix_gets_a_placeholder_and_other_syntax_errors_name_line_and_column(live_server) -> None:
    with live_server.client() as client:
        unknown = client.get("/sparql", params={"query": "ASK { ?s ex:p ?o }"})
        broken = client.get("/sparql", params={"query": "SELECT * WHERE {\n ?s ?p }"})
    assert unknown.status_code == 400 and "prefix ex: is not declared (ex:p at line 1, column 10)" in unknown.text
    assert "PREFIX ex: <namespace IRI>" in unknown.text
    assert broken.status_code == 400 and "line 2, column" in broken.text


def test_rows_all_streams_every_row_past_the_cap(live_server) -> None:
    with start_server(live_server.store, row_cap="25") as small, small.client() as client:
        capped = client.get("/sparql", params={"query": EVERYTHING, "format": "csv"})
        every = client.get("/sparql", params={"query": EVERYTHING, "format": "csv", "rows": "all"})
        tsv = client.get("/sparql", params={"query": EVERYTHING + " LIMIT 60", "format": "tsv", "rows": "all"})
        count = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
        refused = [client.get("/sparql", params={"query": q, "format": f, "rows": "all"})
                   for q, f in ((EVERYTHING, "json"), ("CONSTRUCT WHERE { ?s ?p ?o }", "ttl"))]
        odd = client.get("/sparql", params={"query": EVERYTHING, "format": "csv", "rows": "some"})
        named_page = BeautifulSoup(client.get("/queries/policy-instruments").text, "html.parser")
        every_link = named_page.find(id="every-row")["href"]
        named_every = client.get(every_link)
    total = int(count.json()["results"]["bindings"][0]["n"]["value"])
    assert total > 25
    assert capped.headers["x-clustergraph-truncated"] == "true"
    assert len(list(csv.reader(io.StringIO(capped.text)))) == 1 + 25
    assert every.status_code == 200 and "x-clustergraph-truncated" not in every.headers
    assert len(list(csv.reader(io.StringIO(every.text)))) == 1 + total
    assert tsv.status_code == 200 and len(tsv.text.strip().split("\n")) == 1 + 60
    for response in (*refused, odd):
        assert response.status_code == 400
    assert "CSV or TSV" in refused[0].text and "dumps" in refused[0].text
    # A named query's page cut at the cap links to the same uncapped CSV of the query it ran.
    assert len(named_page.select("#results tbody tr, table.results tbody tr")) == 25
    assert len(list(csv.reader(io.StringIO(named_every.text)))) - 1 > 25


def test_query_page_links_the_uncapped_csv_and_the_dumps(live_server) -> None:
    with live_server.client() as client:
        soup = BeautifulSoup(client.get("/query", params={"query": EVERYTHING}).text, "html.parser")
    notice = soup.find(id="truncated")
    assert "rows=all" in notice.find(id="truncated-csv")["href"] and "format=csv" in notice.find(id="truncated-csv")["href"]
    assert {a["href"] for a in notice.find_all("a")} >= {"/dumps/clustergraph.ttl", "/dumps/clustergraph.nq",
                                                          "/dumps/clustergraph.trig"}
    assert soup.find("link", href="/static/vendor/yasgui/yasgui.min.css") is not None
    assert soup.find("form", id="sparql-form")["action"] == "/sparql"  # the form without JavaScript


@pytest.fixture
def browser_page(live_server) -> Iterator:
    with chromium_page() as page:
        yield page


def wait_for_rows(page) -> None:
    page.wait_for_selector("#yasr .dataTable tbody tr td")


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_editor_runs_the_default_query_and_an_example(browser_page, live_server, width: int, height: int) -> None:
    page = browser_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(live_server.url + "/query")
    page.wait_for_selector("#yasqe .CodeMirror")
    assert page.is_hidden("#sparql-form")
    assert "cg:ClusterOrganisation" in page.evaluate("cgEditor.yasqe.getValue()")
    page.click("#yasqe .yasqe_queryButton")
    wait_for_rows(page)
    assert page.locator("#yasr .dataTable tbody tr").count() > 5
    assert "rows in" in page.inner_text("#status")
    assert page.locator("#yasr .dataTable tbody a[href^='/id/']").count() > 0  # our IRIs open here
    assert "/query?query=" in page.url  # the address is the share link
    page.select_option("#example", "initiatives-of-cluster")
    assert "cg:Participation" in page.evaluate("cgEditor.yasqe.getValue()")
    assert "rows=all" in page.get_attribute("#download-csv", "href")
    box = page.locator("#yasqe .CodeMirror").bounding_box()
    assert box["width"] <= width and box["height"] > 150
    assert not page.errors and not off_host(page.requests)


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_missing_prefix_shows_the_message_and_marks_its_place(browser_page, live_server, width, height) -> None:
    page = browser_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(live_server.url + "/query?query=" + quote(MISSING_PREFIX))
    page.wait_for_selector("#yasr .errorResult pre")
    message = page.inner_text("#yasr .errorResult pre")
    assert "prefix cg: is not declared" in message and "line 2, column 8" in message
    assert page.inner_text("#yasqe .server-error") == "cg:Cluster"
    assert not page.errors and not off_host(page.requests)


def test_share_link_reopens_and_runs_the_query(browser_page, live_server) -> None:
    page = browser_page
    query = "SELECT ?s WHERE { ?s a ?t } LIMIT 3"
    page.goto(live_server.url + "/query")
    page.wait_for_selector("#yasqe .CodeMirror")
    page.evaluate("q => cgEditor.yasqe.setValue(q)", query)
    shared = page.get_attribute("#share", "href")
    page.goto(live_server.url + shared)
    wait_for_rows(page)
    assert page.evaluate("cgEditor.yasqe.getValue()") == query
    assert page.locator("#yasr .dataTable tbody tr").count() == 3
    assert page.is_hidden("#truncated")
    assert not page.errors and not off_host(page.requests)


def test_capped_answer_points_to_every_row(browser_page, live_server) -> None:
    page = browser_page
    with start_server(live_server.store, row_cap="25") as small:
        page.goto(small.url + "/query?query=" + quote(EVERYTHING))
        page.wait_for_selector("#truncated:not([hidden])")
        assert page.evaluate("cgEditor.yasr.results.getBindings().length") == 25
        assert "rows=all" in page.get_attribute("#truncated-csv", "href")
    assert not page.errors and not off_host(page.requests)


def test_pivot_and_chart_views_draw_offline(browser_page, live_server) -> None:
    page = browser_page
    query = ("PREFIX cg: <https://w3id.org/clustergraph/ontology#>\n"
             "SELECT ?kind (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a cg:ClusterOrganisation ; cg:clusterType ?kind } "
             "GROUP BY ?kind")
    page.goto(live_server.url + "/query?query=" + quote(query))
    wait_for_rows(page)
    page.click("#yasr .select_pivot")
    page.wait_for_selector("#yasr table.pivot tbody tr")
    assert page.locator("#yasr table.pivot tbody tr").count() == page.evaluate(
        "cgEditor.yasr.results.getBindings().length")
    page.click("#yasr .select_chart")
    page.wait_for_function("window.queryChartReady === true")
    assert page.locator("#yasr canvas").count() == 1
    assert not page.errors and not off_host(page.requests)
