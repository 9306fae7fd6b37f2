"""Client-side rate limits on calls to one Azure endpoint: what ``--rate`` means, and the limit
the transport keeps (this process's, or the cluster's when OCR_PDF_REDIS_URL is set: see
:mod:`ocr_pdf.shared_state`, which keeps both with one limiter)."""

from __future__ import annotations

import time
from collections.abc import Callable

from ocr_pdf import shared_state
from ocr_pdf.errors import BadArgumentsError
from ocr_pdf.shared_state import Limiter, Sleep
from ocr_pdf.shared_state.limits import GcraLimiter, ProcessClock

__all__ = ["MAX_RETRY_WAIT", "Limiter", "RateLimiter", "Sleep", "limiter_for", "parse_rate"]

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


class RateLimiter(GcraLimiter):
    """One limit of ``calls`` per ``per`` seconds for every thread of this process, and a 429
    pausing all of them (what :func:`limiter_for` gives on a single machine)."""

    def __init__(
        self,
        calls: int,
        per: float,
        sleep: Sleep = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__((calls, per), ProcessClock(clock), sleep)


def limiter_for(endpoint: str, rate: str | None, sleep: Sleep = time.sleep) -> Limiter | None:
    """The limit on calls to ``endpoint``: with OCR_PDF_REDIS_URL set, the cluster's (``rate``
    kept by every thread of every worker together, and a 429 pausing all of them, even
    without a rate); otherwise this process's own, or none without a rate."""
    return shared_state.backend().limiter(endpoint, parse_rate(rate) if rate else None, sleep)
