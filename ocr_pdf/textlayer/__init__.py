"""reportlab: write invisible text layers, one PDF page per OCRed page, words fitted to boxes.

This package is the only code that touches reportlab. Here: the page to write (LayerPage) and
the document being written (LayerWriter); ``layout`` places one line's words (direction, font
size, baselines), ``word_by_word`` and ``one_string`` write a line (the latter for lines that
run leftwards on the displayed page, upside-down text), ``operators`` holds the text operators
both writers emit. Coordinates are PDF points, origin bottom-left of the MediaBox, y up."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from ocr_pdf.models import Line
from ocr_pdf.textlayer import fonts
from ocr_pdf.textlayer.junctions import settle, untangle
from ocr_pdf.textlayer.layout import SNAP_DEGREES, lay_out, line_heights, write_line
from ocr_pdf.textlayer.one_string import MAX_OVERLAP
from ocr_pdf.textlayer.word_by_word import SPACE_OVERLAP, VERTICAL_SPACE

__all__ = [
    "INVISIBLE",
    "MAX_OVERLAP",
    "SNAP_DEGREES",
    "SPACE_OVERLAP",
    "VERTICAL_SPACE",
    "LayerPage",
    "LayerWriter",
]

INVISIBLE = 3  # text render mode 3: neither fill nor stroke, yet selectable and searchable


@dataclass(frozen=True)
class LayerPage:
    """The text of one page to be laid over it.

    ``width``/``height`` are the page's MediaBox size in points. Every word quad here is in PDF
    points relative to the MediaBox's bottom-left corner, y up (not pixels): corners still in the
    text's own order (top-left, top-right, bottom-right, bottom-left)."""

    width: float
    height: float
    lines: tuple[Line, ...]
    rotation: int = 0  # the page's /Rotate: which way is "leftward" for a reader of the page


_registered = False


def _register_font() -> None:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(TTFont(fonts.FONT_NAME, str(fonts.font_path())))
        _registered = True


class LayerWriter:
    """Text-layer pages written one by one as results arrive, so that a long document never
    holds every page's words at once (only each page's compressed content stream). The font is
    embedded once (subset) for the whole document."""

    def __init__(self) -> None:
        _register_font()
        self._buf = io.BytesIO()
        # The initial font is ours, so reportlab adds no unused Helvetica to every page.
        self._canvas = Canvas(
            self._buf, invariant=True, pageCompression=1, initialFontName=fonts.FONT_NAME
        )
        self._canvas.setCreator("ocr-pdf")
        self.pages = 0

    def add(self, page: LayerPage) -> int:
        """Write ``page``; return its index in the layer document."""
        canvas = self._canvas
        canvas.setPageSize((page.width, page.height))
        laid = [
            lay_out(line, page.rotation, height)
            for line, height in zip(page.lines, line_heights(page.lines), strict=True)
            if height is not None  # a line with no words
        ]
        lines = [line for line in laid if line is not None]
        ordered = [lines[i] for i in untangle([line.layout for line in lines])]
        settled = settle([line.layout for line in ordered])
        for line, layout in zip(ordered, settled, strict=True):
            text = canvas.beginText()
            text.setTextRenderMode(INVISIBLE)
            write_line(text, replace(line, layout=layout))
            canvas.drawText(text)
        canvas.showPage()
        self.pages += 1
        return self.pages - 1

    def finish(self) -> bytes:
        self._canvas.save()
        return self._buf.getvalue()
