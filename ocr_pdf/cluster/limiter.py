"""pyrate-limiter: the rate limit on one Azure endpoint kept by every thread of every worker on
every machine together, through Redis.

The algorithm is pyrate-limiter's GCRA (the generic cell rate algorithm of ATM networks, the
one redis-cell and most API gateways use) with a burst of one, run by its atomic Lua script
on one small Redis hash per endpoint: calls are spaced evenly, ``per / calls`` apart plus the
same 5% margin as a single process's RateLimiter, and a refused caller learns the exact wait
instead of polling. A window counter (the ``limits`` package's strategies) lets the whole
limit through at once at the start of each window; those calls reach the service with
jitter, and its own sliding window then sees one too many. Every machine reads Redis's clock,
so clock skew between machines cannot let calls through early."""

from __future__ import annotations

import hashlib
import math

from pyrate_limiter import GCRA, Decision, Rate, RedisStateStore

from ocr_pdf.azure.ratelimit import RateLimiter, Sleep
from ocr_pdf.cluster.store import PREFIX, EndpointClock, connection, guarded


class SharedLimiter:
    """The Limiter the transport uses when OCR_PDF_REDIS_URL is set: ``rate`` (calls, per
    seconds) across the cluster, or None for no limit; a 429's wait (``pause``) holds every
    caller of ``endpoint`` in the cluster either way."""

    def __init__(
        self, url: str, endpoint: str, rate: tuple[int, float] | None, sleep: Sleep
    ) -> None:
        name = hashlib.sha256(endpoint.encode()).hexdigest()[:16]
        self.url = url
        self.clock = EndpointClock(url, name)
        self._sleep = sleep
        self._algorithm = GCRA()
        self._state: RedisStateStore | None = None
        self._rates: list[Rate] = []
        if rate is not None:
            calls, per = rate
            interval_ms = max(1, math.ceil(per * 1000 * RateLimiter.MARGIN))
            self._rates = [Rate(calls, interval_ms, burst=1)]
            self._state = RedisStateStore(connection(url), f"{PREFIX}rate:{name}")

    def acquire(self) -> None:
        """Block until this thread may send one request."""
        while True:
            wait = self._wait()
            if wait <= 0:
                return
            self._sleep(wait)

    def _wait(self) -> float:
        """Seconds to wait before asking again, or 0 once a slot is taken."""
        with guarded(self.url):
            now, paused = self.clock.now_and_pause()
            if paused:
                return paused / 1000
            if self._state is None:
                return 0.0
            check = self._state.check  # untyped in pyrate-limiter 4
            decision: Decision = check(self._algorithm, self._rates, now, 1)  # type: ignore[no-untyped-call]
        if decision.allowed:
            return 0.0
        return max(decision.retry_after_ms or 1, 1) / 1000

    def pause(self, seconds: float) -> None:
        self.clock.pause(seconds)
