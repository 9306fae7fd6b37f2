"""Reading a document's page images on worker threads, in page order, with failed pages set
aside and the run given up when the service seems down."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from ocr_pdf._page_selection import page_ranges
from ocr_pdf.engines.base import Engine
from ocr_pdf.errors import (
    ExitCode,
    OcrPdfError,
    OperationFailedError,
    PagesFailedError,
    ServiceError,
)
from ocr_pdf.models import PageText
from ocr_pdf.reading.cache import PageStore
from ocr_pdf.reading.page import PageImage, PageImageInfo, Reading, read_page

log = logging.getLogger(__name__)

GIVE_UP_AFTER = 3
"""Pages in a row that may fail (after each one's own retries) before a run stops sending the
service more pages: by then it is down or refusing us, and every further call is wasted."""


class GiveUpPolicy:
    """Counts pages failing in a row; after ``limit`` of them no more pages are sent."""

    def __init__(self, limit: int = GIVE_UP_AFTER) -> None:
        self.limit = limit
        self.in_a_row = 0

    def failed(self) -> None:
        self.in_a_row += 1

    def succeeded(self) -> None:
        self.in_a_row = 0

    @property
    def given_up(self) -> bool:
        return self.in_a_row >= self.limit


class PageReader:
    """Reads page images on ``workers`` threads, yielding readings in page order.

    At most ``workers + 2`` pages are in flight: pages render on the caller's thread while the
    workers read, so memory holds that many page images at most. A page the engine fails on
    (exit code 7, after its retries) is set aside in ``failed`` and the others go on; any
    other error stops the run at once, named with its page."""

    def __init__(
        self,
        engine: Engine,
        store: PageStore | None,
        workers: int,
        policy: GiveUpPolicy,
        render: Callable[[int], PageImage] | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        self.workers = workers
        self.policy = policy
        self.render = render  # page index -> its render, for a scan the service refused
        self.failed: dict[int, OcrPdfError] = {}
        self.done: set[int] = set()  # pages read
        self._pool: ThreadPoolExecutor | None = None

    def _submit(self, image: PageImage) -> Future[tuple[PageText, float, bool]]:
        assert self._pool is not None
        page = image.page
        size = (page.width, page.height)
        return self._pool.submit(
            read_page, self.engine, image.image, self.store, page.key, size, image.pixels
        )

    def read(self, pages: Iterable[PageImage]) -> Iterator[Reading]:
        in_flight: deque[tuple[PageImageInfo, Future[tuple[PageText, float, bool]]]] = deque()
        try:
            yield from self._read(pages, in_flight)
        finally:
            # Stopped early (a spent budget met on one page while later ones were already
            # being read): the pool has let those finish, and each read is paid for and
            # cached, so it counts as read in what the run says is left.
            for page, future in in_flight:
                if future.done() and not future.cancelled() and future.exception() is None:
                    self.done.add(page.index)

    def _read(
        self,
        pages: Iterable[PageImage],
        in_flight: deque[tuple[PageImageInfo, Future[tuple[PageText, float, bool]]]],
    ) -> Iterator[Reading]:
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            self._pool = pool
            try:
                for rendered in pages:
                    if self.policy.given_up:
                        break
                    future = self._submit(rendered)
                    # The worker holds the only reference to the pixels: freed once read.
                    in_flight.append((rendered.page, future))
                    del rendered
                    if len(in_flight) >= self.workers + 2:
                        yield from self._collect(in_flight.popleft())
                if self.policy.given_up:
                    # Pages still waiting for a worker are not sent either (not tried).
                    for entry in list(in_flight):
                        if entry[1].cancel():
                            in_flight.remove(entry)
                while in_flight:
                    yield from self._collect(in_flight.popleft())
            finally:
                for _, future in in_flight:
                    future.cancel()

    def _collect(
        self, entry: tuple[PageImageInfo, Future[tuple[PageText, float, bool]]]
    ) -> Iterator[Reading]:
        page, future = entry
        try:
            text, seconds, cached = future.result()
        except OcrPdfError as err:
            if err.exit_code != ExitCode.ocr_engine_error:
                raise err.with_context(f"page {page.index + 1}") from None
            if page.from_scan and self.render is not None and refused(err):
                # The service will not take the scan's stored bytes (a truncated JPEG, an
                # encoding it does not decode): the page as displayed is readable all the same.
                log.warning(
                    "page %d: the service refused the scan's own image (%s); reading the page "
                    "rendered instead",
                    page.index + 1,
                    err,
                )
                again = self.render(page.index)
                yield from self._collect((again.page, self._submit(again)))
                return
            # The service failed on this page after its retries. Go on with the others (each
            # is cached as it is read) and name the failed pages at the end.
            self.failed[page.index] = err
            self.policy.failed()
            log.info("page %d failed: %s", page.index + 1, err)
            return
        self.policy.succeeded()
        self.done.add(page.index)
        log.info(
            "page %d: %d words in %.2f s%s",
            page.index + 1,
            len(text.words),
            seconds,
            " (cached)" if cached else "",
        )
        yield Reading(page, text, seconds, cached)

    def failure(self, wanted: list[int], cached: bool) -> PagesFailedError | None:
        """The error that names every failed page, or None when none failed. ``wanted``
        are the pages that were to be read; ``cached`` says whether those read are in a cache
        (then a re-run pays only for the others)."""
        if not self.failed:
            return None
        numbers = tuple(i + 1 for i in sorted(self.failed))
        first = numbers[0]
        detail = str(self.failed[first - 1])
        if len(numbers) == 1:
            message = f"page {first}: {detail}"
        else:
            message = f"pages {page_ranges(numbers)} failed (page {first}: {detail})"
        not_tried = tuple(i + 1 for i in wanted if i not in self.failed and i not in self.done)
        read = len(self.done)
        if not_tried:
            message += (
                f"; stopped after {self.policy.limit} pages in a row failed, pages "
                f"{page_ranges(not_tried)} not tried"
            )
        if read and cached:
            message += f"; the {read} pages read are cached: run the same command again to finish"
        return PagesFailedError(
            message,
            pages=numbers,
            not_tried=not_tried,
            errors={i + 1: e for i, e in self.failed.items()},
        )


def refused(err: OcrPdfError) -> bool:
    """Whether the service refused the image it was sent (HTTP 4xx other than access, address,
    language or rate, or an operation that ended "failed"), rather than failing to answer."""
    if isinstance(err, OperationFailedError):
        return True
    return (
        type(err) is ServiceError
        and err.status is not None
        and 400 <= err.status < 500
        and err.status not in (408, 429)
    )
