"""The listening side of `ocr-pdf serve`: the socket (start-up failures as one-line errors),
and Hypercorn serving the application on it; the only module that touches Hypercorn.

Hypercorn, because it closes a connection that has not sent its request line and headers
within ``header_timeout`` (a slowloris client holds nothing), parses HTTP/1.1 strictly with
h11, hands the body to the application as it arrives (so bodies are bounded and refused early)
and tells it when a client leaves (so its queued work is dropped)."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import threading

from ocr_pdf.engines import Engine
from ocr_pdf.errors import BadArgumentsError, FileAccessError, MissingDependencyError
from ocr_pdf.serve import language
from ocr_pdf.serve.app import ServeApp
from ocr_pdf.serve.exchange import _host
from ocr_pdf.serve.limits import ServeLimits

log = logging.getLogger(__name__)

BACKLOG = 1024
"""Connections the kernel holds before we accept them (http.server's 5 made 27 of 100
simultaneous clients time out)."""
HEADER_BUFFER = 128 * 1024
"""Most bytes of request line and headers h11 buffers; beyond, Hypercorn itself answers 431
(with no body) and closes. Below it, our own limits answer 414 and 431 in Azure's JSON."""
INSTALL_HINT = "pip install '.[serve]'"


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host``:``port`` (0: any free port), or the one-line error."""
    if not 0 <= port <= 65535:
        raise BadArgumentsError(
            f"--port {port}: choose a port from 1 to 65535 (0 picks a free one)"
        )
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise BadArgumentsError(f"--host {host}: not an address to listen on ({exc})") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart at once after a stop
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise FileAccessError(
                f"port {port} is in use on {host}: stop what listens there, or pick another "
                "port (--port 0 picks a free one)"
            ) from None
        raise FileAccessError(f"cannot listen on {host} port {port}: {exc.strerror}") from None
    return sock


class AzureCompatibleServer:
    """The server, listening from construction on. ``serve_forever()`` answers requests until
    ``shutdown()`` (from another thread); ``server_close()`` then frees the port and drops the
    queued work. ``url`` is where it listens."""

    def __init__(
        self,
        engine: Engine,
        host: str,
        port: int,
        key: str | None,
        limits: ServeLimits,
        allow_urls: bool = False,
    ) -> None:
        try:
            from hypercorn.config import Config
        except ImportError:
            raise MissingDependencyError(f"ocr-pdf serve needs Hypercorn: {INSTALL_HINT}") from None
        language.require()
        # Its model takes about 2 s to load: not on the first /ocr request's time.
        threading.Thread(target=language.detect, args=("warm up",), daemon=True).start()
        self.socket = listen(host, port)
        self.server_address = self.socket.getsockname()
        self.app = ServeApp(engine, key, limits, allow_urls)
        config = Config()
        config.bind = []  # set in serve_forever, from a duplicate of our socket
        config.backlog = BACKLOG
        config.keep_alive_timeout = limits.header_timeout
        config.h11_max_incomplete_size = HEADER_BUFFER
        config.include_server_header = False  # ours says ocr-pdf
        config.errorlog = logging.getLogger("ocr_pdf.serve.hypercorn")
        config.accesslog = None
        config.graceful_timeout = 2.0
        self._config = config
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._stopping = False
        self._done = threading.Event()
        self._done.set()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{_host(str(host))}:{port}"

    def serve_forever(self) -> None:
        from hypercorn.asyncio import serve

        with self._lock:
            if self._stopping:
                return
            self._done.clear()
        self._config.bind = [f"fd://{os.dup(self.socket.fileno())}"]
        try:
            asyncio.run(self._serve(serve))
        finally:
            self._done.set()

    async def _serve(self, serve: object) -> None:
        stop = asyncio.Event()
        with self._lock:
            self._loop, self._stop = asyncio.get_running_loop(), stop
            if self._stopping:
                stop.set()
        await serve(self.app, self._config, shutdown_trigger=stop.wait)  # type: ignore[operator]

    def shutdown(self) -> None:
        """Stop ``serve_forever`` and wait for it to return (requests in flight get up to 2 s)."""
        with self._lock:
            self._stopping = True
            if self._loop is not None and self._stop is not None:
                self._loop.call_soon_threadsafe(self._stop.set)
        self._done.wait()

    def server_close(self) -> None:
        self.app.close()
        self.socket.close()


def make_server(
    engine: Engine,
    host: str = "127.0.0.1",
    port: int = 5000,
    key: str | None = None,
    limits: ServeLimits | None = None,
    allow_urls: bool = False,
) -> AzureCompatibleServer:
    """A server listening on ``host``:``port`` (0 picks a free one); call ``serve_forever()``.
    ``allow_urls``: fetch the documents Document Intelligence requests name by URL.
    Raises BadArgumentsError for a port or host that cannot be, FileAccessError when the
    port is taken or not ours to use, MissingDependencyError without the ``serve`` extra."""
    return AzureCompatibleServer(engine, host, port, key, limits or ServeLimits(), allow_urls)
