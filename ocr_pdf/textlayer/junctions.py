"""Where one written line meets the next: the order of a page's lines in the layer, put right
where pdf.js (Firefox) would run two lines together. Points, PDF user space, y up.

pdf.js compares the first character of a piece of text with where the last one ended. When the
new one starts more than a fifth of an em back (to the left, in the new text's direction) and
less than half the last text's size above or below, it ends the last piece there with neither
a line break nor a space (the space that ends each of our lines is dropped with it): "WEST" and
"520" on a street sign, the second a little lower and to the left, came out "WEST520"; a word
set sideways whose end sits at the height of the next line came out glued to that line's first
word. Poppler, PDFium and MuPDF sort such pieces by position and read them apart.

Two lines in reading order that pdf.js would glue are either on one row, read right before
left (or a sideways word beside a line): written the other way round, left before right, each
is read as a line of its own in every reader (:func:`untangle`); or consecutive lines of a
skewed paragraph, whose last level step (see layout._level) ends at the height where the next
line begins: the next line's first word is turned by a hundredth of a degree (:func:`settle`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import pairwise

from reportlab.pdfbase import pdfmetrics

from ocr_pdf.textlayer import fonts
from ocr_pdf.textlayer.operators import LineLayout, shown

BACK = 0.2
"""pdf.js's NEGATIVE_SPACE_FACTOR: a start this many ems behind the last end goes back."""
ACROSS = 0.5
"""pdf.js starts a new line at a step back only past this many of the last text's sizes."""

Pen = tuple[float, float, float, float, float]
"""A character's text transform as pdf.js sees it: its origin (x, y), direction (cos, sin)
and horizontal scale (Tz as a fraction)."""


def _hscale(layout: LineLayout, i: int) -> float:
    start, end, _ = layout.places[i]
    natural = pdfmetrics.stringWidth(shown(layout.words[i]), fonts.FONT_NAME, layout.size)
    return max(end - start, 0.01 * layout.size) / natural if natural else 1.0


def _pen(layout: LineLayout, i: int, at_end: bool) -> Pen:
    start, end, across = layout.places[i]
    along = end if at_end else start
    x = along * layout.cos - across * layout.sin
    y = along * layout.sin + across * layout.cos
    cos, sin = layout.direction(i)
    return x, y, cos, sin, _hscale(layout, i)


def _matrix(pen: Pen) -> tuple[float, float, float, float]:
    cos, sin, scale = pen[2], pen[3], pen[4]
    return cos * scale, sin * scale, -sin, cos


def _in_frame(pen: Pen, frame: Pen) -> tuple[float, float] | None:
    """``pen``'s origin as pdf.js measures it where ``frame`` runs along an axis: swapped or
    negated to that axis; None when ``frame`` does not."""
    x, y = pen[0], pen[1]
    m0, m1, m2, m3 = _matrix(frame)
    if m0 and not m1 and not m2:
        return (x, y) if m0 > 0 else (-x, -y)
    if m1 and not m0 and not m3:
        return (y, x) if m1 > 0 else (-y, -x)
    return None


def _turned_back(pen: Pen) -> tuple[float, float]:
    """``pen``'s origin turned back by its own rotation, as pdf.js does where the new text
    runs along no axis: the across part divided by the horizontal scale too."""
    m0, m1, m2, m3 = _matrix(pen)
    norm = math.hypot(m0, m1)
    return (m0 * pen[0] + m1 * pen[1]) / norm, (m2 * pen[0] + m3 * pen[1]) / norm


def _num(value: float) -> float:
    """A direction component as written in the content stream (see operators.set_matrix)."""
    return round(value, 4) + 0.0


def glued(a: LineLayout, b: LineLayout) -> bool:
    """Whether pdf.js runs line ``b``, written right after ``a``, into ``a``'s last word."""
    end = _pen(a, len(a.words) - 1, at_end=True)
    start = _pen(b, 0, at_end=False)
    end = (end[0], end[1], _num(end[2]), _num(end[3]), end[4])
    start = (start[0], start[1], _num(start[2]), _num(start[3]), start[4])
    now, last = _in_frame(start, start), _in_frame(end, start)
    if now is None or last is None:
        now, last = _turned_back(start), _turned_back(end)
    return now[0] - last[0] < -BACK * a.size and abs(now[1] - last[1]) <= ACROSS * a.size


