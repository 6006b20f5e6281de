"""Take the README's screenshots: each page analysts use most, first screen, at a laptop's (1366×900) and a
phone's (390×844) size, in Debian's headless Chromium, from a server started here on 127.0.0.1 over the built
store (``make build`` first). Run: ``.venv/bin/python docs/screenshots/take.py`` (``make screenshots``)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
# name: (path, what the page sets once it has drawn)
PAGES = {
    "home": ("/", "true"),
    "cluster": ("/id/afil", "window.memberChartReady === true"),
    "programme": ("/id/prog-i3", "true"),
    "members": ("/queries/member-counts-nine-together", "window.resultChartReady === true"),
    "network": ("/network/collaboration", "!!document.querySelector('iframe')?.contentWindow?.network"),
    "query": ("/query", "true"),
    "browse": ("/browse/clusters", "true"),
    "map": ("/map", "window.siteMapReady === true"),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_server() -> Iterator[str]:
    """``clustergraph serve`` over the built store on a free port of 127.0.0.1; yields its base URL."""
    port = free_port()
    exe = Path(sys.executable).with_name("clustergraph")
    server = subprocess.Popen([str(exe), "serve", "--root", str(ROOT), "--host", "127.0.0.1", "--port", str(port)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if httpx.get(base + "/api/version").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    with running_server() as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
        for size, (width, height) in SIZES.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            for name, (path, ready) in PAGES.items():
                page.goto(base + path)
                page.wait_for_function(ready)
                page.wait_for_timeout(500)  # let the network layout settle
                out = HERE / f"{name}-{size}.png"
                page.screenshot(path=str(out))
                print(out.relative_to(ROOT))
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
