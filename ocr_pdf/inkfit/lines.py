"""One line fitted to its ink: the line's region measured in its frame (see
:mod:`ocr_pdf.inkfit.frames`), its words placed on the ink (:mod:`ocr_pdf.inkfit.placing`),
and the words back on the page as quads along the line, split where an engine ran two
together.

Coordinates on the page are image pixels, origin top-left, y down; within a line they are its
frame's columns and sheared rows (see :class:`LineFit`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import median

from PIL import Image

from ocr_pdf.inkfit.frames import Canon, region
from ocr_pdf.inkfit.placing import by_character_count, place_words
from ocr_pdf.inkfit.profiles import Ink, Runs, band_and_profiles
from ocr_pdf.inkfit.text import is_cjk_text, split_index
from ocr_pdf.models import Line, Point, Quad, Word, is_cjk, is_rtl

MAX_SKEW = 12.0
"""Degrees off an axis beyond which a line is left as the engine gave it: shearing a steeper
line upright would distort its letters (stamps and diagonal watermarks are rare and short)."""


@dataclass(frozen=True)
class LineFit:
    """A line measured on the ink, in its canonical frame: columns ``x`` (image columns of the
    upright array) and sheared rows ``r = y - slope * x``, in which the skewed line is level."""

    canon: Canon
    slope: float  # tan of the residual skew
    words: tuple[Word, ...]
    extents: list[tuple[int, int] | None]  # each word's ink columns [start, end), or None
    band: tuple[float, float]  # sheared rows [top, bottom) of the line's ink
    ink: Ink
    x0: int  # the column the profiles start at
    word_gaps: list[int]  # widths of the blank core runs between this line's words
    cut_gaps: set[tuple[int, int]]  # those runs

    def quad(self, start: float, end: float) -> Quad:
        """The quad of columns [start, end) across the band, as a rectangle along the line."""
        top, bottom = self.band
        start, end = start + self.x0, end + self.x0
        back = self.canon.back
        if self.slope == 0:
            return (
                back((start, top)),
                back((end, top)),
                back((end, bottom)),
                back((start, bottom)),
            )
        t = self.slope
        cos = 1 / math.sqrt(1 + t * t)
        sin = t * cos
        # A point at column x on sheared row r lies at along = x / cos + r * sin and
        # across = r * cos in the frame of the line's direction (cos, sin).
        shift = (top + bottom) / 2 * sin
        a0, a1 = start / cos + shift, end / cos + shift
        c0, c1 = top * cos, bottom * cos

        def point(along: float, across: float) -> Point:
            return back((along * cos - across * sin, along * sin + across * cos))

        return (point(a0, c0), point(a1, c0), point(a1, c1), point(a0, c1))

    def line(self, page_gap: float | None) -> Line:
        """The line's words on their ink, glued words split."""
        splits = self._glued(page_gap)
        words: list[Word] = []
        for word, extent in zip(self.words, self.extents, strict=True):
            if extent is None:
                words.append(word)
                continue
            gaps = [g for g in splits if extent[0] < g[0] and g[1] < extent[1]]
            for text, (start, end) in self._split(word.text, extent, gaps):
                words.append(Word(text, self.quad(start, end), word.confidence))
        return Line(tuple(words))

    def _glued(self, page_gap: float | None) -> list[tuple[int, int]]:
        """Blank core runs inside words as wide as the gaps between words on this line (or
        the page, for a line of one word) and well wider than the gaps between its letters
        (the 90th percentile of the other runs inside its words): where an engine missed a
        space. The core (see :class:`Ink`) lets a descender's hook reach under the next
        word."""
        word_gap = median(self.word_gaps) if self.word_gaps else page_gap
        placed = [e for e in self.extents if e is not None]
        if word_gap is None or not placed:
            return []
        core = self.ink.core
        lo, hi = min(e[0] for e in placed), max(e[1] for e in placed)
        inner = [g for g in core.inside(lo, hi) if g not in self.cut_gaps]
        if not inner:
            return []
        widths = sorted(g1 - g0 for g0, g1 in inner)
        letter_gap = widths[int(0.9 * (len(widths) - 1))]
        need = max(0.7 * word_gap, 1.8 * letter_gap, 0.12 * self.ink.band)
        return [g for g in inner if g[1] - g[0] >= need]

    def _split(
        self, text: str, extent: tuple[int, int], gaps: list[tuple[int, int]]
    ) -> list[tuple[str, tuple[int, int]]]:
        """A word cut at the widest of ``gaps`` (see :meth:`_glued`) within it, its text at
        the character whose estimated position falls in that gap, recursively. Words under
        four characters, CJK, right-to-left text and text with spaces stay whole."""
        start, end = extent
        gaps = [g for g in gaps if start < g[0] and g[1] < end]
        whole = [(text, extent)]
        if not gaps or len(text) < 4 or " " in text:
            return whole
        if not text.isascii() and (is_rtl(text) or any(is_cjk(c) for c in text)):
            return whole
        g0, g1 = max(gaps, key=lambda g: g[1] - g[0])
        k = split_index(text, ((g0 + g1) / 2 - start) / (end - start))
        if k is None:
            return whole
        c0, c1 = self.ink.cut(g0, g1)
        left, right = self.ink.full.trim(start, c0), self.ink.full.trim(c1, end)
        if left is None or right is None:
            return whole
        return [*self._split(text[:k], left, gaps), *self._split(text[k:], right, gaps)]


