"""Short queries first: long queries may hold only their share of the workers, so heavy work never starves
light work. Unit tests of the slot accounting, then the policy on a real server with real worker processes."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from live import start_server
from test_time_limit import busy_workers, workers

from clustergraph import errors
from clustergraph.querying.lanes import LONG, REMEMBERED, SHORT, Lanes, query_key

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i FILTER (?a != <urn:heavy:{}>) }}"


def run(coroutine):
    return asyncio.run(coroutine)


def test_long_queries_never_take_the_short_slots() -> None:
    async def scenario() -> None:
        lanes = Lanes(3, reserved=1, long_after=0.5)
        assert await lanes.acquire(long=True, deadline=time.monotonic() + 1) == LONG
        assert await lanes.acquire(long=True, deadline=time.monotonic() + 1) == LONG
        with pytest.raises(errors.ServerBusy, match="long-running"):
            await lanes.acquire(long=True, deadline=time.monotonic() + 0.2)
        assert await lanes.acquire(long=False, deadline=time.monotonic() + 0.2) == SHORT  # still free
        snapshot = lanes.snapshot()
        assert (snapshot["busy_long_slots"], snapshot["busy_short_slots"]) == (2, 1)
        assert snapshot["waiting_long"] == 0, "a waiter that gave up leaves the queue"

    run(scenario())


def test_short_queries_use_long_slots_when_their_own_are_taken() -> None:
    async def scenario() -> list[str]:
        lanes = Lanes(3, reserved=1, long_after=0.5)
        return [await lanes.acquire(long=False, deadline=time.monotonic() + 1) for _ in range(3)]

    assert run(scenario()) == [SHORT, LONG, LONG]


def test_a_query_never_seen_takes_a_free_long_slot_first() -> None:
    async def scenario() -> list[str]:
        lanes = Lanes(3, reserved=1, long_after=0.5)
        return [await lanes.acquire(long=False, prefer_long=True, deadline=time.monotonic() + 1) for _ in range(3)]

    assert run(scenario()) == [LONG, LONG, SHORT]


def test_waiters_are_served_in_order_and_pass_one_who_cannot_use_the_slot() -> None:
    async def scenario() -> list[str]:
        lanes = Lanes(2, reserved=1, long_after=0.5)
        await lanes.acquire(long=False, deadline=time.monotonic() + 1)  # the short slot
        await lanes.acquire(long=True, deadline=time.monotonic() + 1)  # the long slot
        order: list[str] = []

        async def wait(name: str, long: bool) -> None:
            order.append(f"{name} got {await lanes.acquire(long=long, deadline=time.monotonic() + 2)}")

        waiters = [asyncio.create_task(wait("long-1", True))]
        await asyncio.sleep(0.01)
        waiters.append(asyncio.create_task(wait("short-1", False)))
        await asyncio.sleep(0.01)
        waiters.append(asyncio.create_task(wait("short-2", False)))
        await asyncio.sleep(0.01)
        lanes.release(SHORT)  # long-1 cannot use it: short-1 passes
        await asyncio.sleep(0.01)
        lanes.release(LONG)  # long-1 came first: heavy work is not starved by the short queue
        await asyncio.sleep(0.01)
        lanes.release(SHORT)
        await asyncio.gather(*waiters)
        return order

    assert run(scenario()) == ["short-1 got short", "long-1 got long", "short-2 got short"]


def test_a_cancelled_request_leaks_no_slot() -> None:
    async def scenario() -> dict:
        lanes = Lanes(2, reserved=1, long_after=0.5)
        first = await lanes.acquire(long=False, deadline=time.monotonic() + 1)
        second = await lanes.acquire(long=False, deadline=time.monotonic() + 1)
        waiter = asyncio.create_task(lanes.acquire(long=False, deadline=time.monotonic() + 5))
        await asyncio.sleep(0.01)
        lanes.release(first)  # the slot is granted to the waiter ...
        waiter.cancel()  # ... whose client leaves before it resumes
        with pytest.raises(asyncio.CancelledError):
            await waiter
        lanes.release(second)
        return lanes.snapshot()

    snapshot = run(scenario())
    assert (snapshot["busy_short_slots"], snapshot["busy_long_slots"], snapshot["waiting_short"]) == (0, 0, 0)


def test_overrunning_queries_are_remembered_as_long_within_a_bound() -> None:
    lanes = Lanes(3, reserved=1, long_after=0.5)
    quick, slow = query_key("ASK {}", None), query_key("SELECT * {}", None)
    lanes.remember(quick, 0.01)
    lanes.remember(slow, 0.7)
    assert not lanes.is_long(quick) and lanes.is_long(slow)
    for i in range(REMEMBERED + 10):
        lanes.remember(query_key(i), 1.0)
    assert lanes.snapshot()["remembered_long"] == REMEMBERED
    assert not lanes.is_long(slow), "the oldest entries are forgotten first"


def test_promotion_only_into_a_free_long_slot() -> None:
    async def scenario() -> tuple[bool, bool, dict]:
        lanes = Lanes(3, reserved=1, long_after=0.5)
        await lanes.acquire(long=False, deadline=time.monotonic() + 1)  # short slot, overruns later
        await lanes.acquire(long=True, deadline=time.monotonic() + 1)
        full = lanes.promote()  # one long slot is still free: the overrunning query moves there
        none_left = lanes.promote()
        return full, none_left, lanes.snapshot()

    moved, refused, snapshot = run(scenario())
    assert (moved, refused) == (True, False)
    assert (snapshot["busy_short_slots"], snapshot["busy_long_slots"]) == (0, 2)


def test_at_least_one_worker_is_left_for_long_queries() -> None:
    from clustergraph.settings import load_settings

    settings = load_settings({"workers": 2}, environ={})  # the default reservation (2) does not fit
    lanes = Lanes(settings.workers, reserved=settings.reserved_workers, long_after=settings.long_query)
    assert (lanes.reserved, lanes.long_share) == (1, 1)
    assert Lanes(1, reserved=2, long_after=0.25).long_share == 1  # one worker: nothing can be reserved


def test_heavy_queries_do_not_starve_light_ones_on_a_real_server(project_store_root) -> None:
    """Four runs of one heavy query never seen before (a dashboard refreshing) against two workers, one
    reserved. The first takes the free long worker; the second lands on the short worker, overruns there and is
    restarted as long, and its text is remembered; from then on the heavy runs share the single long worker
    and light queries keep the other. (Each *distinct* never-seen heavy text costs the short worker up to
    ``long_query`` of CPU once: that is the price of learning, not a starvation.)"""
    with start_server(project_store_root.path, workers="2", reserved_workers="1", long_query="0.3",
                      time_limit="4") as server:
        heavy: list = []

        def send(i: int) -> None:
            with server.client() as client:
                heavy.append(client.get("/sparql", params={"query": HEAVY.format("dashboard")}))

        threads = [threading.Thread(target=send, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
            time.sleep(0.1)
        with server.client() as client:  # wait until the overrun has been seen and the text remembered as long
            deadline = time.monotonic() + 10
            while client.get("/api/status").json()["remembered_long"] < 1 and time.monotonic() < deadline:
                time.sleep(0.1)
        time.sleep(0.3)  # the restarted short worker's replacement starts
        burning = [busy_workers(server, 0.4) for _ in range(3)]
        short_workers = {w.pid for w in workers(server) if w.nice() == 0}  # the long ones run at nice 5
        light: list[tuple[int, float]] = []
        with server.client() as client:
            while any(t.is_alive() for t in threads) and len(light) < 40:
                started = time.monotonic()
                response = client.get("/sparql", params={"query": "ASK { ?s a ?type }"})
                light.append((response.status_code, time.monotonic() - started))
            status = client.get("/api/status").json()
        for thread in threads:
            thread.join(timeout=30)

    assert len(short_workers) == 1, short_workers
    assert all(len(pids) <= 1 and not set(pids) & short_workers for pids in burning), \
        f"heavy queries may only burn the one long worker, never the short one: {burning}, short {short_workers}"
    assert len(light) >= 10 and all(code == 200 for code, _ in light), light
    assert max(seconds for _, seconds in light) < 2.0, "a light query waited for heavy ones (limit is 4 s)"
    assert len(heavy) == 4 and all(r.status_code == 503 and r.headers["retry-after"] for r in heavy)
    assert status["restarted_as_long"] >= 1, status
    assert status["remembered_long"] >= 1, status
