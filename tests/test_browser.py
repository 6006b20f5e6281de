"""The pages in a real browser (Chromium through Playwright): the SPARQL editor runs a query and shows
rows, links lead from browse pages to resource pages and on, and no request ever leaves 127.0.0.1.

Skipped when Chromium is missing, unless ``CLUSTERGRAPH_REQUIRE_BROWSER=1`` (CI), which makes it fail."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from live import start_server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
REQUIRED = os.environ.get("CLUSTERGRAPH_REQUIRE_BROWSER") == "1"


def _browser_unavailable() -> str | None:
    """Why no browser test can run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@pytest.fixture(scope="module")
def browser_page(live_server) -> Iterator:
    """A fresh Chromium page that records the URL of every request it makes."""
    reason = _browser_unavailable()
    if reason:
        if REQUIRED:
            pytest.fail(f"CLUSTERGRAPH_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(f"browser tests need Chromium: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page()
        page.requests = []  # type: ignore[attr-defined]
        page.on("request", lambda request: page.requests.append(request.url))
        page.set_default_timeout(20_000)
        try:
            yield page
        finally:
            browser.close()


def off_host(urls: list[str]) -> list[str]:
    """The requests that went anywhere but 127.0.0.1."""
    return [u for u in urls if urlsplit(u).scheme not in ("data", "blob", "about")
            and urlsplit(u).hostname != "127.0.0.1"]


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
