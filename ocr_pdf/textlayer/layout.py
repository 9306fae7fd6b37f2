"""One line of a text layer laid out: its direction and font size from its words' quads, each
word's place along it, slightly skewed lines set level, and the writer that suits its
direction on the displayed page. PDF points, origin bottom-left, y up."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.pdfgen.textobject import PDFTextObject

from ocr_pdf.models import Line, Word, needs_space
from ocr_pdf.textlayer import fonts
from ocr_pdf.textlayer.one_string import write_as_one_string
from ocr_pdf.textlayer.operators import LineLayout, Place
from ocr_pdf.textlayer.word_by_word import write_word_by_word

_DESCENT_FRACTION = -fonts.DESCENT / fonts.UNITS_PER_EM
_CENTRE_FRACTION = (fonts.ASCENT + fonts.DESCENT) / 2 / fonts.UNITS_PER_EM  # above the baseline
_MIN_SIZE = 0.5  # points; smaller boxes are noise, and some readers choke on near-zero sizes


@dataclass(frozen=True)
class LaidLine:
    """A line ready to write: its layout, and whether it runs leftwards on the displayed page
    (then it is written as one string, see :mod:`one_string`)."""

    layout: LineLayout
    leftwards: bool


def lay_out(line: Line, rotation: int, height: float) -> LaidLine | None:
    """Lay out one line: one font size for all its words (extractors join words into lines by
    baseline and size), each word stretched over its own extent along the line. ``height`` is
    the line's selection height (see :func:`line_heights`), its top at the top of its ink.
    None when the line has no words or is too small to write."""
    words = [w for w in line.words if w.text]
    frame = _line_frame(words)
    if frame is None or frame[3] < _MIN_SIZE:
        return None
    cos, sin, bottom, own = frame
    bottom += own - height
    size = height / fonts.BOX
    baseline = bottom + _DESCENT_FRACTION * size
    places = [(*_span(w, cos, sin), baseline) for w in words]
    # Direction as displayed: /Rotate turns the page clockwise.
    r = math.radians(rotation)
    leftwards = cos * math.cos(r) + sin * math.sin(r) < 0
    snapped = None if leftwards else _snap(cos, sin)
    if snapped:
        cos, sin = snapped
        places = _level(words, places, cos, sin, own, size)
    places = _open_gaps(words, _close_unspaced(words, places), size)
    return LaidLine(LineLayout(words, places, cos, sin, size), leftwards)


def write_line(text: PDFTextObject, laid: LaidLine) -> None:
    """Write a laid-out line with the writer that suits its direction."""
    text.setFont(fonts.FONT_NAME, laid.layout.size)
    if laid.leftwards:
        write_as_one_string(text, laid.layout)
    else:
        write_word_by_word(text, laid.layout)


SKEW_GROWTH = 1.15
"""At most this many times its height is a skewed line's selection grown (see _needed_height):
taller, the boxes of neighbouring lines overlap and PDFium starts mixing their words."""


def _needed_height(words: list[Word], frame: tuple[float, float, float, float]) -> float:
    """A line's selection height: its ink band, and for a skewed line written level (see
    _snap) the climb of a word of median length along the skew, so that a level word's
    selection covers its ink from end to end (at 5 degrees a 2-inch word's ends climb a fifth
    of an 11-pt line); at most SKEW_GROWTH times the band."""
    cos, sin, _, own = frame
    snapped = _snap(cos, sin)
    if snapped is None:
        return own
    lengths = sorted(end - start for start, end in (_span(w, cos, sin) for w in words))
    climb = lengths[len(lengths) // 2] * abs(cos * snapped[1] - sin * snapped[0])
    return min(own + climb, SKEW_GROWTH * own)


def _level(
    words: list[Word], places: list[Place], cos: float, sin: float, height: float, grown: float
) -> list[Place]:
    """The places of a slightly skewed line written along the axis (cos, sin), each word
    centred on its own ink and as long as it was along the skewed baseline. ``height`` is the
    line's ink band (centres are shared by it), ``grown`` the font size it is written in.

    Poppler (pdftotext, Evince, paperless) splits words whose characters climb, so "Report"
    at 4.5 degrees came out as "Repo" and "rt". Words are short, so each box still sits on
    its word."""
    lengths = [end - start for start, end, _ in places]  # along the true, skewed baseline
    centres = [(sum(x for x, _ in w.quad) / 4, sum(y for _, y in w.quad) / 4) for w in words]
    alongs = [cx * cos + cy * sin for cx, cy in centres]
    acrosses = [-cx * sin + cy * cos for cx, cy in centres]
    baselines = [b - _CENTRE_FRACTION * grown for b in _shared(acrosses, height)]
    return [(a - n / 2, a + n / 2, b) for a, n, b in zip(alongs, lengths, baselines, strict=True)]


def _shared(centres: list[float], size: float) -> list[float]:
    """Word centres (across a snapped line) evened out: consecutive words share their mean
    while none strays more than STEP of the size from it. Extractors break a line where the
    baseline jumps, so jumps happen only where the skew has climbed that far, and each jump
    stays well under half the size: PDFium starts a new line where a piece of text climbs
    more than half its characters' advance (an em in our font, see fonts.ADVANCE) above
    the last."""
    out: list[float] = []
    run: list[float] = []
    for c in centres:
        trial = [*run, c]
        mean = sum(trial) / len(trial)
        if run and max(abs(x - mean) for x in trial) > STEP * size:
            out.extend([sum(run) / len(run)] * len(run))
            trial = [c]
        run = trial
    out.extend([sum(run) / len(run)] * len(run))
    return out


STEP = 0.09
"""Largest distance (in sizes) of a word's centre from the shared centre of its step."""


