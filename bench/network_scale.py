"""The collaboration network at ECCP scale: build, metrics and HTML in-process, and the page in a browser.

1. Pipeline (target: graph + metrics + HTML under 5 s). On the ECCP store (``common.synth_project()``, 1,200
   clusters) the steps of ``network.build_view`` for the collaboration view are timed apart, in a subprocess
   with a timeout: the rows of the two named queries (``network-participations``, read as the view reads them:
   lean queries joined in Python, ``views.participation_rows``; ``network-cluster-sizes``), the
   projection (``collaboration_graph``), the metrics and the layout together (``network.annotate_and_place``,
   as ``build_view`` runs them: ``metrics.annotate`` (betweenness, harmonic closeness, Louvain, articulation
   points) while the layout runs in a second thread), then the drawing (``render.drawing_json``, the data the
   browser draws, and ``render.render_html``, its page).
   Baseline: the bare SPARQL time of the same two queries, i.e. fetching the rows the view is made of.
   The ratio says how much the network code adds on top of the data it needs. Views: the unfiltered
   collaboration view (what ``/network/collaboration`` shows, so with the default cap ``max_members=50``:
   the ECCP registration and the international networks of 60 to 1,200 clusters are left out of the
   projection and listed; without the cap it is a complete graph of 719,400 ties) and ``family=horizon``
   (about 1,100 clusters tied by projects: a sparse network of the size the issue names; nothing left out).
2. Page (targets: interactive in at most 5 s cold and 2 s warm). A real server (``tests/live.start_server``) on the ECCP store;
   headless Chromium opens ``/network/collaboration`` and we measure from navigation start until the
   drawing in its frame is interactive: the frame's scripts ran, its ``vis.Network`` exists and has drawn its
   first frame (first ``afterDrawing``, then one animation frame), and the outer page's load event fired.
   The first load after the server starts ("cold") also builds the view (the page comes back at once with the
   drawing's frame, whose own request waits for what the drawing needs; betweenness and the page's tables
   follow after the drawing); later loads ("warm") find it in the server's view cache. Baseline: the same page on a
   region-scale store (``synth_project(clusters=15, scale=0.5)``). Every request off 127.0.0.1 is blocked
   and counted.

Usage: ``python bench/network_scale.py [--quick] [--repeat 3] [--timeout 60]``; ``--quick`` uses 48 clusters.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    ECCP_CLUSTERS,
    ROOT,
    Target,
    built_store,
    finish_section,
    fmt_ratio,
    median,
    synth_project,
)

STEPS = ("sparql participations", "sparql sizes", "graph", "metrics + layout", "render")
SPARQL_STEPS = STEPS[:2]
VIEWS = {"unfiltered": {}, "horizon": {"family": "horizon"}}
PIPELINE_TARGET_S = 5.0
PAGE_COLD_TARGET_S = 5.0  # issue 17: first load on a fresh server (it builds the view)
PAGE_WARM_TARGET_S = 2.0  # later loads (view cached)
PAGE_TARGET_TEXT = (f"interactive in Chromium: cold <= {PAGE_COLD_TARGET_S:.0f} s, "
                    f"warm <= {PAGE_WARM_TARGET_S:.0f} s")

# Runs in every frame before its own scripts. The drawing's template declares ``var network`` and then assigns
# ``network = new vis.Network(...)``; the accessor below sees that assignment and waits for the first drawing.
HOOK = """
(() => {
  if (!location.pathname.endsWith("/graph")) { return; }
  let value;
  const now = () => performance.timeOrigin + performance.now();
  Object.defineProperty(window, "network", { configurable: true, enumerable: true,
    get() { return value; },
    set(v) {
      value = v;
      if (v && typeof v.once === "function" && !window.__cgCreated) {
        window.__cgCreated = now();
        v.once("afterDrawing", () => requestAnimationFrame(() => { window.__cgDrawn = now(); }));
      }
    } });
})();
"""
TIMES = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const at = (t) => performance.timeOrigin + t;
  const data = performance.getEntriesByType("resource").filter((r) => r.name.includes("/graph.json"))[0];
  return { origin: performance.timeOrigin, requestStart: at(nav.requestStart), responseEnd: at(nav.responseEnd),
           loadEnd: at(nav.loadEventEnd), bytes: nav.decodedBodySize || document.documentElement.outerHTML.length,
           dataBytes: data ? data.decodedBodySize : 0, dataTransfer: data ? data.encodedBodySize : 0,
           created: window.__cgCreated || null, drawn: window.__cgDrawn || null };
}"""


