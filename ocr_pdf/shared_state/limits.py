"""pyrate-limiter: the one rate limiter of ocr-pdf, for the threads of one process and for every
worker of a cluster alike; only where its state and its clock live differ.

The algorithm is pyrate-limiter's GCRA (the generic cell rate algorithm of ATM networks, the
one redis-cell and most API gateways use) with a burst of one: calls are spaced evenly,
``per / calls`` apart plus a 5% margin (requests reach the service with jitter; at exactly the
limit a sliding window sees one too many now and then), and a refused caller learns the exact
wait instead of polling. A window counter would let the whole limit through at once at the
start of each window, and the service's own sliding window would then see one too many.

Besides the rate, a 429 pauses every caller, not just the one that met it: the clock keeps
that pause (a moment in this process's memory, or a key in Redis that every machine reads)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Protocol, cast

from ocr_pdf.shared_state.protocols import Rate, Sleep

if TYPE_CHECKING:
    import redis
    from pyrate_limiter import StateStore

MARGIN = 1.05
"""Calls are spaced 5% wider than the rate asks."""


class Clock(Protocol):
    """The time the limit is kept in (milliseconds), and the pause after a 429."""

    def now_and_pause(self) -> tuple[int, int]:
        """(now, milliseconds of pause left)."""
        ...

    def pause(self, seconds: float) -> None:
        """Pause every caller for ``seconds`` from now, unless a longer pause is on."""
        ...

    def slept(self, since: int, seconds: float) -> None:
        """A caller waited ``seconds`` from ``since`` (this clock's milliseconds)."""
        ...


class ProcessClock:
    """This process's monotonic clock. A wait that returned early (a test's or a replay's
    ``sleep`` that does not sleep) still counts as waited, so that such a ``sleep`` skips the
    waits instead of turning them into a busy loop."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic  # seconds (a test's hand-moved clock, with its sleep)
        self._floor = 0  # no earlier than this: the end of the last wait
        self._paused_until = 0
        self._lock = threading.Lock()

    def _now(self) -> int:
        return max(int(self._monotonic() * 1000), self._floor)

    def now_and_pause(self) -> tuple[int, int]:
        with self._lock:
            now = self._now()
            return now, max(0, self._paused_until - now)

    def pause(self, seconds: float) -> None:
        with self._lock:
            until = self._now() + math.ceil(seconds * 1000)
            self._paused_until = max(self._paused_until, until)

    def slept(self, since: int, seconds: float) -> None:
        with self._lock:
            self._floor = max(self._floor, since + math.ceil(seconds * 1000))


class GcraLimiter:
    """A Limiter: at most ``rate`` (calls, per seconds; None: no rate, only the pauses) for
    every caller that shares ``state`` and ``clock``; every wait goes through ``sleep``.
    ``state`` is a pyrate-limiter state store (None: one in this process's memory), and
    ``guard`` wraps each look at the state and the clock (turning a store's failures into
    ours)."""

    def __init__(
        self,
        rate: Rate | None,
        clock: Clock,
        sleep: Sleep,
        state: StateStore | None = None,
        guard: Callable[[], AbstractContextManager[None]] = nullcontext,
    ) -> None:
        self.clock = clock
        self._sleep = sleep
        self._guard = guard
        self._check: Callable[[int], float] | None = None
        if rate is not None:
            self._check = _gcra(rate, state)

    def acquire(self) -> None:
        """Block until this caller may send one request."""
        while True:
            with self._guard():
                now, paused = self.clock.now_and_pause()
                wait = paused / 1000 if paused else 0.0
                if not wait and self._check is not None:
                    wait = self._check(now)
            if wait <= 0:
                return
            self._sleep(wait)
            self.clock.slept(now, wait)

    def pause(self, seconds: float) -> None:
        with self._guard():
            self.clock.pause(seconds)


def _gcra(rate: Rate, state: StateStore | None) -> Callable[[int], float]:
    """The check of ``rate`` at a moment (milliseconds): 0 once a slot is taken, else the
    seconds to wait before asking again."""
    from pyrate_limiter import GCRA, Decision, InMemoryStateStore
    from pyrate_limiter import Rate as PyrateRate

    calls, per = rate
    rates = [PyrateRate(calls, max(1, math.ceil(per * 1000 * MARGIN)), burst=1)]
    store = state if state is not None else InMemoryStateStore()
    algorithm = GCRA()

    def check(now: int) -> float:
        decision = cast(Decision, store.check(algorithm, rates, now, 1))  # a synchronous store
        if decision.allowed:
            return 0.0
        return max(decision.retry_after_ms or 1, 1) / 1000

    return check


def redis_state(client: redis.Redis, key: str) -> StateStore:
    """A limiter's state in one small Redis hash, updated by pyrate-limiter's atomic Lua
    script, so that every machine keeps the same limit."""
    from pyrate_limiter import RedisStateStore

    return RedisStateStore(client, key)
