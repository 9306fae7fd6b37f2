"""Page images for the engine, in page order: the scan's own image when the page is one image
the engine takes as it is (no render, no decode, no re-encode), else the page rendered as
displayed at the engine's resolution, with the digest that identifies it and its cache key.

For an engine that reads encoded images (a service), pages are rendered, fitted to its limits
and hashed on RENDER_THREADS threads ahead of the thread that sends them, in order, with a
bounded number in flight. PDFium takes one call at a time in a process (:mod:`ocr_pdf.pdf.pdfium`),
but a render lets other threads run meanwhile, and so do Pillow's encoders and hashlib: one
thread renders while another encodes and hashes, two cores busy. Threads, not processes: no
interpreter to start and library to import again per run (0.3 s of CPU each, which a short
document paid per page and its first request waited for), nothing to copy between processes,
the render kept to fit the words to (no decode of what was sent), and they work where a
process may not start children (a Celery prefork pool process is daemonic). A local engine
needs the pixels themselves and uses every core reading them, so its pages are rendered on
the thread that asks for them."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from ocr_pdf.engines.base import Engine, Replaying
from ocr_pdf.image.encoding import EncodedImage, ImageLimits, encode_for_limits
from ocr_pdf.options import ConversionOptions
from ocr_pdf.pdf import pdfium, scans
from ocr_pdf.reading.cache import PageStore, bytes_digest, cache_key, pixel_digest, scan_key
from ocr_pdf.reading.page import PageImage, PageImageInfo
from ocr_pdf.reading.resolution import page_dpi
from ocr_pdf.steps.inputs import Source

log = logging.getLogger(__name__)

RENDER_THREADS = 2
"""Threads preparing a service's pages: one in PDFium while the other encodes and hashes;
a third would only wait for PDFium."""


@dataclass(frozen=True)
class RenderJob:
    """One page to render: the page (0-based), what decides the resolution
    (:func:`ocr_pdf.reading.resolution.page_dpi`: the ``saved`` one of a replay, the user's ``dpi``,
    the engine's ``preferred`` one, or the scan's own), the limits to fit the image to (None:
    send the pixels), and whether to hash it and how to key it."""

    index: int
    dpi: float | None
    saved: float | None
    preferred: float | None
    limits: ImageLimits | None
    hash_pixels: bool
    cache_id: str | None


def render(doc: pdfium.Document, job: RenderJob) -> PageImage:
    """One page as its engine gets it: rendered as displayed, hashed, and encoded to the
    engine's limits when it takes encoded images (the render kept beside it, for fitting the
    words to their ink)."""
    with doc.page(job.index) as page:
        geometry = page.geometry()
        dpi = page_dpi(job.dpi, job.preferred, page.native_dpi(), job.saved)
        image = page.render(dpi)
    digest = pixel_digest(image) if job.hash_pixels else ""
    rendered = PageImageInfo(
        job.index,
        geometry,
        image.width,
        image.height,
        geometry.image_to_user(image.width, image.height),
        float(dpi),
        False,
        digest,
        cache_key(digest, job.cache_id) if job.cache_id is not None else "",
    )
    if job.limits is None:
        return PageImage(rendered, image)
    return PageImage(rendered, encode_for_limits(image, job.limits), image)


def _scan(source: Source, index: int, engine: Engine, dpi: float | None) -> scans.Scan | None:
    """The page's scan if the engine takes it as it is and nothing asks for a render: no
    --dpi, and, replaying, a page that was read from its scan before."""
    wanted = engine.saved_as_image(index) if isinstance(engine, Replaying) else None
    if engine.accepts is None or wanted is False or (dpi is not None and wanted is None):
        return None
    scan = scans.page_scan(source.original, index)
    if scan is None:
        return None
    if not engine.accepts.takes(scan.data, scan.content_type, scan.width, scan.height):
        log.debug("page %d: its scan is not one the engine takes as it is", index + 1)
        return None
    return scan


def _as_sent(
    doc: pdfium.Document, index: int, scan: scans.Scan, hash_it: bool, cache_id: str | None
) -> PageImage:
    with doc.page(index) as page:
        geometry = page.geometry()
    digest = bytes_digest(scan.data) if hash_it else ""
    rendered = PageImageInfo(
        index,
        geometry,
        scan.width,
        scan.height,
        scan.to_user,
        scan.dpi,
        True,
        digest,
        scan_key(digest, scan.width, scan.height, cache_id) if cache_id is not None else "",
    )
    sent = EncodedImage(scan.data, scan.content_type, scan.width, scan.height, 1.0)
    return PageImage(rendered, sent)


def page_images(
    source: Source,
    indexes: list[int],
    engine: Engine,
    store: PageStore | None,
    options: ConversionOptions,
) -> Iterator[PageImage]:
    """Each page to read as the image its engine gets, in page order: the scan sent as
    stored where possible, else a render (on threads of their own for engines that take
    encoded images, when there is more than one page)."""
    hash_it = store is not None or options.ocr_json is not None
    cache_id = engine.cache_id if store is not None else None

    def jobs() -> Iterator[Callable[[], PageImage]]:
        for index in indexes:  # the scans found here: pikepdf stays on this thread
            scan = _scan(source, index, engine, options.dpi)
            if scan is not None:
                yield partial(_as_sent, source.doc, index, scan, hash_it, cache_id)
                continue
            yield partial(render, source.doc, _render_job(index, engine, store, options))

    if engine.accepts is None or len(indexes) < 2:
        for make in jobs():
            yield make()
        return
    yield from _ahead(jobs(), RENDER_THREADS)


def _render_job(
    index: int,
    engine: Engine,
    store: PageStore | None,
    options: ConversionOptions,
) -> RenderJob:
    hash_it = store is not None or options.ocr_json is not None
    cache_id = engine.cache_id if store is not None else None
    saved = engine.saved_dpi(index) if isinstance(engine, Replaying) else None
    preferred, limits = engine.render_dpi, engine.accepts
    return RenderJob(index, options.dpi, saved, preferred, limits, hash_it, cache_id)


def rendered(
    source: Source,
    index: int,
    engine: Engine,
    store: PageStore | None,
    options: ConversionOptions,
) -> PageImage:
    """Page ``index`` rendered as displayed, never its scan sent as stored: for a page whose
    scan the service refused. On the calling thread (the one that owns ``source``)."""
    return render(source.doc, _render_job(index, engine, store, options))


def _ahead(jobs: Iterator[Callable[[], PageImage]], threads: int) -> Iterator[PageImage]:
    """``jobs`` done on ``threads`` threads, yielded in order, at most twice as many pages in
    flight as threads (each an encoded image and its render)."""
    pending: deque[Future[PageImage]] = deque()
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="render") as pool:
        try:
            for make in jobs:
                pending.append(pool.submit(make))
                while len(pending) > 2 * threads:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