# --- pipeline child: prints one JSON line per finished step --------------------------------------------------

def pipeline_child(project: Path, view: str, repeat: int) -> None:
    from clustergraph.kg.store import StoreRoot
    from clustergraph.network.render import drawing_json, render_html
    from clustergraph.network.views import (
        Filters,
        NetworkView,
        _participations,
        annotate_and_place,
        collaboration_graph,
        store_select,
    )
    from clustergraph.querying.named import load_named_queries

    store = StoreRoot(built_store(project)).open_current()
    queries = load_named_queries(ROOT / "queries")
    select = store_select(store)
    filters = Filters(**VIEWS[view])

    def emit(**fields: object) -> None:
        print(json.dumps(fields), flush=True)

    for rep in range(repeat):
        def step(name: str, run):
            print(json.dumps({"rep": rep, "start": name}), file=sys.stderr, flush=True)
            started = time.perf_counter()
            result = run()
            emit(rep=rep, step=name, seconds=time.perf_counter() - started)
            return result

        # what the view runs: the rows of network-participations read by lean queries joined in Python
        part_sparql, rows = step("sparql participations",
                                 lambda: _participations(select, queries, filters, filters.year))
        sizes_sparql = queries["network-cluster-sizes"].bind({})
        size_rows = step("sparql sizes", lambda: select(sizes_sparql))
        sizes = {r["cluster"]: (r["clusterLabel"], int(r["members"] or 0)) for r in size_rows}
        graph = step("graph", lambda: collaboration_graph(rows, sizes, filters.max_members))
        if rep == 0:
            emit(rows=len(rows), nodes=graph.number_of_nodes(), edges=graph.number_of_edges(),
                 left_out=len(graph.graph.get("left_out", [])), max_members=filters.max_members)
        modularity, communities = step("metrics + layout", lambda: annotate_and_place(graph))
        built = NetworkView("collaboration", filters, graph, [*part_sparql, sizes_sparql], modularity, communities)
        def render() -> tuple[bytes, str]:
            link = lambda iri: "/resource?iri=" + iri  # noqa: E731
            return (drawing_json(built, link=link),
                    render_html(built, link=link, data_url="/network/collaboration/graph.json"))

        body, html = step("render", render)
        if rep == 0:
            emit(html_bytes=len(html.encode()), json_bytes=len(body), communities=len(communities),
                 betweenness=str(graph.graph.get("betweenness", "")))


def run_pipeline(project: Path, view: str, repeat: int, timeout: float) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(project), view, str(repeat)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finished = True
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        finished = False
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    starts = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    result: dict = {"finished": finished and proc.returncode == 0, "samples": {s: [] for s in STEPS},
                    "stuck": "", "error": ""}
    for record in records:
        if "step" in record:
            result["samples"][record["step"]].append(record["seconds"])
        else:
            result.update({k: v for k, v in record.items() if k != "rep"})
    if not finished and starts:
        result["stuck"] = starts[-1]["start"]
        result["error"] = f"did not finish in {timeout:.0f} s; still in '{result['stuck']}'"
    elif proc.returncode != 0:
        result["error"] = f"failed (exit {proc.returncode}): {(err.strip().splitlines() or [''])[-1][:300]}"
    complete = [r for r in range(repeat) if all(len(result["samples"][s]) > r for s in STEPS)]
    result["reps"] = len(complete)
    result["total"] = [sum(result["samples"][s][r] for s in STEPS) for r in complete]
    result["sparql"] = [sum(result["samples"][s][r] for s in SPARQL_STEPS) for r in complete]
    return result


