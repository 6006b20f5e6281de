"""Load test (issue 6, part 1): 32 concurrent clients for 60 s against a real ``clustergraph serve`` on
127.0.0.1, mixing light named queries, heavy analytical queries and resource pages.

What it checks and prints:

- **errors**: every answer is a 200, or a deliberate 503 carrying ``Retry-After`` (workers busy, or a query
  stopped at the time limit); anything else (other statuses, refused or dropped connections, client
  timeouts) is an error;
- **latency** per class (p50, p95, p99, max of the 200s); target: light-query p99 under 1 s while the heavy
  queries run;
- **memory**: summed RSS of the server and its workers, sampled every 0.5 s; target: no growth (the median of
  the last quarter of the run within 10% of the median of the second quarter);
- **CPU after the run**: seconds from the last answer until the process tree stays under 10% of one core
  for a whole second; target: a few seconds (5 s);
- the workers' admission counts (``/api/status``) at the end.

It is bounded and stops itself: clients stop sending at the deadline, each request has a timeout, and the
server is stopped at the end. Only 127.0.0.1 is contacted.

Data: synthetic ECCP scale (1,200 clusters, about 0.93M triples, generated once under ``.bench/``), where the
heavy mix holds the slowest named queries and ad-hoc aggregations. ``--quick`` uses the project's curated
data (a region, about 9k triples) built into a temporary store, whose heavy mix is a self-join that takes
about a second; CI runs it (tests/test_load.py) for 15 s.

Part 2 (``--attacks``, issue 16; bench/attacks.py): a light client sending one light query a second beside
each of a series of anonymous attacks (VoID, browse searches, the whole store, 1 MB query texts, a dump, the
service description, all at once), on a fresh server over a private copy of the store; its table sits beside
the tester's figures. ``--attacks-only`` skips part 1 and replaces only the attack part of the saved section.

Usage: ``python bench/load.py [--quick] [--seconds 60] [--clients 32] [--attacks | --attacks-only]
[--attack-rows quiet,void,...]`` (exit 1 when a check fails; ``make load`` runs the full form).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import attacks as attack_rows
import psutil
from common import (
    ECCP_CLUSTERS,
    ROOT,
    SECTIONS,
    Target,
    built_store,
    finish_section,
    machine,
    percentile,
    synth_project,
)
from endpoints import Request, read_response
from live import start_server

from clustergraph.querying.pool import RECYCLE_MB, RECYCLE_SEAT_MB

LIGHT_P99_S = 1.0
TITLE = "Load: 32 clients (light, heavy, pages), and a light client beside anonymous attacks"
ATTACK_HEADING = "### A light client beside anonymous attacks (issue 16)"
MEMORY_GROWTH = 0.10
IDLE_WITHIN_S = 5.0
IDLE_CPU = 0.10  # of one core

LIGHT_NAMED = ["clusters-per-pnrr-component", "clusters-per-s3-ecosystem", "regional-indicators", "sources-of-fact",
               "success-stories", "vanguard-pilots"]
LIGHT_SPARQL = [
    "ASK { ?cluster a <https://w3id.org/clustergraph/ontology#Cluster> }",
    "SELECT ?label WHERE { <https://w3id.org/clustergraph/id/afil> "
    "<http://www.w3.org/2004/02/skos/core#prefLabel> ?label }",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { <https://w3id.org/clustergraph/id/afil> ?p ?o } } GROUP BY ?g",
]
HEAVY_NAMED = ["clusters-per-initiative", "member-counts-by-category", "network-participations", "search-by-name",
               "network-alignments", "eccp-clusters"]
HEAVY_SPARQL = [
    "SELECT ?p (COUNT(*) AS ?n) (COUNT(DISTINCT ?s) AS ?subjects) WHERE { ?s ?p ?o } GROUP BY ?p "
    "ORDER BY DESC(?n)",
    "SELECT ?s ?o WHERE { ?s ?p ?o FILTER (isLiteral(?o) && REGEX(STR(?o), 'innov.*tion', 'i')) } "
    "ORDER BY ?s LIMIT 1000",
    # stopped at the time limit at ECCP scale: a deliberate 503
    "SELECT ?a (COUNT(DISTINCT ?c) AS ?reach) WHERE { ?a ?p ?b . ?b ?q ?c } GROUP BY ?a ORDER BY DESC(?reach) "
    "LIMIT 50",
]
QUICK_HEAVY_SPARQL = [
    "SELECT ?a ?b (COUNT(DISTINCT ?x) AS ?shared) WHERE { ?a ?p ?x . ?b ?p ?x . FILTER (STR(?a) < STR(?b)) } "
    "GROUP BY ?a ?b ORDER BY DESC(?shared) LIMIT 100",
    "SELECT ?a ?b (COUNT(DISTINCT ?x) AS ?shared) WHERE { ?a ?p ?x . ?b ?p ?x . FILTER (STR(?a) > STR(?b)) } "
    "GROUP BY ?a ?b ORDER BY DESC(?shared) LIMIT 100",
]
QUICK_PAGES = ["/id/afil", "/id/cat-al", "/id/clm", "/id/cluster-tav", "/id/ara", "/browse/clusters",
               "/ontology", "/"]


@dataclass(frozen=True)
class Mix:
    """The requests of one class, and how many of the clients send them."""

    name: str
    clients: int
    requests: list[tuple[str, Request]]


@dataclass
class Outcome:
    """One answered (or failed) request."""

    klass: str
    label: str
    status: int  # 0: no HTTP answer (connection refused or dropped, client timeout)
    seconds: float
    retry_after: bool = False
    error: str = ""
    at: float = 0.0  # when it was sent (time.monotonic())


def get(path: str) -> Request:
    return Request("GET", path, headers=(("Accept", "application/json, text/html;q=0.9, */*;q=0.1"),))


def sparql(query: str) -> Request:
    return Request("POST", "/sparql", query.encode(), (("Content-Type", "application/sparql-query"),
                                                       ("Accept", "application/sparql-results+json")))


def mixes(clients: int, *, quick: bool, cluster_ids: list[str]) -> list[Mix]:
    """Half the clients send light queries, a quarter heavy ones, a quarter pages."""
    heavy_n = max(1, clients // 4)
    pages_n = max(1, clients // 4)
    light_n = clients - heavy_n - pages_n
    light = [(f"named {n}", get(f"/api/queries/{n}")) for n in LIGHT_NAMED]
    light += [(f"sparql light {i}", sparql(q)) for i, q in enumerate(LIGHT_SPARQL)]
    if quick:
        heavy = [(f"sparql heavy {i}", sparql(q)) for i, q in enumerate(QUICK_HEAVY_SPARQL)]
        pages = [(f"page {p}", get(p)) for p in QUICK_PAGES]
    else:
        heavy = [(f"named {n}", get(f"/api/queries/{n}")) for n in HEAVY_NAMED]
        heavy += [(f"sparql heavy {i}", sparql(q)) for i, q in enumerate(HEAVY_SPARQL)]
        pages = [(f"page /id/{c}", get(f"/id/{quote(c)}")) for c in cluster_ids]
        pages += [("page /", get("/")), ("page /queries", get("/queries")),
                  ("page /queries/vanguard-pilots", get("/queries/vanguard-pilots"))]
    return [Mix("light", light_n, light), Mix("heavy", heavy_n, heavy), Mix("pages", pages_n, pages)]


class TreeSampler:
    """Samples the summed RSS and CPU seconds of a process and its children every ``every`` seconds."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        self.root = psutil.Process(pid)
        self.every = every
        self.samples: list[tuple[float, int, float, int]] = []  # (time, rss bytes, cpu seconds, processes)
        self.server_samples: list[tuple[float, int]] = []  # (time, rss bytes of the server process alone)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> TreeSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def measure(self) -> tuple[int, float, int]:
        rss, cpu, count = 0, 0.0, 0
        try:
            tree = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0, 0.0, 0
        for process in tree:
            try:
                if process is self.root:
                    self.server_samples.append((time.monotonic(), process.memory_info().rss))
                rss += process.memory_info().rss
                times = process.cpu_times()
                cpu += times.user + times.system
                count += 1
            except psutil.NoSuchProcess:
                continue
        return rss, cpu, count

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), *self.measure()))
            self._stop.wait(self.every)


