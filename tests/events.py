"""Waiting in tests for what must happen (a connection closed, a note written, a queue
drained), never for a span of time: a busy machine makes everything slower, so a test that
sleeps "long enough" or bounds how fast something happens fails on it now and then."""

from __future__ import annotations

import time
from collections.abc import Callable

HANG = 60.0
"""Seconds after which a test gives up waiting for an event: a guard against a hang, never a
bound on how fast the event comes."""


def wait_for(condition: Callable[[], object], what: str, hang: float = HANG) -> None:
    """Return once ``condition()`` is true; fail, naming ``what``, after ``hang`` seconds."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < hang, f"still waiting for {what} after {hang:g} s"
        time.sleep(0.01)