# --- page in headless Chromium --------------------------------------------------------------------------------

def page_once(browser, url: str, timeout: float) -> dict:
    """One fresh browser context: open ``url`` and wait until the drawing is interactive."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    blocked: list[str] = []

    def route(request_route) -> None:
        if urlsplit(request_route.request.url).hostname == "127.0.0.1":
            request_route.continue_()
        else:
            blocked.append(request_route.request.url)
            request_route.abort()

    context.route("**/*", route)
    context.add_init_script(HOOK)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        started = time.perf_counter()
        page.goto(url, wait_until="load", timeout=timeout * 1000)
        frame = next((f for f in page.frames if urlsplit(f.url).path.endswith("/graph")), None)
        if frame is None:
            return {"ok": False, "why": "no drawing frame (empty view?)", "blocked": blocked}
        left = max(1.0, timeout - (time.perf_counter() - started))
        frame.wait_for_function("() => window.__cgDrawn", timeout=left * 1000)
        outer, inner = page.evaluate(TIMES), frame.evaluate(TIMES)
        interactive = max(outer["loadEnd"], inner["drawn"]) - outer["origin"]
        return {"ok": True, "interactive": interactive / 1000, "page_html": (outer["responseEnd"] - outer["origin"]) / 1000,
                "graph_html": (inner["responseEnd"] - inner["requestStart"]) / 1000,
                "draw": (inner["drawn"] - inner["responseEnd"]) / 1000,
                "page_bytes": outer["bytes"], "graph_bytes": inner["bytes"] + inner["dataBytes"],
                "data_transfer": inner["dataTransfer"],
                "wall": time.perf_counter() - started, "blocked": blocked, "errors": errors}
    except Exception as exc:  # playwright's TimeoutError among others: record, never hang
        return {"ok": False, "why": f"not interactive within {timeout:.0f} s ({type(exc).__name__})",
                "blocked": blocked, "errors": errors}
    finally:
        context.close()


def measure_page(store: Path, path: str, repeat: int, timeout: float, log, *, settled: bool = False) -> dict:
    """A fresh server; the first load is cold (builds the view), the next ``repeat`` are warm. ``settled``: the
    cold load waits until the server has finished its start-up work (the default view and its metrics, the
    per-build files), so that it times building this view, not the server's start."""
    from browser import ARGS, CHROMIUM
    from endpoints import wait_for_start_up
    from live import start_server
    from playwright.sync_api import sync_playwright

    with start_server(store) as server, sync_playwright() as p:
        if settled:
            wait_for_start_up(server.url, timeout)
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            cold = page_once(browser, server.url + path, timeout)
            log(f"    cold: {show_page(cold)}")
            warm = []
            if cold["ok"]:
                for _ in range(repeat):
                    warm.append(page_once(browser, server.url + path, timeout))
                    log(f"    warm: {show_page(warm[-1])}")
        finally:
            browser.close()
    return {"cold": cold, "warm": warm}


def show_page(run: dict) -> str:
    if not run["ok"]:
        return run["why"]
    return (f"interactive {run['interactive']:.2f} s (page HTML {run['page_html']:.2f} s, drawing HTML "
            f"{run['graph_html']:.2f} s, draw {run['draw']:.2f} s; {run['page_bytes'] / 1e6:.1f} + "
            f"{run['graph_bytes'] / 1e6:.1f} MB, data {run['data_transfer'] / 1e6:.2f} MB sent)"
            f"{' BLOCKED ' + str(len(run['blocked'])) if run['blocked'] else ''}")


# --- report ------------------------------------------------------------------------------------------------------

