"""Page weight and time to first drawing of the pages analysts use most, at a laptop's (1366×900) and a phone's
(390×844) size, each in a fresh browser context (cold cache), in Debian's headless Chromium, against a server
started here on 127.0.0.1 over the built store (``make build`` first).

Weight: bytes of every response body as transferred (gzipped where the server compresses: static files) and
the number of requests. Drawing: ms
from navigation start until the page's chart, map or network says it has drawn (or the load event for pages
without one). A measurement, not a target: the figures go in issue 14's closing note.
Usage: ``.venv/bin/python bench/page_weight.py``."""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "screenshots"))
from take import PAGES, SIZES, running_server


def main() -> None:
    with running_server() as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
        print("| page | size | requests | KiB | load ms | drawn ms |\n|---|---|---:|---:|---:|---:|")
        for name, (path, ready) in PAGES.items():
            for size, (width, height) in SIZES.items():
                context = browser.new_context(viewport={"width": width, "height": height})
                page = context.new_page()
                bodies: list[int] = []
                page.on("requestfinished", lambda request, seen=bodies: seen.append(request.sizes()["responseBodySize"]))
                page.goto(base + path, wait_until="load")
                page.wait_for_function(ready)
                drawn = page.evaluate("performance.now()")
                load = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
                page.wait_for_timeout(300)
                print(f"| {name} `{path}` | {size} | {len(bodies)} | {sum(bodies) / 1024:,.0f} | {load:,.0f} | "
                      f"{drawn:,.0f} |")
                context.close()
        browser.close()


if __name__ == "__main__":
    main()
