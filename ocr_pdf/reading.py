"""Reading page images with an engine: through the cache, several at once, in page order, with
failed pages set aside and the run given up when the service seems down."""

from __future__ import annotations

import io
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image

from ocr_pdf import inkfit, rescue
from ocr_pdf.cache import PageStore, cache_key, open_cache, pixel_digest
from ocr_pdf.engines.base import Engine
from ocr_pdf.errors import (
    ExitCode,
    OcrPdfError,
    OperationFailedError,
    PagesFailedError,
    ServiceError,
)
from ocr_pdf.geometry import rescale
from ocr_pdf.imaging import EncodedImage, as_grey
from ocr_pdf.models import Matrix, PageGeometry, PageText
from ocr_pdf.pages import page_ranges

log = logging.getLogger(__name__)

GIVE_UP_AFTER = 3
"""Pages in a row that may fail (after each one's own retries) before a run stops sending the
service more pages: by then it is down or refusing us, and every further call is wasted."""


@dataclass(frozen=True)
class RenderedPage:
    """What is known of a page image besides its pixels: ``index`` 0-based, its ``width`` x
    ``height`` pixels, ``to_user`` the map from them (origin top-left, y down) to the page's
    user space (points), the ``dpi`` it was rendered at (or the scan's own), ``from_scan``
    when it is the scan's own image sent as stored, ``digest`` the SHA-256 that identifies
    it (of its pixels, or of the scan's bytes; "" when nothing needs it), ``key`` its cache key
    ("" without a cache)."""

    index: int
    geometry: PageGeometry
    width: int
    height: int
    to_user: Matrix
    dpi: float
    from_scan: bool = False
    digest: str = ""
    key: str = ""


@dataclass(frozen=True)
class PageImage:
    """A page's image for the engine, and what is known of it: rendered pixels, or an encoded
    image the engine takes as it is (``image``); and for an image encoded from a render, the
    render (``pixels``), on which the words are fitted to their ink."""

    page: RenderedPage
    image: Image.Image | EncodedImage
    pixels: Image.Image | None = None


@dataclass(frozen=True)
class Reading:
    """What the engine read on one page: ``text`` in the pixels of the image it read,
    ``seconds`` of wall time in the engine (0 from the cache)."""

    page: RenderedPage
    text: PageText
    seconds: float
    from_cache: bool


def read_page(
    engine: Engine,
    image: Image.Image | EncodedImage,
    store: PageStore | None,
    key: str,
    size: tuple[int, int] | None = None,
    pixels: Image.Image | None = None,
) -> tuple[PageText, float, bool]:
    """(reading, seconds, from cache): the cached result under ``key``, or the engine's
    reading, timed and cached at once. Called in worker threads, so that a run killed at any
    moment has kept every page it paid for. Goes through the store's claim, so that a page
    another worker of a cluster is reading is waited for, not read again.

    The cache keeps the engine's own answer (read again if it found no words on a page that
    shows print: :mod:`ocr_pdf.rescue`), in the frame of the page image it identifies (an
    encoded ``image`` made from a render of ``size`` is read, and its words put back in the
    render's pixels). The words are fitted to their ink (:func:`ocr_pdf.inkfit.refine`) on the
    way out, so that a better fit reaches pages read earlier without paying for them again:
    on the render ``pixels`` (of ``size``) that an encoded ``image`` was made from when given,
    else on the image the engine read."""
    sent = SentImage(image, size, pixels)
    text, elapsed, cached = _read(engine, sent, store, key)
    return sent.fitted(text), elapsed, cached


def _read(
    engine: Engine, sent: SentImage, store: PageStore | None, key: str
) -> tuple[PageText, float, bool]:
    """:func:`read_page`'s reading as the engine gave it (in the page image's pixels), before
    its words are fitted to their ink."""
    image = sent.image
    with store.claim(key) if store is not None else nullcontext(None) as cached:
        if cached is not None and (cached.width, cached.height) == sent.page_size:
            return cached, 0.0, True
        if cached is not None:  # made in another frame: never placed through this page's
            log.info(
                "a cached reading is for a %dx%d image, not this one: read again",
                cached.width,
                cached.height,
            )
        started = time.monotonic()
        if isinstance(image, EncodedImage):
            if store is None:
                text = engine.recognize_encoded(image)
            else:
                text = engine.recognize_resuming(image, StoredNotes(store, key))
        else:
            text = engine.recognize(image)
        pixels = None if text.words else sent.pixels()
        if pixels is not None:
            text = rescue.reread(engine, pixels, text)
        # Kept as a reading of the page image it is for, whatever size an engine called it.
        text = replace(sent.to_page(text), width=sent.page_size[0], height=sent.page_size[1])
        elapsed = time.monotonic() - started
        if store is not None:
            store.put(key, text)
    return text, elapsed, False


