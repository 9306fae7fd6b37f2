"""What shared state is, as protocols: where page results are kept (``PageStore``, with the
notes of operations in flight), the limit on calls to one endpoint (``Limiter``), the budget of
billable calls (``Budget``), and a place that provides all three (``Backend``). Stdlib and our
own types only: every layer above may import this."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol

from ocr_pdf.errors import BudgetExhaustedError
from ocr_pdf.models import PageText

Sleep = Callable[[float], None]
"""Waits the given number of seconds (``time.sleep``, or a test's stand-in)."""

Rate = tuple[int, float]
"""A rate limit as (calls, per seconds): ``"10/s"`` is (10, 1.0)."""

NOTE_SECONDS = 24 * 3600
"""How long a noted operation is worth polling: Azure keeps Read results 48 hours and Document
Intelligence results 24 (an older one would answer 404 and be submitted again anyway)."""


class PageStore(Protocol):
    """Where page results are kept between runs: a folder here, a shared store on a cluster.

    ``claim(key)`` is how a page is read: it yields the cached result, or None when this
    caller is to read the page and ``put`` it before the block ends. A shared store lets one
    caller in the whole cluster read a page at a time; the others wait for its result, so
    that no page is paid for twice."""

    def get(self, key: str) -> PageText | None: ...

    def put(self, key: str, page: PageText) -> None: ...

    def claim(self, key: str) -> AbstractContextManager[PageText | None]: ...

    def operation(self, key: str) -> str | None:
        """The service operation noted for the page under ``key`` (submitted, result not yet
        kept) if it is younger than NOTE_SECONDS."""
        ...

    def note_operation(self, key: str, url: str) -> None:
        """Note ``url`` as the operation reading the page under ``key``; ``put`` forgets it."""
        ...


class OperationNotes(Protocol):
    """Where an engine that submits a page and polls for its result notes the operation while
    it runs (the page's entry in a PageStore), so that whoever reads the page next (the same
    command run again after a kill, another worker of a cluster) polls that operation instead
    of paying for the page again. Engines never see where the note is kept."""

    def pending(self) -> str | None:
        """The operation noted for this page and still worth polling, if any."""
        ...

    def note(self, operation: str) -> None:
        """Remember ``operation`` (the URL to poll) as this page's."""
        ...


class Limiter(Protocol):
    """What the transport asks of a rate limit: a slot before each request, and a pause of
    every caller when the service says 429."""

    def acquire(self) -> None: ...

    def pause(self, seconds: float) -> None: ...


class Budget(Protocol):
    """Billable calls a run may still make. The transport charges one before every request
    that carries a page (a poll carries none); ``charge`` raises BudgetExhaustedError, and
    sends nothing, once ``total`` calls are spent."""

    @property
    def total(self) -> int: ...

    def charge(self) -> None: ...

    def remaining(self) -> int: ...


class Backend(Protocol):
    """Where shared state lives: this process (:mod:`ocr_pdf.shared_state.local`) or a store
    every machine of a cluster reaches (:mod:`ocr_pdf.shared_state.redis_store`). Chosen in
    one place, :func:`ocr_pdf.shared_state.backend`."""

    def pages(self) -> PageStore:
        """The default OCR cache (``cache=True``)."""
        ...

    def limiter(self, endpoint: str, rate: Rate | None, sleep: Sleep) -> Limiter | None:
        """The limit on calls to ``endpoint`` (None: none is kept): ``rate`` for every caller
        that shares this state, and a 429's pause for all of them."""
        ...

    def budget(self, name: str, total: int | None = None) -> Budget:
        """The budget called ``name``: made with ``total`` calls unless it exists (a task
        delivered twice must not refill it); ``total`` None attaches to an existing one."""
        ...


def spent(total: int, where: str = "") -> BudgetExhaustedError:
    """The error of a spent budget (``where``: "" for a run, "cluster " for a shared one)."""
    return BudgetExhaustedError(
        f"the {where}budget of {total} billable call(s) (--budget {total}) is spent; "
        "no more calls were made",
        total=total,
    )
