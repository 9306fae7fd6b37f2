"""The engine's work for `ocr-pdf serve`: a bounded queue read by one thread (local engines
already use every core), and the request-body bytes held at once, ``BodyMemory`` (stdlib only).

A full queue or no room for the body is the caller's cue to answer 429; a job whose client has
gone is taken out of the queue before the engine sees it."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

log = logging.getLogger(__name__)

Job = Callable[[], Any]


class WorkQueue:
    """At most ``depth`` pages of work waiting, run one job at a time on a thread of their own.

    A job is some pages of work: an image is one, a document as many as it has pages to read.
    ``submit`` returns the job's future, or None when the queue is full: ``depth`` pages wait
    (a job larger than that is taken only when nothing waits), or a new one would start after
    more than ``max_wait`` seconds (estimated from ``seconds_per_page``, which follows the
    recent jobs' durations per page and is what a refusal's ``Retry-After`` says). ``cancel``
    drops a job that has not started: it is never run."""

    def __init__(self, depth: int, max_wait: float = float("inf")) -> None:
        self.depth = depth
        self.max_wait = max_wait
        self.seconds_per_page = 1.0
        self._pending: deque[tuple[Future[Any], Job, int]] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._started = 0.0  # when the job being read started (0: none is)
        self._running = 0  # pages of the job being read
        self._thread = threading.Thread(target=self._run, name="ocr-pdf-serve-engine", daemon=True)
        self._thread.start()

    @property
    def waiting(self) -> int:
        """Pages waiting (the job being read not included)."""
        with self._cond:
            return self._waiting()

    def _waiting(self) -> int:
        return sum(pages for _, _, pages in self._pending)

    def full(self, pages: int = 1) -> bool:
        """Whether a job of ``pages`` would be refused now."""
        with self._cond:
            return self._full(pages)

    def _full(self, pages: int) -> bool:
        waiting = self._waiting()
        # The job being read has taken this long already: a better guess than the past ones
        # while it is the slowest (the first job of all, a large image, a long document).
        running = time.monotonic() - self._started if self._started else 0.0
        per_page = max(self.seconds_per_page, running / max(1, self._running))
        return waiting > 0 and (
            waiting + pages > self.depth or (waiting + 2) * per_page > self.max_wait
        )

    def seconds_left(self, future: Future[Any]) -> float:
        """Estimated seconds until the job of ``future`` is done (0 when it is)."""
        with self._cond:
            if future.done():
                return 0.0
            ahead = 0
            for entry, _, pages in self._pending:
                ahead += pages
                if entry is future:
                    break
            running = time.monotonic() - self._started if self._started else 0.0
            left = max(0.0, self._running * self.seconds_per_page - running)
            return left + ahead * self.seconds_per_page

    def submit(self, job: Job, pages: int = 1) -> Future[Any] | None:
        with self._cond:
            if self._closed or self._full(pages):
                return None
            future: Future[Any] = Future()
            self._pending.append((future, job, pages))
            self._cond.notify()
            return future

    def cancel(self, future: Future[Any]) -> bool:
        """Drop the job unless it has started; whether it was dropped."""
        with self._cond:
            for entry in self._pending:
                if entry[0] is future:
                    self._pending.remove(entry)
                    break
        return future.cancel()

    def close(self) -> None:
        """Drop every waiting job and let the thread end after the one it is running."""
        with self._cond:
            self._closed = True
            dropped = list(self._pending)
            self._pending.clear()
            self._cond.notify_all()
        for future, _, _ in dropped:
            future.cancel()

    def _next(self) -> tuple[Future[Any], Job, int] | None:
        with self._cond:
            while not self._pending and not self._closed:
                self._cond.wait()
            return self._pending.popleft() if self._pending else None

    def _run(self) -> None:
        while (entry := self._next()) is not None:
            future, job, pages = entry
            del entry
            if not future.set_running_or_notify_cancel():
                continue
            with self._cond:
                self._started, self._running = time.monotonic(), pages
            started = self._started
            try:
                result = job()
            except BaseException as exc:  # the job's own failure is its caller's to report
                future.set_exception(exc)
            else:
                future.set_result(result)
            del job
            took = time.monotonic() - started
            with self._cond:
                self._started, self._running = 0.0, 0
                self.seconds_per_page = 0.7 * self.seconds_per_page + 0.3 * took / pages


class BodyMemory:
    """Request-body bytes that may be held at once (``ServeLimits.body_memory``, not a
    :class:`ocr_pdf.shared_state.Budget` of calls); ``take`` reserves (False when they do not fit),
    ``give`` returns them."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.used = 0
        self._lock = threading.Lock()

    def take(self, amount: int) -> bool:
        with self._lock:
            if self.used + amount > self.total:
                return False
            self.used += amount
            return True

    def give(self, amount: int) -> None:
        with self._lock:
            self.used = max(0, self.used - amount)
