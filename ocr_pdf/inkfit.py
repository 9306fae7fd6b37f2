"""Word boxes fitted to the ink they were read from (Pillow, numpy): every word spans its own
ink along its line and the full height of its line's ink across it, following the line's
baseline.

Engines report boxes of uneven quality: Azure's hug each word; Tesseract's are axis-aligned, so
on a skewed scan they cover the climb of the line; RapidOCR's word boxes are guesses from where
its recogniser emitted each character, padded by its detector. :func:`refine` measures the
truth on the page image instead. Each line's region is resampled upright and level (one affine
transform: the line's quarter turn undone, its skew sheared out), thresholded (Otsu, per line,
so that uneven lighting does not matter), and:

* the line's band is the run of rows holding ink around its densest row, bounded by the first
  empty row (or a little beyond the engine's own band);
* along the band, each boundary between two words moves to the widest gap in the ink near
  where the engine put it (or to the faintest column, for words that touch), and the line's
  outer ends to where its ink starts and stops; specks of dust at a word's ends are dropped;
* a word holding a gap as wide as the gaps between words and well wider than the gaps between
  letters (the engine missed a space) is split in two there;
* CJK lines share their ink out by character count (CJK is set on a fixed pitch).

A line whose ink cannot be found (no contrast, no ink where the engine read, a skew steeper
than MAX_SKEW) keeps the engine's boxes, and so does a word whose ink hardly overlaps its box:
refining never invents geometry. Coordinates are image pixels, origin top-left, y down, like
the quads of :mod:`ocr_pdf.models`. Cost: 15 ms of one core for a 300 dpi page of 250 words,
about 30 for 500 words on skewed columns."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import pairwise
from statistics import median
from typing import TYPE_CHECKING

from PIL import Image

from ocr_pdf import ink
from ocr_pdf.geometry import box_skew, line_direction
from ocr_pdf.models import Line, PageText, Point, Quad, Word, is_cjk, is_rtl

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

MAX_SKEW = 12.0
"""Degrees off an axis beyond which a line is left as the engine gave it: shearing a steeper
line upright would distort its letters (stamps and diagonal watermarks are rare and short)."""

LEVEL = 0.2
"""Degrees of skew below which a line is taken as level (the fast path): estimates from
axis-aligned boxes scatter by up to 0.12 degrees on level pages, and a level line stays
exactly level (the text layer reads a vertical line 0.1 degree past the axis as running
backwards). 0.2 degrees climbs seven pixels over a seven-inch line at 300 dpi."""

OWN_ANGLE = 1.5
"""Degrees by which a line's angle must differ from the page's before it is kept: engines'
angles for single lines scatter (RapidOCR's by 0.1 to 0.3 degrees, several pixels over a long
line), while the page's, a median over all its lines, is steady."""


def refine(text: PageText, image: Image.Image) -> PageText:
    """``text`` with each word's quad fitted to its ink on ``image``, the image the engine read
    (``text``'s words are in its pixels), and words the engine ran together split at the gap
    between them. Lines and their order are kept; so is any word whose ink cannot be found."""
    if not text.words or image.size != (text.width, text.height):
        return text
    page = image if image.mode == "L" else image.convert("L")
    text = PageText(
        text.width, text.height, tuple(_joined(ln) for ln in text.lines), text.angle, text.language
    )
    fits = [
        _fit_line(page, line, quarter, skew)
        for line, (quarter, skew) in zip(text.lines, _line_angles(text.lines), strict=True)
    ]
    gaps = [g for f in fits if f is not None for g in f.word_gaps]
    page_gap = median(gaps) if gaps else None
    lines = tuple(
        line if fit is None else fit.line(page_gap)
        for line, fit in zip(text.lines, fits, strict=True)
    )
    return PageText(text.width, text.height, lines, text.angle, text.language)


OVERLAP = 0.5
"""Share of the shorter of two neighbouring words that the longer's box may cover along their
line before they are taken for one word the engine cut in two."""