@dataclass(frozen=True)
class ImageReading:
    """A page image read by an :class:`ImageReader`: ``text``, its words fitted to their ink;
    ``raw``, the engine's own boxes (which say more of a page's skew, see
    :func:`ocr_pdf.straighten.skew`); both in the image's pixels."""

    text: PageText
    raw: PageText
    seconds: float
    from_cache: bool


class ImageReader:
    """Reads page images someone else rendered (OCRmyPDF's) with ``engine`` through the OCR
    cache (``cache``: True for the default one, a folder, or False), each keyed by its exact
    pixels and the engine: see :func:`read_page`. Safe to share between threads."""

    def __init__(self, engine: Engine, cache: bool | Path = True) -> None:
        self.engine = engine
        self.store = open_cache(cache)

    def read(self, image: Image.Image) -> ImageReading:
        key = cache_key(pixel_digest(image), self.engine.cache_id) if self.store is not None else ""
        sent = SentImage(image, None)
        raw, seconds, cached = _read(self.engine, sent, self.store, key)
        return ImageReading(sent.fitted(raw), raw, seconds, cached)


def read_one(engine: Engine, image: PageImage, store: PageStore | None) -> Reading:
    """One page image read through the cache as a run reads each (:func:`read_page`)."""
    page = image.page
    size = (page.width, page.height)
    text, seconds, cached = read_page(engine, image.image, store, page.key, size)
    return Reading(page, text, seconds, cached)


class SentImage:
    """The image an engine reads and the page image its reading is kept for: the same for
    rendered pixels and a scan sent as stored; for a render encoded to a service's limits,
    the encoding's ``scale`` and padding tell one frame from the other, and the render itself
    (``page_pixels``) may be at hand. Its pixels are decoded once, when first needed."""

    def __init__(
        self,
        image: Image.Image | EncodedImage,
        size: tuple[int, int] | None,
        page_pixels: Image.Image | None = None,
    ) -> None:
        self.image = image
        self._pixels = image if isinstance(image, Image.Image) else None
        self.size = image.size if isinstance(image, Image.Image) else (image.width, image.height)
        self.page_size = size or self.size
        self.scale = image.scale if isinstance(image, EncodedImage) else 1.0
        self._undecodable = False
        known = page_pixels is not None and page_pixels.size == self.page_size
        self._page_pixels = page_pixels if known else None

    def pixels(self) -> Image.Image | None:
        """The image as the engine saw it, 8-bit grey; None if it cannot be decoded (the
        reading then keeps the engine's boxes)."""
        if self._pixels is None and not self._undecodable:
            assert isinstance(self.image, EncodedImage)
            try:
                with Image.open(io.BytesIO(self.image.data)) as opened:
                    # Grey from the decoder itself: a colour JPEG's luma, its colour never
                    # made (a 300 dpi colour scan: 48 -> 13 ms); as_grey keeps "L" as it is
                    # and scales 16-bit, 32-bit and float samples instead of clipping them.
                    opened.draft("L", opened.size)
                    opened.load()
                    self._pixels = as_grey(opened)
            except (OSError, ValueError, Image.DecompressionBombError) as exc:
                log.debug("the image sent cannot be decoded here (%s): boxes kept", exc)
                self._undecodable = True
        return self._pixels

    def to_page(self, text: PageText) -> PageText:
        """A reading of the sent image, in the page image's pixels."""
        if self.scale == 1.0 and self.page_size == self.size:
            return text
        return rescale(text, 1 / self.scale, *self.page_size)

    def fitted(self, text: PageText) -> PageText:
        """A reading in the page image's pixels, its words fitted to their ink on the page
        image when at hand, else on the sent image."""
        if self._page_pixels is not None and text.words:
            return inkfit.refine(text, self._page_pixels)
        pixels = self.pixels()
        if pixels is None or not text.words:
            return text
        if self.scale == 1.0 and self.page_size == self.size:
            return inkfit.refine(text, pixels)
        sent = rescale(text, self.scale, *self.size)
        return self.to_page(inkfit.refine(sent, pixels))


@dataclass(frozen=True)
class StoredNotes:
    """The operation notes of the page under ``key``, kept with its entry in ``store``."""

    store: PageStore
    key: str

    def pending(self) -> str | None:
        return self.store.operation(self.key)

    def note(self, operation: str) -> None:
        self.store.note_operation(self.key, operation)


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
        in_flight: deque[tuple[RenderedPage, Future[tuple[PageText, float, bool]]]] = deque()
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
        self, entry: tuple[RenderedPage, Future[tuple[PageText, float, bool]]]
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
