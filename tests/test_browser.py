"""The pages in a real browser (Chromium through Playwright): links lead from browse pages to resource pages
and on, and no request ever leaves 127.0.0.1 (the SPARQL editor has its own, tests/test_editor.py).

Skipped when Chromium is missing, unless ``CLUSTERGRAPH_REQUIRE_BROWSER=1`` (CI), which makes it fail."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from browser import chromium_page, off_host


@pytest.fixture(scope="module")
def browser_page(live_server) -> Iterator:
    """A fresh Chromium page that records the URL of every request it makes."""
    with chromium_page() as page:
        yield page


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



PHONE_PAGES = ["/", "/browse", "/browse/clusters", "/queries", "/queries/eccp-clusters", "/map", "/network",
               "/network/collaboration", "/settings", "/ontology", "/id/afil", "/query"]


def test_no_page_scrolls_sideways_on_a_phone(browser_page, live_server) -> None:
    """At 390 px wide, wide tables scroll inside their own box and long selects and IRIs wrap or shrink: the page
    itself never scrolls sideways (six of these pages did)."""
    too_wide = {}
    page = browser_page
    before = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        for path in PHONE_PAGES:
            page.goto(live_server.url + path, wait_until="load")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                too_wide[path] = (width, page.evaluate("""() => [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.scroll'))
                    .slice(0, 3).map(e => e.tagName + '.' + e.className)"""))
    finally:
        page.set_viewport_size(before)
    assert not too_wide, f"pages wider than a 390 px phone: {too_wide}"