REACH = 8
"""Farthest (in lines) a line is moved from its place in reading order to come apart."""


def untangle(layouts: Sequence[LineLayout]) -> list[int]:
    """The order (indices into ``layouts``, given in reading order) to write the lines in:
    reading order, except where pdf.js would glue two neighbours (see :func:`_one_row`). Then
    one of the two is moved the least distance (at most REACH lines) that glues fewer lines
    together around it: the later one first when distances tie (the left half of a row, put
    before the right half), else the earlier (a sideways word, put before the line it
    ended beside)."""
    order = list(range(len(layouts)))

    def glues(run: Sequence[int]) -> int:
        return sum(glued(layouts[a], layouts[b]) for a, b in pairwise(run))

    i = 0
    while i < len(order) - 1:
        a, b = layouts[order[i]], layouts[order[i + 1]]
        if glued(a, b) and _one_row(a, b):
            order = _moved(order, i, glues) or order
        i += 1
    return order


def _one_row(a: LineLayout, b: LineLayout) -> bool:
    """Whether ``b`` is on ``a``'s row and wholly before it (its first baseline within ACROSS
    of the smaller size of ``a``'s first, its end before ``a``'s start: two halves of a sign
    read right first), or runs another way (a word set sideways beside a line). Not so for
    the next line of a skewed paragraph, whose last step (see layout._level) may end where
    the next line begins, nor for the second line of a heading set tight: pdf.js runs those
    together too, but the lines' order is right and stays."""
    if a.cos * b.cos + a.sin * b.sin < math.cos(math.radians(ROW_DEGREES)):
        return True
    (x0, y0, *_), (x1, y1, *_) = _pen(a, 0, at_end=False), _pen(b, 0, at_end=False)
    (x2, y2, *_) = _pen(b, len(b.words) - 1, at_end=True)
    across = abs((y1 - y0) * a.cos - (x1 - x0) * a.sin)
    before = (x2 - x0) * a.cos + (y2 - y0) * a.sin <= 0
    return before and across <= ACROSS * min(a.size, b.size)


ROW_DEGREES = 30.0
"""Lines whose directions differ by more than this run different ways."""


def _moved(order: list[int], i: int, glues: Callable[[Sequence[int]], int]) -> list[int] | None:
    """``order`` with line ``i`` or ``i + 1`` moved so that fewer junctions glue, or None."""
    tries = sorted(
        (abs(to - at), at == i, at, to)
        for at in (i, i + 1)
        for to in range(max(0, at - REACH), min(len(order), at + REACH + 1))
        if to != at
    )
    for _, _, at, to in tries:
        trial = order[:at] + order[at + 1 :]
        trial.insert(to, order[at])
        lo, hi = max(0, min(at, to) - 1), min(len(order), max(at, to) + 2)
        if glues(trial[lo:hi]) < glues(order[lo:hi]):
            return trial
    return None


TURNS = (0.01, -0.01, 0.02, -0.02, 0.05, -0.05)
"""Degrees a line's first word may be turned by (see :func:`settle`): nothing a reader shows."""


def settle(layouts: Sequence[LineLayout]) -> list[LineLayout]:
    """``layouts`` in the order they are written, each line that pdf.js would still run into
    the one before (the next line of a skewed paragraph, whose level steps end at the height
    where it begins; see layout._level) with its first word turned by a hundredth of a degree
    or so, where that keeps them apart. pdf.js measures a piece of text that runs along no
    axis in its own turned frame, where the height is divided by the horizontal scale, so the
    two no longer look like one line to it; no other reader sees the turn."""
    out = list(layouts)
    for i in range(1, len(out)):
        if not glued(out[i - 1], out[i]) or out[i].turn:
            continue
        for turn in TURNS:
            trial = replace(out[i], turn=turn)
            nxt = out[i + 1] if i + 1 < len(out) else None
            worse = nxt is not None and glued(trial, nxt) and not glued(out[i], nxt)
            if not glued(out[i - 1], trial) and not worse:
                out[i] = trial
                break
    return out
