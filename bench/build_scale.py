"""Build at ECCP scale: ``clustergraph build`` (parse, validate, load) against a bare Oxigraph bulk load.

What it measures, each run in a fresh Python subprocess (so peak memory is that run's own RSS high-water mark,
``ru_maxrss``) with a timeout (a build that does not finish is recorded as such, never waited for):

- ours: ``build.build(Layout(project), StoreRoot(fresh dir))`` on the synthetic ECCP project
  (``common.synth_project()``: 1,200 clusters, about 0.93M triples), with parse, validate and load seconds
  apart (``BuildReport.seconds``; validation is the SHACL check of the shapes);
- baseline: a bare ``pyoxigraph.Store(fresh dir).bulk_load(path=file, to_graph=graph)`` of the same files into
  the same named graphs (ontology + one graph per ``data/`` folder), no validation, no Python-side parsing.
  It is the floor for getting these triples into Oxigraph at all.

Target (issue 5): build time at most 3x the bare bulk load. Also printed: peak memory of both, and linear
growth of the build at 1x, 2x and 4x ECCP scale (1,200 / 2,400 / 4,800 clusters; time and memory ratios
between the steps, and seconds and MiB per million triples; the triple counts grow a little faster than
the clusters, so the per-million figures are what to compare).

Usage: ``python bench/build_scale.py [--quick] [--repeat 2] [--timeout 150] [--growth-timeout 360]
[--no-growth] [--growth-baseline]``.
``--quick`` runs at 48 clusters (growth 48/96/192) in well under a minute.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    ECCP_CLUSTERS,
    WORK,
    Target,
    finish_section,
    fmt_ratio,
    median,
    synth_project,
)

MIB = 1024 * 1024
GROWTH = (1, 2, 4)
STEP_TEXT = {"parse": "parse", "shapes": "read the shapes", "load": "parse + load into the store",
             "labels": "derive labels and search keys (beside the first checks)",
             "add_labels": "add them to the store", "search_keys": "search keys",
             "validate": "validate (SHACL shapes; includes the two steps above)",
             "compact": "compact the store (beside the last checks)",
             "compact_wait": "wait for the compaction after the checks", "publish": "count, flush, publish"}


# --- the child processes: one build or one bare bulk load, reporting JSON on the last stdout line ---------

def child_build(project: Path, store_root: Path) -> dict:
    from clustergraph.kg.build import build
    from clustergraph.kg.layout import Layout
    from clustergraph.kg.store import StoreRoot

    started = time.perf_counter()

    def progress(message: str) -> None:  # the parent reads the last line to name the step a timeout hit
        print(f"{time.perf_counter() - started:.2f} {message}", file=sys.stderr, flush=True)

    report = build(Layout(project), StoreRoot(store_root), progress=progress)
    return {"quads": report.quads, "files": report.files, "seconds": report.seconds,
            "warnings": len(report.warnings)}


def child_bare(project: Path, store_dir: Path) -> dict:
    import pyoxigraph as ox

    from clustergraph.iris import ONTOLOGY_GRAPH, graph_for_folder
    from clustergraph.kg.layout import Layout

    layout = Layout(project)
    sources = [(path, ONTOLOGY_GRAPH) for path in layout.ontology_files()]
    sources += [(path, graph_for_folder(folder.name)) for folder in layout.data_folders()
                for path in layout.data_files(folder)]
    started = time.perf_counter()
    store = ox.Store(str(store_dir))
    for path, graph in sources:
        fmt = ox.RdfFormat.from_extension(path.suffix.lstrip(".")) or ox.RdfFormat.TURTLE
        store.bulk_load(path=str(path), format=fmt, to_graph=ox.NamedNode(graph))
    store.flush()
    seconds = time.perf_counter() - started
    quads = len(store)
    del store
    return {"quads": quads, "files": len(sources), "seconds": {"total": seconds}}


def run_child(kind: str, project: Path, timeout: float) -> dict:
    """Run one ``kind`` ("build" or "bare") in a subprocess into a fresh temp dir under ``.bench/``."""
    WORK.mkdir(parents=True, exist_ok=True)
    target = Path(tempfile.mkdtemp(prefix=f"tmp-{kind}-", dir=WORK))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, str(project), str(target)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        steps = [line for line in err.splitlines() if line[:1].isdigit()]
        return {"finished": False, "why": f"did not finish in {timeout:.0f} s",
                "stage": steps[-1].split(" ", 1)[1] if steps else "starting", "progress": steps}
    finally:
        shutil.rmtree(target, ignore_errors=True)
    if proc.returncode != 0:
        last = (err.strip().splitlines() or ["no output"])[-1]
        return {"finished": False, "why": f"failed (exit {proc.returncode}): {last[:300]}", "stage": ""}
    result = json.loads(out.strip().splitlines()[-1])
    result.update(finished=True, wall=time.perf_counter() - started)
    return result


def child_main(kind: str, project: Path, target: Path) -> None:
    result = (child_build if kind == "build" else child_bare)(project, target)
    result["maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps(result), flush=True)


# --- the parent -------------------------------------------------------------------------------------------

def mem_available_mib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return float("inf")


def triple_count(project: Path) -> int:
    """Lines of the N-Triples files plus the triples of the Turtle ones (what the build will load)."""
    import pyoxigraph as ox

    total = 0
    for path in sorted((project / "data").rglob("*")) + sorted((project / "ontology").rglob("*.ttl")):
        if path.suffix == ".nt":
            with open(path, "rb") as handle:
                total += sum(1 for line in handle if line.strip() and not line.startswith(b"#"))
        elif path.suffix == ".ttl":
            total += sum(1 for _ in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    return total


def eccp_runs(project: Path, repeat: int, timeout: float, log) -> tuple[list[dict], list[dict]]:
    """Interleaved bare loads and builds (bare, build, bare, build, ...); stops building after a timeout."""
    bare, builds = [], []
    for rep in range(repeat):
        run = run_child("bare", project, timeout)
        log(f"  bare bulk load  #{rep + 1}: {describe(run)}")
        bare.append(run)
        if builds and not builds[-1]["finished"]:
            continue
        run = run_child("build", project, timeout)
        log(f"  build           #{rep + 1}: {describe(run)}")
        builds.append(run)
    return bare, builds


def describe(run: dict) -> str:
    if not run["finished"]:
        return f"{run['why']} (in: {run['stage'] or 'n/a'})"
    s = run["seconds"]
    steps = " ".join(f"{k} {v:.1f}" for k, v in s.items() if k != "total")
    return f"{s['total']:.1f} s ({steps + ', ' if steps else ''}{run['quads']:,} quads, peak {run['maxrss_mib']:,.0f} MiB)"


def step_names(runs: list[dict]) -> list[str]:
    """The steps ``BuildReport.seconds`` reports, in the order the build ran them (``total`` left out)."""
    names: list[str] = []
    for run in runs:
        if run["finished"]:
            names += [k for k in run["seconds"] if k != "total" and k not in names]
    return names


def med(runs: list[dict], key: str) -> float | None:
    values = [r["seconds"][key] for r in runs if r["finished"] and key in r["seconds"]]
    return median(values) if values else None


def med_mem(runs: list[dict]) -> float | None:
    values = [r["maxrss_mib"] for r in runs if r["finished"]]
    return median(values) if values else None


def growth_runs(clusters: list[int], eccp: dict, args, log) -> list[dict]:
    """One build (and with --growth-baseline one bare load) at each larger scale; 1x reuses the ECCP medians."""
    rows = [eccp]
    for k, count in zip(GROWTH[1:], clusters[1:]):
        previous = rows[-1]
        if previous["build"] is None:
            rows.append({"k": k, "clusters": count, "skipped": "the smaller scale did not finish"})
            continue
        project = synth_project(clusters=count)
        triples = triple_count(project)
        factor = triples / previous["triples"]
        need = previous["memory"] * factor * 1.25
        if need > 0.8 * mem_available_mib():
            rows.append({"k": k, "clusters": count, "triples": triples,
                         "skipped": f"needs about {need / 1024:.1f} GiB, {mem_available_mib() / 1024:.1f} GiB free"})
            log(f"  {k}x: skipped ({rows[-1]['skipped']})")
            continue
        timeout = min(max(args.timeout, previous["build"] * factor * 2.5), args.growth_timeout)
        build = run_child("build", project, timeout)
        log(f"  {k}x build ({count} clusters, {triples:,} triples): {describe(build)}")
        bare = run_child("bare", project, timeout) if args.growth_baseline else None
        if bare:
            log(f"  {k}x bare bulk load: {describe(bare)}")
        rows.append({
            "k": k, "clusters": count, "triples": triples,
            "build": build["seconds"]["total"] if build["finished"] else None,
            "validate": build["seconds"].get("validate") if build["finished"] else None,
            "memory": build["maxrss_mib"] if build["finished"] else None,
            "bare": bare["seconds"]["total"] if bare and bare["finished"] else None,
            "why": "" if build["finished"] else f"{build['why']} (in: {build['stage']})",
        })
        if not build["finished"]:
            break
    return rows


def growth_table(rows: list[dict]) -> tuple[list[str], list[float], list[float]]:
    lines = ["| scale | clusters | triples | build s | s per M triples | validate s | peak MiB | MiB per M triples "
             "| time ratio to previous | memory ratio to previous | triples ratio |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    time_ratios, mem_ratios = [], []
    previous = None
    for row in rows:
        if row.get("skipped") or row.get("build") is None:
            why = row.get("skipped") or row.get("why") or "did not finish"
            lines.append(f"| {row['k']}x | {row['clusters']:,} | {row.get('triples', 0):,} | {why} | | | | | | | |")
            previous = None
            continue
        mt = row["triples"] / 1e6
        ratios = ["", "", ""]
        if previous:
            t, m, n = row["build"] / previous["build"], row["memory"] / previous["memory"], row["triples"] / previous["triples"]
            time_ratios.append(t / n)
            mem_ratios.append(m / n)
            ratios = [f"{t:.2f}", f"{m:.2f}", f"{n:.2f}"]
        validate = f"{row['validate']:.1f}" if row.get("validate") is not None else "n/a"
        lines.append(f"| {row['k']}x | {row['clusters']:,} | {row['triples']:,} | {row['build']:.1f} | {row['build'] / mt:.1f} "
                     f"| {validate} | {row['memory']:,.0f} | {row['memory'] / mt:,.0f} | {' | '.join(ratios)} |")
        previous = row
    return lines, time_ratios, mem_ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="48 clusters instead of 1,200 (a smoke run)")
    parser.add_argument("--repeat", type=int, default=None, help="builds and bare loads at ECCP scale (2; quick 3)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds a build may take (150; quick 60)")
    parser.add_argument("--no-growth", action="store_true", help="skip the 2x and 4x builds")
    parser.add_argument("--growth-timeout", type=float, default=360.0,
                        help="cap on the seconds a 2x or 4x build may take (360)")
    parser.add_argument("--growth-baseline", action="store_true", help="also bulk-load bare at 2x and 4x")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "PROJECT", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    args.repeat = args.repeat or (3 if args.quick else 2)
    args.timeout = args.timeout or (60.0 if args.quick else 150.0)
    started = time.perf_counter()
    lines: list[str] = []

    def log(text: str) -> None:
        print(text, flush=True)

    base = 48 if args.quick else ECCP_CLUSTERS
    clusters = [base * k for k in GROWTH]
    project = synth_project(clusters=base)
    triples = triple_count(project)
    log(f"build_scale: {base} clusters, {triples:,} triples, {args.repeat} repetitions, timeout {args.timeout:.0f} s")
    bare, builds = eccp_runs(project, args.repeat, args.timeout, log)

    bare_s, build_s = med(bare, "total"), med(builds, "total")
    steps = step_names(builds)
    step_s = {k: med(builds, k) for k in steps}
    validate_s = step_s.get("validate")
    bare_mem, build_mem = med_mem(bare), med_mem(builds)
    ratio = build_s / bare_s if build_s and bare_s else None
    mem_ratio = build_mem / bare_mem if build_mem and bare_mem else None
    unfinished = [b for b in builds if not b["finished"]]

    def f(value: float | None, unit: str = "s") -> str:
        return "n/a" if value is None else (f"{value:.2f} {unit}" if unit == "s" else f"{value:,.0f} {unit}")

    scale_name = "ECCP scale" if not args.quick else "quick scale"
    lines += [f"Synthetic {scale_name}: {base:,} clusters, {triples:,} triples in {len(list((project / 'data').rglob('*.*')))} "
              f"data files. Medians of {args.repeat} runs each, every run in a fresh subprocess and a fresh store "
              f"directory; peak memory is the run's RSS high-water mark (`ru_maxrss`).", "",
              "| step | ours: `build()` | baseline: bare `Store.bulk_load` per file |",
              "| --- | ---: | ---: |",
              *(f"| {STEP_TEXT.get(k, k)} | {f(step_s[k])} | |" for k in steps),
              f"| **total** | **{f(build_s)}** | **{f(bare_s)}** |",
              f"| ratio | {fmt_ratio(ratio)} | 1x |",
              f"| peak memory | {f(build_mem, 'MiB')} | {f(bare_mem, 'MiB')} |",
              f"| memory ratio | {fmt_ratio(mem_ratio)} | 1x |"]
    if unfinished:
        lines += ["", "Builds that did not finish: " + "; ".join(f"{u['why']}, in step: {u['stage']}" for u in unfinished)
                  + ". Progress of the last one (seconds since start, step): "
                  + "; ".join(unfinished[-1].get("progress", [])) + "."]

    eccp_row = {"k": 1, "clusters": base, "triples": triples, "build": build_s, "validate": validate_s,
                "memory": build_mem, "bare": bare_s, "why": unfinished[-1]["why"] if unfinished and not build_s else ""}
    time_growth = mem_growth = None
    if not args.no_growth:
        log("growth:")
        rows = growth_runs(clusters, eccp_row, args, log)
        table, time_ratios, mem_ratios = growth_table(rows)
        lines += ["", "Growth (one build at 2x and 4x; 1x is the median above). 'ratio to previous' is the step's "
                  "time or memory over the previous scale's; linear growth means it equals the triples ratio:", ""]
        lines += table
        if len(time_ratios) == len(GROWTH) - 1:
            time_growth, mem_growth = max(time_ratios), max(mem_ratios)
            lines += ["", f"Worst step, normalised by the triples ratio: time {time_growth:.2f}, memory {mem_growth:.2f} "
                      "(1.0 = exactly linear)."]
        if any(r.get("bare") for r in rows[1:]):
            lines += ["", "Bare bulk load at the larger scales: " + ", ".join(
                f"{r['k']}x {r['bare']:.1f} s" for r in rows if r.get("bare"))]

    targets = [
        Target("Build at ECCP scale", "build (parse + validate + load) <= 3x bare bulk load",
               f"{f(build_s)} vs {f(bare_s)} (" + ", ".join(f"{k} {f(step_s[k])}" for k in steps) + ")"
               if build_s else f"build {eccp_row['why'] or 'did not finish'}; bare {f(bare_s)}",
               ratio, (ratio <= 3.0) if ratio is not None else (False if unfinished else None),
               "medians of fresh-subprocess runs" + ("; quick scale, not ECCP" if args.quick else "")),
        Target("Build peak memory", "reported against the bare bulk load (no numeric target)",
               f"{f(build_mem, 'MiB')} vs {f(bare_mem, 'MiB')}", mem_ratio, None, "RSS high-water mark"),
        Target("Build grows linearly", "time and memory at 1x/2x/4x grow with the triples",
               f"worst step/triples ratio: time {time_growth:.2f}, memory {mem_growth:.2f}"
               if time_growth is not None else "not measured (a scale did not finish or was skipped)",
               time_growth,
               (time_growth <= 1.25 and mem_growth <= 1.25) if time_growth is not None else None,
               "linear = within 25% of the triples ratio at each step"),
    ]
    finish_section("build_scale", "Build at ECCP scale", lines, targets, started)


if __name__ == "__main__":
    main()
