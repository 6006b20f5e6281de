"""The short slots are seats (threads) of one worker process sharing one store handle: each seat is charged its
own thread's CPU, a process killed for one seat's query runs its other seats' queries again, and a new text of
a shape that ran short asks for a short seat first. Real worker processes over the project's store."""

from __future__ import annotations

import asyncio
import json

import pytest

from clustergraph import errors
from clustergraph.querying.lanes import LONG, SHORT, query_key
from clustergraph.querying.pool import QueryPool
from clustergraph.querying.worker import QueryJob

# about 27 million solutions counted: a few seconds of one core at the project's size
BURN = "SELECT (COUNT(*) AS ?n) WHERE {{ ?a a ?t . ?b ?p ?u }} # {}"
LIGHT = "SELECT ?type WHERE {{ <{}> a ?type }}"


def _known_short(pool: QueryPool, job: QueryJob) -> None:
    """Make ``job`` known to have run short, so that it asks for a short seat first."""
    pool.lanes.remember(query_key(job.sparql, job.default_graph, job.named_graphs, job.union_default_graph), 0.0)


def test_short_seats_are_threads_of_one_process(project_store_root) -> None:
    async def scenario() -> tuple[list[int], dict]:
        pool = QueryPool(project_store_root.path, size=3, reserved=2)
        await pool.start()
        try:
            return pool.worker_pids(), pool.status()
        finally:
            await pool.close()

    pids, status = asyncio.run(scenario())
    assert len(pids) == 2, "one process for the two short seats, one for the long slot"
    assert status["live_workers"] == 3 and status["worker_processes"] == 2, status


def test_each_seat_is_charged_its_own_threads_cpu(project_store_root) -> None:
    async def scenario() -> tuple[float, float]:
        pool = QueryPool(project_store_root.path, size=3, reserved=2, long_after=30.0)
        await pool.start()
        try:
            busy, idle = pool._idle[SHORT].get_nowait(), pool._idle[SHORT].get_nowait()
            assert busy.worker is idle.worker
            busy_before, idle_before = busy.cpu_seconds(), idle.cpu_seconds()
            busy.conn.send(QueryJob(sparql=BURN.format("charged")))
            await asyncio.sleep(1.0)
            used = busy.cpu_seconds() - busy_before, idle.cpu_seconds() - idle_before
            await asyncio.wait_for(pool._next(busy, float("inf")), timeout=120)
            return used
        finally:
            await pool.close()

    busy_used, idle_used = asyncio.run(scenario())
    assert busy_used > 0.3, f"the running seat's thread used {busy_used:.2f} s of CPU in 1 s"
    assert idle_used < 0.05, f"the idle seat was charged {idle_used:.2f} s of its sibling's CPU"


def test_a_process_killed_for_one_seat_runs_its_other_seats_queries_again(project_store_root) -> None:
    victim = QueryJob(sparql=BURN.format("victim"), row_cap=10)
    culprit = QueryJob(sparql=BURN.format("culprit"), row_cap=10)
    alone = project_store_root.open_current().query(victim.sparql)
    expected = next(iter(alone))[0].value

    async def scenario() -> tuple[str, BaseException | None, list[int], list[int], dict]:
        pool = QueryPool(project_store_root.path, size=3, reserved=2, long_after=30.0)
        await pool.start()
        try:
            _known_short(pool, victim)
            _known_short(pool, culprit)
            before = pool.worker_pids()
            first = asyncio.create_task(pool.run(victim, time_limit=120))
            await asyncio.sleep(0.2)
            assert pool.lanes.busy[SHORT] == 1, "the victim runs on a short seat"
            try:  # on the other short seat; its time limit kills the process the victim runs in
                await pool.run(culprit, time_limit=0.5)
                stopped = None
            except errors.QueryTimeout as exc:
                stopped = exc
            answer = await first
            body = json.loads(await answer.read_all())
            return body["results"]["bindings"][0]["n"]["value"], stopped, before, pool.worker_pids(), pool.status()
        finally:
            await pool.close()

    counted, stopped, before, after, status = asyncio.run(scenario())
    assert isinstance(stopped, errors.QueryTimeout), "the culprit is stopped at its time limit"
    assert counted == expected, "the victim ran again and gave the full answer"
    assert status["rerun_after_a_sibling_was_stopped"] == 1, status
    assert len(after) == 2 and set(after) != set(before), "the killed short process was replaced"


