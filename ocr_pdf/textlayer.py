"""reportlab: write invisible text layers, one PDF page per OCRed page, words fitted to boxes."""

from __future__ import annotations

import io
import math
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
        for line in page.lines:
            text = canvas.beginText()
            text.setTextRenderMode(INVISIBLE)
            _write_line(text, line, page.rotation)
            canvas.drawText(text)
        canvas.showPage()
        self.pages += 1
        return self.pages - 1

    def finish(self) -> bytes:
        self._canvas.save()
        return self._buf.getvalue()


Place = tuple[float, float, float]
"""Where a word goes: start and end along the line's direction, and its baseline across it
(points, in the frame of that direction)."""


def _write_line(text: PDFTextObject, line: Line, rotation: int) -> None:
    """Write one line: one font size for all its words (extractors join words into lines by
    baseline and size), each word stretched over its own extent along the line."""
    words = [w for w in line.words if w.text]
    frame = _line_frame(words)
    if frame is None:
        return
    cos, sin, bottom, size = frame
    if size < _MIN_SIZE:
        return
    baseline = bottom + _DESCENT_FRACTION * size
    places = [(*_span(w, cos, sin), baseline) for w in words]
    # Direction as displayed: /Rotate turns the page clockwise.
    r = math.radians(rotation)
    leftwards = cos * math.cos(r) + sin * math.sin(r) < 0
    snapped = None if leftwards else _snap(cos, sin)
    if snapped:
        # A slightly skewed line is written axis-aligned, each word centred on its own ink:
        # poppler (pdftotext, Evince, paperless) splits words whose characters climb, so
        # "Report" at 4.5 degrees came out as "Repo" and "rt". Words are short, so each
        # box still sits on its word.
        cos, sin = snapped
        lengths = [end - start for start, end, _ in places]  # along the true, skewed baseline
        centres = [(sum(x for x, _ in w.quad) / 4, sum(y for _, y in w.quad) / 4) for w in words]
        alongs = [cx * cos + cy * sin for cx, cy in centres]
        acrosses = [-cx * sin + cy * cos for cx, cy in centres]
        baselines = [b + (_DESCENT_FRACTION - 0.5) * size for b in _shared(acrosses, size)]
        places = [
            (a - n / 2, a + n / 2, b) for a, n, b in zip(alongs, lengths, baselines, strict=True)
        ]
    places = _close_unspaced(words, places)
    text.setFont(fonts.FONT_NAME, size)
    layout = _LineLayout(words, places, cos, sin, size)
    if leftwards:
        _write_as_one_string(text, layout)
    else:
        _write_word_by_word(text, layout)


def _shared(centres: list[float], size: float) -> list[float]:
    """Word centres (across a snapped line) evened out: consecutive words share their mean
    while none strays more than 0.12 of the size from it (an x-height word's ink is about
    half the size tall, so its characters stay on it). Extractors break a line where
    the baseline jumps, so jumps happen only where the skew has climbed that far."""
    out: list[float] = []
    run: list[float] = []
    for c in centres:
        trial = [*run, c]
        mean = sum(trial) / len(trial)
        if run and max(abs(x - mean) for x in trial) > 0.12 * size:
            out.extend([sum(run) / len(run)] * len(run))
            trial = [c]
        run = trial
    out.extend([sum(run) / len(run)] * len(run))
    return out


def _close_unspaced(words: list[Word], places: list[Place]) -> list[Place]:
    """Stretch each word that is not followed by a space (CJK characters) up to the next one:
    poppler reads any visible gap between characters as a space."""
    out = list(places)
    for i in range(len(words) - 1):
        if not needs_space(words[i].text, words[i + 1].text):
            start, end, base = out[i]
            out[i] = (start, max(end, out[i + 1][0]), base)
    return out


def _shown(word: Word) -> str:
    # RTL words are written in visual order: extractors put glyphs back into logical order by
    # position, so logical order on the page would come out reversed.
    return word.text[::-1] if is_rtl(word.text) else word.text


@dataclass(frozen=True)
class _LineLayout:
    """One line ready to write: its words, where each goes, the line's direction (cos, sin)
    and its font size in points."""

    words: list[Word]
    places: list[Place]
    cos: float
    sin: float
    size: float


def _write_word_by_word(text: PDFTextObject, layout: _LineLayout) -> None:
    words, places, size = layout.words, layout.places, layout.size
    space = pdfmetrics.stringWidth(" ", fonts.FONT_NAME, size)
    pen: tuple[float, float] | None = None

    def move(along: float, across: float) -> float:
        """Put the pen at (along, across) in the line's frame; return where it landed along.
        Td moves from the previous piece's start: shorter than a new Tm for each, rounded
        to 0.1 pt from where the rounded moves put the pen, so rounding never accumulates."""
        nonlocal pen
        if pen is None:
            _set_matrix(text, layout.cos, layout.sin, along, across)
            pen = (along, across)
            return along
        dx, dy = round(along - pen[0], 1), round(across - pen[1], 1)
        text._code.append(f"{_num(dx, 1)} {_num(dy, 1)} Td")
        pen = (pen[0] + dx, pen[1] + dy)
        return pen[0]

    for i, (word, (start, end, baseline)) in enumerate(zip(words, places, strict=True)):
        shown = _shown(word)
        natural = pdfmetrics.stringWidth(shown, fonts.FONT_NAME, size)
        move(start, baseline)
        _set_scale(text, 100 * max(end - start, 0.01 * size) / natural)
        text.textOut(shown)
        if i + 1 < len(words) and needs_space(word.text, words[i + 1].text):
            # The space spans the gap to the next word, so that a selection has no hole, and
            # is a tenth of an em at least where words touch: PDFium drops thinner ones. It
            # reaches a little into the words on both sides: PDFium takes a piece of one
            # character (of no direction of its own) that merely touches its neighbour on a
            # vertical line (a /Rotate 90 page) for the start of a new line.
            overlap = SPACE_OVERLAP * size
            at = move(end - overlap, baseline)
            reach = max(places[i + 1][0] + overlap, end + 0.1 * size)
            _set_scale(text, 100 * (reach - at) / space, places=0)
            text.textOut(" ")


