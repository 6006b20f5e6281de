"""How late the server's event loop runs: a task sleeps a fixed interval and records how much later than
asked it woke (the lag). A handler, render or parse that holds the loop shows up here as lag, whatever it is.

The samples of the last :data:`WINDOW_SECONDS` are kept in a ring of fixed size; ``/api/status`` reports
their percentiles.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from dataclasses import dataclass

INTERVAL_SECONDS = 0.05
WINDOW_SECONDS = 300.0


@dataclass(frozen=True)
class LagSummary:
    """Lag percentiles (milliseconds) over the samples of a window, and how many there were."""

    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    samples: int

    def as_status(self) -> dict[str, float | int | None]:
        """The ``loop_lag_*`` fields of ``/api/status``."""
        return {"loop_lag_p50_ms": self.p50_ms, "loop_lag_p99_ms": self.p99_ms, "loop_lag_max_ms": self.max_ms,
                "loop_lag_samples": self.samples}


class LagWindow:
    """The (wake time, lag) samples of the last ``window`` seconds, at most ``window / interval`` of them.

    >>> w = LagWindow(window=10.0, interval=1.0)
    >>> for t, lag in [(1.0, 0.001), (2.0, 0.003), (3.0, 0.002)]:
    ...     w.add(t, lag)
    >>> w.summary(now=3.0)
    LagSummary(p50_ms=2.0, p99_ms=3.0, max_ms=3.0, samples=3)
    >>> w.summary(now=3.0, seconds=1.5).samples
    2
    >>> w.summary(now=100.0)
    LagSummary(p50_ms=None, p99_ms=None, max_ms=None, samples=0)
    """

    def __init__(self, *, window: float = WINDOW_SECONDS, interval: float = INTERVAL_SECONDS) -> None:
        self.window = window
        self._samples: deque[tuple[float, float]] = deque(maxlen=math.ceil(window / interval))

    def add(self, at: float, lag: float) -> None:
        """Record that the sleeper woke at monotonic time ``at``, ``lag`` seconds late."""
        self._samples.append((at, max(0.0, lag)))

    def summary(self, *, now: float, seconds: float | None = None) -> LagSummary:
        """Percentiles (nearest rank) of the samples taken in the last ``seconds`` (at most the window)
        before ``now``."""
        span = self.window if seconds is None else min(max(0.0, seconds), self.window)
        lags = sorted(lag for at, lag in self._samples if at >= now - span)
        if not lags:
            return LagSummary(None, None, None, 0)
        return LagSummary(_rank(lags, 50) * 1000, _rank(lags, 99) * 1000, lags[-1] * 1000, len(lags))


class LoopLagMonitor:
    """The sleeping task and its window; :meth:`start` in the app's lifespan, :meth:`stop` at shutdown."""

    def __init__(self, *, interval: float = INTERVAL_SECONDS, window: float = WINDOW_SECONDS) -> None:
        self.interval = interval
        self.window = LagWindow(window=window, interval=interval)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sampling on the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="loop-lag")

    async def stop(self) -> None:
        """Cancel the sampling task and wait for it to end."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    def summary(self, seconds: float | None = None) -> LagSummary:
        """The lag over the last ``seconds`` (default: the whole window)."""
        return self.window.summary(now=time.monotonic(), seconds=seconds)

    async def _run(self) -> None:
        while True:
            asked = time.monotonic() + self.interval
            await asyncio.sleep(self.interval)
            woke = time.monotonic()
            self.window.add(woke, woke - asked)


def _rank(ordered: list[float], p: float) -> float:
    """The ``p``-th percentile of sorted ``ordered`` by nearest rank."""
    return ordered[max(1, min(len(ordered), math.ceil(p / 100 * len(ordered)))) - 1]