def test_an_answer_already_streaming_ends_with_worker_lost_when_its_process_is_stopped(project_store_root) -> None:
    """A sibling whose answer has started cannot run again unseen: its stream ends with a clear error."""
    streaming = QueryJob(sparql="SELECT ?s ?p ?o WHERE { ?s ?p ?o }")  # megabytes of JSON: sent in chunks
    culprit = QueryJob(sparql=BURN.format("stream-culprit"))

    async def scenario() -> tuple[str, BaseException | None]:
        pool = QueryPool(project_store_root.path, size=3, reserved=2, long_after=30.0)
        await pool.start()
        try:
            _known_short(pool, streaming)
            _known_short(pool, culprit)
            answer = await pool.run(streaming, time_limit=60)
            kind = answer.kind
            with pytest.raises(errors.QueryTimeout):
                await pool.run(culprit, time_limit=0.5)
            try:
                await answer.read_all()
            except errors.WorkerLost as exc:
                return kind, exc
            return kind, None
        finally:
            await pool.close()

    kind, lost = asyncio.run(scenario())
    assert kind == "solutions"
    assert lost is not None and "another query" in str(lost), lost


def test_a_new_text_of_a_shape_that_ran_short_asks_for_a_short_seat_first(project_store_root,
                                                                          monkeypatch) -> None:
    asked: list[bool] = []

    async def scenario() -> list[str]:
        pool = QueryPool(project_store_root.path, size=3, reserved=2)
        await pool.start()
        acquire = pool.lanes.acquire

        async def spying(*, long: bool, deadline: float, prefer_long: bool = False) -> str:
            asked.append(prefer_long)
            return await acquire(long=long, deadline=deadline, prefer_long=prefer_long)

        monkeypatch.setattr(pool.lanes, "acquire", spying)
        try:
            kinds = []
            for cluster in ("afil", "cluster-lombardia-energy", "unknown-cluster"):
                await (await pool.run(QueryJob(sparql=LIGHT.format(f"https://w3id.org/clustergraph/id/{cluster}")),
                                      time_limit=30)).read_all()
                kinds.append(LONG if asked[-1] else SHORT)
            await (await pool.run(QueryJob(sparql="ASK { ?s ?p ?o }"), time_limit=30)).read_all()
            return kinds
        finally:
            await pool.close()

    kinds = asyncio.run(scenario())
    assert kinds == [LONG, SHORT, SHORT], "the first text of the shape keeps off the short seats; the next do not"
    assert asked[-1] is True, "a text of a shape never seen asks for a long slot first"


@pytest.mark.parametrize("seats", [1, 3])
def test_seats_answer_queries_at_once(project_store_root, seats: int) -> None:
    async def scenario() -> list[bytes]:
        pool = QueryPool(project_store_root.path, size=seats + 1, reserved=seats)
        await pool.start()
        try:
            jobs = [QueryJob(sparql=LIGHT.format(f"urn:x:{i}"), row_cap=10) for i in range(3 * seats)]
            answers = await asyncio.gather(*(pool.run(job, time_limit=30) for job in jobs))
            return [await answer.read_all() for answer in answers]
        finally:
            await pool.close()

    bodies = asyncio.run(scenario())
    assert all(json.loads(body)["results"]["bindings"] == [] for body in bodies)


def test_a_query_in_flight_when_the_pool_closes_ends_at_once(project_store_root) -> None:
    """Closing the pool kills its processes on purpose; their queries are not run again (nothing is left to run
    them on), so a stopping server does not keep requests waiting until their time limit."""
    job = QueryJob(sparql=BURN.format("closing"))

    async def scenario() -> tuple[BaseException | None, float]:
        pool = QueryPool(project_store_root.path, size=3, reserved=2, long_after=30.0)
        await pool.start()
        _known_short(pool, job)
        running = asyncio.create_task(pool.run(job, time_limit=60))
        await asyncio.sleep(0.3)
        started = asyncio.get_running_loop().time()
        await pool.close()
        try:
            await asyncio.wait_for(running, timeout=30)
        except errors.WorkerLost as exc:
            return exc, asyncio.get_running_loop().time() - started
        return None, asyncio.get_running_loop().time() - started

    lost, seconds = asyncio.run(scenario())
    assert lost is not None and "stopping" in str(lost), lost
    assert seconds < 5, f"the request waited {seconds:.1f} s after the pool closed"
