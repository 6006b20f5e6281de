"""Latency of every named query on the real data: in-process Oxigraph (the baseline) against the HTTP API of a
real server (``/api/queries/<name>``, which adds a worker process, JSON and HTTP). Prints medians and the ratio.

Usage: ``python bench/named_query_latency.py [--store .store] [--repeat 15]`` after ``clustergraph build``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from live import start_server  # noqa: E402

from clustergraph.kg.store import StoreRoot  # noqa: E402
from clustergraph.querying.named import load_named_queries  # noqa: E402


def median_ms(run, repeat: int) -> float:
    run()  # warm up
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", type=Path, default=ROOT / ".store")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    store = StoreRoot(args.store).open_current()
    queries = load_named_queries(ROOT / "queries")
    print(f"{'named query':42} {'rows':>5} {'in-process ms':>14} {'HTTP API ms':>12} {'ratio':>6}")
    # the answer cache off: every request runs its query
    with start_server(args.store.resolve(), answer_cache_mb="0") as server, httpx.Client(base_url=server.url, timeout=60) as client:
        for name, query in queries.items():
            sparql = query.bind({})
            rows = len(list(store.query(sparql)))
            local = median_ms(lambda: list(store.query(sparql)), args.repeat)
            remote = median_ms(lambda: client.get(f"/api/queries/{name}").raise_for_status(), args.repeat)
            print(f"{name:42} {rows:5d} {local:14.2f} {remote:12.2f} {remote / local:6.1f}")


if __name__ == "__main__":
    main()
