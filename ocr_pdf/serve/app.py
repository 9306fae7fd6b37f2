"""The ASGI application of `ocr-pdf serve`: the checks every request passes (size of its
request line and headers, method, key), routing to the APIs, and one Azure-shaped answer for
everything, a failure of ours included."""

from __future__ import annotations

import hmac
import logging
from concurrent.futures import Future
from typing import Any

from ocr_pdf.engines import Engine
from ocr_pdf.serve import document_routes, routes
from ocr_pdf.serve.exchange import Exchange, Receive, Send
from ocr_pdf.serve.limits import ServeLimits
from ocr_pdf.serve.operations import Operations
from ocr_pdf.serve.replies import (
    DENIED_REPLY,
    NOT_FOUND,
    Reply,
    gateway_error,
    internal_error,
    method_not_allowed,
)
from ocr_pdf.serve.work import BodyMemory, WorkQueue

log = logging.getLogger(__name__)

METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"}


class ServeApp:
    """Answers Azure's OCR requests with ``engine``; ``key``, when set, is required in
    ``Ocp-Apim-Subscription-Key`` on every request; ``allow_urls`` lets Document Intelligence
    requests name their document by URL (``urlSource``), which this server then fetches.
    ``close()`` drops the queued work."""

    def __init__(
        self, engine: Engine, key: str | None, limits: ServeLimits, allow_urls: bool = False
    ) -> None:
        self.engine = engine
        self.key = key
        self.limits = limits
        self.allow_urls = allow_urls
        self.jobs: dict[str, Future[Any]] = {}  # unfinished document operations by id
        self.work = WorkQueue(limits.queue, limits.max_wait)
        self.body_memory = BodyMemory(limits.body_memory)
        self.operations = Operations(limits.keep_results, limits.results_memory)

    def close(self) -> None:
        self.work.close()

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return  # no websockets here: the server closes the connection
        ex = Exchange(scope, receive, send)
        try:
            reply = await self.respond(ex)
        except Exception as exc:  # a bug of ours: never a traceback to the client
            log.warning("internal error on %s %s: %s", ex.method, ex.path, exc)
            reply = Reply(internal_error().status, internal_error().body, close=True)
        if reply is not None:
            log.debug("%s %s %s", ex.method, ex.path, reply.status)
            await ex.answer(reply)

    async def respond(self, ex: Exchange) -> Reply | None:
        """The answer to ``ex``; None when the client left before there was one."""
        refusal = self._refuse_message(ex)
        if refusal is not None:
            return refusal
        if self.key and not hmac.compare_digest(
            ex.headers.get("ocp-apim-subscription-key", "").encode(), self.key.encode()
        ):
            return await ex.finish(DENIED_REPLY)
        found = routes.route(ex.path) or document_routes.route(ex.path)
        if found is None:
            return await ex.finish(NOT_FOUND)
        methods, handler, argument = found
        if ex.method not in methods:
            return await ex.finish(method_not_allowed(methods))
        return await handler(self, ex, argument)

    def _refuse_message(self, ex: Exchange) -> Reply | None:
        """414, 431 or 501 for a request too long or of a method HTTP does not have; the
        connection is closed after it, its body unread."""
        limits = self.limits
        if ex.target_length > limits.max_url:
            return gateway_error(414, f"The URL is longer than {limits.max_url} bytes.", close=True)
        if ex.header_count > limits.max_headers or ex.header_bytes > limits.max_header_bytes:
            return gateway_error(
                431,
                f"Request headers exceed {limits.max_headers} fields or "
                f"{limits.max_header_bytes} bytes.",
                close=True,
            )
        if ex.method not in METHODS:
            return gateway_error(501, f"Method {ex.method} is not implemented.", close=True)
        return None


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
