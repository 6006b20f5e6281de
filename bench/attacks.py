"""Load test, part 2 (issue 16): what anonymous attacks cost a light client. ``bench/load.py --attacks`` runs it.

Each row runs one attack (a fixed number of requests, so many at a time) while one light client sends a light
``/sparql`` query once a second (a fixed SELECT, then an ASK whose IRI changes every time, so no answer cache
helps), and records:

- the attack's requests by status: 200, the expected refusal (400, or 413 from the body cap, for the 1 MB
  query texts), 503 with ``Retry-After``, anything else (no answer within the client timeout included);
- the attack's p50 and max seconds (every answer, read to its end);
- the light client's p50, p99 and max seconds and its errors (anything but a 200);
- the server's event-loop lag over the row (``/api/status?lag_seconds=``, read when the row ends);
- the peak summed RSS of the server and its workers during the row.

The quiet row (the light client alone) is the baseline of the same run; the last row runs every attack at
once. Rows run one after the other on one server, which serves a private copy of the store (dumps written
during the run land in the copy).
"""

from __future__ import annotations

import asyncio
import math
import random
import string
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import httpx
from common import percentile

CLIENT_TIMEOUT_S = 60.0
LIGHT_EVERY_S = 1.0
QUIET_SECONDS = 15.0
MIN_ROW_SECONDS = 5.0
BIG_QUERY_BYTES = 999_000  # just under the default body cap (1,000,000 bytes): the guard must read it
BROWSE_KINDS = ("clusters", "organisations", "initiatives")
LIGHT_SELECT = ("SELECT ?label WHERE { <https://w3id.org/clustergraph/id/afil> "
                "<http://www.w3.org/2004/02/skos/core#prefLabel> ?label }")
NQUADS = "application/n-quads"