def _joined(line: Line) -> Line:
    """``line`` with each pair of neighbours whose boxes overlap along the line by more than
    OVERLAP of the shorter made one word: engines sometimes cut a word and report a piece
    inside the box of the rest (Tesseract: "447" over the whole of "4471", then "1"). Fitted
    apart, the pieces would be read as two words."""
    if len(line.words) < 2:
        return line
    angle = math.radians(line_direction(line.words))
    ux, uy = math.cos(angle), math.sin(angle)

    def span(w: Word) -> tuple[float, float]:
        along = [x * ux + y * uy for x, y in w.quad]
        return min(along), max(along)

    words = [line.words[0]]
    for word in line.words[1:]:
        (a0, a1), (b0, b1) = span(words[-1]), span(word)
        overlap = min(a1, b1) - max(a0, b0)
        if overlap > OVERLAP * min(a1 - a0, b1 - b0) > 0:
            start = words[-1] if a0 <= b0 else word
            end = words[-1] if a1 >= b1 else word
            quad: Quad = (start.quad[0], end.quad[1], end.quad[2], start.quad[3])
            known = [c for c in (words[-1].confidence, word.confidence) if c is not None]
            words[-1] = Word(words[-1].text + word.text, quad, min(known) if known else None)
        else:
            words.append(word)
    return Line(tuple(words))


# -- frames ------------------------------------------------------------------------------------


class _Canon:
    """The frame in which one quarter of the page's text reads upright: ``quarter`` turns of 90
    degrees clockwise that the text is set at, undone. Points map to and from it, in
    continuous pixel coordinates (a ``width`` x ``height`` image, origin top-left, y down)."""

    def __init__(self, quarter: int, width: int, height: int) -> None:
        self.quarter, self.width, self.height = quarter, width, height
        # back(u, v) = (m[0] * u + m[1] * v + m[2], m[3] * u + m[4] * v + m[5])
        self.matrix = {
            0: (1, 0, 0, 0, 1, 0),
            1: (0, -1, width, 1, 0, 0),
            2: (-1, 0, width, 0, -1, height),
            3: (0, 1, 0, -1, 0, height),
        }[quarter]

    @property
    def size(self) -> tuple[int, int]:
        """Width and height of the image in this frame."""
        return (self.height, self.width) if self.quarter % 2 else (self.width, self.height)

    def to(self, p: Point) -> Point:
        x, y = p
        q, w, h = self.quarter, self.width, self.height
        if q == 1:
            return (y, w - x)
        if q == 2:
            return (w - x, h - y)
        if q == 3:
            return (h - y, x)
        return (x, y)

    def back(self, p: Point) -> Point:
        u, v = p
        a, b, c, d, e, f = self.matrix
        return (a * u + b * v + c, d * u + e * v + f)


# -- one line ----------------------------------------------------------------------------------


class _Runs:
    """The blank runs of one ink profile of a line (columns holding at most ``floor`` ink
    pixels), as sorted Python lists."""

    def __init__(self, profile: NDArray[np.int64], floor: int) -> None:
        import numpy as np

        self.profile = profile
        self.size = len(profile)
        blank = profile <= floor
        edges = np.diff(blank.astype(np.int8), prepend=0, append=0)
        self.starts: list[int] = np.flatnonzero(edges == 1).tolist()
        self.ends: list[int] = np.flatnonzero(edges == -1).tolist()

    def around(self, lo: float, hi: float) -> list[tuple[int, int]]:
        """Runs whose centre lies in [lo, hi]."""
        i = max(0, bisect_left(self.ends, lo) - 1)
        out = []
        while i < len(self.starts) and self.starts[i] <= hi:
            g0, g1 = self.starts[i], self.ends[i]
            if lo <= (g0 + g1) / 2 <= hi:
                out.append((g0, g1))
            i += 1
        return out

    def inside(self, start: int, end: int) -> list[tuple[int, int]]:
        """Runs that lie strictly within [start, end): blank between two inked columns."""
        i = bisect_left(self.ends, start + 1)
        out = []
        while i < len(self.starts) and self.ends[i] < end:
            if self.starts[i] > start:
                out.append((self.starts[i], self.ends[i]))
            i += 1
        return out

    def blank_at(self, x: int) -> tuple[int, int] | None:
        """The run holding column x, if it is blank."""
        i = bisect_right(self.starts, x) - 1
        if i >= 0 and x < self.ends[i]:
            return self.starts[i], self.ends[i]
        return None

    def ink(self, start: int, end: int) -> int:
        """Ink pixels in columns [start, end)."""
        return int(self.profile[start:end].sum())

    def faintest(self, lo: float, hi: float, near: float) -> int:
        """The column of [lo, hi] with the least ink, the nearest to ``near`` of equals."""
        import numpy as np

        a, b = max(0, math.floor(lo)), min(self.size, math.ceil(hi) + 1)
        if b <= a:
            return int(min(max(near, 0), self.size - 1))
        window = self.profile[a:b]
        faint = np.flatnonzero(window == window.min()) + a
        return int(faint[np.argmin(np.abs(faint - near))])

    def trim(self, start: int, end: int) -> tuple[int, int] | None:
        """[start, end) without blank columns at either end; None when all blank."""
        start, end = max(start, 0), min(end, self.size)
        if end <= start:
            return None
        run = self.blank_at(start)
        if run is not None:
            start = run[1]
        run = self.blank_at(end - 1)
        if run is not None:
            end = run[0]
        return (start, end) if start < end else None

    def outer(self, at: float, reach: float, side: int) -> int:
        """Where the ink of a line's first (side -1) or last (side +1) word begins or ends,
        from the engine's edge ``at``: out to the end of the ink it touches, at most ``reach``
        further, or in to where the ink starts after the blank it falls in."""
        x = min(max(round(at), 0), self.size - 1)
        run = self.blank_at(x)
        if run is not None:  # engine's edge on paper: in to the ink
            return run[1] if side < 0 else run[0]
        if side < 0:
            i = bisect_right(self.ends, x) - 1  # the blank run before x
            edge = self.ends[i] if i >= 0 else 0
            return max(edge, math.ceil(x - reach))
        i = bisect_right(self.starts, x)  # the blank run after x
        edge = self.starts[i] if i < len(self.starts) else self.size
        return min(edge, math.floor(x + reach))


