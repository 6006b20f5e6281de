"""axe-core (vendored under tests/vendor/axe-core, never served) in real Chromium at a laptop's and a phone's size:
no serious or critical accessibility violation on the pages analysts use most (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import chromium_page

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PAGES = {
    "home": ("/", "document.readyState === 'complete'"),
    "cluster": ("/id/afil", "window.memberChartReady === true"),
    "programme": ("/id/prog-i3", "document.readyState === 'complete'"),
    "query": ("/query", "document.readyState === 'complete'"),
    "named query": ("/queries/member-counts-nine-together", "window.resultChartReady === true"),
    "network": ("/network/collaboration", "document.readyState === 'complete'"),
    "browse": ("/browse/clusters", "document.readyState === 'complete'"),
    "map": ("/map", "window.siteMapReady === true"),
}


def violations(page) -> list[dict]:
    """The serious and critical violations axe finds on the page, each with the first nodes it names."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))""")
    return found


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)], ids=["laptop", "phone"])
@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_violation(live_server, name: str, width: int, height: int) -> None:
    path, ready = PAGES[name]
    with chromium_page(viewport={"width": width, "height": height}) as page:
        page.goto(live_server.url + path)
        page.wait_for_function(ready)
        found = violations(page)
    assert not found, "\n".join(f"{v['impact']} {v['id']}: {v['help']} at {v['nodes']}" for v in found)


def test_axe_finds_a_planted_violation(live_server) -> None:
    """The check can fail: an image without alternative text and an unnamed button are reported."""
    with chromium_page() as page:
        page.goto(live_server.url + "/")
        page.evaluate("""() => { const b = document.createElement('button'); document.body.appendChild(b);
                                 const i = document.createElement('img'); i.src = '/favicon.ico'; document.body.appendChild(i); }""")
        ids = {v["id"] for v in violations(page)}
    assert {"button-name", "image-alt"} <= ids
