"""Who may write, and the record of who tried.

A write (``POST /update``, ``PUT``/``POST``/``DELETE /store``) needs the server's write token as
``Authorization: Bearer <token>``, compared in constant time (:func:`hmac.compare_digest`), and must not come
from a web page of another origin: a browser marks such a request with an ``Origin`` header naming that page's
origin and (current browsers) ``Sec-Fetch-Site: cross-site`` or ``same-site``; either refuses the write with
403, token or not. Same-origin pages (``Origin`` equal to this server's scheme://host:port, ``Sec-Fetch-Site:
same-origin``) and clients that are not browsers (no ``Origin``, no ``Sec-Fetch-Site``) are decided by the
token alone. The CORS preflight a browser sends before a cross-origin write is refused too
(:class:`ReadOnlyCors`), so the browser never sends the write at all; reads keep ``Access-Control-Allow-Origin:
*`` from any origin.

Every write attempt, accepted or refused, is one line on the ``clustergraph.writes`` logger
(:class:`WriteLog`): method, path, target graph, client address, ``Origin``, status, outcome and body size;
never the token or any other header.
"""

from __future__ import annotations

import hmac
import logging
import sys
from urllib.parse import parse_qsl, urlsplit

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clustergraph.errors import Forbidden, Unauthorized

WRITE_LOG = logging.getLogger("clustergraph.writes")
WRITES: dict[str, frozenset[str]] = {"/store": frozenset({"PUT", "POST", "DELETE"}),
                                     "/update": frozenset({"POST"})}
CROSS_SITE = ("cross-site", "same-site")  # Sec-Fetch-Site values naming another origin
DEFAULT_PORTS = {"http": 80, "https": 443}
Origin = tuple[str, str, int]


def is_write(path: str, method: str) -> bool:
    """Whether ``method`` on ``path`` is a write."""
    return method.upper() in WRITES.get(path, frozenset())


def parse_origin(value: str) -> Origin | None:
    """(scheme, host, port) of an origin such as ``https://example.org:8443``; None when it is not one
    (``null``, no host, a bad port)."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port if port is not None else DEFAULT_PORTS[scheme]


def own_origin(scope: Scope) -> Origin | None:
    """This server's origin as the request reached it: its scheme and ``Host`` header (or the socket address)."""
    scheme = scope.get("scheme", "http")
    host = Headers(scope=scope).get("host")
    if not host and scope.get("server"):
        server_host, server_port = scope["server"][0], scope["server"][1]
        host = f"[{server_host}]:{server_port}" if ":" in str(server_host) else f"{server_host}:{server_port}"
    return parse_origin(f"{scheme}://{host}") if host else None


def cross_origin(scope: Scope) -> str | None:
    """Why the request comes from a web page of another origin, or None (same origin, or not a browser)."""
    headers = Headers(scope=scope)
    site = headers.get("sec-fetch-site", "").strip().lower()
    if site in CROSS_SITE:
        return f"Sec-Fetch-Site: {site}"
    origin = headers.get("origin")
    if origin is None:
        return None
    found = parse_origin(origin)
    if found is None or found != own_origin(scope):
        return f"Origin {origin[:100]!r} is not this server's"
    return None


def require_same_origin(request: Request) -> None:
    """:raises Forbidden: for a request a browser sent from a page of another origin."""
    reason = cross_origin(request.scope)
    if reason is not None:
        raise Forbidden(f"writes from a web page of another origin are refused ({reason})")


def require_token(request: Request, write_token: str) -> None:
    """:raises Unauthorized: without a bearer token. :raises Forbidden: with a wrong one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("writes need the write token as 'Authorization: Bearer <token>'")
    if not write_token or not hmac.compare_digest(token.strip().encode(), write_token.encode()):
        raise Forbidden("the write token is wrong")


def authorize_write(request: Request, write_token: str) -> None:
    """A write must come from this origin (or no browser) and carry the token; checked in that order, so a
    page of another origin learns nothing about the token.

    :raises Forbidden: from another origin, or with a wrong token. :raises Unauthorized: without a token.
    """
    require_same_origin(request)
    require_token(request, write_token)


class ReadOnlyCors(CORSMiddleware):
    """CORS for reads from anywhere (``*``, no credentials), while the preflight of a write from another
    origin is answered 403 with no ``Access-Control-Allow-*`` header, so the browser never sends the write."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            headers = Headers(scope=scope)
            requested = headers.get("access-control-request-method", "")
            if "origin" in headers and is_write(scope["path"], requested) and cross_origin(scope) is not None:
                log_write(scope, requested.upper(), 403, 0, preflight=True)
                response = PlainTextResponse("cross-origin writes are refused\n", 403,
                                             headers={"Vary": "Origin, Access-Control-Request-Method"})
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


class WriteLog:
    """ASGI middleware: one ``clustergraph.writes`` line per write attempt, after its answer (whatever
    answered it: the route, an error handler or the body cap)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_write(scope["path"], scope["method"]):
            await self.app(scope, receive, send)
            return
        status, received = 0, 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
            return message

        async def status_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, counting_receive, status_send)
        finally:
            log_write(scope, scope["method"], status, body_size(scope, received))


def body_size(scope: Scope, received: int) -> int:
    """The body's declared ``Content-Length``, or the bytes read when it was sent without one (chunked)."""
    declared = Headers(scope=scope).get("content-length", "")
    return int(declared) if declared.isdigit() else received


def target_of(scope: Scope) -> str:
    """The graph a write names: ``<IRI>``, ``default``, or ``-`` (an update names its graphs itself)."""
    if scope["path"] == "/update":
        return "-"
    pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    graphs = [value for key, value in pairs if key == "graph"]
    named = [f"<{g[:200]}>" for g in graphs] + (["default"] if any(k == "default" for k, _ in pairs) else [])
    return ",".join(named) or "(none)"


def outcome(status: int) -> str:
    """accepted (2xx), refused (4xx) or failed (5xx, or no answer)."""
    if 200 <= status < 400:
        return "accepted"
    return "refused" if 400 <= status < 500 else "failed"


def log_write(scope: Scope, method: str, status: int, size: int, *, preflight: bool = False) -> None:
    """One line for one write attempt; user-supplied text goes through ``repr`` so it cannot forge lines."""
    client = scope.get("client")
    origin = Headers(scope=scope).get("origin")
    WRITE_LOG.info(
        "write %s %s%s graph=%r client=%s origin=%s status=%d outcome=%s bytes=%d",
        method, scope["path"], " (CORS preflight)" if preflight else "", target_of(scope),
        f"{client[0]}:{client[1]}" if client else "-", repr(origin[:100]) if origin is not None else "-",
        status, outcome(status), size,
    )


def configure_write_log() -> None:
    """Make the write log visible when nothing else configures logging (``clustergraph serve`` under uvicorn
    sets up only uvicorn's own loggers): INFO and above, one line each on standard error."""
    if WRITE_LOG.level == logging.NOTSET:
        WRITE_LOG.setLevel(logging.INFO)
    if not WRITE_LOG.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        WRITE_LOG.addHandler(handler)
