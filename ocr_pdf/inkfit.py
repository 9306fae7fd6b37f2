"""Word boxes fitted to the ink they were read from (numpy): every word spans its own ink along
its line and the full height of its line's ink across it, following the line's baseline.

Engines report boxes of uneven quality: Azure's hug each word; Tesseract's are axis-aligned, so
on a skewed scan they cover the climb of the line; RapidOCR's word boxes are guesses from where
its recogniser emitted each character, padded by its detector. :func:`refine` measures the
truth on the page image instead. Per line, in the frame where that line is upright (a quarter
turn of the image array, which numpy gives as a view) and its residual skew sheared out:

* the line's band is the run of rows holding ink around the rows where the engine's boxes are
  densest, bounded by the first empty row (or a little beyond the engine's own band);
* along the band, each boundary between two words moves to the widest gap in the ink near
  where the engine put it (or to the faintest column, for words that touch), and the line's
  outer ends to where its ink starts and stops;
* a word holding a gap as wide as the gaps between words (the engine missed a space) is split
  in two there.

A line whose ink cannot be found (no contrast, no ink where the engine read, a skew steeper
than MAX_SKEW) keeps the engine's boxes: refining never invents geometry. Coordinates are
image pixels, origin top-left, y down, like the quads of :mod:`ocr_pdf.models`."""

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
    a = ink.grey(image)
    fits = [
        _fit_line(a, line, quarter, skew)
        for line, (quarter, skew) in zip(text.lines, _line_angles(text.lines), strict=True)
    ]
    gaps = [g for f in fits if f is not None for g in f.word_gaps]
    page_gap = median(gaps) if gaps else None
    lines = tuple(
        line if fit is None else fit.line(page_gap)
        for line, fit in zip(text.lines, fits, strict=True)
    )
    return PageText(text.width, text.height, lines, text.angle, text.language)


# -- frames ------------------------------------------------------------------------------------


class _Canon:
    """The frame in which one quarter of the page's text reads upright: ``quarter`` turns of 90
    degrees clockwise that the text is set at, undone on the image array by np.rot90 (a view,
    no copy). Points map to and from it, in continuous pixel coordinates."""

    def __init__(self, quarter: int, width: int, height: int) -> None:
        self.quarter, self.width, self.height = quarter, width, height

    def rotate(self, a: NDArray[np.uint8]) -> NDArray[np.uint8]:
        """The page's grey array turned so that this frame's text is upright (a view)."""
        import numpy as np

        return np.rot90(a, self.quarter) if self.quarter else a

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
        q, w, h = self.quarter, self.width, self.height
        if q == 1:
            return (w - v, u)
        if q == 2:
            return (w - u, h - v)
        if q == 3:
            return (v, h - u)
        return (u, v)


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

    def quad(self, start: float, end: float) -> Quad:
        """The quad of columns [start, end) across the band, as a rectangle along the line."""
        t = self.slope
        cos = 1 / math.sqrt(1 + t * t)
        sin = t * cos
        top, bottom = self.band
        mid = (top + bottom) / 2
        # A point at column x on sheared row r lies at along = x / cos + r * sin and
        # across = r * cos in the frame of the line's direction (cos, sin).
        start, end = start + self.x0, end + self.x0
        a0, a1 = start / cos + mid * sin, end / cos + mid * sin
        c0, c1 = top * cos, bottom * cos

        def point(along: float, across: float) -> Point:
            return self.canon.back((along * cos - across * sin, along * sin + across * cos))

        return (point(a0, c0), point(a1, c0), point(a1, c1), point(a0, c1))

    def line(self, page_gap: float | None) -> Line:
        """The line's words on their ink, glued words split."""
        words: list[Word] = []
        reference = median(self.word_gaps) if self.word_gaps else page_gap
        letter = self._letter_gap()
        for word, extent in zip(self.words, self.extents, strict=True):
            if extent is None:
                words.append(word)
                continue
            for text, (start, end) in self._split(word.text, extent, reference, letter):
                words.append(Word(text, self.quad(start, end), word.confidence))
        return Line(tuple(words))

    def _letter_gap(self) -> float:
        """A wide gap between letters of one word on this line: the 90th percentile of the
        blank core runs inside its words (0 when letters touch)."""
        core = self.ink.core
        inner = sorted(
            g1 - g0 for e in self.extents if e is not None for g0, g1 in core.inside(*e)
        )
        return float(inner[int(0.9 * (len(inner) - 1))]) if inner else 0.0

    def _split(
        self, text: str, extent: tuple[int, int], word_gap: float | None, letter_gap: float
    ) -> list[tuple[str, tuple[int, int]]]:
        """A word cut where its ink has a gap as wide as the gaps between words (the engine
        missed a space) and well wider than the gaps between letters on its line; the text
        cut at the character whose estimated position falls in that gap. The full height of
        the line must be blank there: above the x-height a T's or a 7's bar, at its top an A's
        apex leave gaps inside words. Words under four characters, CJK, right-to-left text and
        text with spaces stay whole."""
        whole = [(text, extent)]
        if (
            word_gap is None
            or len(text) < 4
            or is_rtl(text)
            or any(is_cjk(c) or c.isspace() for c in text)
        ):
            return whole
        start, end = extent
        need = max(0.7 * word_gap, 1.8 * letter_gap, 0.12 * self.ink.band)
        wide = [g for g in self.ink.core.inside(start, end) if g[1] - g[0] >= need]
        if not wide:
            return whole
        g0, g1 = max(wide, key=lambda g: g[1] - g[0])
        k = _split_index(text, ((g0 + g1) / 2 - start) / (end - start))
        if k is None:
            return whole
        c0, c1 = self.ink.cut(g0, g1)
        left, right = self.ink.full.trim(start, c0), self.ink.full.trim(c1, end)
        if left is None or right is None:
            return whole
        return [
            *self._split(text[:k], left, word_gap, letter_gap),
            *self._split(text[k:], right, word_gap, letter_gap),
        ]


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


