"""What `ocr-pdf serve` bounds, in one frozen table: queue depth, memory for request bodies and
Read results, decoded pixels, and how long a client may take to send a request (stdlib only).

The image limits of each API (formats, sides, pixels, bytes) are Azure's, in
:mod:`ocr_pdf.azure.apis`; these are the server's own, which keep its memory and its engine's
queue bounded whatever clients send."""

from __future__ import annotations

from dataclasses import dataclass, fields

from ocr_pdf.errors import BadArgumentsError

MB = 1_000_000


@dataclass(frozen=True)
class ServeLimits:
    """The server's bounds. Sizes in bytes, times in seconds.

    ``queue``: images waiting for the engine (one more is being read); a request beyond them
    is answered 429 with ``Retry-After``, as Azure answers beyond a pricing tier's rate. So is
    one that would wait more than ``max_wait`` (estimated from the recent images' times), and
    one still waiting after ``max_wait``: a client's own timeout does not run out while its
    image waits.
    ``body_memory``: request bodies held at once, while they arrive and while they wait in the
    queue (beyond: 429). ``max_body``: the largest body this server takes (Read's 500 MB paid
    tier does not fit a local server's memory: beyond, 413). ``max_pixels``: the most pixels
    an image may declare in its header (it is checked before anything is decoded; beyond,
    400 InvalidImageSize even where Azure's limit is higher). ``results_memory`` and
    ``keep_results``: Read results are kept ``keep_results`` seconds (Azure: 48 hours), the
    oldest dropped first when they would take more than ``results_memory``.
    ``header_timeout``: a connection has this long to send its request line and headers, and
    to send the next request on a kept-alive connection. ``body_timeout``: the whole body must
    arrive within this. ``max_url``, ``max_header_bytes``, ``max_headers``: beyond, 414 or
    431."""

    queue: int = 16
    max_wait: float = 30.0
    body_memory: int = 128 * MB
    max_body: int = 64 * MB
    max_pixels: int = 60_000_000
    results_memory: int = 128 * MB
    keep_results: float = 48 * 3600.0
    header_timeout: float = 5.0
    body_timeout: float = 60.0
    max_url: int = 8 * 1024
    max_header_bytes: int = 32 * 1024
    max_headers: int = 100
    max_pages: int = 2000

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not value > 0:
                raise BadArgumentsError(f"serve limit {f.name} must be positive, not {value!r}")
        if self.max_body > self.body_memory:
            raise BadArgumentsError(
                f"serve limit max_body ({self.max_body}) exceeds body_memory ({self.body_memory})"
            )
