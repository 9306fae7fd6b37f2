"""The pages OCRmyPDF has the plugin read (Pillow), each read once however many times OCRmyPDF
asks about it: the first image OCRmyPDF shows us of a page is read; its orientation and deskew
are answered from that reading, and the image OCRmyPDF finally OCRs gets the reading carried
through the turn and deskew applied (:func:`ocr_pdf.reading.straighten.carry`). Kept apart from the
plugin's hooks (``ocrmypdf_plugin``), which say what OCRmyPDF asks; this says what a page
costs."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageFilter

from ocr_pdf.models import PageText
from ocr_pdf.reading import straighten
from ocr_pdf.reading.page import ImageReading

log = logging.getLogger(__name__)

SMOOTHING_DPI = 300.0
"""Dots per inch per pixel of blur that smooths a bilevel page image (one pixel at 300 dpi)."""


def page_image(input_file: Path) -> tuple[Image.Image, float]:
    """A page image OCRmyPDF made, grey, and its dpi. A bilevel one (Ghostscript's mono device
    renders bilevel scans so, jagged where the scan is drawn turned or was deskewed) is
    smoothed as our own renders are (PDFium anti-aliases): on jagged edges and dithered
    paper the words' ink cannot be told from the paper's (their boxes grow a line tall)."""
    with Image.open(input_file) as opened:
        dpi = float((opened.info.get("dpi") or (300, 300))[0]) or 300.0
        image = opened.convert("L")
        if opened.mode == "1":
            image = image.filter(ImageFilter.GaussianBlur(dpi / SMOOTHING_DPI))
        return image, dpi


@dataclass
class Page:
    """One page's reading while OCRmyPDF straightens it: the reading of the first image of
    the page OCRmyPDF showed us, a thumbnail of that image, the skew of its lines (degrees
    clockwise), and how OCRmyPDF turns (``turn``, clockwise degrees) and deskews
    (``rotate``, counter-clockwise degrees) the images it makes after it, by our answers."""

    reading: ImageReading
    seen: Image.Image
    skew: float
    turn: int = 0
    rotate: float = 0.0


Reader = Callable[[Image.Image, Any], ImageReading]
"""How a page image is read with OCRmyPDF's ``options`` (the plugin's engine, our cache)."""


class Pages:
    """The pages being read, by OCRmyPDF's work folder and page number: every image of a page
    is named ``NNNNNN_step.ext`` in one folder, and its steps (orientation, deskew, OCR) run
    in one worker. An image named otherwise is read on its own."""

    LIMIT = 256  # pages kept at most: a page whose OCR never came (an error) is dropped

    def __init__(self, read: Reader) -> None:
        self._read = read
        self._pages: dict[tuple[str, str], Page] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(input_file: Path) -> tuple[str, str] | None:
        match = re.match(r"(\d{6})_", input_file.name)
        return (str(input_file.parent), match.group(1)) if match else None

    def first(self, input_file: Path, options: Any) -> Page:
        """The page's reading: made now from ``input_file`` if it is the page's first image
        (its skew measured when OCRmyPDF will ask for it: ``--deskew``)."""
        key = self.key(input_file)
        with self._lock:
            page = self._pages.get(key) if key else None
        if page is None:
            image, _ = page_image(input_file)
            reading = self._read(image, options)
            deskew = getattr(options, "deskew", False)
            skew = straighten.skew(reading.raw, image) if deskew else 0.0
            page = Page(reading, straighten.thumbnail(image), skew)
            if key:
                with self._lock:
                    self._pages[key] = page
                    while len(self._pages) > self.LIMIT:
                        del self._pages[next(iter(self._pages))]
        return page

    def last(self, input_file: Path, options: Any) -> tuple[PageText, float]:
        """The reading of the image OCRmyPDF reads the page from (its last), and that image's
        dpi: the page's reading carried onto it, or read from it when the page has none or
        the image is not what we expect. With --redo-ocr OCRmyPDF masks the page's printed
        text in that image, so it is read itself."""
        key = self.key(input_file)
        with self._lock:
            page = self._pages.pop(key, None) if key else None
        image, dpi = page_image(input_file)
        if page is not None and not getattr(options, "redo_ocr", False):
            how = straighten.Straightening(page.turn, page.rotate)
            carried = straighten.carry(page.reading.text, page.seen, image, how)
            if carried is not None:
                return carried, dpi
            log.info("ocr-pdf: %s is not the page image read before: reading it", input_file.name)
        return self._read(image, options).text, dpi
