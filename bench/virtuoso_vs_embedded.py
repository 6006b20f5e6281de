"""Every named query on the embedded store and on a throw-away Virtuoso holding the same build.

Builds the project (``clustergraph.kg.build``) into a temporary store root, starts Virtuoso on 127.0.0.1
(``tests/virtuoso.py``: Debian's ``virtuoso-opensource``), pushes the build as ``build --store-url`` does
(Graph Store Protocol, graph by graph), then runs each named query with its default parameters
``--repeat`` times on both stores (the remote one through :class:`RemoteStore`, so over HTTP with the JSON
results parsed) and prints the best time of each, their ratio and whether the rows are the same as sets (after
the differences README's 'On Virtuoso' lists, as tests/test_virtuoso.py compares them).

Usage: ``python bench/virtuoso_vs_embedded.py [--repeat 5]``. Exits 1 when an answer differs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_virtuoso import comparable
from virtuoso import start_virtuoso

from clustergraph.errors import ClusterGraphError
from clustergraph.kg.build import build
from clustergraph.kg.layout import Layout
from clustergraph.kg.store import StoreRoot
from clustergraph.querying.named import load_named_queries
from clustergraph.remote.build import push_store
from clustergraph.remote.store import RemoteStore


def best(name: str, run, repeat: int) -> tuple[float, set[tuple]]:
    """The best time of ``repeat`` runs (query and reading every row) and the rows, as tests/test_virtuoso.py
    compares them (after the differences the README lists for Virtuoso)."""
    times, answer = [], set()
    for _ in range(repeat):
        start = time.perf_counter()
        answer = comparable(name, run())
        times.append(time.perf_counter() - start)
    return min(times), answer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    queries = load_named_queries(ROOT / "queries")
    with tempfile.TemporaryDirectory(prefix="clustergraph-virtuoso-bench-") as tmp:
        root = StoreRoot(Path(tmp) / "store")
        build(Layout(ROOT), root)
        embedded = root.open_current()
        with start_virtuoso(Path(tmp) / "virtuoso") as server:
            remote = RemoteStore.from_urls(server.query_url, graph_store_url=server.graph_store_url,
                                           update_url=server.update_url)
            pushed = push_store(embedded, remote)
            print(f"Virtuoso answered {server.startup_seconds:.1f} s after starting; push of "
                  f"{pushed.triples} triples in {len(pushed.replaced)} graphs: {pushed.seconds:.1f} s\n")
            print(f"{'named query':40} {'rows':>6} {'embedded ms':>12} {'Virtuoso ms':>12} {'ratio':>7}  same")
            differ, errors = [], []
            totals = [0.0, 0.0]
            for name, query in sorted(queries.items()):
                sparql = query.bind({})
                local_s, local = best(name, lambda sparql=sparql: embedded.query(sparql), args.repeat)
                try:
                    remote_s, there = best(name, lambda sparql=sparql: remote.query(sparql), args.repeat)
                except ClusterGraphError as exc:
                    errors.append((name, str(exc)))
                    print(f"{name:40} {len(local):6d} {local_s * 1000:12.2f} {'error':>12}")
                    continue
                totals[0] += local_s
                totals[1] += remote_s
                same = local == there
                if not same:
                    differ.append((name, local - there, there - local))
                print(f"{name:40} {len(local):6d} {local_s * 1000:12.2f} {remote_s * 1000:12.2f} "
                      f"{remote_s / local_s:7.1f}  {'yes' if same else 'NO'}")
            print(f"{'total':40} {'':6} {totals[0] * 1000:12.2f} {totals[1] * 1000:12.2f} "
                  f"{totals[1] / totals[0]:7.1f}")
    for name, only_local, only_remote in differ:
        print(f"\n{name}: {len(only_local)} rows only embedded, {len(only_remote)} only Virtuoso")
        for row in sorted(only_local)[:3]:
            print("  embedded:", row)
        for row in sorted(only_remote)[:3]:
            print("  Virtuoso:", row)
    for name, text in errors:
        print(f"\n{name}: Virtuoso refused it: {text.splitlines()[0][:300]}")
    return 1 if differ or errors else 0


if __name__ == "__main__":
    sys.exit(main())
