"""Peak memory of ``clustergraph serve`` on the ECCP-scale store while it answers a mix of named queries and
pages: the resident set (RSS) of the server process and all its worker processes together, sampled with psutil
every 50 ms. Target: < 1 GB. Baseline: ``oxigraph serve --union-default-graph`` on a copy of the same store,
sent the SPARQL text of the same named queries for the same time (it has no HTML pages).

Summing RSS counts the pages that the processes share (Python, pyoxigraph, the store's memory-mapped files)
once per process, so it overstates what ours really uses; the target is checked on that sum all the same.

Usage: ``python bench/serve_memory.py [--quick] [--seconds 20]``
"""

from __future__ import annotations

import argparse
import threading
import time

import psutil
from common import (
    ECCP_CLUSTERS,
    ROOT,
    Target,
    built_store,
    synth_project,
    write_section,
)
from endpoints import Endpoint, Request, ours, oxigraph_server, run_load

from clustergraph.querying.named import load_named_queries

CLIENTS = 4
LIMIT_S = 5
TARGET_BYTES = 1024**3
PAGES = ["/", "/browse", "/browse/clusters", "/browse/organisations", "/browse/initiatives", "/queries",
         "/queries/eccp-clusters", "/queries/vanguard-pilots", "/id/synth-cluster-00001", "/id/synth-cluster-00002",
         "/network", "/query"]


class PeakSampler:
    """Samples the summed RSS of a process tree in a thread until stopped; keeps the peak."""

    def __init__(self, pid: int, every: float = 0.05) -> None:
        self.root = psutil.Process(pid)
        self.every = every
        self.peak = 0
        self.processes = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def current(self) -> tuple[int, int]:
        total, count = 0, 0
        try:
            tree = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0, 0
        for process in tree:
            try:
                total += process.memory_info().rss
                count += 1
            except psutil.NoSuchProcess:
                pass
        return total, count

    def _run(self) -> None:
        while not self._stop.is_set():
            total, count = self.current()
            self.samples += 1
            if total > self.peak:
                self.peak, self.processes = total, count
            self._stop.wait(self.every)


def load_with_sampling(endpoint: Endpoint, requests: list[Request], seconds: float) -> dict:
    with PeakSampler(endpoint.process.pid) as sampler:
        idle, _ = sampler.current()
        result = run_load(endpoint.url, requests, clients=CLIENTS, seconds=seconds, timeout=LIMIT_S + 30)
        after, _ = sampler.current()
    return {"server": endpoint.name, "idle_mb": idle / 2**20, "peak_mb": sampler.peak / 2**20,
            "after_mb": after / 2**20, "processes": sampler.processes, "answers": len(result.latencies),
            "errors": sum(result.errors.values()), "error_kinds": result.errors, "samples": sampler.samples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny data, a short load (smoke test)")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long each server is under load")
    args = parser.parse_args()
    clusters = 30 if args.quick else ECCP_CLUSTERS
    seconds = 3.0 if args.quick else args.seconds
    started = time.perf_counter()
    store = built_store(synth_project(clusters))
    queries = load_named_queries(ROOT / "queries")
    html = (("Accept", "text/html"),)
    ours_mix = [Request("GET", f"/api/queries/{name}?timeout={LIMIT_S}") for name in queries]
    ours_mix += [Request("GET", page, headers=html) for page in PAGES]
    ours_mix.append(Request("GET", "/.well-known/void", headers=(("Accept", "text/turtle"),)))
    rows = []
    with ours(store, answer_cache_mb="0") as server:  # queries run, not answered from memory (see the notes)
        rows.append(load_with_sampling(server, ours_mix, seconds))
    with oxigraph_server(store, timeout_s=LIMIT_S) as server:
        texts = [Request.sparql(server, q.bind({})) for q in queries.values()]
        rows.append(load_with_sampling(server, texts, seconds))
    print(f"{'server':16} {'idle MB':>8} {'peak MB':>8} {'after MB':>9} {'processes':>9} {'answers':>8} {'errors':>7}")
    for r in rows:
        print(f"{r['server']:16} {r['idle_mb']:8.0f} {r['peak_mb']:8.0f} {r['after_mb']:9.0f} {r['processes']:9d} "
              f"{r['answers']:8d} {r['errors']:7d} {r['error_kinds'] or ''}")
    mine, base = rows
    ratio = mine["peak_mb"] / base["peak_mb"] if base["peak_mb"] else None
    target = Target(name=f"Peak RSS of serve + workers under a query/page mix ({clusters} clusters)",
                    target="< 1 GB", measured=f"{mine['peak_mb']:.0f} MB (oxigraph serve {base['peak_mb']:.0f} MB)",
                    ratio=ratio, met=mine["peak_mb"] * 2**20 < TARGET_BYTES,
                    notes="ratio = ours / oxigraph serve peak")
    print(f"{target.name}: {target.measured} ({'met' if target.met else 'NOT met'})")
    write_section("serve_memory", "Serve memory", markdown(rows, len(queries), seconds, clusters,
                                                           time.perf_counter() - started), [target])


def fmt_errors(kinds: dict[str, int]) -> str:
    return f"({', '.join(f'{k}: {n}' for k, n in sorted(kinds.items()))}) " if kinds else ""


def markdown(rows: list[dict], queries: int, seconds: float, clusters: int, wall: float) -> str:
    notes = (f"{clusters} clusters. {CLIENTS} keep-alive clients for {seconds:g} s per server. Ours gets every "
             f"named query ({queries}, default parameters, `?timeout={LIMIT_S}`) and {len(PAGES)} HTML pages "
             f"({', '.join(f'`{p}`' for p in PAGES)}) plus the VoID description (Turtle) in turn; oxigraph serve "
             f"gets the same {queries} SPARQL texts "
             f"(it has no pages), with `--union-default-graph`. Memory: summed RSS of the server process and all "
             f"its child processes (our query workers), sampled every 50 ms with psutil; shared pages count once "
             f"per process, so ours (three processes by default) is overstated. Answers stopped at the time limit "
             f"count as errors (HTTP 503 for ours; a timeout or error status for oxigraph serve). Ours runs with its "
             f"answer cache off, so every request runs its query as the mix repeats; the cache, on by default, "
             f"adds at most `answer_cache_mb` (32 MB) to the server process. "
             f"Wall time: {wall:.0f} s.")
    lines = ["| server | idle MB | peak MB | after load MB | processes at peak | answers | errors |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['server']} | {r['idle_mb']:.0f} | {r['peak_mb']:.0f} | {r['after_mb']:.0f} | "
                     f"{r['processes']} | {r['answers']} | {r['errors']} {fmt_errors(r['error_kinds'])}|")
    return notes + "\n\n" + "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