Span = tuple[float, float, float, float]
"""A word's first and last column and its top and bottom sheared row in a line's frame, as
the engine gave them."""


@dataclass(frozen=True)
class _Window:
    """Where to look for a line's ink in its frame: columns [x0, x1) and sheared rows
    [lo_r, hi_r), around the engine's band [e0, e1] and its words' median ``height``."""

    height: float
    reach: float  # along the line: how far a word's ink may lie beyond its box
    e0: float
    e1: float
    x0: int
    x1: int
    lo_r: int
    hi_r: int


def fit_line(page: Image.Image, line: Line, quarter: int, skew: float) -> LineFit | None:
    """Measure one line on the grey ``page`` in the frame of its quarter turn and skew; None
    when its ink cannot be found."""
    words = line.words
    if not words or abs(skew) > MAX_SKEW:
        return None
    canon = Canon(quarter, page.width, page.height)
    t = math.tan(math.radians(skew))
    spans = _spans(canon, t, words)
    window = _window(spans, canon.size[0])
    if window is None:
        return None
    measured = _measure(page, canon, t, window)
    if measured is None:
        return None
    band, ink_ = measured
    order = sorted(range(len(words)), key=lambda i: spans[i][0] + spans[i][1])
    est, near = _estimates(ink_, [words[i].text for i in order], [spans[i] for i in order], window)
    extents, cut_gaps = place_words(ink_, est, near, window.reach)
    placed: list[tuple[int, int] | None] = [None] * len(words)
    for i, extent in zip(order, extents, strict=True):
        placed[i] = extent
    word_gaps = [g1 - g0 for g0, g1 in cut_gaps]
    return LineFit(canon, t, words, placed, band, ink_, window.x0, word_gaps, set(cut_gaps))


def _spans(canon: Canon, t: float, words: tuple[Word, ...]) -> list[Span]:
    """Each word's columns and sheared rows, as the engine gave them."""
    spans = []
    for w in words:
        pts = [canon.to(p) for p in w.quad]
        xs = [p[0] for p in pts]
        rs = [p[1] - t * p[0] for p in pts]
        spans.append((min(xs), max(xs), min(rs), max(rs)))
    return spans


def _window(spans: list[Span], cols: int) -> _Window | None:
    """Where to look for the ink of words at ``spans`` in a frame ``cols`` wide; None when
    the words are too small to measure."""
    heights = sorted(s[3] - s[2] for s in spans)
    height = heights[len(heights) // 2]
    e0, e1 = min(s[2] for s in spans), max(s[3] for s in spans)
    if height < 3 or e1 - e0 < 3:
        return None
    reach = 0.6 * height
    lo_r, hi_r = math.floor(e0 - 0.25 * height), math.ceil(e1 + 0.25 * height)
    x0 = max(0, math.floor(min(s[0] for s in spans) - reach))
    x1 = min(cols, math.ceil(max(s[1] for s in spans) + reach))
    if x1 - x0 < 2:
        return None
    return _Window(height, reach, e0, e1, x0, x1, lo_r, hi_r)


def _measure(
    page: Image.Image, canon: Canon, t: float, window: _Window
) -> tuple[tuple[float, float], Ink] | None:
    """The line's band (sheared rows [top, bottom)) and its ink in ``window``; None when no
    line of letters is found there."""
    w = window
    found = band_and_profiles(
        region(page, canon, t, w.x0, w.x1, w.lo_r, w.hi_r), w.e0 - w.lo_r, w.e1 - w.lo_r
    )
    if found is None:
        return None
    (top, bottom), full, core = found
    height_found = bottom - top
    if height_found < 0.35 * w.height:
        return None  # a rule or a row of dots, not a line of letters: trust the engine
    floor = 1 if height_found >= 24 else 0
    band = (float(w.lo_r + top), float(w.lo_r + bottom))
    return band, Ink(Runs(full, floor), Runs(core, floor), height_found)


def _estimates(
    ink_: Ink, texts: list[str], spans: list[Span], window: _Window
) -> tuple[list[tuple[float, float]], float]:
    """Where the words (``texts`` at ``spans``, left to right) lie before fitting, in columns
    of the profiles, and how far from each boundary's estimate to look for a gap: CJK lines
    by character count (the engine's boxes are no guide), others where the engine put them."""
    x0 = window.x0
    if all(is_cjk_text(t) for t in texts):
        first, last = spans[0][0] - x0, spans[-1][1] - x0
        return by_character_count(ink_.full, texts, first, last, window.reach), 0.3 * ink_.band
    return [(s[0] - x0, s[1] - x0) for s in spans], window.reach
