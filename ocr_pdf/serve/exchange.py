"""One request and its answer over ASGI, for `ocr-pdf serve`: the request's parts, its body
read within bounds (or drained, or left unread and the connection closed), the client's
departure noticed, and the reply sent (stdlib only)."""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from dataclasses import replace
from typing import Any, Literal
from urllib.parse import parse_qsl

from ocr_pdf._version import __version__
from ocr_pdf.serve.replies import Reply

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
DRAIN_LIMIT = 32 * 1024 * 1024
"""A refused request's body is read and dropped up to this size, so that the client reads our
answer instead of a reset connection; beyond it, we answer and close the connection."""
TOO_BIG: Literal["too big"] = "too big"
TOO_SLOW: Literal["too slow"] = "too slow"


def _host(address: str) -> str:
    """An address as a URL's host: IPv4-mapped IPv6 as IPv4, other IPv6 in brackets."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ip.ipv4_mapped) if ip.ipv4_mapped else f"[{ip}]"
    return str(ip)


class Exchange:
    """One HTTP request (from an ASGI scope) and its answer. Header names are lower case; a
    repeated header keeps its last value; the query keeps each parameter's last value."""

    def __init__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        self.method = str(scope["method"]).upper()
        self.path = str(scope["path"])
        raw = list(scope.get("headers") or [])
        self.headers = {
            bytes(n).decode("latin-1").lower(): bytes(v).decode("latin-1") for n, v in raw
        }
        self.header_count = len(raw)
        self.header_bytes = sum(len(n) + len(v) + 4 for n, v in raw)
        query = bytes(scope.get("query_string") or b"")
        self.target_length = len(bytes(scope.get("raw_path") or b"")) + len(query) + 1
        self.query = dict(parse_qsl(query.decode("latin-1"), keep_blank_values=True))
        self.server = scope.get("server")
        self.gone = False
        self._receive = receive
        self._send = send
        self._body_left = self.chunked or bool(self.content_length)

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("content-length", "").strip()
        return int(value) if value.isdigit() else None

    @property
    def chunked(self) -> bool:
        return "chunked" in self.headers.get("transfer-encoding", "").lower()

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def origin(self) -> str:
        """``http://host:port`` of this server as the client reached it: the address of the
        connection's own end, never a name the client chose (``localhost`` excepted, on a
        loopback connection, so that a client's own endpoint URL stays valid)."""
        host, port = self.server if self.server else ("127.0.0.1", 80)
        name = _host(str(host))
        given = self.headers.get("host", "").lower()
        if given == f"localhost:{port}" and ipaddress.ip_address(name.strip("[]")).is_loopback:
            name = "localhost"
        return f"http://{name}:{port}"

    async def _next(self) -> dict[str, Any]:
        message = await self._receive()
        if message.get("type") == "http.disconnect":
            self.gone = True
        elif not message.get("more_body", False):
            self._body_left = False
        return message

    async def read_body(
        self, cap: int, timeout: float
    ) -> bytearray | Literal["too big", "too slow"] | None:
        """The body, or TOO_BIG when it exceeds ``cap`` bytes, TOO_SLOW when it took more
        than ``timeout`` seconds, None when the client went away."""
        data = bytearray()

        async def pull() -> bytearray | Literal["too big"] | None:
            while self._body_left and not self.gone:
                message = await self._next()
                data.extend(message.get("body", b""))
                if len(data) > cap:
                    return TOO_BIG
            return None if self.gone else data

        try:
            return await asyncio.wait_for(pull(), timeout)
        except asyncio.TimeoutError:
            return TOO_SLOW

    async def finish(self, reply: Reply, timeout: float = 10.0) -> Reply | None:
        """``reply`` once the unread body is drained (a small one); a larger body is left
        unread and the connection closed after the reply."""
        length = self.content_length
        if self._body_left and (self.chunked or (length or 0) <= DRAIN_LIMIT):
            read = await self.read_body(DRAIN_LIMIT, timeout)
            if read is None:
                return None
        if self._body_left:
            return replace(reply, close=True)
        return reply

    async def wait_for(
        self,
        future: Future[Any],
        cancel: Callable[[Future[Any]], bool],
        start_within: float | None = None,
    ) -> Any:
        """The job's result; None if the client leaves first, TOO_SLOW if the job has not
        started within ``start_within`` seconds. In both cases the job is dropped with
        ``cancel`` (which says whether it was: a job already running is waited for)."""
        loop = asyncio.get_running_loop()
        result = asyncio.wrap_future(future)
        left = asyncio.ensure_future(self._until_gone())
        deadline = None if start_within is None else loop.time() + start_within
        try:
            while True:
                timeout = None if deadline is None else max(0.0, deadline - loop.time())
                await asyncio.wait(
                    {result, left}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                if result.done():
                    return result.result()
                if left.done():
                    return None
                if cancel(future):
                    return TOO_SLOW
                deadline = None  # it started in the meantime: wait for it
        finally:
            left.cancel()
            if not future.done():
                cancel(future)

    async def _until_gone(self) -> None:
        while not self.gone:
            await self._next()

    async def answer(self, reply: Reply) -> None:
        """Send ``reply``; a client that has gone is no error."""
        if self.gone:
            return
        headers = [
            (b"content-length", str(len(reply.body)).encode()),
            (b"server", f"ocr-pdf/{__version__}".encode()),
            (b"apim-request-id", str(uuid.uuid4()).encode()),
        ]
        if reply.body:
            headers.append((b"content-type", reply.content_type.encode()))
        headers += [(name.lower().encode(), value.encode()) for name, value in reply.headers]
        if reply.close:
            headers.append((b"connection", b"close"))
        try:
            await self._send(
                {"type": "http.response.start", "status": reply.status, "headers": headers}
            )
            await self._send({"type": "http.response.body", "body": reply.body})
        except Exception:  # the connection closed under us: nobody is left to tell
            self.gone = True
