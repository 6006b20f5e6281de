"""Admission of queries to two kinds of slots, so that long queries never starve short ones.

There are ``size`` slots. ``reserved`` of them are *short* slots, which only short queries may use; the
other ``long_share`` are *long* slots, open to both kinds. A query is *long* once it has been seen running
past ``long_after`` seconds: its text is then remembered (a bounded LRU of digests), and the next run of the
same text waits for a long slot at once. A short query takes a free short slot if there is one, else a free
long slot.

Waiters are served in arrival order, except that a waiter who cannot use the free slot (a long query when
only a short slot is free) lets the ones behind it pass. So under any mix, short queries always have their
short slots, and long queries get their turn on the long slots: neither kind starves the other.

The worker pool backs each kind of slot with its own processes (long ones at a lower CPU priority) and
restarts a short query that overruns on a short slot as a long one; see :mod:`clustergraph.querying.pool`.
A request that gets no slot before its deadline gets :class:`~clustergraph.errors.ServerBusy` (503 with
Retry-After).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from clustergraph import errors

REMEMBERED = 4096
SHORT, LONG = "short", "long"


def query_key(*parts: object) -> bytes:
    """A short digest of what identifies a query's cost: its text and dataset."""
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=16).digest()


@dataclass(eq=False)
class _Waiter:
    long: bool
    prefer_long: bool = False
    granted: asyncio.Future[str] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class Lanes:
    """Slot accounting for short and long queries (call from one event loop only; not thread-safe)."""

    def __init__(self, size: int, *, reserved: int, long_after: float) -> None:
        self.size = size
        self.reserved = max(0, min(reserved, size - 1))
        self.long_share = size - self.reserved
        self.long_after = long_after
        self.busy = {SHORT: 0, LONG: 0}
        self._waiters: deque[_Waiter] = deque()
        self._known: OrderedDict[bytes, bool] = OrderedDict()  # query key -> ran long

    def snapshot(self) -> dict[str, int | float]:
        """Slot counts for the status endpoint."""
        return {"slots": self.size, "reserved_for_short": self.reserved, "long_share": self.long_share,
                "long_after_seconds": self.long_after, "busy_short_slots": self.busy[SHORT],
                "busy_long_slots": self.busy[LONG],
                "waiting_short": sum(1 for w in self._waiters if not w.long),
                "waiting_long": sum(1 for w in self._waiters if w.long),
                "remembered": len(self._known), "remembered_long": sum(self._known.values())}

    def is_long(self, key: bytes) -> bool:
        """Whether a query with this key was last seen running long."""
        if self._known.get(key):
            self._known.move_to_end(key)
            return True
        return False

    def is_known(self, key: bytes) -> bool:
        """Whether a run of a query with this key is remembered at all."""
        return key in self._known

    def ran_short(self, key: bytes) -> bool:
        """Whether a run of a query with this key is remembered, and was short."""
        return self._known.get(key) is False

    def remember(self, key: bytes, seconds: float) -> None:
        """Record a run of ``seconds``: long when past ``long_after``."""
        self._known[key] = seconds >= self.long_after
        self._known.move_to_end(key)
        while len(self._known) > REMEMBERED:
            self._known.popitem(last=False)

    def _free(self, kind: str) -> int:
        return (self.reserved if kind == SHORT else self.long_share) - self.busy[kind]

    def _slot_for(self, waiter: _Waiter) -> str | None:
        if waiter.long:
            return LONG if self._free(LONG) > 0 else None
        order = (LONG, SHORT) if waiter.prefer_long else (SHORT, LONG)
        return next((kind for kind in order if self._free(kind) > 0), None)

    def _dispatch(self) -> None:
        """Hand free slots to waiters in arrival order, letting a waiter pass one who cannot use them."""
        for waiter in list(self._waiters):
            if self._free(SHORT) <= 0 and self._free(LONG) <= 0:
                return
            if waiter.granted.done():  # gave up meanwhile
                self._waiters.remove(waiter)
                continue
            kind = self._slot_for(waiter)
            if kind is not None:
                self._waiters.remove(waiter)
                self.busy[kind] += 1
                waiter.granted.set_result(kind)

    async def acquire(self, *, long: bool, deadline: float, prefer_long: bool = False) -> str:
        """Wait until ``deadline`` (``time.monotonic()``) for a slot a query of this kind may use; returns the
        slot's kind (:data:`SHORT` or :data:`LONG`), to give back with :meth:`release`. A query never seen
        before asks with ``prefer_long``: it takes a free long slot before a short one, so a heavy query's
        first run keeps off the short slots when it can.

        :raises ServerBusy: when no slot frees up in time.
        """
        waiter = _Waiter(long, prefer_long)
        self._waiters.append(waiter)
        self._dispatch()
        if waiter.granted.done():  # a free slot: no timer, no waiting
            return waiter.granted.result()
        try:
            await asyncio.wait({waiter.granted}, timeout=max(deadline - time.monotonic(), 0))
        except BaseException:  # the request was cancelled (client gone): give back a slot granted meanwhile
            self._withdraw(waiter)
            raise
        if not waiter.granted.done():
            self._withdraw(waiter)
            kind = "long-running " if long else ""
            raise errors.ServerBusy(f"all {self.size} query workers stayed busy; no slot for a {kind}query "
                                    "freed up in time")
        return waiter.granted.result()

    def _withdraw(self, waiter: _Waiter) -> None:
        if waiter.granted.done() and not waiter.granted.cancelled():
            self.release(waiter.granted.result())
            return
        waiter.granted.cancel()
        if waiter in self._waiters:
            self._waiters.remove(waiter)

    def promote(self) -> bool:
        """Count a running query that overran on a short slot against a long slot instead, freeing its short
        slot; False when no long slot is free."""
        if self.busy[SHORT] <= 0 or self._free(LONG) <= 0:
            return False
        self.busy[SHORT] -= 1
        self.busy[LONG] += 1
        self._dispatch()
        return True

    def release(self, kind: str) -> None:
        """Free a slot of ``kind`` and hand it on."""
        self.busy[kind] -= 1
        self._dispatch()