HEIGHT_STEP = 1.2
"""Lines' heights, in order, belong to one print while each is within this ratio of the one
below it: a line without descenders ("contractor could finish") is the same print as its
neighbours, a heading half again as tall is not."""


def line_heights(lines: Sequence[Line]) -> list[float | None]:
    """Each line's selection height in points: lines of one direction and one print (heights,
    see _needed_height, that climb by steps of at most HEIGHT_STEP) share their median, so
    that neighbouring lines of one print have one font size (poppler joins lines into a
    column only while their sizes are within 5%), while a heading keeps its own. None for a
    line with no words."""
    groups: dict[int, list[tuple[float, int]]] = {}
    for i, line in enumerate(lines):
        words = [w for w in line.words if w.text]
        frame = _line_frame(words)
        if frame is not None:
            quarter = round(math.degrees(math.atan2(frame[1], frame[0])) / 90) % 4
            groups.setdefault(quarter, []).append((_needed_height(words, frame), i))
    heights: list[float | None] = [None] * len(lines)
    for members in groups.values():
        members.sort()
        clusters = [[members[0]]]
        for member in members[1:]:
            if member[0] > clusters[-1][-1][0] * HEIGHT_STEP:
                clusters.append([])
            clusters[-1].append(member)
        for cluster in clusters:
            shared = cluster[len(cluster) // 2][0]
            for _, i in cluster:
                heights[i] = shared
    return heights


WORD_GAP = 0.2
"""The narrowest gap (in ems) left between two words: poppler sees a space between words only
where their glyphs stand this far apart (it ignores space characters), and print set tight
(forms, small type) has gaps down to a tenth of an em."""


def _open_gaps(words: list[Word], places: list[Place], size: float) -> list[Place]:
    """Pull apart the facing ends of words closer than WORD_GAP, each by at most a fifth of its
    length, so that every extractor finds the space between them."""
    out = list(places)
    for i in range(len(words) - 1):
        (s0, e0, b0), (s1, e1, b1) = out[i], out[i + 1]
        short = WORD_GAP * size - (s1 - e0)
        if short <= 0 or not needs_space(words[i].text, words[i + 1].text):
            continue
        left = min(short / 2, (e0 - s0) / 5)
        right = min(short / 2, (e1 - s1) / 5)
        out[i], out[i + 1] = (s0, e0 - left, b0), (s1 + right, e1, b1)
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
