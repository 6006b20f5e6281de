"""Every named query on the embedded store and on a throw-away Virtuoso holding the same build.

Builds the project (``clustergraph.kg.build``) into a temporary store root, starts Virtuoso on 127.0.0.1
(``tests/virtuoso.py``: Debian's ``virtuoso-opensource``), pushes the build as ``build --store-url`` does
(Graph Store Protocol, graph by graph), then runs each named query with its default parameters
``--repeat`` times on both stores (the remote one through :class:`RemoteStore`, so over HTTP with the JSON
results parsed) and prints the best time of each, their ratio and whether the rows are the same as sets.

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

from virtuoso import start_virtuoso  # noqa: E402

from clustergraph.errors import ClusterGraphError  # noqa: E402
from clustergraph.kg.build import build  # noqa: E402
from clustergraph.kg.layout import Layout  # noqa: E402
from clustergraph.kg.store import StoreRoot  # noqa: E402
from clustergraph.querying.named import load_named_queries  # noqa: E402
from clustergraph.remote.build import push_store  # noqa: E402
from clustergraph.remote.store import RemoteStore  # noqa: E402


def rows(result) -> set[tuple]:
    """The answer as a set of rows, each a sorted tuple of (variable, term in N-Triples form)."""
    names = [v.value for v in result.variables]
    return {tuple((n, str(s[n]) if s[n] is not None else "") for n in names) for s in result}


def best(run, repeat: int) -> tuple[float, set[tuple]]:
    times, answer = [], set()
    for _ in range(repeat):
        start = time.perf_counter()
        answer = rows(run())
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
                local_s, local = best(lambda: embedded.query(sparql), args.repeat)
                try:
                    remote_s, there = best(lambda: remote.query(sparql), args.repeat)
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
