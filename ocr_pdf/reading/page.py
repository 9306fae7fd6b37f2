"""Reading one page image with an engine, through the cache: the page image and its reading,
the image as it was sent, and the words moved back onto the page and fitted to their ink.
Several pages at once, in page order, is :mod:`ocr_pdf.reading.workers`."""

from __future__ import annotations

import io
import logging
import time
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image

from ocr_pdf import inkfit
from ocr_pdf.engines.base import Engine
from ocr_pdf.geometry import rescale
from ocr_pdf.image.encoding import EncodedImage, as_grey
from ocr_pdf.models import Matrix, PageGeometry, PageText
from ocr_pdf.reading import rescue
from ocr_pdf.reading.cache import PageStore, cache_key, open_cache, pixel_digest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageImageInfo:
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

    page: PageImageInfo
    image: Image.Image | EncodedImage
    pixels: Image.Image | None = None


@dataclass(frozen=True)
class Reading:
    """What the engine read on one page: ``text`` in the pixels of the image it read,
    ``seconds`` of wall time in the engine (0 from the cache)."""

    page: PageImageInfo
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
    shows print: :mod:`ocr_pdf.reading.rescue`), in the frame of the page image it identifies (an
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
    :func:`ocr_pdf.reading.straighten.skew`); both in the image's pixels."""

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
