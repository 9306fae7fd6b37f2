"""reportlab: write invisible text layers, one PDF page per OCRed page, words fitted to boxes."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.textobject import PDFTextObject

from ocr_pdf import fonts
from ocr_pdf.models import Line, Word, is_rtl, needs_space

INVISIBLE = 3  # text render mode 3: neither fill nor stroke, yet selectable and searchable
_DESCENT_FRACTION = -fonts.DESCENT / fonts.UNITS_PER_EM
_MIN_SIZE = 0.5  # points; smaller boxes are noise, and some readers choke on near-zero sizes


@dataclass(frozen=True)
class LayerPage:
    """The text of one page to be laid over it.

    ``width``/``height`` are the page's MediaBox size in points. Every word quad here is in PDF
    points relative to the MediaBox's bottom-left corner, y up (not pixels): corners still in the
    text's own order (top-left, top-right, bottom-right, bottom-left)."""

    width: float
    height: float
    lines: tuple[Line, ...]


_registered = False


def _register_font() -> None:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(TTFont(fonts.FONT_NAME, str(fonts.font_path())))
        _registered = True


def build_layers(pages: Sequence[LayerPage]) -> bytes:
    """One PDF holding a text-layer page per entry of ``pages``, in order. The font is embedded
    once (subset) for the whole document."""
    _register_font()
    buf = io.BytesIO()
    canvas = Canvas(buf, invariant=True, pageCompression=1)
    canvas.setCreator("ocr-pdf")
    for page in pages:
        canvas.setPageSize((page.width, page.height))
        for line in page.lines:
            text = canvas.beginText()
            text.setTextRenderMode(INVISIBLE)
            _write_line(text, line)
            canvas.drawText(text)
        canvas.showPage()
    canvas.save()
    return buf.getvalue()


def _write_line(text: PDFTextObject, line: Line) -> None:
    words = [w for w in line.words if w.text]
    for i, word in enumerate(words):
        fitted = _fit(word)
        if fitted is None:
            continue
        size, cos, sin, ox, oy, width = fitted
        shown = word.text[::-1] if is_rtl(word.text) else word.text
        natural = pdfmetrics.stringWidth(shown, fonts.FONT_NAME, size)
        text.setFont(fonts.FONT_NAME, size)
        text.setTextTransform(cos, sin, -sin, cos, ox, oy)
        text.setHorizScale(100 * width / natural)
        # RTL words are written in visual order: extractors put glyphs back into logical order
        # by position, so logical order on the page would come out reversed.
        text.textOut(shown)
        if i + 1 < len(words) and needs_space(word.text, words[i + 1].text):
            # The space spans the gap to the next word (or a sliver when words touch), so that
            # it neither overlaps the next word nor leaves a hole in a selection.
            gap = _gap(word, words[i + 1], cos, sin)
            space = pdfmetrics.stringWidth(" ", fonts.FONT_NAME, size)
            text.setHorizScale(100 * max(gap, 0.02 * size) / space)
            text.textOut(" ")


def _fit(word: Word) -> tuple[float, float, float, float, float, float] | None:
    """Font size, baseline direction (cos, sin), text origin and width for a word quad.

    Size is the quad's height (one em spans descent to ascent); the origin sits on the
    baseline, a descent above the quad's bottom edge."""
    (tlx, tly), (trx, try_), (brx, bry), (blx, bly) = word.quad
    bx, by = ((brx - blx) + (trx - tlx)) / 2, ((bry - bly) + (try_ - tly)) / 2
    width = math.hypot(bx, by)
    if width <= 0:
        return None
    cos, sin = bx / width, by / width
    ux, uy = ((tlx - blx) + (trx - brx)) / 2, ((tly - bly) + (try_ - bry)) / 2
    size = abs(cos * uy - sin * ux)  # the up edge's extent across the baseline
    if size < _MIN_SIZE:
        return None
    d = _DESCENT_FRACTION * size
    return size, cos, sin, blx - sin * d, bly + cos * d, width


def _gap(word: Word, following: Word, cos: float, sin: float) -> float:
    """Distance along the baseline from the end of ``word`` to the start of ``following``."""
    (_, _), (_, _), (brx, bry), (_, _) = word.quad
    nbx, nby = following.quad[3]
    return (nbx - brx) * cos + (nby - bry) * sin
