"""Page images for the engine, in page order: the scan's own image when the page is one image
the engine takes as it is (no render, no decode, no re-encode), else the page rendered as
displayed at the engine's resolution, with the digest that identifies it and its cache key.

For an engine that reads encoded images (a service), pages are rendered, fitted to its limits
and hashed in worker processes, one per core, each with the document open in PDFium of its
own (PDFium is not thread-safe; processes share nothing): the thread that sends pages spends
its time sending, not rendering, and pages still come out in order with a bounded number in
flight. A local engine needs the pixels themselves and uses every core reading them, so its
pages are rendered here."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path

from ocr_pdf import pdf
from ocr_pdf.cache import PageStore, bytes_digest, cache_key, pixel_digest, scan_key
from ocr_pdf.engines.base import Engine, Replaying
from ocr_pdf.imaging import EncodedImage, ImageLimits, encode_for_limits
from ocr_pdf.inputs import Source
from ocr_pdf.options import ConversionOptions
from ocr_pdf.qpdf import scans
from ocr_pdf.reading import PageImage, RenderedPage
from ocr_pdf.resolution import page_dpi

log = logging.getLogger(__name__)

POOL_FROM = 3
"""Pages to render from which worker processes pay for their start (about 0.2 s each)."""


@dataclass(frozen=True)
class RenderJob:
    """What a worker needs to render one page: the file, the page (0-based), what decides the
    resolution (:func:`ocr_pdf.resolution.page_dpi`: the ``saved`` one of a replay, the
    user's ``dpi``, the engine's ``preferred`` one, or the scan's own), the limits to fit the
    image to (None: send the pixels), and whether to hash it and how to key it."""

    path: Path
    index: int
    dpi: float | None
    saved: float | None
    preferred: float | None
    limits: ImageLimits | None
    hash_pixels: bool
    cache_id: str | None


def render(doc: pdf.Document, job: RenderJob) -> PageImage:
    """One page as its engine gets it: rendered as displayed, hashed, and encoded to the
    engine's limits when it takes encoded images."""
    with doc.page(job.index) as page:
        geometry = page.geometry()
        dpi = page_dpi(job.dpi, job.preferred, page.native_dpi(), job.saved)
        image = page.render(dpi)
    digest = pixel_digest(image) if job.hash_pixels else ""
    rendered = RenderedPage(
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
    return PageImage(rendered, encode_for_limits(image, job.limits))


_documents: dict[Path, pdf.Document] = {}


def _render_in_worker(job: RenderJob) -> PageImage:
    """The worker side: the document stays open in the worker between pages."""
    doc = _documents.get(job.path)
    if doc is None:
        doc = _documents[job.path] = pdf.Document(job.path)
    return render(doc, job)


def _die_with_parent() -> None:
    """The worker side, at start: exit when the process that started us is gone. A run killed
    outright (SIGKILL) cannot stop its workers, which would otherwise wait for work forever,
    holding its standard error open."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


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
    source: Source, index: int, scan: scans.Scan, hash_it: bool, cache_id: str | None
) -> PageImage:
    with source.doc.page(index) as page:
        geometry = page.geometry()
    digest = bytes_digest(scan.data) if hash_it else ""
    rendered = RenderedPage(
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
    stored where possible, else a render (in worker processes for engines that take encoded
    images, when there are pages enough and cores to share them)."""
    hash_it = store is not None or options.ocr_json is not None
    cache_id = engine.cache_id if store is not None else None

    def jobs() -> Iterator[RenderJob | PageImage]:
        for index in indexes:
            scan = _scan(source, index, engine, options.dpi)
            if scan is not None:
                yield _as_sent(source, index, scan, hash_it, cache_id)
                continue
            yield _render_job(source, index, engine, store, options)

    workers = min(os.cpu_count() or 1, 4)
    if engine.accepts is None or workers < 2 or len(indexes) < POOL_FROM:
        for job in jobs():
            yield job if isinstance(job, PageImage) else render(source.doc, job)
        return
    yield from _in_workers(jobs(), workers)


def _render_job(
    source: Source,
    index: int,
    engine: Engine,
    store: PageStore | None,
    options: ConversionOptions,
) -> RenderJob:
    hash_it = store is not None or options.ocr_json is not None
    cache_id = engine.cache_id if store is not None else None
    saved = engine.saved_dpi(index) if isinstance(engine, Replaying) else None
    preferred, limits = engine.render_dpi, engine.accepts
    return RenderJob(
        source.doc.path, index, options.dpi, saved, preferred, limits, hash_it, cache_id
    )


def rendered(
    source: Source,
    index: int,
    engine: Engine,
    store: PageStore | None,
    options: ConversionOptions,
) -> PageImage:
    """Page ``index`` rendered as displayed, never its scan sent as stored: for a page whose
    scan the service refused. On the calling thread (the one that owns ``source``)."""
    return render(source.doc, _render_job(source, index, engine, store, options))


def _in_workers(jobs: Iterator[RenderJob | PageImage], workers: int) -> Iterator[PageImage]:
    """``jobs`` done in ``workers`` processes (started at the first render), yielded in
    order, at most twice as many pages in flight as workers (each an encoded page image, a
    few hundred KB)."""
    # spawn: a fresh interpreter, neither a copy of our threads (fork) nor a socket to a
    # server process (forkserver; sandboxes that allow no sockets refuse it).
    context = multiprocessing.get_context("spawn")
    pending: deque[Future[PageImage] | PageImage] = deque()
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_die_with_parent
    ) as pool:
        try:
            for job in jobs:
                pending.append(
                    job if isinstance(job, PageImage) else pool.submit(_render_in_worker, job)
                )
                while len(pending) > 2 * workers:
                    yield _done(pending.popleft())
            while pending:
                yield _done(pending.popleft())
        finally:
            for entry in pending:
                if isinstance(entry, Future):
                    entry.cancel()


def _done(entry: Future[PageImage] | PageImage) -> PageImage:
    return entry.result() if isinstance(entry, Future) else entry
