"""Client-side rate limits on calls to one Azure endpoint: this process's own (stdlib only), or
the cluster's when OCR_PDF_REDIS_URL is set (:mod:`ocr_pdf.cluster.limiter`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from ocr_pdf import shared
from ocr_pdf.errors import BadArgumentsError

Sleep = Callable[[float], None]
"""Waits the given number of seconds (``time.sleep``, or a test's stand-in)."""

MAX_RETRY_WAIT = 120.0
"""Longest single wait (seconds) we accept from a 429. Longer asks, such as the 86400 s a
spent monthly quota names, fail at once instead of hanging a batch for a day."""

_UNITS = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "hour": 3600.0}


def parse_rate(text: str) -> tuple[int, float]:
    """``"10/s"``, ``"20/min"``, ``"1000/h"`` as (calls, seconds)."""
    count, _, unit = text.replace(" ", "").partition("/")
    try:
        calls = int(count)
    except ValueError:
        calls = 0
    if calls < 1 or unit.lower() not in _UNITS:
        raise BadArgumentsError(f"--rate {text!r}: use calls per s, min or h, e.g. 10/s or 20/min")
    return calls, _UNITS[unit.lower()]


class Limiter(Protocol):
    """What the transport asks of a rate limit: a slot before each request, and a pause of
    every caller when the service says 429."""

    def acquire(self) -> None: ...

    def pause(self, seconds: float) -> None: ...


class RateLimiter:
    """One limit for every thread of a run: calls are spaced evenly, ``per / calls`` seconds
    apart plus a 5% margin (requests reach the service with jitter; at exactly the limit a
    sliding window sees one too many now and then), and a 429 pauses everyone, not just the
    worker that met it."""

    MARGIN = 1.05

    def __init__(
        self,
        calls: int,
        per: float,
        sleep: Sleep = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = per / calls * self.MARGIN
        self._sleep = sleep
        self._clock = clock  # seconds, monotonic (a test's hand-moved clock, with its sleep)
        self._next = 0.0
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Block until this thread may send one request."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next, self._paused_until)
            self._next = slot + self.interval
        if slot > now:
            self._sleep(slot - now)

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)


def limiter_for(endpoint: str, rate: str | None, sleep: Sleep = time.sleep) -> Limiter | None:
    """The limit on calls to ``endpoint``: with OCR_PDF_REDIS_URL set, the cluster's (``rate``
    kept by every thread of every worker together, and a 429 pausing all of them, even
    without a rate); otherwise this process's own RateLimiter, or none without a rate."""
    url = shared.redis_url()
    if url:
        limiter: Limiter = shared.load("limiter").SharedLimiter(
            url, endpoint, parse_rate(rate) if rate else None, sleep
        )
        return limiter
    return RateLimiter(*parse_rate(rate), sleep) if rate else None