def pipeline_rows(name: str, result: dict) -> list[str]:
    cells = []
    for s in STEPS:
        values = result["samples"][s]
        cells.append(f"{median(values):.2f}" if values else ("**stuck**" if result["stuck"] == s else "–"))
    total = f"**{median(result['total']):.2f}**" if result["total"] else "n/a"
    sparql = f"{median(result['sparql']):.2f}" if result["sparql"] else "n/a"
    ratio = fmt_ratio(median(result["total"]) / median(result["sparql"])) if result["total"] else "n/a"
    size = f"{result.get('nodes', '?')} / {result.get('edges', '?')}"
    return [f"| {name} | {size} | {' | '.join(cells)} | {total} | {sparql} | {ratio} | {result['reps']} |"]


def page_summary(runs: dict) -> tuple[float | None, float | None, str]:
    cold = runs["cold"]["interactive"] if runs["cold"]["ok"] else None
    warm = [r["interactive"] for r in runs["warm"] if r["ok"]]
    text = f"cold {cold:.2f} s" if cold is not None else f"cold: {runs['cold']['why']}"
    if warm:
        text += f", warm median {median(warm):.2f} s of {len(warm)}"
    return cold, (median(warm) if warm else None), text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="48 clusters instead of 1,200 (a smoke run)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of the pipeline and of warm page loads")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per pipeline run and page load (60)")
    parser.add_argument("--views", default="unfiltered,horizon", help=f"comma-separated, of {', '.join(VIEWS)}")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        pipeline_child(Path(args.child[0]), args.child[1], int(args.child[2]))
        return
    timeout = args.timeout or (30.0 if args.quick else 60.0)
    views = [v for v in args.views.split(",") if v]
    started = time.perf_counter()

    def log(text: str) -> None:
        print(text, flush=True)

    clusters = 48 if args.quick else ECCP_CLUSTERS
    project = synth_project(clusters=clusters)
    region = synth_project(clusters=15, scale=0.5)
    store, region_store = built_store(project), built_store(region)
    log(f"network_scale: {clusters} clusters, {args.repeat} repetitions, timeout {timeout:.0f} s")

    pipelines = {}
    for view in views:
        log(f"  pipeline, {view} collaboration view:")
        pipelines[view] = run_pipeline(project, view, args.repeat, timeout)
        res = pipelines[view]
        log(f"    {res.get('nodes', '?')} nodes, {res.get('edges', '?')} edges; totals "
            f"{[round(t, 2) for t in res['total']]}; {res['error'] or 'ok'}")

    pages: dict[str, dict] = {}
    from browser import unavailable
    no_browser = "--no-browser" if args.no_browser else unavailable()
    if no_browser:
        log(f"  page: not measured ({no_browser})")
    else:
        for view in views:
            query = "?" + "&".join(f"{k}={v}" for k, v in VIEWS[view].items()) if VIEWS[view] else ""
            log(f"  page /network/collaboration{query} ({clusters} clusters):")
            if view in pipelines and not pipelines[view]["total"]:  # the server runs the same steps
                why = f"not measured: the same view's pipeline took over {timeout:.0f} s"
                log(f"    {why}")
                pages[view] = {"cold": {"ok": False, "why": why}, "warm": []}
                continue
            pages[view] = measure_page(store, "/network/collaboration" + query, args.repeat, timeout, log,
                                       settled=bool(query))
        log("  baseline page /network/collaboration (region scale: 15 clusters, scale 0.5):")
        pages["region"] = measure_page(region_store, "/network/collaboration", args.repeat, timeout, log)

    scale = "ECCP scale" if not args.quick else "quick scale (48 clusters)"
    lines = [f"Synthetic {scale}. Pipeline steps in seconds, medians of up to {args.repeat} runs in one subprocess "
             f"(timeout {timeout:.0f} s; '**stuck**' = the step running when the timeout hit). Baseline: the two "
             "named queries alone (`sparql`).", "",
             "| view | nodes / edges | " + " | ".join(STEPS) + " | **total** | sparql (baseline) | ratio | runs |",
             "| --- | --- |" + " ---: |" * (len(STEPS) + 4)]
    for view in views:
        lines += pipeline_rows(view, pipelines[view])
    lines += ["", "Projection: " + "; ".join(
        f"{v}: {r.get('left_out', '?')} items left out (max_members {r.get('max_members', '?')}), betweenness "
        f"{r.get('betweenness', '?')}" for v, r in pipelines.items()) + "."]
    errors = [f"{v}: {r['error']}" for v, r in pipelines.items() if r["error"]]
    if errors:
        lines += ["", "Pipeline runs that did not finish: " + "; ".join(errors) + "."]

    targets = []
    for view in views:
        res = pipelines[view]
        total = median(res["total"]) if res["total"] else None
        sparql = median(res["sparql"]) if res["sparql"] else None
        targets.append(Target(
            f"Network pipeline, {view} collaboration view", f"graph + metrics + HTML < {PIPELINE_TARGET_S:.0f} s",
            f"{total:.2f} s (SPARQL {sparql:.2f} s)" if total is not None else res["error"] or "not measured",
            total / sparql if total and sparql else None,
            (total < PIPELINE_TARGET_S) if total is not None else False,
            f"{res.get('nodes', '?')} nodes, {res.get('edges', '?')} edges; {res.get('left_out', '?')} items "
            f"left out of the projection (max_members {res.get('max_members', '?')}); betweenness "
            f"{res.get('betweenness', '?')}; ratio = total / bare SPARQL"))

    if pages:
        lines += ["", "Page in headless Chromium, seconds from navigation start until the drawing is interactive "
                  "(frame drawn once, scripts run, load event). Cold = first load of a view not built yet: for the "
                  "unfiltered view, right after the server starts (which builds that view in the background as it "
                  "starts); for a filtered view, once the server has finished that start-up work, so that it times "
                  "building the view rather than the server's start; warm = later loads (view cached, drawing page rendered again, its data from the "
                  "per-build cache). MB: HTML of the page + the drawing's page and data, decoded (vendored "
                  "scripts not counted).", "",
                  "| page | cold | warm median | page HTML | drawing HTML | parse, scripts, first draw | MB (page + drawing) | off-host blocked |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        region_warm = page_summary(pages["region"])[1]
        for name, runs in pages.items():
            cold, warm, text = page_summary(runs)
            ok = [r for r in runs["warm"] if r["ok"]] or ([runs["cold"]] if runs["cold"]["ok"] else [])
            blocked = sum(len(r.get("blocked", [])) for r in [runs["cold"], *runs["warm"]])

            def m(key: str) -> str:
                return f"{median([r[key] for r in ok]):.2f}" if ok else "–"
            mb = f"{median([r['page_bytes'] for r in ok]) / 1e6:.1f} + {median([r['graph_bytes'] for r in ok]) / 1e6:.1f}" if ok else "–"
            lines.append(f"| {name} | {f'{cold:.2f}' if cold is not None else runs['cold']['why']} | "
                         f"{f'{warm:.2f}' if warm is not None else '–'} | {m('page_html')} | {m('graph_html')} | "
                         f"{m('draw')} | {mb} | {blocked} |")
            if name == "region":
                continue
            met = (cold is not None and warm is not None and cold <= PAGE_COLD_TARGET_S
                   and warm <= PAGE_WARM_TARGET_S)
            targets.append(Target(
                f"Network page interactive, {name} collaboration view", PAGE_TARGET_TEXT,
                text + (f"; region-scale page {region_warm:.2f} s" if region_warm else ""),
                warm / region_warm if warm and region_warm else None,
                met,
                f"met = cold <= {PAGE_COLD_TARGET_S:.0f} s and warm <= {PAGE_WARM_TARGET_S:.0f} s; "
                "ratio = warm vs region-scale warm"))
    if no_browser:
        targets.append(Target("Network page interactive", PAGE_TARGET_TEXT,
                              f"not measured: {no_browser}", None, None))
    finish_section("network_scale", "Collaboration network at ECCP scale", lines, targets, started)


if __name__ == "__main__":
    main()