@dataclass
class _Ink:
    """A line's ink per column, from column ``x0`` of its frame: ``full`` over its whole band,
    ``core`` over its band less the descenders, where the gaps between words are cleanest: the
    hooks of j, y, g and p reach under the neighbouring letters, while the ink above the
    x-height (a 7's bar, a T's) belongs inside words."""

    full: _Runs
    core: _Runs
    band: float  # the band's height, pixels

    def cut(self, g0: int, g1: int) -> tuple[int, int]:
        """Where the words on either side of the blank core run [g0, g1) end and begin: the
        widest blank run of the full band within it, or its faintest column (a hook below
        the line)."""
        runs = [(max(a, g0), min(b, g1)) for a, b in self.full.around(g0, g1)]
        runs = [r for r in runs if r[1] > r[0]]
        if runs:
            return max(runs, key=lambda r: r[1] - r[0])
        if g1 - g0 < 1:
            return g0, g0
        c = self.full.faintest(g0, g1 - 1, (g0 + g1) / 2)
        return c, c


@dataclass
class _LineFit:
    """A line measured on the ink, in its canonical frame: columns ``x`` (image columns of the
    upright array) and sheared rows ``r = y - slope * x``, in which the skewed line is level."""

    canon: _Canon
    slope: float  # tan of the residual skew
    words: tuple[Word, ...]
    extents: list[tuple[int, int] | None]  # each word's ink columns [start, end), or None
    band: tuple[float, float]  # sheared rows [top, bottom) of the line's ink
    ink: _Ink
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
        space. The core (see :class:`_Ink`) lets a descender's hook reach under the next
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
        k = _split_index(text, ((g0 + g1) / 2 - start) / (end - start))
        if k is None:
            return whole
        c0, c1 = self.ink.cut(g0, g1)
        left, right = self.ink.full.trim(start, c0), self.ink.full.trim(c1, end)
        if left is None or right is None:
            return whole
        return [*self._split(text[:k], left, gaps), *self._split(text[k:], right, gaps)]


def _line_angles(lines: tuple[Line, ...]) -> list[tuple[int, float]]:
    """Each line's quarter turn (0 to 3, clockwise) and skew off it in degrees: the page's
    skew (:func:`ocr_pdf.geometry.box_skew` for axis-aligned boxes, else the median of its
    lines' angles weighted by their length), unless a line's own angle is OWN_ANGLE away."""
    angles = [line_direction(ln.words) if ln.words else 0.0 for ln in lines]
    residuals = [a - 90 * round(a / 90) for a in angles]
    skew = box_skew(lines)
    if skew is None:
        weighted = sorted(
            (r, sum(abs(w.quad[1][0] - w.quad[0][0]) + abs(w.quad[1][1] - w.quad[0][1])
                    for w in ln.words))
            for r, ln in zip(residuals, lines, strict=True)
        )  # fmt: skip
        half, acc, skew = sum(w for _, w in weighted) / 2, 0.0, 0.0
        for r, w in weighted:
            acc += w
            if acc >= half:
                skew = r
                break
        residuals = [skew if abs(r - skew) <= OWN_ANGLE else r for r in residuals]
    else:
        residuals = [skew] * len(lines)
    return [
        (round(a / 90) % 4, 0.0 if abs(r) < LEVEL else r)
        for a, r in zip(angles, residuals, strict=True)
    ]


