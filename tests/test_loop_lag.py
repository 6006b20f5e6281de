"""The event-loop lag monitor: its window arithmetic, its task's start and stop, and the ``loop_lag_*`` fields of
``/api/status`` on a real server."""

from __future__ import annotations

import asyncio
import time

import pytest
from live import start_server

from clustergraph.web.loop_lag import LagWindow, LoopLagMonitor


def test_window_percentiles_by_nearest_rank() -> None:
    window = LagWindow(window=100.0, interval=0.5)
    for i in range(100):  # lags 1..100 ms, one every 0.5 s
        window.add(i * 0.5, (i + 1) / 1000)
    summary = window.summary(now=49.5)
    assert (summary.p50_ms, summary.p99_ms, summary.max_ms, summary.samples) == \
        pytest.approx((50.0, 99.0, 100.0, 100))


def test_window_keeps_only_the_last_seconds_and_fixed_memory() -> None:
    window = LagWindow(window=10.0, interval=1.0)
    for t in range(1000):
        window.add(float(t), 0.002 if t < 995 else 0.5)
    assert len(window._samples) == 10, "memory is bounded by window / interval"
    assert window.summary(now=999.0).samples == 10
    recent = window.summary(now=999.0, seconds=4.0)  # samples at 995..999
    assert recent.samples == 5 and recent.p50_ms == pytest.approx(500.0)
    assert window.summary(now=999.0, seconds=1e9).samples == 10, "never wider than the window"
    assert window.summary(now=2000.0).max_ms is None, "old samples age out of the window"


def test_negative_lag_counts_as_zero() -> None:
    window = LagWindow(window=1.0, interval=0.1)
    window.add(0.0, -0.001)
    assert window.summary(now=0.0).max_ms == 0.0


def test_monitor_sees_a_blocked_loop_and_stops_cleanly() -> None:
    async def scenario() -> tuple[float | None, int, bool]:
        monitor = LoopLagMonitor(interval=0.01, window=10.0)
        monitor.start()
        await asyncio.sleep(0.05)
        time.sleep(0.2)  # noqa: ASYNC251 - hold the loop as a blocking handler would
        await asyncio.sleep(0.05)
        summary = monitor.summary()
        task = monitor._task
        await monitor.stop()
        return summary.max_ms, summary.samples, task is not None and task.done()

    max_ms, samples, stopped = asyncio.run(scenario())
    assert max_ms is not None and 150 <= max_ms < 1000
    assert samples >= 3 and stopped


@pytest.fixture(scope="module")
def server(project_store_root):
    with start_server(project_store_root.path) as live:
        yield live


def test_status_reports_the_loop_lag(server) -> None:
    with server.client() as client:
        time.sleep(0.5)
        first = client.get("/api/status").json()
        time.sleep(1.0)
        second = client.get("/api/status").json()
        recent = client.get("/api/status", params={"lag_seconds": "0.5"}).json()
        refused = client.get("/api/status", params={"lag_seconds": "soon"})
    for status in (first, second):
        assert 0 <= status["loop_lag_p50_ms"] <= status["loop_lag_p99_ms"] <= status["loop_lag_max_ms"] < 60_000
        assert status["loop_lag_window_seconds"] == 300
    # one sample per 50 ms (fewer when the loop is late): about 20 in the second between the two reads
    assert 10 <= second["loop_lag_samples"] - first["loop_lag_samples"] <= 25
    assert recent["loop_lag_window_seconds"] == 0.5 and 1 <= recent["loop_lag_samples"] <= 11
    assert refused.status_code == 400