SPACE_OVERLAP = 0.05
"""How far (in ems) a space reaches into the words on either side of it."""


def _num(value: float, places: int) -> str:
    """A PDF number with at most ``places`` decimals and no trailing zeros: reportlab writes
    five, which costs ~30% of a text layer's size for precision far below a pixel."""
    out = f"{value:.{places}f}"
    if "." in out:  # only decimals are trailing zeros: 20 with no decimals is twenty
        out = out.rstrip("0").rstrip(".")
    return "0" if out in ("-0", "") else out


ACROSS = 0.9
"""How much of a line's height the glyphs of a line that runs vertically in user space (the
page is shown through /Rotate 90 or 270, or the text is sideways) cover. PDFium keeps
vertical words on one line while their boxes overlap across the line, so lines set as
tightly as the scan's would merge at full height; 0.9 keeps them apart."""


def _set_matrix(text: PDFTextObject, cos: float, sin: float, along: float, across: float) -> None:
    """Text matrix for direction (cos, sin) with its origin at (along, across) in that
    direction's frame (points): a hundredth of a point, a ten-thousandth of the direction.
    Vertical lines are scaled across by ACROSS."""
    x, y = along * cos - across * sin, along * sin + across * cos
    k = ACROSS if abs(sin) > abs(cos) else 1.0
    c, s = _num(cos, 4), _num(sin, 4)
    kc, ks = _num(k * cos, 4), _num(-k * sin, 4)
    text._code.append(f"{c} {s} {ks} {kc} {_num(x, 2)} {_num(y, 2)} Tm")


def _set_scale(text: PDFTextObject, percent: float, places: int = 1) -> None:
    text._code.append(f"{_num(percent, places)} Tz")


def _write_as_one_string(text: PDFTextObject, layout: _LineLayout) -> None:
    """Write a line that runs leftwards on the displayed page (upside-down text) as one TJ.

    PDFium orders separately positioned pieces of text by their position on the page, so an
    upside-down line written word by word comes out in reverse word order; the characters of
    one string keep theirs. One string means one horizontal scale for the whole line: the
    widest word's, so that characters of narrower words overlap rather than leave gaps (PDFium
    reads a gap inside a word as a space). TJ offsets put each character in place, the last
    one of a word ending exactly at the word's end (poppler reads the gap to the next word)."""
    words, places, size = layout.words, layout.places, layout.size
    font = pdfmetrics.getFont(fonts.FONT_NAME)
    doc = text._canvas._doc
    shown = [_shown(w) for w in words]
    naturals = [float(pdfmetrics.stringWidth(t, fonts.FONT_NAME, size)) for t in shown]
    scale = max(max(e - s, 0.01 * size) / n for (s, e, _), n in zip(places, naturals, strict=True))
    start, _, baseline = places[0]
    _set_matrix(text, layout.cos, layout.sin, start, baseline)
    _set_scale(text, 100 * scale)

    items: list[tuple[int, bytes] | float] = []
    pen = start

    def move_to(target: float) -> None:
        nonlocal pen
        if abs(target - pen) > 1e-3:
            items.append((pen - target) * 1000 / (size * scale))
        pen = target

    def show(char: str) -> None:
        nonlocal pen
        items.extend(font.splitString(char, doc))
        pen += float(pdfmetrics.stringWidth(char, fonts.FONT_NAME, size)) * scale

    for i, (word, t, (begin, end, _)) in enumerate(zip(words, shown, places, strict=True)):
        last = float(pdfmetrics.stringWidth(t[-1], fonts.FONT_NAME, size)) * scale
        step = (end - begin - last) / (len(t) - 1) if len(t) > 1 else 0.0
        for k, char in enumerate(t):
            move_to(begin + k * step)
            show(char)
        if i + 1 < len(words) and needs_space(word.text, words[i + 1].text):
            move_to(end)
            show(" ")
    # One TJ per font subset run (a subset holds 256 characters; most lines need one).
    ops: list[str] = []
    array: list[str] = []
    subset = None
    for item in items:
        if isinstance(item, float):
            array.append(_num(item, 1))
            continue
        if item[0] != subset:
            if array:
                ops.append(f"[{' '.join(array)}] TJ")
                array = []
            subset = item[0]
            ops.append(f"{font.getSubsetInternalName(subset, doc)} {size:.4f} Tf")
        array.append(f"({text._canvas._escape(item[1])})")
    if array:
        ops.append(f"[{' '.join(array)}] TJ")
    text._code.append(" ".join(ops))


SNAP_DEGREES = 8.0
"""Lines within this angle of horizontal or vertical are written axis-aligned."""


def _snap(cos: float, sin: float) -> tuple[float, float] | None:
    """The axis direction nearest to (cos, sin) when the line is skewed by at most
    SNAP_DEGREES from it (None when already on an axis or skewed further)."""
    angle = math.degrees(math.atan2(sin, cos))
    axis = float(round(angle / 90) * 90)
    if angle == axis or abs(angle - axis) > SNAP_DEGREES:
        return None
    if axis % 180:
        # PDFium breaks a line after every word of text set exactly vertical by a snapped
        # line on a /Rotate 90 page (seen on samples/minutes-two-columns.pdf, page 2); a
        # hundredth of a degree off the axis avoids that and changes nothing visible.
        axis += 0.01
    a = math.radians(axis)
    return math.cos(a), math.sin(a)


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