@dataclass(frozen=True)
class Shot:
    """One attack request."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class Attack:
    """Its ``shots``, ``at_once`` at a time; ``refusals`` are the statuses that answer them as designed."""

    name: str
    label: str
    at_once: int
    shots: tuple[Shot, ...]
    before: str = ""  # the tester's light-client figures (issue 16), if any
    refusals: tuple[int, ...] = ()

    @property
    def what(self) -> str:
        return f"{len(self.shots)} × {self.label}, {self.at_once} at a time"

    def shortened(self) -> Attack:
        """Half the shots (at least one), for the quick form."""
        shots = self.shots[:max(1, len(self.shots) // 2)]
        return replace(self, shots=shots, at_once=min(self.at_once, len(shots)))


@dataclass
class Answer:
    """One answered (or failed) request; ``status`` 0 is no answer (timeout, refused or dropped connection)."""

    status: int
    seconds: float
    retry_after: bool = False
    error: str = ""
    size: int = 0


def big_query(seed: int) -> bytes:
    """A SELECT of about 1 MB: one ``IN`` list of numbers, far past the guard's token limit, so it is refused
    (400) after the whole text is read."""
    rng = random.Random(seed)
    head = "SELECT ?s WHERE { ?s ?p ?o FILTER (?o IN ("
    parts, size = [], len(head) + 4
    while size < BIG_QUERY_BYTES - 12:
        number = str(rng.randrange(10**9))
        parts.append(number)
        size += len(number) + 2
    return (head + ", ".join(parts) + ")) }").encode()


def attacks(*, quick: bool = False) -> dict[str, Attack]:
    """Issue 16's attacks and the further rows (dumps, service description), in the order they run; ``quick``
    halves every attack (CI)."""
    rng = random.Random(16)
    sparql_text = {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"}
    browse = tuple(Shot("GET", f"/browse/{BROWSE_KINDS[i % 3]}?q=" + "".join(rng.choices(string.ascii_lowercase,
                                                                                         k=rng.randint(2, 4))),
                        {"Accept": "text/html"}) for i in range(12))
    rows = [
        Attack("void", "`GET /.well-known/void`", 4,
               (Shot("GET", "/.well-known/void", {"Accept": "text/turtle"}),) * 8, "p50 9.6 s, max 10.0 s"),
        Attack("browse", "`GET /browse/{clusters,organisations,initiatives}?q=<random>`", 4, browse,
               "p50 7.8 s, max 13.7 s"),
        Attack("store", "`GET /store` (N-Quads, the whole dataset)", 2,
               (Shot("GET", "/store", {"Accept": NQUADS}),) * 2, "max 8.0 s"),
        Attack("bigquery", f"a {BIG_QUERY_BYTES / 1e6:.1f} MB query text POSTed to `/sparql`", 5,
               tuple(Shot("POST", "/sparql", sparql_text, big_query(i)) for i in range(5)), "p50 3.8 s, max 6.0 s",
               refusals=(400, 413)),
        Attack("dump", "`GET /dumps/clustergraph.ttl`", 2, (Shot("GET", "/dumps/clustergraph.ttl"),) * 2),
        Attack("service", "`GET /sparql` (service description, Turtle)", 4,
               (Shot("GET", "/sparql", {"Accept": "text/turtle"}),) * 8),
    ]
    return {a.name: a.shortened() if quick else a for a in rows}


@dataclass
class Row:
    """What one row saw."""

    name: str
    what: str
    before: str
    seconds: float
    attack: list[Answer]
    light: list[Answer]
    refusals: tuple[int, ...]
    lag: dict
    peak_rss: int

    def unexpected(self) -> Counter:
        """Answers that are neither a 200, an expected refusal, nor a 503 with Retry-After, by kind."""
        kinds: Counter = Counter()
        for who, answers, allowed in (("attack", self.attack, self.refusals), ("light", self.light, ())):
            for a in answers:
                if a.status == 200 or a.status in allowed or (a.status == 503 and a.retry_after):
                    continue
                kinds[f"{self.name} {who}: " + (f"HTTP {a.status}" if a.status else a.error)] += 1
        return kinds

    def figures(self) -> dict:
        """The row as plain figures (for load.json)."""
        done = [a.seconds for a in self.attack]
        light_ok = [a.seconds for a in self.light if a.status == 200]
        statuses = Counter(a.status for a in self.attack)
        return {
            "what": self.what, "before (issue 16)": self.before or None, "seconds": round(self.seconds, 1),
            "attack requests": len(self.attack), "attack 200": statuses[200],
            "attack refused as designed": sum(statuses[s] for s in self.refusals),
            "attack 503 with Retry-After": sum(1 for a in self.attack if a.status == 503 and a.retry_after),
            "attack other": sum(1 for a in self.attack if a.status != 200 and a.status not in self.refusals
                                and not (a.status == 503 and a.retry_after)),
            "attack p50 s": percentile(done, 50), "attack max s": max(done, default=float("nan")),
            "light requests": len(self.light), "light errors": sum(1 for a in self.light if a.status != 200),
            "light p50 s": percentile(light_ok, 50), "light p99 s": percentile(light_ok, 99),
            "light max s": max((a.seconds for a in self.light), default=float("nan")),
            "loop lag p99 ms": self.lag.get("loop_lag_p99_ms"), "loop lag max ms": self.lag.get("loop_lag_max_ms"),
            "loop lag samples": self.lag.get("loop_lag_samples"), "peak rss": self.peak_rss,
            "unexpected": dict(self.unexpected()),
        }


async def fire(client: httpx.AsyncClient, shot: Shot, timeout: float) -> Answer:
    """Send ``shot`` and read its answer to the end, within ``timeout`` seconds in all."""
    started = time.monotonic()

    async def send() -> Answer:
        request = client.build_request(shot.method, shot.path, headers=shot.headers, content=shot.body or None)
        response = await client.send(request, stream=True)
        size = 0
        try:
            async for chunk in response.aiter_raw(1 << 20):
                size += len(chunk)
        finally:
            await response.aclose()
        return Answer(response.status_code, time.monotonic() - started, "retry-after" in response.headers,
                      size=size)

    try:
        return await asyncio.wait_for(send(), timeout)
    except (TimeoutError, httpx.HTTPError, OSError) as exc:
        return Answer(0, time.monotonic() - started, error=type(exc).__name__)


async def run_attacks(url: str, chosen: list[Attack], timeout: float) -> list[list[Answer]]:
    """Every shot of every attack in ``chosen`` (all at once), each attack ``at_once`` at a time."""
    limits = httpx.Limits(max_connections=sum(a.at_once for a in chosen) + 4, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as client:
        async def one(attack: Attack) -> list[Answer]:
            gate = asyncio.Semaphore(attack.at_once)

            async def gated(shot: Shot) -> Answer:
                async with gate:
                    return await fire(client, shot, timeout)

            return list(await asyncio.gather(*(gated(s) for s in attack.shots)))

        return list(await asyncio.gather(*(one(a) for a in chosen)))


class LightClient:
    """A thread that sends a light ``/sparql`` query every :data:`LIGHT_EVERY_S` seconds until stopped, whether
    or not the earlier ones were answered (a user each second, as the tester's client), alternating a fixed
    SELECT and an ASK on a new IRI; stopping waits for the answers still due (each within the timeout)."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url, self.timeout = url, timeout
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), name="light-client", daemon=True)

    def __enter__(self) -> LightClient:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def query(n: int) -> str:
        if n % 2:
            return LIGHT_SELECT
        return f"ASK {{ <https://w3id.org/clustergraph/id/light-{n}-{time.monotonic_ns()}> ?p ?o }}"

    async def _run(self) -> None:
        headers = {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"}
        async with httpx.AsyncClient(base_url=self.url, timeout=self.timeout,
                                     limits=httpx.Limits(max_connections=None)) as client:
            sent, n = [], 0
            while not self._stop.is_set():
                n += 1
                shot = Shot("POST", "/sparql", headers, self.query(n).encode())
                sent.append(asyncio.create_task(fire(client, shot, self.timeout)))
                await asyncio.sleep(LIGHT_EVERY_S)
            self.answers = list(await asyncio.gather(*sent))


def run_row(url: str, name: str, chosen: list[Attack], *, quiet_seconds: float, least: float,
            peak_rss: Callable[[float], int], timeout: float = CLIENT_TIMEOUT_S) -> Row:
    """One row: the ``chosen`` attacks (none: the quiet row, ``quiet_seconds`` long) beside the light client,
    which goes on for ``least`` seconds at least."""
    started = time.monotonic()
    with LightClient(url, timeout) as light:
        time.sleep(1.0)  # the light client's first answer comes before the attack starts
        answers = asyncio.run(run_attacks(url, chosen, timeout)) if chosen else []
        rest = (quiet_seconds if not chosen else least) - (time.monotonic() - started)
        time.sleep(max(0.0, rest))
    seconds = time.monotonic() - started
    lag = httpx.get(url + "/api/status", params={"lag_seconds": f"{min(seconds + 0.5, 300):.1f}"},
                    timeout=timeout).json()
    what = "; ".join(a.what for a in chosen) if name == "mix" else chosen[0].what if chosen else \
        f"none: the light client alone for {quiet_seconds:g} s"
    return Row(name, what, "" if name == "mix" or not chosen else chosen[0].before, seconds,
               [a for group in answers for a in group], light.answers,
               tuple({s for a in chosen for s in a.refusals}), lag, peak_rss(started))


def run_rows(url: str, names: list[str], *, quick: bool, peak_rss: Callable[[float], int]) -> list[Row]:
    """The rows named in ``names`` (``quiet``, an attack's name, or ``mix``: every attack at once), in order;
    ``quick`` shortens the quiet row, the least row length and the pause between rows (CI)."""
    known = attacks(quick=quick)
    settle, rows = (0.5 if quick else 2.0), []
    for name in names:
        chosen = [] if name == "quiet" else list(known.values()) if name == "mix" else [known[name]]
        rows.append(run_row(url, name, chosen, quiet_seconds=3.0 if quick else QUIET_SECONDS,
                            least=2.0 if quick else MIN_ROW_SECONDS, peak_rss=peak_rss))
        print(f"  {name}: {_brief(rows[-1])}", flush=True)
        time.sleep(settle)
    return rows


def row_names(spec: str) -> list[str]:
    """The rows of ``--attack-rows`` (``all``: quiet, every attack, mix).

    :raises ValueError: naming an unknown row.
    """
    every = ["quiet", *attacks(), "mix"]
    names = every if spec == "all" else [n.strip() for n in spec.split(",") if n.strip()]
    unknown = [n for n in names if n not in every]
    if unknown:
        raise ValueError(f"unknown attack rows {', '.join(unknown)}; known: {', '.join(every)}")
    return names


def table(rows: list[Row]) -> list[str]:
    """The rows as a Markdown table, the tester's figures beside the light client's."""
    lines = ["| row | attack requests | 200 / refused / 503+RA / other | attack p50 / max | light p50 / p99 / max "
             "| light errors | before (issue 16): light | loop lag p99 / max | peak RSS |",
             "| --- | ---: | --- | --- | --- | ---: | --- | --- | ---: |"]
    for row in rows:
        f = row.figures()
        lines.append(
            f"| {row.name} | {f['attack requests']} | {f['attack 200']} / {f['attack refused as designed']} / "
            f"{f['attack 503 with Retry-After']} / {f['attack other']} | {_s(f['attack p50 s'])} / "
            f"{_s(f['attack max s'])} | {_s(f['light p50 s'])} / {_s(f['light p99 s'])} / {_s(f['light max s'])} | "
            f"{f['light errors']} of {f['light requests']} | {row.before or '–'} | {_lag(f['loop lag p99 ms'])} / "
            f"{_lag(f['loop lag max ms'])} | {row.peak_rss / 2**20:.0f} MiB |")
    return lines


def _brief(row: Row) -> str:
    f = row.figures()
    return (f"{f['attack requests']} requests in {row.seconds:.1f} s, light p99 {_s(f['light p99 s'])} max "
            f"{_s(f['light max s'])}, lag max {_lag(f['loop lag max ms'])}, unexpected {sum(row.unexpected().values())}")


def _s(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def _lag(ms: float | None) -> str:
    return "n/a" if ms is None else f"{ms:.0f} ms" if ms < 10_000 else f"{ms / 1000:.1f} s"
