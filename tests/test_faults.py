"""The server survives faulty and hostile clients and recovers without a restart (issue 6, "Faults"):
clients that disconnect mid-stream, slow clients (slowloris, slow readers, slow body senders), oversized and
lying bodies, a full worker pool and a worker killed from outside.

One server (embedded store, 2 workers, 3 s time limit, no row cap, 10 kB body cap) serves the whole module;
every test ends by checking the pool is back to its size with no zombie, leaked or spinning worker, and that
the server process is the one that started.

What uvicorn does with slow clients (it is run with its defaults, see ``cli.serve``): ``timeout_keep_alive``
(5 s) only closes idle connections *between* requests, and there is no timeout on reading request headers,
so a slowloris connection stays open until the client stops or its headers pass h11's 16 kB limit (then a
400). Each connection costs a file descriptor and a little memory, never a worker or the event loop, so
other clients keep being served. A request *body* must arrive within the body timeout of
:class:`clustergraph.web.body_cap.BodyCap` (else 408); no worker is held while it is read.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar
from urllib.parse import quote

import httpx
import psutil
import pytest
from live import LiveServer, start_server

from clustergraph.kg.store import EmbeddedStore, StoreRoot
from clustergraph.web.body_cap import BODY_TIMEOUT

WORKERS = 2
TIME_LIMIT = 3
BODY_CAP = 10_000
MARGIN = 5  # generous: the machine may be busy with other work
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # runs far past any time limit
STREAM = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"  # tens of millions of rows: streams as long as it is read
ASK = "ASK { ?s ?p ?o }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
T = TypeVar("T")


@pytest.fixture(scope="module")
def server(project_store_root: StoreRoot) -> Iterator[LiveServer]:
    with start_server(project_store_root.path, workers=str(WORKERS), time_limit=str(TIME_LIMIT), row_cap="0",
                      body_cap=str(BODY_CAP)) as live:
        yield live


# --- helpers -------------------------------------------------------------------------------------------------

def workers(server: LiveServer) -> list[psutil.Process]:
    """The server's query worker processes (zombies included)."""
    return [p for p in psutil.Process(server.process.pid).children(recursive=True) if _is_worker(p)]


def _is_worker(process: psutil.Process) -> bool:
    """Whether ``process`` is a query worker, or a zombie (whose command line is gone)."""
    with contextlib.suppress(psutil.Error):
        if process.status() == psutil.STATUS_ZOMBIE:
            return True  # a zombie has no command line left; count it, it is a leak
        return "clustergraph.querying.worker" in " ".join(process.cmdline())
    return False


def cpu_seconds(processes: list[psutil.Process], over: float) -> dict[int, float]:
    """CPU seconds each process used during the next ``over`` seconds (gone processes: 0)."""
    def used(p: psutil.Process) -> float:
        with contextlib.suppress(psutil.Error):
            return sum(p.cpu_times()[:2])
        return 0.0

    before = {p.pid: used(p) for p in processes}
    time.sleep(over)
    return {p.pid: max(used(p) - before[p.pid], 0.0) for p in processes}


def assert_recovered(server: LiveServer, pid: int, *, within: float = 15) -> list[int]:
    """The pool is back to its size (seen by the app and by the OS), with no zombie, leaked or spinning
    worker, and the same server process answers queries correctly. Returns the worker pids."""
    deadline = time.monotonic() + within
    while True:
        found = workers(server)
        statuses = {p.pid: _status(p) for p in found}
        live = [p for p, s in statuses.items() if s not in (psutil.STATUS_ZOMBIE, "gone")]
        with server.client() as client:
            reported = client.get("/api/status").json().get("live_workers")
        if len(live) == len(statuses) == WORKERS and reported == WORKERS:
            break
        assert time.monotonic() < deadline, f"the pool did not recover: workers {statuses}, app says {reported}"
        time.sleep(0.3)
    assert server.process.pid == pid and server.process.poll() is None, "the server must not have restarted"
    spinning = {p: s for p, s in cpu_seconds(found, 1.0).items() if s > 0.3}
    assert spinning == {}, f"workers still burning CPU with nothing to do: {spinning}"
    with server.client() as client:
        ask = client.get("/sparql", params={"query": ASK})
        assert ask.status_code == 200 and ask.json()["boolean"] is True, ask.text
    return sorted(live)


