"""uvicorn's HTTP/1.1 protocol with bounds on the request head: at most :data:`MAX_HEADERS` header fields and
:data:`MAX_HEAD_BYTES` bytes of request line and headers, answered 431 (Request Header Fields Too Large)
past them, and a request target longer than :data:`MAX_URL_BYTES` answered 414.

uvicorn (with httptools) keeps every header of a request in memory until the head is complete and sets no
limit: one connection sending small headers without end grew the server by gigabytes. Here the bytes of an
unfinished head are counted as they arrive, so the connection is closed as soon as it passes the bound.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

MAX_HEADERS = 100
MAX_HEAD_BYTES = 64 * 1024
MAX_URL_BYTES = 32 * 1024


class _HeadTooLarge(Exception):
    """Raised from a parser callback to stop parsing (httptools reports it as a parser error)."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` with the bounds of the module docstring (pass as ``uvicorn.run(http=...)``)."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - uvicorn's own signature
        super().__init__(*args, **kwargs)
        self._head_bytes = 0
        self._head_done = True
        self._refusal: tuple[int, str] | None = None

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_done = False
        self._head_bytes = 0
        self._refusal = None

    def on_url(self, url: bytes) -> None:
        if len(self.url) + len(url) > MAX_URL_BYTES:
            self._refusal = (414, f"the request target is longer than {MAX_URL_BYTES} bytes; send long queries "
                                  "by POST")
            raise _HeadTooLarge
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(self.headers) >= MAX_HEADERS:
            self._refusal = (431, f"more than {MAX_HEADERS} header fields")
            raise _HeadTooLarge
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_done = True
        self._head_bytes = 0
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._head_done or self.transport.is_closing():
            return
        self._head_bytes += len(data)  # a head still unfinished after these bytes
        if self._head_bytes > MAX_HEAD_BYTES:
            self._refusal = (431, f"the request's line and headers are larger than {MAX_HEAD_BYTES} bytes")
            self.send_400_response("")

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a parser error, or 431/414 when a bound above stopped the parser."""
        if self._refusal is None:
            super().send_400_response(msg)
            return
        status, text = self._refusal
        body = (text + "\n").encode("ascii")
        head = STATUS_LINE.get(status) or f"HTTP/1.1 {status} Request Header Fields Too Large\r\n".encode()
        self.transport.write(b"".join([head, b"content-type: text/plain; charset=utf-8\r\n",
                                       b"content-length: " + str(len(body)).encode() + b"\r\n",
                                       b"connection: close\r\n\r\n", body]))
        self.transport.close()