async def client(host: str, port: int, mix: Mix, offset: int, stop_at: float, timeout: float,
                 out: list[Outcome]) -> None:
    """Send the mix's requests in turn (from ``offset``) on one keep-alive connection until ``stop_at``."""
    reader = writer = None
    i = offset
    while time.monotonic() < stop_at:
        label, request = mix.requests[i % len(mix.requests)]
        i += 1
        sent = time.monotonic()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(request.encode(f"{host}:{port}"))
            status, headers, keep_alive = await asyncio.wait_for(read_response(reader), timeout)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
            out.append(Outcome(mix.name, label, 0, time.monotonic() - sent, error=type(exc).__name__, at=sent))
            if writer is not None:
                writer.close()
            writer = None
            continue
        out.append(Outcome(mix.name, label, status, time.monotonic() - sent, "retry-after" in headers, at=sent))
        if not keep_alive:
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def drive(url: str, plan: list[Mix], seconds: float, timeout: float) -> tuple[list[Outcome], float]:
    """Run every client of every mix until ``seconds`` pass; the outcomes and when the last answer came."""
    host, port = url.removeprefix("http://").split(":")
    out: list[Outcome] = []
    stop_at = time.monotonic() + seconds
    await asyncio.gather(*(client(host, int(port), mix, n * max(1, len(mix.requests) // mix.clients), stop_at,
                                  timeout, out)
                           for mix in plan for n in range(mix.clients)))
    return out, time.monotonic()


def seconds_to_idle(sampler: TreeSampler, since: float, limit: float) -> float | None:
    """Seconds from ``since`` until the tree used under IDLE_CPU of a core over a whole second, or None."""
    samples: list[tuple[float, float]] = []
    while time.monotonic() < since + limit + 1.0:
        now = time.monotonic()
        samples.append((now, sampler.measure()[1]))
        old = [(t, c) for t, c in samples if t <= now - 1.0]
        if old:
            first_t, first_c = old[-1]  # the latest sample at least a second old
            if (samples[-1][1] - first_c) / (now - first_t) < IDLE_CPU:
                return max(0.0, first_t - since)
        time.sleep(0.1)
    return None


def busiest(sampler: TreeSampler, seconds: float = 1.0) -> list[str]:
    """The processes of the tree that used CPU over ``seconds``, busiest first (to explain a slow return to
    idle)."""
    def times() -> dict[int, tuple[str, float]]:
        found = {}
        for process in [sampler.root, *sampler.root.children(recursive=True)]:
            try:
                cpu = process.cpu_times()
                found[process.pid] = (" ".join(process.cmdline()[1:3]), cpu.user + cpu.system)
            except psutil.NoSuchProcess:
                continue
        return found

    before = times()
    time.sleep(seconds)
    after = times()
    used = sorted(((after[p][1] - before.get(p, ("", 0.0))[1], after[p][0]) for p in after), reverse=True)
    return [f"{cpu / seconds:.0%} {name}" for cpu, name in used if cpu > 0.01]


def memory_growth(samples: list[tuple[float, int, float, int]]) -> tuple[float, int, int, int]:
    """(growth ratio, second-quarter median, last-quarter median, peak) of the RSS samples taken under load."""
    rss = [s[1] for s in samples]
    quarter = max(1, len(rss) // 4)
    second = sorted(rss[quarter:2 * quarter] or rss)[len(rss[quarter:2 * quarter] or rss) // 2]
    last = sorted(rss[-quarter:])[len(rss[-quarter:]) // 2]
    return (last - second) / second if second else 0.0, second, last, max(rss)


def summarise(outcomes: list[Outcome]) -> dict[str, dict]:
    """Per class: counts by status and latency percentiles of the 200s."""
    table: dict[str, dict] = {}
    for klass in ("light", "heavy", "pages"):
        mine = [o for o in outcomes if o.klass == klass]
        ok = [o.seconds for o in mine if o.status == 200]
        busy = [o for o in mine if o.status == 503]
        table[klass] = {
            "requests": len(mine),
            "ok": len(ok),
            "503": len(busy),
            "503 without Retry-After": sum(1 for o in busy if not o.retry_after),
            "errors": sum(1 for o in mine if o.status not in (200, 503)),
            "p50": percentile(ok, 50), "p95": percentile(ok, 95), "p99": percentile(ok, 99),
            "max": max(ok, default=float("nan")),
        }
    return table


def unexpected(outcomes: list[Outcome]) -> Counter:
    """Everything that is neither a 200 nor a 503 with Retry-After, by kind."""
    kinds: Counter = Counter()
    for o in outcomes:
        if o.status == 200 or (o.status == 503 and o.retry_after):
            continue
        kinds[f"{o.klass} {o.label}: " + (f"HTTP {o.status}" if o.status else o.error)] += 1
    return kinds


def follow_status(url: str, trace: list[tuple[float, dict]], seconds: float) -> None:
    """Sample ``/api/status`` every 0.5 s for ``seconds`` (printed with ``--trace``)."""
    import httpx

    started = time.monotonic()
    with httpx.Client(base_url=url, timeout=5) as client:
        while time.monotonic() - started < seconds:
            try:
                trace.append((time.monotonic() - started, client.get("/api/status").json()))
            except httpx.HTTPError as exc:
                trace.append((time.monotonic() - started, {"error": type(exc).__name__}))
            time.sleep(0.5)


def wait_for_warm_ups(url: str, patience: float = 600.0) -> None:
    """Wait until the pages computed at start (the default network view, the home page's facts, which the
    build-files child computes once per build) answer 200; a 503 while they are computed is asked again."""
    import httpx

    give_up = time.monotonic() + patience
    for warmed in ("/network/collaboration/graph", "/"):
        while True:
            response = httpx.get(url + warmed, timeout=patience)
            if response.status_code != 503 or time.monotonic() > give_up:
                response.raise_for_status()
                break
            time.sleep(1.0)
    # and for the rest of the start-up batch (labels, browse lists, VoID statistics), computed at low priority:
    # start-up work, not part of the load
    while httpx.get(url + "/api/status", timeout=30).json().get("build_files_pending") and \
            time.monotonic() < give_up:
        time.sleep(1.0)


def fetch_status(url: str) -> dict:
    import httpx

    return httpx.get(url + "/api/status", timeout=10).json()


def prepare(quick: bool, work: Path) -> tuple[Path, list[str], str]:
    """The store to serve, cluster ids for resource pages, and a description of the data."""
    if quick:
        from clustergraph.kg.build import build
        from clustergraph.kg.layout import Layout
        from clustergraph.kg.store import StoreRoot

        store = work / "store"
        report = build(Layout(ROOT), StoreRoot(store))
        return store, [], f"the curated project data ({report.quads:,} quads)"
    project = synth_project(ECCP_CLUSTERS)
    ids = [f"synth-cluster-{i:05d}" for i in range(1, ECCP_CLUSTERS + 1)]
    random.Random(6).shuffle(ids)  # every cluster's page, in an order no cache has seen
    return built_store(project), ids, f"synthetic ECCP scale ({ECCP_CLUSTERS:,} clusters, about 0.93M triples)"


@dataclass
class Run:
    """What one load run against one server saw."""

    outcomes: list[Outcome]
    plan: list[Mix]
    before: dict
    after: dict
    rss_before: int
    samples: list[tuple[float, int, float, int]]
    last_answer: float
    idle_after: float | None
    busy: list[str]
    trace: list[tuple[float, dict]]
    server_samples: list[tuple[float, int]]  # the server process alone (the rest: query workers)


def run_load(store: Path, plan: list[Mix], args: argparse.Namespace, serve: dict[str, str]) -> Run:
    """Start a server over ``store`` with ``serve`` settings, drive ``plan`` at it, watch it go idle."""

    with start_server(store.resolve(), time_limit=str(args.time_limit), **serve) as server:
        wait_for_warm_ups(server.url)
        before = fetch_status(server.url)
        sampler = TreeSampler(server.process.pid).start()
        time.sleep(1.0)
        rss_before = sampler.samples[-1][1]
        trace: list[tuple[float, dict]] = []
        tracer = threading.Thread(target=follow_status, args=(server.url, trace, args.seconds + 2), daemon=True)
        tracer.start()
        outcomes, last_answer = asyncio.run(drive(server.url, plan, args.seconds, args.time_limit + 10))
        tracer.join()
        samples = list(sampler.samples)
        server_samples = [(at, rss, 0.0, 1) for at, rss in sampler.server_samples if at <= last_answer]
        busy = busiest(sampler)
        idle_after = seconds_to_idle(sampler, last_answer, IDLE_WITHIN_S + 5)
        sampler.stop()
        after = fetch_status(server.url)
    return Run(outcomes, plan, before, after, rss_before, [s for s in samples if s[0] <= last_answer],
               last_answer, idle_after, busy, trace, server_samples)


def checks_of(run: Run) -> dict[str, bool]:
    """The issue's conditions, each met or not."""
    table = summarise(run.outcomes)
    growth = memory_growth(run.samples)[0]
    return {
        "no errors except 503 with Retry-After": not unexpected(run.outcomes),
        f"light-query p99 < {LIGHT_P99_S:g} s": table["light"]["p99"] < LIGHT_P99_S,
        f"memory stable (last quarter within {MEMORY_GROWTH:.0%} of second quarter)": growth <= MEMORY_GROWTH,
        f"CPU idle within {IDLE_WITHIN_S:g} s after the run":
            run.idle_after is not None and run.idle_after <= IDLE_WITHIN_S,
        "every class got answers": all(table[m.name]["ok"] > 0 for m in run.plan),
        "workers back to full strength": run.after.get("live_workers") == run.before.get("live_workers"),
    }


def describe(run: Run) -> list[str]:
    """The run's table, memory, CPU and admission lines (Markdown)."""
    table = summarise(run.outcomes)
    growth, second_q, last_q, peak = memory_growth(run.samples)
    server_growth, server_second, server_last, _ = memory_growth(run.server_samples)
    lines = ["| class | requests | 200 | 503 (Retry-After) | other errors | p50 | p95 | p99 | max |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for klass, row in table.items():
        lines.append(f"| {klass} | {row['requests']} | {row['ok']} | {row['503']} "
                     f"({row['503'] - row['503 without Retry-After']}) | {row['errors']} | {_ms(row['p50'])} | "
                     f"{_ms(row['p95'])} | {_ms(row['p99'])} | {_ms(row['max'])} |")
    idle = (f"{run.idle_after:.1f} s." if run.idle_after is not None else
            f"more than {IDLE_WITHIN_S + 5:g} s (busy in the first second: {'; '.join(run.busy) or 'nothing'}).")
    return lines + [
        "",
        f"Memory (server + workers): {_mib(run.rss_before)} before, {_mib(second_q)} in the second quarter, "
        f"{_mib(last_q)} in the last quarter ({growth:+.1%}), peak {_mib(peak)}. Of that, the server process alone "
        f"(the one that lives through the run; query workers are replaced once they hold more than "
        f"{RECYCLE_MB} MB, the short-query process {RECYCLE_SEAT_MB} MB more per further seat): "
        f"{_mib(server_second)} and {_mib(server_last)} ({server_growth:+.1%}).",
        f"CPU after the last answer: under {IDLE_CPU:.0%} of a core after {idle}",
        f"Admission at the end: {run.after.get('restarted_as_long', 0)} overrunning short queries restarted as "
        f"long, {run.after.get('rerun_after_a_sibling_was_stopped', 0)} queries run again because their process "
        f"was stopped for another seat's query, {run.after.get('remembered_long', 0)} query texts remembered as "
        f"long, {run.after.get('live_workers')} live query slots in {run.after.get('worker_processes')} processes, "
        f"{run.after.get('recycled_for_memory', 0)} workers replaced for memory.",
    ]


def print_trace(run: Run) -> None:
    """The slowest light answers and the admission counts over time (``--trace``)."""
    begin = min(o.at for o in run.outcomes)
    print("slowest light answers (sent at s, seconds, what):")
    for o in sorted((o for o in run.outcomes if o.klass == "light"), key=lambda o: -o.seconds)[:12]:
        print(f"  {o.at - begin:6.2f} {o.seconds:6.2f} {o.label} {o.status}")
    keys = ("busy_short_slots", "busy_long_slots", "waiting_short", "waiting_long", "live_workers",
            "restarted_as_long")
    print("t(s)  " + " ".join(keys))
    for t, row in run.trace:
        print(f"{t:5.1f} " + " ".join(f"{row.get(k, '-')!s:>{len(k)}}" for k in keys))


def main() -> int:
    args = parse_args()
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="clustergraph-load-"))
    lines: list[str] = []
    targets: list[Target] = []
    figures: dict = {}
    ok = True
    try:
        store, cluster_ids, data = prepare(args.quick, work)
        # the answer cache off unless asked for: the clients repeat their requests, and the test is about the
        # query workers under load, which answers from memory would spare
        serve = {"answer_cache_mb": "0", **dict(item.split("=", 1) for item in args.serve)}
        if not args.attacks_only:
            plan = [m for m in mixes(args.clients, quick=args.quick, cluster_ids=cluster_ids)
                    if m.name in args.classes.split(",")]
            run = run_load(store, plan, args, serve)
            base = run_load(store, plan, args, {**serve, "reserved_workers": "0"}) if args.baseline else None
            lines, targets, figures, ok = load_part(run, base, plan, args, data)
        if args.attacks or args.attacks_only:
            more_lines, more_targets, more_figures, more_ok = attack_part(store, work, args, serve, data)
            lines, targets, ok = [*lines, *more_lines], [*targets, *more_targets], ok and more_ok
            figures.update(more_figures)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n")
    if args.quick:
        print("\n".join(lines))
    else:
        if args.attacks_only:
            lines, targets = keep_load_part(lines, targets)
        finish_section("load", TITLE, lines, targets, started)
    return 0 if ok else 1


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="curated region data (CI's shortened form)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--time-limit", type=float, default=10.0, help="the server's query time limit")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    parser.add_argument("--serve", action="append", default=[], metavar="NAME=VALUE",
                        help="a server setting, e.g. --serve workers=4 (default: the settings' defaults, but "
                             "answer_cache_mb=0)")
    parser.add_argument("--baseline", action="store_true",
                        help="then run the same load with no workers kept for short queries "
                             "(reserved_workers=0: first come, first served) and print the ratios")
    parser.add_argument("--trace", action="store_true", help="print the workers' admission counts every 0.5 s")
    parser.add_argument("--classes", default="light,heavy,pages",
                        help="which client classes run (to see what each costs the others)")
    parser.add_argument("--attacks", action="store_true",
                        help="then run the attack rows (issue 16): a light client beside each anonymous attack")
    parser.add_argument("--attacks-only", action="store_true",
                        help="only the attack rows; the saved section keeps its earlier 32-client part")
    parser.add_argument("--attack-rows", default="all", type=attack_rows.row_names,
                        help="which attack rows, in order: quiet, void, browse, store, bigquery, dump, service, "
                             "mix (all of them at once); default all")
    return parser.parse_args()


def load_part(run: Run, base: Run | None, plan: list[Mix], args: argparse.Namespace,
              data: str) -> tuple[list[str], list[Target], dict, bool]:
    """Part 1's lines, targets, figures and whether every check passed."""
    checks = checks_of(run)
    table = summarise(run.outcomes)
    growth, _, _, peak = memory_growth(run.samples)
    problems = unexpected(run.outcomes)
    light_p99 = table["light"]["p99"]
    lines = [
        f"{args.clients} clients for {args.seconds:g} s on {data}; server time limit {args.time_limit:g} s, "
        f"{run.before['slots']} workers ({run.before['reserved_for_short']} kept for short queries, a query is "
        f"long after {run.before['long_after_seconds']:g} s of CPU). Clients: "
        f"{', '.join(f'{m.clients} {m.name}' for m in plan)}.",
        "",
        *describe(run),
        "",
        *[f"- [{'x' if ok else ' '}] {name}" for name, ok in checks.items()],
    ]
    if problems:
        lines += ["", "Unexpected answers:", *[f"- {kind}: {n}" for kind, n in problems.most_common(20)]]
    if base is not None:
        base_table = summarise(base.outcomes)
        lines += ["", "Baseline, the same load on the same server with no workers kept for short queries "
                  "(`reserved_workers=0`: first come, first served):", "", *describe(base), "",
                  "Ours against the baseline: light p99 "
                  f"{_ratio(base_table['light']['p99'], light_p99)} lower, light answers "
                  f"{_ratio(table['light']['ok'], base_table['light']['ok'])}, heavy answers "
                  f"{_ratio(table['heavy']['ok'], base_table['heavy']['ok'])}, pages "
                  f"{_ratio(table['pages']['ok'], base_table['pages']['ok'])}."]
    figures = {"table": table, "memory_growth": growth, "peak_rss": peak, "idle_after_s": run.idle_after,
               "status": run.after, "checks": checks, "unexpected": dict(problems),
               "baseline": summarise(base.outcomes) if base is not None else None}
    targets = [
        Target(f"Light-query p99, {args.clients} clients with heavy queries running", "< 1 s",
               _ms(light_p99) + (f" (first come, first served: {_ms(summarise(base.outcomes)['light']['p99'])})"
                                 if base is not None else ""),
               light_p99 / LIGHT_P99_S, light_p99 < LIGHT_P99_S),
        Target("Errors other than 503 with Retry-After", "0", str(sum(problems.values())), None,
               not problems),
        Target("Memory growth under load (last vs second quarter)", f"<= {MEMORY_GROWTH:.0%}",
               f"{growth:+.1%}", None, growth <= MEMORY_GROWTH),
        Target("CPU back to idle after the run", f"<= {IDLE_WITHIN_S:g} s",
               "n/a" if run.idle_after is None else f"{run.idle_after:.1f} s", None,
               run.idle_after is not None and run.idle_after <= IDLE_WITHIN_S),
    ]
    if args.trace:
        print_trace(run)
    return lines, targets, figures, all(checks.values())




def attack_part(store: Path, work: Path, args: argparse.Namespace, serve: dict[str, str],
                data: str) -> tuple[list[str], list[Target], dict, bool]:
    """Part 2: the attack rows on a fresh server over a private copy of ``store`` (so the dumps it writes land
    in the copy); the lines, targets, figures and whether both checks passed."""

    copy = work / "attack-store"
    shutil.copytree(store, copy, symlinks=True, ignore=shutil.ignore_patterns("dumps", "build-files"))
    with start_server(copy.resolve(), time_limit=str(args.time_limit), **serve) as server:
        wait_for_warm_ups(server.url)
        before = fetch_status(server.url)
        sampler = TreeSampler(server.process.pid).start()
        try:
            rows = attack_rows.run_rows(server.url, args.attack_rows, quick=args.quick, peak_rss=lambda since: max(
                (rss for at, rss, _, _ in list(sampler.samples) if at >= since), default=0))
        finally:
            sampler.stop()
    problems: Counter = sum((row.unexpected() for row in rows), Counter())
    where = machine()
    p99s = {row.name: row.figures()["light p99 s"] for row in rows}
    worst = max(p99s, key=lambda n: -1.0 if math.isnan(p99s[n]) else p99s[n])
    met = all(p < LIGHT_P99_S for p in p99s.values())  # NaN (no answer at all) fails
    lines = [
        "", ATTACK_HEADING, "",
        f"On {data}: a fresh server (time limit {args.time_limit:g} s, {before['slots']} workers, "
        f"{'settings ' + ', '.join(f'{k}={v}' for k, v in serve.items()) if serve else 'default settings'}) "
        "over a private copy of the store. Each row sends its anonymous requests (no token; each bounded by a "
        f"{attack_rows.CLIENT_TIMEOUT_S:g} s client timeout, counted as an error when it runs out) while one light "
        "client sends a light `/sparql` query once a second (a fixed SELECT, then an ASK on a new IRI). Statuses: "
        "200 / refused as designed (400 or 413, the 1 MB texts only) / 503 with Retry-After / other. Loop lag: "
        "`/api/status?lag_seconds=` over the row (how late a 50 ms sleep in the server woke). Peak RSS: the "
        "server and its workers during the row. \"before (issue 16)\" is what the tester's light client saw "
        "beside the same attack.", "",
        *attack_rows.table(rows), "",
        f"Measured on {where['cpu']} ({where['cores']} cores), {where['date']}.", "",
        f"- [{'x' if met else ' '}] light-query p99 < {LIGHT_P99_S:g} s in every row (worst: {worst})",
        f"- [{'x' if not problems else ' '}] no unexpected answers (anything but 200, the designed refusals and "
        "503 with Retry-After)",
    ]
    if problems:
        lines += ["", "Unexpected answers under attack:", *[f"- {k}: {n}" for k, n in problems.most_common(20)]]
    targets = [
        Target("Light-query p99 beside each anonymous attack (issue 16)", f"< {LIGHT_P99_S:g} s in every row",
               f"worst {_ms(p99s[worst])} ({worst}); quiet {_ms(p99s.get('quiet', float('nan')))}",
               None if math.isnan(p99s[worst]) else p99s[worst] / LIGHT_P99_S, met),
        Target("Unexpected answers under attack", "0", str(sum(problems.values())), None, not problems),
    ]
    figures = {"attacks": {row.name: row.figures() for row in rows}, "attack_unexpected": dict(problems)}
    return lines, targets, figures, met and not problems


def keep_load_part(lines: list[str], targets: list[Target]) -> tuple[list[str], list[Target]]:
    """The saved section's 32-client part (everything before the attack heading) and its targets, followed by
    the new attack ``lines`` and ``targets`` (``--attacks-only``)."""
    saved = SECTIONS / "load.json"
    if not saved.exists():
        return lines, targets
    section = json.loads(saved.read_text())
    body = section["body"].split("\n" + ATTACK_HEADING)[0].rstrip().split("\n")
    body = [f"Part 1 wall time {line.removeprefix('Benchmark wall time ')}" if line.startswith("Benchmark wall")
            else line for line in body]
    names = {t.name for t in targets}
    kept = [Target(**t) for t in section["targets"] if t["name"] not in names]
    return [*body, *lines], [*kept, *targets]


def _ratio(ours: float, other: float) -> str:
    return "n/a" if not other or ours != ours or other != other else f"{ours / other:.1f}x"


def _ms(seconds: float) -> str:
    return "n/a" if seconds != seconds else f"{seconds * 1000:.0f} ms"


def _mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"


if __name__ == "__main__":
    sys.exit(main())
