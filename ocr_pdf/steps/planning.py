"""Planning a conversion: page by page, whether it is read, left alone because it has text,
or has an earlier invisible layer to remove first (:class:`ocr_pdf.options.Mode`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ocr_pdf._page_selection import parse_pages
from ocr_pdf.options import ConversionOptions, Mode
from ocr_pdf.steps.inputs import Source

log = logging.getLogger(__name__)

VISIBLE_TEXT_THRESHOLD = 50
"""A page with at least this many visible characters is born-digital (or was already made
searchable some other way): left alone. Fewer (a stamp, a header line on a scan) and the page
is OCRed like any scan."""


@dataclass(frozen=True)
class Plan:
    """Which pages (0-based) are read, which already have text, which have an earlier
    invisible layer to remove first; pages in none were not selected."""

    to_read: list[int]
    has_text: list[int]
    to_strip: list[int]

    @property
    def selected(self) -> int:
        return len(self.to_read) + len(self.has_text)


def plan_pages(source: Source, options: ConversionOptions) -> Plan:
    """Decide, page by page, what the conversion does (see :class:`Mode`)."""
    count = len(source)
    selected = parse_pages(options.pages, count) if options.pages else range(count)
    to_read: list[int] = []
    has_text: list[int] = []
    to_strip: list[int] = []
    for index in selected:
        with source.doc.page(index) as page:
            if not page.geometry().visible:  # as PDFium and poppler show it: nothing to read
                log.warning(
                    "page %d: its CropBox lies outside its MediaBox, so nothing of it is "
                    "visible; not read",
                    index + 1,
                )
                continue
            if options.mode is Mode.FORCE:
                to_read.append(index)
                continue
            visible, invisible = page.text_chars()
        born_digital = visible >= VISIBLE_TEXT_THRESHOLD
        if options.mode is Mode.REDO:
            (has_text if born_digital else to_read).append(index)
            if invisible and not born_digital:
                to_strip.append(index)
        elif invisible or born_digital:
            has_text.append(index)
        else:
            to_read.append(index)
    for index in to_read:
        with source.doc.page(index) as page:
            _warn_if_tiny(index, page.geometry().cropbox)
    return Plan(to_read, has_text, to_strip)


TINY_PAGE = 36.0
"""Points (half an inch) below which a page's shorter side is too small to show print an
engine can read at any resolution we render at."""


def _warn_if_tiny(index: int, box: tuple[float, float, float, float]) -> None:
    width, height = box[2] - box[0], box[3] - box[1]
    if min(width, height) < TINY_PAGE:
        log.warning(
            "page %d is only %.3g x %.3g pt (%.2g x %.2g in): too small for its text to be "
            "read; read anyway",
            index + 1,
            width,
            height,
            width / 72,
            height / 72,
        )
