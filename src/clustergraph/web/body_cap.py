"""ASGI middleware that refuses request bodies larger than the configured cap (413), whether the client
declares the size in Content-Length or streams it in chunks, and bodies that do not arrive in time (408).

uvicorn waits for a body as long as the connection stays open, so a client that declares more bytes than it
sends, or trickles them, would keep its request (and the app's wait for it) open forever; here the whole
body must arrive within ``timeout`` seconds of the app starting to read it. No query worker is held while a
body is read: the pool is only asked once the request is complete.
"""

from __future__ import annotations

import asyncio

from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clustergraph.errors import PayloadTooLarge

BODY_TIMEOUT = 10.0  # seconds for a whole request body: 1 MB (the default cap) at 100 kB/s


class BodyCap:
    """Cap request bodies at ``max_bytes`` and their arrival at ``timeout`` seconds."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout: float = BODY_TIMEOUT) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            response = PlainTextResponse(self._message(), 413)
            await response(scope, receive, send)
            return
        await self.app(scope, self._capped(receive), send)

    def _capped(self, receive: Receive) -> Receive:
        """``receive`` that counts body bytes against the cap and the body's arrival against the timeout;
        once the body is complete it passes messages (a disconnect) through untouched.

        :raises PayloadTooLarge: past the cap (413).
        :raises HTTPException: 408 when the body is not complete within the timeout.
        """
        seen, complete, deadline = 0, False, 0.0

        async def capped_receive() -> Message:
            nonlocal seen, complete, deadline
            if complete:
                return await receive()
            loop = asyncio.get_running_loop()
            deadline = deadline or loop.time() + self.timeout
            try:
                message = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0))
            except TimeoutError:
                raise HTTPException(408, f"the request body did not arrive within {self.timeout:g} s",
                                    headers={"Connection": "close"}) from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise PayloadTooLarge(self._message())
                complete = not message.get("more_body", False)
            else:
                complete = True  # http.disconnect: nothing more will come
            return message

        return capped_receive

    def _message(self) -> str:
        return f"request body larger than the cap of {self.max_bytes} bytes\n"
