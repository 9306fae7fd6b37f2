"""Page images for the engine, in page order: the scan's own image when the page is one image
the engine takes as it is (no render, no decode, no re-encode), else the page rendered as
displayed at the engine's resolution, with the digest that identifies it and its cache key."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from ocr_pdf import pdf, scans
from ocr_pdf.cache import PageStore, bytes_digest, cache_key, pixel_digest
from ocr_pdf.engines import render_dpi
from ocr_pdf.engines.base import Engine
from ocr_pdf.imaging import EncodedImage
from ocr_pdf.inputs import Source
from ocr_pdf.options import ConversionOptions
from ocr_pdf.reading import PageImage, RenderedPage

log = logging.getLogger(__name__)


def _scan(source: Source, index: int, engine: Engine, dpi: float | None) -> scans.Scan | None:
    """The page's scan if the engine takes it as it is and nothing asks for a render: no
    --dpi, and, replaying, a page that was read from its scan before."""
    wanted = engine.saved_as_image(index)
    if engine.accepts is None or wanted is False or (dpi is not None and wanted is None):
        return None
    scan = scans.page_scan(source.original, index)
    if scan is None:
        return None
    if not engine.accepts.takes(scan.data, scan.content_type, scan.width, scan.height):
        log.debug("page %d: its scan is not one the engine takes as it is", index + 1)
        return None
    return scan


def page_images(
    source: Source,
    indexes: list[int],
    engine: Engine,
    store: PageStore | None,
    options: ConversionOptions,
) -> Iterator[PageImage]:
    """Each page to read as the image its engine gets, on this thread (PDFium is not
    thread-safe): the scan sent as stored where possible, else a render with one page load."""
    keep_digest = store is not None or options.ocr_json is not None
    for index in indexes:
        scan = _scan(source, index, engine, options.dpi)
        if scan is not None:
            with source.doc.page(index) as page:
                geometry = page.geometry()
            digest = bytes_digest(scan.data) if keep_digest else ""
            sent = EncodedImage(scan.data, scan.content_type, scan.width, scan.height, 1.0)
            yield PageImage(
                RenderedPage(
                    index,
                    geometry,
                    scan.width,
                    scan.height,
                    scan.to_user,
                    scan.dpi,
                    True,
                    digest,
                    cache_key(digest, engine.cache_id) if store is not None else "",
                ),
                sent,
            )
            continue
        yield _rendered(source.doc, index, engine, store, options, keep_digest)


def _rendered(
    doc: pdf.Document,
    index: int,
    engine: Engine,
    store: PageStore | None,
    options: ConversionOptions,
    keep_digest: bool,
) -> PageImage:
    with doc.page(index) as page:
        geometry = page.geometry()
        dpi = engine.saved_dpi(index) or options.dpi or render_dpi(engine, page.native_dpi())
        image = page.render(dpi)
    digest = pixel_digest(image) if keep_digest else ""
    return PageImage(
        RenderedPage(
            index,
            geometry,
            image.width,
            image.height,
            geometry.image_to_user(image.width, image.height),
            float(dpi),
            False,
            digest,
            cache_key(digest, engine.cache_id) if store is not None else "",
        ),
        image,
    )
