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
    rotation: int = 0  # the page's /Rotate: which way is "leftward" for a reader of the page


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
    # The initial font is ours, so reportlab does not add an unused Helvetica to every page.
    canvas = Canvas(buf, invariant=True, pageCompression=1, initialFontName=fonts.FONT_NAME)
    canvas.setCreator("ocr-pdf")
    for page in pages:
        canvas.setPageSize((page.width, page.height))
        for line in page.lines:
            text = canvas.beginText()
            text.setTextRenderMode(INVISIBLE)
            _write_line(text, line, page.rotation)
            canvas.drawText(text)
        canvas.showPage()
    canvas.save()
    return buf.getvalue()


def _write_line(text: PDFTextObject, line: Line, rotation: int) -> None:
    """Write one line: one baseline and one font size for all its words (extractors join words
    into lines by baseline and size), each word stretched over its own extent along it."""
    words = [w for w in line.words if w.text]
    frame = _line_frame(words)
    if frame is None:
        return
    cos, sin, bottom, size = frame
    if size < _MIN_SIZE:
        return
    text.setFont(fonts.FONT_NAME, size)
    baseline = bottom + _DESCENT_FRACTION * size
    spans = [_span(w, cos, sin) for w in words]
    # Direction as displayed: /Rotate turns the page clockwise.
    r = math.radians(rotation)
    if cos * math.cos(r) + sin * math.sin(r) < 0:
        _write_as_one_string(text, words, spans, (cos, sin, baseline, size))
        return
    space = pdfmetrics.stringWidth(" ", fonts.FONT_NAME, size)
    for i, (word, (start, end)) in enumerate(zip(words, spans, strict=True)):
        # RTL words are written in visual order: extractors put glyphs back into logical order
        # by position, so logical order on the page would come out reversed.
        shown = word.text[::-1] if is_rtl(word.text) else word.text
        natural = pdfmetrics.stringWidth(shown, fonts.FONT_NAME, size)
        width = max(end - start, 0.01 * size)
        text.setTextTransform(
            cos, sin, -sin, cos, start * cos - baseline * sin, start * sin + baseline * cos
        )
        text.setHorizScale(100 * width / natural)
        text.textOut(shown)
        if i + 1 < len(words) and needs_space(word.text, words[i + 1].text):
            # The space spans the gap to the next word (a sliver when words touch), so that it
            # neither overlaps the next word nor leaves a hole in a selection.
            gap = spans[i + 1][0] - end
            text.setHorizScale(100 * max(gap, 0.02 * size) / space)
            text.textOut(" ")


def _write_as_one_string(
    text: PDFTextObject,
    words: list[Word],
    spans: list[tuple[float, float]],
    frame: tuple[float, float, float, float],
) -> None:
    """Write a line that runs leftwards on the displayed page (upside-down text) as a single TJ.

    PDFium orders separately positioned pieces of text by their position on the page, so an
    upside-down line written word by word comes out in reverse word order; the characters of
    one string keep theirs. One string means one horizontal scale for the line (the widest
    word's); TJ offsets after each character then spread every word exactly over its box."""
    cos, sin, baseline, size = frame
    font = pdfmetrics.getFont(fonts.FONT_NAME)
    doc = text._canvas._doc
    shown = [w.text[::-1] if is_rtl(w.text) else w.text for w in words]
    widths = [max(e - s, 0.01 * size) for s, e in spans]
    # The widest word sets the scale, so that every offset below pulls characters together:
    # PDFium reads a gap between characters as a space, but not an overlap.
    naturals = [float(pdfmetrics.stringWidth(t, fonts.FONT_NAME, size)) for t in shown]
    scale = max(w / n for w, n in zip(widths, naturals, strict=True))
    start = spans[0][0]
    text.setTextTransform(
        cos, sin, -sin, cos, start * cos - baseline * sin, start * sin + baseline * cos
    )
    text.setHorizScale(100 * scale)

    def advance_to(glyph: str, step: float) -> float:
        """The TJ offset that makes ``glyph`` advance the pen by ``step`` points."""
        natural = float(pdfmetrics.stringWidth(glyph, fonts.FONT_NAME, size)) * scale
        return (natural - step) * 1000 / (size * scale)

    items: list[tuple[int, bytes] | float] = []
    for i, (word, t) in enumerate(zip(words, shown, strict=True)):
        step = widths[i] / len(t)
        for ch in t:
            items.extend(font.splitString(ch, doc))
            items.append(advance_to(ch, step))
        if i + 1 < len(words):
            gap = spans[i + 1][0] - (spans[i][0] + widths[i])
            if needs_space(word.text, words[i + 1].text):
                items.extend(font.splitString(" ", doc))
                items.append(advance_to(" ", gap))
            else:
                items.append(-gap * 1000 / (size * scale))
    # One TJ per font subset run (a subset holds 256 characters; most lines need one).
    canvas = text._canvas
    ops: list[str] = []
    array: list[str] = []
    subset = None
    for item in items:
        if isinstance(item, float):
            array.append(f"{item:.2f}")
            continue
        if item[0] != subset:
            if array:
                ops.append(f"[{' '.join(array)}] TJ")
                array = []
            subset = item[0]
            ops.append(f"{font.getSubsetInternalName(subset, doc)} {size:.4f} Tf")
        array.append(f"({canvas._escape(item[1])})")
    if array:
        ops.append(f"[{' '.join(array)}] TJ")
    text._code.append(" ".join(ops))


def _line_frame(words: list[Word]) -> tuple[float, float, float, float] | None:
    """Baseline direction (cos, sin) of a line, the offset of its bottom edge across that
    direction, and its height, all in points: the words' quads projected on the line's axes.

    The direction is the width-weighted mean of the words' baselines."""
    dx = dy = 0.0
    for w in words:
        (tlx, tly), (trx, try_), (brx, bry), (blx, bly) = w.quad
        dx += (brx - blx) + (trx - tlx)
        dy += (bry - bly) + (try_ - tly)
    norm = math.hypot(dx, dy)
    if norm == 0:
        return None
    cos, sin = dx / norm, dy / norm
    across = [-x * sin + y * cos for w in words for x, y in w.quad]
    return cos, sin, min(across), max(across) - min(across)


def _span(word: Word, cos: float, sin: float) -> tuple[float, float]:
    """Where a word starts and ends along the baseline direction (points)."""
    along = [x * cos + y * sin for x, y in word.quad]
    return min(along), max(along)
