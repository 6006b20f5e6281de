"""The HTML pages against a real server: home counts, browse and search, named-query pages, the SPARQL
editor page, settings, hostile parameters and the rule that no page loads anything from another host."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup

from clustergraph.iris import BASE

HTML = {"Accept": "text/html"}
HOSTILE = 'x" } ; DROP ALL ; #'
PAGES = ["/", "/browse", "/browse/clusters", "/browse/organisations", "/browse/initiatives", "/browse/projects",
         "/browse/programmes", "/browse/ecosystems", "/browse/policy-instruments", "/query", "/queries",
         "/queries/initiatives-of-cluster", "/queries/member-counts-2022-vs-2024", "/settings"]


@pytest.fixture(scope="module")
def client(live_server) -> httpx.Client:
    with live_server.client(headers=HTML) as c:
        yield c


def page(client: httpx.Client, path: str, status: int = 200, **params: str) -> BeautifulSoup:
    response = client.get(path, params=params or None)
    assert response.status_code == status, (path, response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("text/html")
    return BeautifulSoup(response.text, "html.parser")


def count_distinct(store, class_local: str) -> int:
    """Distinct instances of a class and its subclasses, straight from the store."""
    rows = list(store.query(f"""
        PREFIX cg: <https://w3id.org/clustergraph/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{
          GRAPH <https://w3id.org/clustergraph/graph/ontology> {{ ?t rdfs:subClassOf* cg:{class_local} }}
          GRAPH ?g {{ ?s a ?t }} FILTER (?g != <https://w3id.org/clustergraph/graph/ontology>) }}"""))
    return int(rows[0]["n"].value)


def home_count(soup: BeautifulSoup, title: str) -> int:
    cell = soup.find("td", attrs={"data-count": title})
    assert cell is not None, title
    return int(cell.get_text(strip=True))


def browse_labels(soup: BeautifulSoup) -> list[str]:
    table = soup.find("table", class_="browse")
    return [] if table is None else [row.find("td").find("a").get_text(strip=True)
                                     for row in table.find("tbody").find_all("tr")]


def test_home_shows_counts_from_the_data(client, project_store) -> None:
    soup = page(client, "/")
    clusters = count_distinct(project_store, "ClusterOrganisation")
    assert clusters >= 9
    assert home_count(soup, "Cluster organisations") == clusters
    assert home_count(soup, "Organisations (all kinds, clusters included)") == count_distinct(
        project_store, "Organisation")
    assert home_count(soup, "Initiatives (all kinds)") == count_distinct(project_store, "Initiative")
    assert home_count(soup, "Projects") == count_distinct(project_store, "Project")
    assert home_count(soup, "Policy instruments") == count_distinct(project_store, "PolicyInstrument")
    assert home_count(soup, "Participations (organisation × initiative × source)") == count_distinct(
        project_store, "Participation")


def test_home_lists_sources_editions_and_ways_in(client) -> None:
    soup = page(client, "/")
    sources = soup.find("table", class_="sources").get_text(" ", strip=True)
    assert "Lombardy Technology Clusters (2024 report)" in sources
    assert "cgg:ltc-report-2022" in sources
    editions = [th.get_text(strip=True) for th in soup.select("#editions ~ .scroll table tbody th")]
    assert editions == ["2022", "2024"]
    hrefs = {a["href"] for a in soup.find_all("a", href=True)}
    for target in ("/browse/clusters", "/query", "/queries", "/.well-known/void", "/dumps/clustergraph.ttl",
                   "/dumps/clustergraph.nq", "/dumps/clustergraph.trig"):
        assert target in hrefs, target


def test_browse_index_lists_every_kind(client) -> None:
    soup = page(client, "/browse")
    hrefs = {a["href"] for a in soup.select("table.kinds a")}
    assert hrefs == {f"/browse/{kind}" for kind in ("clusters", "organisations", "initiatives", "projects",
                                                     "programmes", "ecosystems", "policy-instruments")}


def test_browse_clusters_lists_afil_sorted_and_linked(client, project_store) -> None:
    soup = page(client, "/browse/clusters")
    labels = browse_labels(soup)
    assert len(labels) == count_distinct(project_store, "ClusterOrganisation")
    assert labels == sorted(labels, key=str.casefold)
    assert "Lombardy Intelligent Factory Association" in labels
    assert soup.find("a", href="/id/afil") is not None


def test_browse_organisations_includes_subclasses(client) -> None:
    soup = page(client, "/browse/organisations")
    text = soup.find("table", class_="browse").get_text(" ", strip=True)
    assert "Lombardy Intelligent Factory Association" in text  # a cg:ClusterOrganisation
    assert "Public body" in text or "public body" in text.lower()


def test_search_narrows_case_insensitively(client) -> None:
    everything = browse_labels(page(client, "/browse/clusters"))
    narrowed = browse_labels(page(client, "/browse/clusters", q="afil"))
    assert narrowed == ["Lombardy Intelligent Factory Association"]
    assert browse_labels(page(client, "/browse/clusters", q="AFIL")) == narrowed
    assert len(narrowed) < len(everything)


def test_hostile_search_text_matches_nothing_and_breaks_nothing(client) -> None:
    soup = page(client, "/browse/organisations", q=HOSTILE)
    assert browse_labels(soup) == []
    assert soup.find("input", id="q")["value"] == HOSTILE  # echoed back, escaped
    assert browse_labels(page(client, "/browse/clusters", q="afil"))  # the store is intact


def test_unknown_kind_is_404(client) -> None:
    response = client.get("/browse/nope")
    assert response.status_code == 404
    assert "nope" in response.text
    assert "<script" not in response.text


def test_named_query_list(client) -> None:
    soup = page(client, "/queries")
    assert soup.find("a", href="/queries/initiatives-of-cluster") is not None
    row = soup.find("tr", id="initiatives-of-cluster").get_text(" ", strip=True)
    assert "cluster" in row and "iri" in row


def test_named_query_page_shows_results_and_sparql(client, named) -> None:
    soup = page(client, "/queries/initiatives-of-cluster")
    expected = named("initiatives-of-cluster", cluster=BASE + "id/afil")
    rows = soup.select("table.results tbody tr")
    assert len(rows) == len(expected) > 0
    picker = soup.find("select", attrs={"name": "cluster"})  # picked by name from the graph's clusters
    assert picker.find("option", selected=True)["value"] == BASE + "id/afil"
    sparql = soup.find("pre", class_="sparql").get_text()
    assert "VALUES (?cluster)" in sparql and "<https://w3id.org/clustergraph/id/afil>" in sparql
    hrefs = {a["href"] for a in soup.find_all("a", href=True)}
    assert any(h.startswith("/api/queries/initiatives-of-cluster?") and "format=csv" in h for h in hrefs)
    assert any(h.startswith("/api/queries/initiatives-of-cluster?") and "format=json" in h for h in hrefs)
    assert any(h.startswith("/id/") for h in hrefs)  # result IRIs link to resource pages


def test_named_query_with_parameter(client) -> None:
    soup = page(client, "/queries/initiatives-of-cluster", cluster=BASE + "id/le2c")
    assert soup.find("pre", class_="sparql").get_text().count("<https://w3id.org/clustergraph/id/le2c>") == 1
    assert soup.select("table.results tbody tr")


def test_hostile_iri_parameter_is_400(client) -> None:
    soup = page(client, "/queries/initiatives-of-cluster", status=400, cluster=HOSTILE)
    assert "not an absolute IRI" in soup.find(class_="error").get_text()
    picker = soup.find("select", attrs={"name": "cluster"})
    assert picker is not None and picker.find("option", selected=True) is None  # the bad value is not offered back
    assert HOSTILE not in str(picker)
    page(client, "/queries/member-counts-by-category", status=400, year=HOSTILE)
    page(client, "/queries/initiatives-of-cluster", status=400, nosuch="1")


def test_hostile_string_parameter_matches_nothing(client) -> None:
    listing = client.get("/api/queries").json()["queries"]
    strings = [(q["name"], p["name"]) for q in listing for p in q["parameters"] if p["type"] in ("string", "searchtext")]
    if not strings:
        pytest.skip("no named query has a string parameter")
    for name, param in strings:
        soup = page(client, f"/queries/{name}", **{param: HOSTILE})
        assert not soup.select("table.results tbody tr")


def test_unknown_named_query_is_404(client) -> None:
    assert client.get("/queries/no-such-query").status_code == 404


def test_query_page_has_editor_and_examples(client) -> None:
    soup = page(client, "/query")
    assert soup.find("textarea", id="query") is not None
    options = soup.select("select#example option[data-sparql]")
    assert any(o["value"] == "initiatives-of-cluster" and "SELECT" in o["data-sparql"] for o in options)
    assert soup.find("form", id="sparql-form")["data-base-iri"] == BASE
    assert soup.find("script", src="/static/editor.js") is not None


def test_query_page_prefills_shared_query(client) -> None:
    text = "SELECT * WHERE { ?s ?p ?o } LIMIT 1 # </textarea><script>alert(1)</script>"
    response = client.get("/query", params={"query": text})
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.find("textarea", id="query").get_text() == text
    assert soup.find("form", id="sparql-form")["data-autorun"] == "true"
    assert "<script>alert(1)" not in response.text


def test_settings_page_masks_the_write_token(live_server, writable_server) -> None:
    from live import WRITE_TOKEN

    with writable_server.client(headers=HTML) as c:
        response = c.get("/settings")
    assert response.status_code == 200
    assert WRITE_TOKEN not in response.text
    soup = BeautifulSoup(response.text, "html.parser")
    row = soup.find("tr", id="setting-write_token").get_text(" ", strip=True)
    assert "(set)" in row and "CLUSTERGRAPH_WRITE_TOKEN" in row and "--write-token" in row
    with live_server.client(headers=HTML) as c:
        soup = BeautifulSoup(c.get("/settings").text, "html.parser")
    assert "(not set)" in soup.find("tr", id="setting-write_token").get_text()
    assert "CLUSTERGRAPH_ROW_CAP" in soup.get_text()
    assert soup.find("tr", id="setting-base_iri").find("td", class_="value").get_text(strip=True) == BASE


@pytest.mark.parametrize("path", PAGES)
def test_no_page_loads_anything_off_host(client, path: str) -> None:
    soup = page(client, path)
    for tag in soup.find_all(src=True):
        assert is_local(tag["src"]), (path, str(tag)[:200])
    for tag in soup.find_all(["link", "script", "img", "iframe", "form", "object", "embed", "source"]):
        for attr in ("href", "src", "action", "data"):
            if tag.get(attr):
                assert is_local(tag[attr]), (path, str(tag)[:200])
    for tag in soup.find_all("a", href=True):
        href = tag["href"]
        assert is_local(href) or urlsplit(href).scheme in ("http", "https"), (path, href)
        if not is_local(href):
            assert "nofollow" in tag.get("rel", []) or href.startswith(BASE), (path, href)
    assert "javascript:" not in str(soup).lower()


def is_local(url: str) -> bool:
    """A same-host reference: a path, a fragment or a relative URL, never a scheme or a host."""
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and not url.startswith("//")


def test_named_query_tables_read_like_a_report(live_server) -> None:
    """Headers from the query file, names instead of IRIs, 'not stated' where a source gives no figure, and
    the change says which two documents it compares (CAT.AL: the 2024 report gives no total)."""
    with live_server.client() as client:
        html = client.get("/queries/member-counts-2022-vs-2024").text
        listing = client.get("/queries").text
    page = BeautifulSoup(html, "html.parser")
    headers = [th.get_text(strip=True) for th in page.select("table.results thead th")]
    assert headers[:5] == ["Cluster", "Name", "Members (2022 report)", "Members (2024 report)",
                           "Members (ECCP paper, 2024)"]
    rows = {tr.select("td")[1].get_text(strip=True): [td.get_text(" ", strip=True) for td in tr.select("td")]
            for tr in page.select("table.results tbody tr")}
    catal = rows["High Technology Cluster Agrifood Lombardy"]
    assert catal[0] == "High Technology Cluster Agrifood Lombardy"  # the cluster IRI shows its label
    assert catal[3] == "not stated" and catal[4] == "14"
    assert catal[6] == "ECCP paper (2024) − 2022 report"
    assert rows["Lombardy Intelligent Factory Association"][6] == "2024 report − 2022 report"
    assert "https://w3id.org/clustergraph/id/" not in " ".join(" ".join(r) for r in rows.values())
    questions = listing.index('id="group-questions"')
    network = listing.index('id="group-network"')
    assert questions < listing.index("/queries/member-counts-2022-vs-2024") < network
    assert network < listing.index("/queries/network-participations")


def test_site_search_ignores_accents_and_case_and_skips_statement_nodes(live_server) -> None:
    with live_server.client() as client:
        found = client.get("/search", params={"q": "mobilita"}).text
        upper = client.get("/search", params={"q": "MOBILITÀ"}).text
        acronym = client.get("/search", params={"q": "le2c"}).text
        nothing = client.get("/search", params={"q": "zzzz-no-such-name"}).text
        browse = client.get("/browse/clusters", params={"q": "mobilita"})
        home = client.get("/").text
    hits = BeautifulSoup(found, "html.parser").select("ol.hits li a")
    names = [a.get_text(strip=True) for a in hits]
    assert "Lombardy Mobility Cluster" in names  # its Italian name is "Cluster Lombardo della Mobilità"
    assert [a["href"] for a in hits if a.get_text(strip=True) == "Lombardy Mobility Cluster"] == ["/id/clm"]
    assert not any(a["href"].startswith(("/id/loc-", "/id/part-", "/id/obs-")) for a in hits)
    assert BeautifulSoup(upper, "html.parser").select("ol.hits li a") == hits
    assert BeautifulSoup(acronym, "html.parser").select_one("ol.hits li a")["href"] == "/id/le2c"  # exact first
    assert "0 matches" in nothing
    assert browse.status_code == 200 and "Lombardy Mobility Cluster" in browse.text  # browse folds accents too
    assert 'action="/search"' in home and 'name="q"' in home


def test_home_offers_starter_questions_that_answer(live_server) -> None:
    with live_server.client() as client:
        home = BeautifulSoup(client.get("/").text, "html.parser")
        links = [a["href"] for a in home.select("ul.starters a")]
        assert len(links) >= 5 and any(h.startswith("/network/") for h in links)
        for href in links:
            assert client.get(href).status_code == 200, href


def test_static_files_go_gzipped_to_clients_that_accept_it(live_server) -> None:
    """The vendored editor is 1 MB as is; a browser (which accepts gzip) gets it compressed, the same bytes."""
    import gzip

    import httpx

    url = live_server.url + "/static/vendor/yasgui/yasgui.min.js"
    plain = httpx.get(url, headers={"Accept-Encoding": "identity"})
    with httpx.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as packed:
        raw = b"".join(packed.iter_raw())
        assert packed.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert gzip.decompress(raw) == plain.content and len(raw) < len(plain.content) / 2


OFF_HOST = re.compile(r"""(?:\bhref|\bsrc|helpReference|endpoint)["']?\s*[=:]\s*["'](?:https?:)?//""")


def test_no_page_asset_or_link_points_off_host() -> None:
    """Templates and static files (vendored ones included) load nothing from, and link to nothing on, another host:
    the pages work offline. Links to a resource's own external pages are data, not templates, and stay."""
    web = Path(__file__).resolve().parents[1] / "src" / "clustergraph" / "web"
    found = [f"{path.relative_to(web)}: {match.group()}"
             for path in sorted([*web.glob("templates/**/*.html"), *web.glob("static/**/*.js"),
                                 *web.glob("static/**/*.css")])
             for match in OFF_HOST.finditer(path.read_text(encoding="utf-8", errors="replace"))]
    assert not found, found
    assert OFF_HOST.search('s.href="http://enable-cors.org/"') and OFF_HOST.search('<script src="//cdn.x/y.js">')