def _status(process: psutil.Process) -> str:
    """The process's status, or "gone" once it has been reaped."""
    try:
        return process.status()
    except psutil.NoSuchProcess:
        return "gone"


def fresh(sparql: str) -> str:
    """``sparql`` with a unique comment: a text the server has not seen, so what it remembers of earlier
    queries (which texts ran long) does not change how this one is admitted."""
    return f"{sparql} # {uuid.uuid4()}"


def http(server: LiveServer, timeout: float) -> httpx.Client:
    """An HTTP client of ``server`` that gives up after ``timeout`` seconds."""
    return httpx.Client(base_url=server.url, timeout=timeout)


def quad_count(server: LiveServer) -> int:
    """How many quads the server's store holds, as a query answers it."""
    with server.client() as client:
        response = client.get("/sparql", params={"query": COUNT}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def connect(server: LiveServer, *, receive_buffer: int | None = None) -> socket.socket:
    """A raw TCP connection to the server (optionally with a small receive buffer, for slow readers)."""
    sock = socket.socket()
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(TIME_LIMIT + BODY_TIMEOUT + MARGIN)
    sock.connect(("127.0.0.1", int(server.url.rsplit(":", 1)[1])))
    return sock


def get_request(sparql: str, *, accept: str = "text/csv") -> bytes:
    """A whole ``GET /sparql`` request for ``sparql``, as raw bytes."""
    return (f"GET /sparql?query={quote(sparql)} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {accept}\r\n\r\n").encode()


def post_head(length: int | None, *, chunked: bool = False) -> bytes:
    """Request line and headers of a direct POST /sparql (``application/sparql-query``)."""
    head = "POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
    head += "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {length}\r\n"
    return (head + "\r\n").encode()


def read_head(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and the body bytes read so far; status 0 when the server closed
    the connection without answering."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(4096)
        if not piece:
            return 0, {}, data
        data += piece
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict((k.strip().lower(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:]))
    return int(lines[0].split()[1]), headers, rest


def keep_answering(server: LiveServer, until: Callable[[], bool], *, at_least: int = 3) -> list[float]:
    """Send normal queries one after another until ``until()`` (and at least ``at_least`` of them); each
    must answer correctly within MARGIN seconds. Returns their durations."""
    durations = []
    with http(server, MARGIN) as client:
        while len(durations) < at_least or not until():
            started = time.monotonic()
            response = client.get("/sparql", params={"query": ASK})
            durations.append(time.monotonic() - started)
            assert response.status_code == 200 and response.json()["boolean"] is True, response.text
            time.sleep(0.2)
    return durations


class Background(Generic[T]):
    """``target`` running in a daemon thread; :meth:`result` hands back what it returned, or raises what it
    raised."""

    def __init__(self, target: Callable[[], T]) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(target,), daemon=True)
        self._thread.start()

    def _run(self, target: Callable[[], T]) -> None:
        try:
            self._value = target()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            self._error = exc

    def running(self) -> bool:
        return self._thread.is_alive()

    def result(self, timeout: float) -> T:
        """What ``target`` returned, waiting at most ``timeout`` seconds for it."""
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"no answer within {timeout} s"
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


# --- 1. clients that disconnect mid-stream ------------------------------------------------------------------

def test_clients_that_disconnect_mid_stream_leave_no_worker_behind(server: LiveServer, project_store: EmbeddedStore):
    pid = server.process.pid
    assert_recovered(server, pid)
    statuses = []
    for attempt in range(20):
        with connect(server) as sock:
            if attempt % 2:  # half of them reset the connection instead of closing it
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.sendall(get_request(fresh(STREAM)))
            status, _, body = read_head(sock)
            statuses.append(status)
            if status == 200:
                while 0 < len(body) < 1000 or not body:  # the first rows of the answer, then leave
                    piece = sock.recv(4096)
                    assert piece, "the answer ended early"
                    body += piece
    assert statuses.count(200) >= 10 and set(statuses) <= {200, 503}, statuses
    assert_recovered(server, pid)
    assert quad_count(server) == project_store.quad_count(), "answers after the disconnects are still right"


# --- 2. slow clients ----------------------------------------------------------------------------------------

def test_slowloris_connections_do_not_hold_up_other_clients(server: LiveServer):
    pid = server.process.pid
    assert_recovered(server, pid)
    request = get_request(ASK)
    sockets = [connect(server) for _ in range(8)]
    stop = threading.Event()

    def trickle() -> int:
        """One byte of the headers on each socket every 0.2 s, never finishing them."""
        sent = 0
        while not stop.is_set() and sent < len(request) - 4:
            for sock in sockets:
                sock.sendall(request[sent:sent + 1])
            sent += 1
            time.sleep(0.2)
        return sent

    trickling = Background(trickle)
    try:
        started = time.monotonic()
        keep_answering(server, until=lambda: time.monotonic() - started > 4)
    finally:
        stop.set()
        sent = trickling.result(MARGIN)
        for sock in sockets:
            sock.close()
    assert sent >= 10, "the slow headers were being sent while the other queries were answered"
    assert_recovered(server, pid)


def _slow_reader(server: LiveServer, seconds: float, stop: threading.Event) -> int:
    """Stream a huge answer and read it 20 bytes every 0.25 s for ``seconds``; returns the bytes read."""
    with connect(server, receive_buffer=4096) as sock:
        sock.sendall(get_request(fresh(STREAM)))
        status, _, body = read_head(sock)
        assert status == 200
        read, started = len(body), time.monotonic()
        while time.monotonic() - started < seconds and not stop.is_set():
            piece = sock.recv(20)
            if not piece:
                break
            read += len(piece)
            time.sleep(0.25)
        return read


def test_a_slow_reader_holds_one_worker_and_other_queries_still_answer(server: LiveServer):
    pid = server.process.pid
    assert_recovered(server, pid)
    stop = threading.Event()
    reader = Background(lambda: _slow_reader(server, 2.5, stop))
    try:
        time.sleep(0.5)
        keep_answering(server, until=lambda: not reader.running())
    finally:
        stop.set()
        read = reader.result(MARGIN)
    assert read > 100
    assert_recovered(server, pid)


def test_slow_readers_cannot_keep_the_workers_past_the_time_limit(server: LiveServer):
    """As many slow readers as workers: once the time limit and the one more allowed for sending the answer
    have passed they may still be connected, but their workers must be free for other queries (the limit
    covers the whole answer, however slowly it is read)."""
    pid = server.process.pid
    assert_recovered(server, pid)
    stop = threading.Event()
    allowed = 2 * TIME_LIMIT  # computing the answer, then sending it
    readers = [Background(lambda: _slow_reader(server, allowed + 6, stop)) for _ in range(WORKERS)]
    try:
        time.sleep(allowed + 1.5)
        with http(server, TIME_LIMIT + MARGIN) as client:
            response = client.get("/sparql", params={"query": ASK})
        assert response.status_code == 200, (
            f"{WORKERS} slow readers still hold every worker {allowed + 1.5} s after they started, with a time "
            f"limit of {TIME_LIMIT} s: {response.status_code} {response.text}")
    finally:
        stop.set()
        for reader in readers:
            reader.result(MARGIN)
    assert_recovered(server, pid)


def test_a_slow_body_sender_is_cut_off_and_holds_up_no_one(server: LiveServer):
    pid = server.process.pid
    assert_recovered(server, pid)
    body = ("ASK { ?s ?p ?o } # " + "x" * 200).encode()

    def trickle() -> tuple[int, float]:
        """The body, one byte every 0.2 s (40 s in all, were it read to the end)."""
        with connect(server) as sock:
            sock.sendall(post_head(len(body)))
            started = time.monotonic()
            for byte in body:
                try:
                    sock.sendall(bytes([byte]))
                except OSError:  # the server answered and closed the connection
                    break
                sock.settimeout(0.2)
                with contextlib.suppress(TimeoutError):
                    if sock.recv(1, socket.MSG_PEEK):
                        break  # an answer is waiting
                sock.settimeout(MARGIN + BODY_TIMEOUT)
            status, _, _ = read_head(sock)
            return status, time.monotonic() - started

    sender = Background(trickle)
    keep_answering(server, until=lambda: not sender.running())
    status, seconds = sender.result(BODY_TIMEOUT + MARGIN)
    assert status == 408 and seconds < BODY_TIMEOUT + MARGIN
    assert_recovered(server, pid)


# --- 3. oversized and lying bodies --------------------------------------------------------------------------

def test_oversized_and_lying_bodies_get_a_4xx_never_a_5xx_or_a_hang(server: LiveServer):
    pid = server.process.pid
    assert_recovered(server, pid)
    query = b"ASK { ?s ?p ?o }"

    def declares_more_than_it_sends() -> tuple[int, float]:
        with connect(server) as sock:
            sock.sendall(post_head(500) + query)  # then nothing: the connection stays open
            started = time.monotonic()
            status, _, _ = read_head(sock)
            return status, time.monotonic() - started

    lying = Background(declares_more_than_it_sends)

    with connect(server) as sock:  # a declared size over the cap is refused before the body is sent
        sock.sendall(post_head(BODY_CAP + 1))
        assert read_head(sock)[0] == 413

    with connect(server) as sock:  # a chunked body over the cap is refused once the cap is passed
        sock.sendall(post_head(None, chunked=True))
        chunk = b"#" * 4096
        with contextlib.suppress(OSError):  # the server may answer and close before the last chunk
            for _ in range(BODY_CAP // len(chunk) + 2):
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sock.sendall(b"0\r\n\r\n")
        assert read_head(sock)[0] == 413

    with connect(server) as sock:  # declares fewer bytes than it sends: the query is cut, a 400
        sock.sendall(post_head(5) + query + b" and more than was declared")
        status, _, _ = read_head(sock)
        assert 400 <= status < 500

    with connect(server) as sock:  # declares more, sends less and closes its side: never a 5xx
        sock.sendall(post_head(500) + query)
        sock.shutdown(socket.SHUT_WR)
        status, _, _ = read_head(sock)
        assert status == 0 or 400 <= status < 500, status

    padded = query + b" #" + b"x" * (BODY_CAP - len(query) - 2)  # exactly the cap is allowed
    with server.client() as client:
        response = client.post("/sparql", content=padded, headers={"Content-Type": "application/sparql-query"})
        assert response.status_code == 200 and response.json()["boolean"] is True, response.text

    status, seconds = lying.result(BODY_TIMEOUT + MARGIN)
    assert status == 408, "a body that never arrives is answered, not waited for forever"
    assert BODY_TIMEOUT - 1 < seconds < BODY_TIMEOUT + MARGIN
    assert_recovered(server, pid)


# --- 4. a full worker pool ----------------------------------------------------------------------------------

def test_a_full_pool_answers_503_with_retry_after_and_recovers(server: LiveServer):
    pid = server.process.pid
    assert_recovered(server, pid)
    barrier = threading.Barrier(WORKERS + 2)

    def heavy() -> tuple[httpx.Response, float]:
        with http(server, TIME_LIMIT + 2 * MARGIN) as client:
            barrier.wait()
            started = time.monotonic()
            response = client.get("/sparql", params={"query": fresh(HEAVY)})
            return response, time.monotonic() - started

    running = [Background(heavy) for _ in range(WORKERS + 2)]  # more slow queries than workers
    time.sleep(1)
    with http(server, MARGIN) as client:  # the event loop is not blocked by the full pool
        assert client.get("/api/version").status_code == 200
    answers = [query.result(TIME_LIMIT + 2 * MARGIN) for query in running]

    for response, seconds in answers:
        assert response.status_code == 503, response.text
        assert response.headers.get("Retry-After", "").isdigit(), response.headers
        assert seconds < TIME_LIMIT + MARGIN
    texts = [response.text for response, _ in answers]
    assert any("busy" in text for text in texts), f"no query was turned away as the pool was full: {texts}"
    assert_recovered(server, pid)


# --- 5. a worker killed from outside ------------------------------------------------------------------------

def test_a_worker_killed_mid_query_answers_503_and_is_replaced(server: LiveServer):
    pid = server.process.pid
    before = assert_recovered(server, pid)

    def heavy() -> httpx.Response:
        with http(server, TIME_LIMIT + MARGIN) as client:
            return client.get("/sparql", params={"query": fresh(HEAVY)})

    query = Background(heavy)
    time.sleep(0.5)
    used = cpu_seconds(workers(server), 0.5)
    busy = max(used, key=used.__getitem__)
    assert used[busy] > 0.1, f"no worker is running the heavy query: {used}"
    os.kill(busy, signal.SIGKILL)
    response = query.result(TIME_LIMIT + MARGIN)

    assert response.status_code == 503, response.text
    assert response.headers.get("Retry-After", "").isdigit(), response.headers
    assert "the query worker stopped unexpectedly" in response.text
    after = assert_recovered(server, pid)
    assert busy not in after and len(set(after) - set(before)) >= 1, "the killed worker was replaced"