def _fit_line(a: NDArray[np.uint8], line: Line, quarter: int, skew: float) -> _LineFit | None:
    """Measure one line on the grey page ``a`` in the frame of its quarter turn and skew;
    None when its ink cannot be found."""
    words = line.words
    if not words or abs(skew) > MAX_SKEW:
        return None
    canon = _Canon(quarter, a.shape[1], a.shape[0])
    arr = canon.rotate(a)
    cols = arr.shape[1]
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
    found = _band_and_profiles(arr, t, x0, x1, lo_r, hi_r, e0, e1)
    if found is None:
        return None
    band, full, core = found
    height_found = band[1] - band[0]
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
    extents, word_gaps = _place_words(ink_, est, window, reach)
    placed: list[tuple[int, int] | None] = [None] * len(words)
    for i, extent in zip(order, extents, strict=True):
        placed[i] = extent
    return _LineFit(canon, t, words, placed, band, ink_, x0, word_gaps)


Profiles = tuple[tuple[float, float], "NDArray[np.int64]", "NDArray[np.int64]"]


def _band_and_profiles(
    arr: NDArray[np.uint8],
    t: float,
    x0: int,
    x1: int,
    lo_r: int,
    hi_r: int,
    e0: float,
    e1: float,
) -> Profiles | None:
    """The line's band (sheared rows [top, bottom) holding ink contiguously around its densest
    rows within the engine's band [e0, e1]), and its ink per column from column x0 within the
    band and within the band less its descenders (see :func:`_baseline`); None when the region
    holds no print (too little contrast, no ink)."""
    import numpy as np

    rows = arr.shape[0]
    n_rows = hi_r - lo_r
    # The region cut into pieces along the line short enough that the skew climbs at most half
    # a line height within each: their bounding boxes then hold little but the line.
    step = x1 - x0 if t == 0 else max(16, math.ceil(0.5 * (e1 - e0) / abs(t)))
    pieces = []
    histogram = np.zeros(256, dtype=np.int64)
    for xa in range(x0, x1, step):
        xb = min(x1, xa + step)
        ya = max(0, math.floor(lo_r + min(t * xa, t * xb)))
        yb = min(rows, math.ceil(hi_r + max(t * xa, t * xb)))
        if yb > ya:
            view = arr[ya:yb, xa:xb]
            histogram += np.bincount(view[::2, ::2].ravel(), minlength=256)
            pieces.append((xa, ya, view))
    levels = ink.otsu(histogram)
    if levels is None or levels[2] - levels[1] < ink.MIN_CONTRAST:
        return None
    threshold = levels[0]
    inner0 = max(0, int(e0 - lo_r + 0.2 * (e1 - e0)))
    inner1 = min(n_rows, max(inner0 + 1, int(e1 - lo_r - 0.2 * (e1 - e0))))

    if t == 0:
        # Level line: row and column sums of one crop.
        xa, ya, view = pieces[0]
        mask = view <= threshold
        across = np.zeros(n_rows, dtype=np.int64)
        across[ya - lo_r : ya - lo_r + mask.shape[0]] = np.count_nonzero(mask, axis=1)
        band = _band(across, inner0, inner1)
        if band is None:
            return None
        (top, bottom), base = band, _baseline(across, *band)
        full = np.count_nonzero(mask[top + lo_r - ya : bottom + lo_r - ya], axis=0)
        core = np.count_nonzero(mask[top + lo_r - ya : base + lo_r - ya], axis=0)
        return (float(lo_r + top), float(lo_r + bottom)), full, core

    # Skewed line: every ink pixel's column and sheared row. The row of pixel (x, y) is
    # floor(y + 0.5 - t * (x + 0.5)) = y - ceil(t * (x + 0.5) - 0.5): a shift per column.
    shift = np.ceil(t * (np.arange(x0, x1) + 0.5) - 0.5).astype(np.int64)
    xs_parts, rs_parts = [], []
    for xa, ya, view in pieces:
        # flatnonzero and a division: several times faster than a 2-D nonzero.
        width = view.shape[1]
        flat = np.flatnonzero(view <= threshold)
        ys = flat // width
        xs = flat - ys * width + (xa - x0)
        xs_parts.append(xs)
        rs_parts.append(ys + (ya - lo_r) - shift[xs])
    px = np.concatenate(xs_parts)
    pr = np.concatenate(rs_parts)
    keep = (pr >= 0) & (pr < n_rows)
    px, pr = px[keep], pr[keep]
    across = np.bincount(pr, minlength=n_rows)
    band = _band(across, inner0, inner1)
    if band is None:
        return None
    (top, bottom), base = band, _baseline(across, *band)
    full = np.bincount(px[(pr >= top) & (pr < bottom)], minlength=x1 - x0)
    core = np.bincount(px[(pr >= top) & (pr < base)], minlength=x1 - x0)
    return (float(lo_r + top), float(lo_r + bottom)), full, core


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
) -> tuple[list[tuple[int, int] | None], list[int]]:
    """Each word's ink columns [start, end) from its estimated columns ``est`` (words left to
    right, relative to the profiles), and the widths of the blank core runs between words.

    Each boundary goes to the widest blank core run whose centre lies within ``window`` of the
    boundary's estimate (wider and nearer is better; see :meth:`_Ink.cut`), or, where the
    words touch, to the faintest core column near it; the line's outer ends go to where its
    ink starts and stops."""
    full, core, band = ink_.full, ink_.core, ink_.band
    cuts: list[tuple[int, int]] = []  # (end of the word before, start of the word after)
    widths: list[int] = []
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
            widths.append(best[2] - best[1])
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
    return out, widths


def _without_specks(full: _Runs, fit: tuple[int, int], band: float) -> tuple[int, int]:
    """A word's columns without a speck of dust at either end: a run of ink at most a tenth
    of the line high and wide, and faint, set off from the word by more than a letter's gap
    (a full stop sits closer)."""
    start, end = fit
    small, apart = 0.12 * band, 0.15 * band
    inner = full.inside(start, end)
    if inner:
        g0, g1 = inner[-1]
        if end - g1 <= small and g1 - g0 >= apart and full.ink(g1, end) <= small * small:
            end = g0
    inner = full.inside(start, end)
    if inner:
        g0, g1 = inner[0]
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


def _split_index(text: str, fraction: float) -> int | None:
    """Where to cut ``text`` so that its first part takes ``fraction`` of its width, preferring
    a change of case or of kind of character within one character of the estimate; None when
    a part would hold no letter or digit."""
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
    return best


def _natural_break(before: str, after: str) -> bool:
    """A lower-case letter before a capital, a letter against a digit, or punctuation that
    ends a word before a letter."""
    if before.islower() and after.isupper():
        return True
    if before.isalpha() != after.isalpha() and before.isalnum() and after.isalnum():
        return True
    return before in ".,;:!?)" and after.isalpha()
