"""The pages in a real browser (Chromium through Playwright): the SPARQL editor runs a query and shows
rows, links lead from browse pages to resource pages and on, and no request ever leaves 127.0.0.1.

Skipped when Chromium is missing, unless ``CLUSTERGRAPH_REQUIRE_BROWSER=1`` (CI), which makes it fail."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from browser import chromium_page, off_host
from live import start_server


@pytest.fixture(scope="module")
def browser_page(live_server) -> Iterator:
    """A fresh Chromium page that records the URL of every request it makes."""
    with chromium_page() as page:
        yield page


def test_editor_runs_a_named_query(browser_page, live_server) -> None:
    page = browser_page
    page.goto(live_server.url + "/")
    assert page.locator("h1").first.inner_text() == "clustergraph"
    page.click("header.site nav >> text=SPARQL")
    page.wait_for_url("**/query")
    page.select_option("#example", "initiatives-of-cluster")
    assert "cg:Participation" in page.input_value("#query")
    page.click("#run")
    page.wait_for_selector("#results tbody tr")
    assert page.locator("#results tbody tr").count() > 0
    assert "rows in" in page.inner_text("#status")
    assert page.locator("#results tbody a[href^='/id/']").count() > 0
    assert "/query?query=" in page.url  # shareable
    assert "format=csv" in page.get_attribute("#download-csv", "href")
    assert not off_host(page.requests)


def test_editor_shows_errors_and_shared_links_run_on_load(browser_page, live_server) -> None:
    page = browser_page
    page.goto(live_server.url + "/query")
    page.fill("#query", "SELECT WHERE { this is not sparql")
    page.click("#run")
    page.wait_for_selector("#error:not([hidden])")
    assert "400" in page.inner_text("#error")
    page.goto(live_server.url + "/query?query=" + "SELECT%20%3Fs%20WHERE%20%7B%20%3Fs%20a%20%3Ft%20%7D%20LIMIT%203")
    page.wait_for_selector("#results tbody tr")
    assert page.locator("#results tbody tr").count() == 3
    assert page.is_hidden("#truncated")
    assert not off_host(page.requests)


def test_editor_flags_a_truncated_answer(browser_page, live_server) -> None:
    page = browser_page
    with start_server(live_server.store, row_cap="25") as small:
        page.goto(small.url + "/query")
        page.fill("#query", "SELECT ?s WHERE { ?s ?p ?o } LIMIT 100")
        page.click("#run")
        page.wait_for_selector("#truncated:not([hidden])")
        assert page.locator("#results tbody tr").count() == 25
    assert not off_host(page.requests)


def test_follow_links_from_browse_to_a_cluster_and_on(browser_page, live_server) -> None:
    page = browser_page
    page.goto(live_server.url + "/browse")
    page.click("table.kinds >> text=Cluster organisations")
    page.wait_for_url("**/browse/clusters")
    page.fill("#q", "afil")
    page.click("form.search button")
    page.wait_for_url("**/browse/clusters?q=afil")
    assert page.locator("table.browse tbody tr").count() == 1
    with page.expect_navigation() as navigation:
        page.click("table.browse >> text=Lombardy Intelligent Factory Association")
    assert urlsplit(page.url).path == "/id/afil"
    assert navigation.value.status == 200
    target = page.evaluate("""() => [...document.querySelectorAll("main a[href^='/id/']")]
        .map(a => a.getAttribute("href")).find(h => /^\\/id\\/[^.#?]+$/.test(h) && h !== "/id/afil")""")
    assert target, "the resource page links to no other resource"
    page.click(f"main a[href='{target}']")
    page.wait_for_url("**" + target)
    assert page.locator("h1").count() == 1
    assert not off_host(page.requests)