def _fit_line(page: Image.Image, line: Line, quarter: int, skew: float) -> _LineFit | None:
    """Measure one line on the grey ``page`` in the frame of its quarter turn and skew; None
    when its ink cannot be found."""
    words = line.words
    if not words or abs(skew) > MAX_SKEW:
        return None
    canon = _Canon(quarter, page.width, page.height)
    cols = canon.size[0]
    t = math.tan(math.radians(skew))

    # Each word's columns and sheared rows, as the engine gave them.
    spans = []
    for w in words:
        pts = [canon.to(p) for p in w.quad]
        xs = [p[0] for p in pts]
        rs = [p[1] - t * p[0] for p in pts]
        spans.append((min(xs), max(xs), min(rs), max(rs)))
    heights = sorted(s[3] - s[2] for s in spans)
    height = heights[len(heights) // 2]
    e0, e1 = min(s[2] for s in spans), max(s[3] for s in spans)
    if height < 3 or e1 - e0 < 3:
        return None
    reach = 0.6 * height  # along the line: how far a word's ink may lie beyond its box
    lo_r, hi_r = math.floor(e0 - 0.25 * height), math.ceil(e1 + 0.25 * height)
    x0 = max(0, math.floor(min(s[0] for s in spans) - reach))
    x1 = min(cols, math.ceil(max(s[1] for s in spans) + reach))
    if x1 - x0 < 2:
        return None
    region = _region(page, canon, t, x0, x1, lo_r, hi_r)
    found = _band_and_profiles(region, e0 - lo_r, e1 - lo_r)
    if found is None:
        return None
    (top, bottom), full, core = found
    band = (float(lo_r + top), float(lo_r + bottom))
    height_found = bottom - top
    if height_found < 0.35 * height:
        return None  # a rule or a row of dots, not a line of letters: trust the engine
    floor = 1 if height_found >= 24 else 0
    ink_ = _Ink(_Runs(full, floor), _Runs(core, floor), height_found)
    order = sorted(range(len(words)), key=lambda i: spans[i][0] + spans[i][1])
    if all(_is_cjk_text(words[i].text) for i in order):
        texts = [words[i].text for i in order]
        first, last = spans[order[0]][0] - x0, spans[order[-1]][1] - x0
        est = _by_character_count(ink_.full, texts, first, last, reach)
        window = 0.3 * height_found
    else:
        est = [(spans[i][0] - x0, spans[i][1] - x0) for i in order]
        window = reach
    extents, cut_gaps = _place_words(ink_, est, window, reach)
    placed: list[tuple[int, int] | None] = [None] * len(words)
    for i, extent in zip(order, extents, strict=True):
        placed[i] = extent
    word_gaps = [g1 - g0 for g0, g1 in cut_gaps]
    return _LineFit(canon, t, words, placed, band, ink_, x0, word_gaps, set(cut_gaps))


def _region(
    page: Image.Image, canon: _Canon, t: float, x0: int, x1: int, lo_r: int, hi_r: int
) -> NDArray[np.uint8]:
    """The grey levels of columns [x0, x1) and sheared rows [lo_r, hi_r) of a line's frame, as
    an array whose rows are those sheared rows: the line turned upright and its skew sheared
    out in one affine resampling (nearest pixel; paper beyond the page's edges)."""
    import numpy as np

    size = (x1 - x0, hi_r - lo_r)
    if t == 0 and canon.quarter == 0 and lo_r >= 0 and hi_r <= page.height:
        return np.asarray(page.crop((x0, lo_r, x1, hi_r)))  # the common case, 5 times faster
    # Output pixel (i, j) is canonical point (x0 + i, lo_r + j + t * (x0 + i)): the shear
    # [[1, 0], [t, 1]] and an offset, then the frame's own map back to the page.
    a, b, c, d, e, f = canon.matrix
    u0, v0 = x0, lo_r + t * x0
    data = (a + b * t, b, a * u0 + b * v0 + c, d + e * t, e, d * u0 + e * v0 + f)
    corners = [
        (data[0] * i + data[1] * j + data[2], data[3] * i + data[4] * j + data[5])
        for i in (0, size[0])
        for j in (0, size[1])
    ]
    inside = all(0 <= x <= page.width and 0 <= y <= page.height for x, y in corners)
    resampled = page.transform(
        size,
        Image.Transform.AFFINE,
        data,
        resample=Image.Resampling.NEAREST,
        fillcolor=None if inside else 255,  # filling costs a pass; only past the edges
    )
    return np.asarray(resampled)


def _band_and_profiles(
    region: NDArray[np.uint8], e0: float, e1: float
) -> tuple[tuple[int, int], NDArray[np.int64], NDArray[np.int64]] | None:
    """In a line's region (see :func:`_region`): its band (rows [top, bottom) holding ink
    contiguously around the densest row within the engine's band [e0, e1], inner part), and
    its ink per column within the band and within the band less its descenders (see
    :func:`_baseline`); None when the region holds no print (too little contrast, no ink)."""
    import numpy as np

    levels = ink.otsu(np.bincount(region[::2, ::2].ravel(), minlength=256))
    if levels is None or levels[2] - levels[1] < ink.MIN_CONTRAST:
        return None
    mask = region <= levels[0]
    if np.count_nonzero(mask) > mask.size // 2:
        mask = ~mask  # light print on a dark ground: the print is the lighter class
    across = np.count_nonzero(mask, axis=1)
    inner0 = max(0, int(e0 + 0.2 * (e1 - e0)))
    inner1 = min(len(across), max(inner0 + 1, int(e1 - 0.2 * (e1 - e0))))
    band = _band(across, inner0, inner1)
    if band is None:
        return None
    top, bottom = band
    base = _baseline(across, top, bottom)
    full = np.count_nonzero(mask[top:bottom], axis=0)
    core = np.count_nonzero(mask[top:base], axis=0)
    return band, full, core


def _baseline(across: NDArray[np.int64], top: int, bottom: int) -> int:
    """The row below the letters' bodies in [top, bottom): below the densest row, the first
    holding less than a fifth as much ink. The x-height's rows (stems at least) hold a third
    or more of the densest row's ink, descenders a tenth: this is the baseline of Latin text,
    the foot of CJK."""
    import numpy as np

    rows = across[top:bottom]
    peak = int(np.argmax(rows))
    thin = np.flatnonzero(rows[peak:] < rows[peak] / 5)
    return top + peak + (int(thin[0]) if len(thin) else len(rows) - peak)


def _band(across: NDArray[np.int64], inner0: int, inner1: int) -> tuple[int, int] | None:
    """The rows holding ink contiguously around the densest row in [inner0, inner1)."""
    import numpy as np

    if inner1 <= inner0:
        return None
    peak = inner0 + int(np.argmax(across[inner0:inner1]))
    if across[peak] == 0:
        return None
    empty = np.flatnonzero(across == 0)
    above = empty[empty < peak]
    below = empty[empty > peak]
    top = int(above[-1]) + 1 if len(above) else 0
    bottom = int(below[0]) if len(below) else len(across)
    return top, bottom


def _is_cjk_text(text: str) -> bool:
    return any(is_cjk(c) for c in text) and not any(c.isascii() and c.isalpha() for c in text)


def _by_character_count(
    full: _Runs, texts: list[str], first: float, last: float, reach: float
) -> list[tuple[float, float]]:
    """Where the words of a CJK line should lie: the line's ink shared out by their characters
    (CJK is set on a fixed pitch), rather than where the engine put them."""
    start = full.outer(first, reach, -1)
    end = full.outer(last, reach, +1)
    widths = [sum(_width(c) for c in t) for t in texts]
    total = sum(widths) or 1.0
    out, acc = [], 0.0
    for w in widths:
        a = start + (end - start) * acc / total
        acc += w
        out.append((a, start + (end - start) * acc / total))
    return out


def _place_words(
    ink_: _Ink, est: list[tuple[float, float]], window: float, reach: float
) -> tuple[list[tuple[int, int] | None], list[tuple[int, int]]]:
    """Each word's ink columns [start, end) from its estimated columns ``est`` (words left to
    right, relative to the profiles), and the blank core runs found between words.

    Each boundary goes to the widest blank core run whose centre lies within ``window`` of the
    boundary's estimate (wider and nearer is better; see :meth:`_Ink.cut`), or, where the
    words touch, to the faintest core column near it; the line's outer ends go to where its
    ink starts and stops."""
    full, core, band = ink_.full, ink_.core, ink_.band
    cuts: list[tuple[int, int]] = []  # (end of the word before, start of the word after)
    between: list[tuple[int, int]] = []
    for (s0, e0), (s1, e1) in pairwise(est):
        middle = (e0 + s1) / 2
        c0, c1 = (s0 + e0) / 2, (s1 + e1) / 2
        lo, hi = max(c0, min(e0, s1) - window), min(c1, max(e0, s1) + window)
        if hi <= lo:
            lo, hi = min(c0, c1), max(c0, c1)
        best = None
        for g0, g1 in core.around(lo, hi):
            score = (g1 - g0) - 0.5 * abs((g0 + g1) / 2 - middle)
            if best is None or score > best[0]:
                best = (score, g0, g1)
        if best is not None:
            cuts.append(ink_.cut(best[1], best[2]))
            between.append((best[1], best[2]))
            continue
        # Touching words: where they touch least, close to where the engine cut them.
        cut = core.faintest(max(lo, middle - 0.2 * band), min(hi, middle + 0.2 * band), middle)
        cuts.append((cut, cut))

    out: list[tuple[int, int] | None] = []
    for i, (s, e) in enumerate(est):
        start = cuts[i - 1][1] if i else full.outer(s, reach, -1)
        end = cuts[i][0] if i < len(cuts) else full.outer(e, reach, +1)
        fit = full.trim(start, end)
        if fit is not None:
            fit = _without_specks(full, fit, band)
        # Ink that hardly overlaps where the engine put the word is not that word's (a word
        # off the edge of the image, a box far off its ink): its box stays as it was.
        if fit is not None and min(fit[1], e) - max(fit[0], s) < 0.3 * min(fit[1] - fit[0], e - s):
            fit = None
        out.append(fit)
    return out, between


def _without_specks(full: _Runs, fit: tuple[int, int], band: float) -> tuple[int, int]:
    """A word's columns without a speck of dust at either end: a run of ink at most a tenth
    of the line high and wide, and faint, set off from the word by more than a letter's gap
    (a full stop sits closer)."""
    start, end = fit
    small, apart = 0.12 * band, 0.15 * band
    i = bisect_left(full.ends, end) - 1  # the last blank run before the end
    if i >= 0 and full.starts[i] > start:
        g0, g1 = full.starts[i], full.ends[i]
        if end - g1 <= small and g1 - g0 >= apart and full.ink(g1, end) <= small * small:
            end = g0
    i = bisect_right(full.starts, start)  # the first blank run after the start
    if i < len(full.starts) and full.ends[i] < end:
        g0, g1 = full.starts[i], full.ends[i]
        if g0 - start <= small and g1 - g0 >= apart and full.ink(start, g0) <= small * small:
            start = g1
    return start, end


_NARROW = set("iljtfrI1!|.,:;'`\"()[]{}-")
_WIDE = set("mwMW@%")


def _width(c: str) -> float:
    """A character's rough advance in ems, as proportional fonts set it."""
    if is_cjk(c):
        return 1.0
    if c in _NARROW:
        return 0.3
    if c in _WIDE:
        return 0.85
    if c.isupper():
        return 0.68
    if c.isdigit():
        return 0.55
    return 0.52


_CLOSING = set(",.;:!?)]}%'\u2019\u201d\u00bb")
_OPENING = set("([{\"'\u2018\u201c\u00ab$\u20ac\u00a3#")


def _split_index(text: str, fraction: float) -> int | None:
    """Where to cut ``text`` so that its first part takes ``fraction`` of its width, preferring
    a change of case or of kind of character within one character of the estimate; None when
    a part would hold no letter or digit, start with closing punctuation or end with opening
    punctuation, or when the text is a number ("1,250" is one word, however wide its
    comma's gap)."""
    if all(c.isdigit() or c in ".,:/-" for c in text):
        return None
    widths = [_width(c) for c in text]
    target = fraction * sum(widths)
    acc, best, best_err = 0.0, 1, float("inf")
    for k in range(1, len(text)):
        acc += widths[k - 1]
        if abs(acc - target) < best_err:
            best, best_err = k, abs(acc - target)
    for k in (best, best - 1, best + 1):
        if 0 < k < len(text) and _natural_break(text[k - 1], text[k]):
            best = k
            break
    left, right = text[:best], text[best:]
    if not any(c.isalnum() for c in left) or not any(c.isalnum() for c in right):
        return None
    if right[0] in _CLOSING or left[-1] in _OPENING:
        return None
    return best


def _natural_break(before: str, after: str) -> bool:
    """A lower-case letter before a capital, a letter against a digit, or punctuation that
    ends a word before a letter."""
    if before.islower() and after.isupper():
        return True
    if before.isalpha() != after.isalpha() and before.isalnum() and after.isalnum():
        return True
    return before in ".,;:!?)" and after.isalpha()
