"""What every benchmark shares: machine details, medians and percentiles, the synthetic projects they run on,
and the result sections that ``bench/report.py`` assembles into ``bench/RESULTS.md``.

Benchmarks never assert: each measures ours and its baseline in the same run and prints the ratio.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = Path(os.environ.get("CLUSTERGRAPH_BENCH_DIR", ROOT / ".bench"))
# Where write_section saves sections; CLUSTERGRAPH_BENCH_RESULTS moves them (smoke runs keep the real ones).
SECTIONS = Path(os.environ.get("CLUSTERGRAPH_BENCH_RESULTS", ROOT / "bench" / "results"))
sys.path.insert(0, str(ROOT / "tests"))  # live.start_server, browser helpers

ECCP_CLUSTERS = 1200


@dataclass
class Target:
    """One target of issue 5 with what was measured: ours, the baseline, and whether the target was met."""

    name: str
    target: str
    measured: str
    ratio: float | None = None
    met: bool | None = None
    notes: str = ""


def machine() -> dict[str, str]:
    """The machine a run happened on, for the header of RESULTS.md."""
    import pyoxigraph

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "pyoxigraph": pyoxigraph.__version__ if hasattr(pyoxigraph, "__version__") else "",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (0..100) by nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def timed(run: Callable[[], object], repeat: int, warmup: int = 1) -> list[float]:
    """Seconds of ``repeat`` runs of ``run`` after ``warmup`` unmeasured ones."""
    for _ in range(warmup):
        run()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return samples


def synth_project(clusters: int = ECCP_CLUSTERS, scale: float = 1.0, seed: int = 42) -> Path:
    """A project root (ontology, shapes, queries of this repository; synthetic data/) under ``.bench/``. The data
    is generated once and reused by later benchmarks; the ontology, shapes and queries are copied from the
    repository on every call, so a benchmark always measures the current ones (a copy made once had kept
    shapes two rounds old in the build benchmark)."""
    from clustergraph.synth import SynthConfig, generate

    root = WORK / f"project-{clusters}x{scale:g}-s{seed}"
    done = root / ".generated"
    if not done.exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        generate(SynthConfig(clusters=clusters, scale=scale, seed=seed), root / "data",
                 reference=ROOT / "data" / "reference")
        done.touch()
    for folder in ("ontology", "shapes", "queries"):
        shutil.rmtree(root / folder, ignore_errors=True)
        shutil.copytree(ROOT / folder, root / folder)
    return root


# what built_store does; a store built with less is rebuilt
BUILT_WITH = "data, derived labels, search keys, compacted\n"


def built_store(project: Path) -> Path:
    """The store root of ``project``, loaded once (``project/.store``) by parse and bulk load, then compacted.

    Endpoint and network benchmarks only need the data in a store, with what the build adds to it (derived
    labels, search keys) so that queries see what they see after ``clustergraph build``; the synthetic data's
    conformance is tested in tests/test_synth.py and the full build (validation included) is what
    bench/build_scale.py measures.
    """
    import pyoxigraph as ox

    from clustergraph.kg.dataset import load_project
    from clustergraph.kg.derived_labels import derive_labels
    from clustergraph.kg.layout import Layout
    from clustergraph.kg.search_keys import search_keys
    from clustergraph.kg.store import StoreRoot, write_store

    store = project / ".store"
    marker = project / ".built"
    built_with = BUILT_WITH + _digest(project / "ontology")  # a store of an older ontology is rebuilt too
    if not marker.exists() or marker.read_text() != built_with:  # absent, or made before the build added more
        shutil.rmtree(store, ignore_errors=True)
        root = StoreRoot(store)
        with root.lock():
            build_dir = root.new_build_dir()
            write_store(build_dir, load_project(Layout(project)).quads)
            built = ox.Store(str(build_dir))
            built.extend(derive_labels(built))
            built.extend(search_keys(built))
            built.flush()
            built.optimize()  # as the build compacts the store before it publishes it
            del built
            root.publish(build_dir)
        marker.write_text(built_with)
    return store


def _digest(folder: Path) -> str:
    """A digest of the files under ``folder`` (names and bytes)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def write_section(name: str, title: str, body: str, targets: list[Target]) -> Path:
    """Save one benchmark's Markdown section and its targets for ``bench/report.py``."""
    SECTIONS.mkdir(parents=True, exist_ok=True)
    path = SECTIONS / f"{name}.json"
    info = machine()
    path.write_text(json.dumps({"name": name, "title": title, "body": body,
                                "targets": [asdict(t) for t in targets],
                                "measured_on": {"cpu": info.get("cpu", "?"), "date": info.get("date", "?")}},
                               indent=2) + "\n")
    return path


def finish_section(name: str, title: str, lines: list[str], targets: list[Target], started: float) -> Path:
    """Close a benchmark: add its wall time to ``lines``, print them, and save the section."""
    lines = [*lines, "", f"Benchmark wall time {time.perf_counter() - started:.0f} s."]
    body = "\n".join(lines)
    print("\n" + body)
    path = write_section(name, title, body, targets)
    print(f"\nwrote {path} ({machine()['cpu']}, {machine()['cores']} cores)")
    return path


def fmt_ratio(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.2f}x"
