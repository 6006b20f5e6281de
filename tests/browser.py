"""Headless Chromium (Debian's, driven by Playwright) for the browser tests, and the off-host request check.

Skips when Chromium or Playwright is missing, unless ``CLUSTERGRAPH_REQUIRE_BROWSER=1`` (CI), which fails."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
REQUIRED = os.environ.get("CLUSTERGRAPH_REQUIRE_BROWSER") == "1"


def unavailable() -> str | None:
    """Why no browser test can run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@contextlib.contextmanager
def chromium_page(**page_options) -> Iterator:
    """A fresh page recording every request URL (``page.requests``) and script error (``page.errors``)."""
    reason = unavailable()
    if reason:
        if REQUIRED:
            pytest.fail(f"CLUSTERGRAPH_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(f"browser tests need Chromium: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(**page_options)
        page.requests = []  # type: ignore[attr-defined]
        page.errors = []  # type: ignore[attr-defined]
        page.on("request", lambda request: page.requests.append(request.url))
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.set_default_timeout(20_000)
        try:
            yield page
        finally:
            browser.close()


def off_host(urls: list[str]) -> list[str]:
    """The requests that went anywhere but 127.0.0.1."""
    return [u for u in urls if urlsplit(u).scheme not in ("data", "blob", "about")
            and urlsplit(u).hostname != "127.0.0.1"]
