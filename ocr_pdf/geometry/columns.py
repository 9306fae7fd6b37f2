"""Column gutters in a page's words (stdlib only; see :mod:`ocr_pdf.geometry.order`): white
channels between words, the marks that do not close them, and whether the text on the two
sides of one is two columns (read one after the other) or a table's or form's (row by row).
Image pixels in the frame where the page's text is upright, origin top-left, y down."""

from __future__ import annotations

from itertools import pairwise

from ocr_pdf.geometry.plane import Box
from ocr_pdf.models import Word

GUTTER = 0.55
"""Narrowest column gutter, in word heights: narrower than any gutter a typesetter would
leave, even measured on an engine's padded boxes (`local`'s are about 1.3 em high, and a
real 1985 sheet's gutter was 0.74 of them). Gutters narrower than SURE_GUTTER must also run
beside LONG_RUN lines on each side: loose justified lines may leave word spaces that wide."""
SURE_GUTTER = 0.8
"""Gutter width, in word heights (about an em), wider than any word space, even justified."""
LONG_RUN = 4
"""Lines on each side that a gutter narrower than SURE_GUTTER needs (see GUTTER)."""
PROSE = 6.0
"""Median line length, in word heights, above which the text beside a gutter is a column of
prose rather than a column of a table or form."""
ROW = 0.3
"""Engine lines whose middles are closer than this many word heights share a row (a table's
cells on one baseline); a line a third of a height lower is the next row."""


Span = tuple[float, float]
"""An interval of x in the upright frame: (left, right)."""


class Item:
    """A word in the upright frame: its bounds and the index of its engine line."""

    __slots__ = ("bottom", "left", "line", "right", "top", "word")

    def __init__(self, box: Box, line: int, word: Word) -> None:
        self.left, self.top, self.right, self.bottom = box
        self.line, self.word = line, word


def white(items: list[Item], x0: float, x1: float, height: float) -> list[Span]:
    """The x-intervals in [x0, x1] that no item touches, at least GUTTER word heights wide.
    Marks (see :func:`_mark`) do not count: they must not close a gutter."""
    narrowest = GUTTER * height
    out: list[Span] = []
    reach = x0
    for it in sorted(items, key=lambda it: it.left):
        if _mark(it, height):
            continue
        if it.left - reach >= narrowest:
            out.append((reach, it.left))
        reach = max(reach, it.right)
    if x1 - reach >= narrowest:
        out.append((reach, x1))
    return out


def _mark(it: Item, height: float) -> bool:
    """Whether an item is a mark that does not close a gutter: a speck (a dot or comma an
    engine read off the paper's grain), or a stroke with no letter or digit narrower than a
    word height (a column rule read as "|", a stray "_" or "-" in the gutter)."""
    if it.right - it.left < 0.3 * height and it.bottom - it.top < 0.5 * height:
        return True
    return it.right - it.left < height and not any(c.isalnum() for c in it.word.text)


def shared(a: list[Span], b: list[Span], narrowest: float) -> list[Span]:
    """The intervals both lists leave white, at least ``narrowest`` wide."""
    out = []
    for a0, a1 in a:
        for b0, b1 in b:
            lo, hi = max(a0, b0), min(a1, b1)
            if hi - lo >= narrowest:
                out.append((lo, hi))
    return out


def columns(items: list[Item], gutters: list[Span], height: float) -> list[list[Item]]:
    """The items cut at the gutters that have at least two lines of prose on each side and
    are more than twice as wide as the gaps between words (in widely spaced text, gaps that
    line up are not gutters), left to right; one part when there is none."""
    spacing = _word_gap(items)
    parts = [items]
    for g0, g1 in sorted(gutters):
        if g1 - g0 <= 2 * spacing:
            continue
        middle = (g0 + g1) / 2
        last = parts[-1]
        sides = _sides(last, middle, height)
        left = [it for it, side in zip(last, sides, strict=True) if not side]
        right = [it for it, side in zip(last, sides, strict=True) if side]
        narrow = g1 - g0 < SURE_GUTTER * height
        if narrow and min(len(_middles(left)), len(_middles(right))) < LONG_RUN:
            continue
        if _separate(left, right, height):
            parts[-1:] = [left, right]
    return parts


def _sides(items: list[Item], middle: float, height: float) -> list[bool]:
    """For each item, whether it lies right of ``middle``; a mark (see :func:`_mark`), which
    may sit in the gutter, goes with the nearest word of its own engine line (a bullet with
    the text it stands before), or by its own place when its line has no other."""
    words: dict[int, list[Item]] = {}
    for it in items:
        if not _mark(it, height):
            words.setdefault(it.line, []).append(it)
    out = []
    for it in items:
        centre = it.left + it.right  # twice the centre
        if _mark(it, height) and words.get(it.line):
            near = min(words[it.line], key=lambda w: abs(w.left + w.right - centre))
            centre = near.left + near.right
        out.append(centre >= 2 * middle)
    return out


ALIGNED = 0.5
"""Share of the lines beside a gutter, on its side with fewer, that have a line on the same
row across it, from which the two sides are a table's or a form's, read row by row."""


def _separate(left: list[Item], right: list[Item], height: float) -> bool:
    """Whether two sides of a white channel are columns read one after the other: both hold
    prose, or both hold two lines or more that do not share rows (a sidebar of names beside an
    article, lines beside a photo, a caption: flows of their own), or the side with fewer
    lines is prose beside a side whose lines mostly meet none of its rows (an article beside
    a column holding a table: the article's lines meet the table's rows, not the other way
    round); a table's cells and a form's labels and values share rows, and are read row by
    row."""
    if _prose(left, height) and _prose(right, height):
        return True
    a, b = _middles(left), _middles(right)
    if len(a) < 2 or len(b) < 2:
        return False
    fewer = left
    if len(a) > len(b):
        a, b, fewer = b, a, right
    aligned = sum(any(abs(m - n) < ROW * height for n in b) for m in a)
    if aligned < ALIGNED * len(a):
        return True
    # Its rows (a table's cells on one row count once) on the very baseline of one of the
    # fewer side's lines: independent flows meet within half of ROW a third of the time.
    rows = _distinct(b, ROW * height)
    met = sum(any(abs(m - n) < ROW / 2 * height for n in a) for m in rows)
    return met < ALIGNED * len(rows) and _prose(fewer, height)


def _distinct(middles: list[float], within: float) -> list[float]:
    """The heights among ``middles`` at least ``within`` apart (the first of each run)."""
    out: list[float] = []
    for m in sorted(middles):
        if not out or m - out[-1] >= within:
            out.append(m)
    return out


def _middles(items: list[Item]) -> list[float]:
    """The middle height of each engine line among the items."""
    spans: dict[int, tuple[float, float]] = {}
    for it in items:
        top, bottom = spans.get(it.line, (it.top, it.bottom))
        spans[it.line] = (min(top, it.top), max(bottom, it.bottom))
    return [(top + bottom) / 2 for top, bottom in spans.values()]


def _word_gap(items: list[Item]) -> float:
    """The median gap between consecutive words of the items' engine lines (0 if none)."""
    lines: dict[int, list[Item]] = {}
    for it in items:
        lines.setdefault(it.line, []).append(it)
    gaps = []
    for words in lines.values():
        words.sort(key=lambda it: it.left)
        gaps += [b.left - a.right for a, b in pairwise(words) if b.left > a.right]
    gaps.sort()
    return gaps[len(gaps) // 2] if gaps else 0.0


def _prose(items: list[Item], height: float) -> bool:
    """Whether items hold at least two lines whose median length is PROSE word heights."""
    spans: dict[int, tuple[float, float]] = {}
    for it in items:
        lo, hi = spans.get(it.line, (it.left, it.right))
        spans[it.line] = (min(lo, it.left), max(hi, it.right))
    if len(spans) < 2:
        return False
    lengths = sorted(hi - lo for lo, hi in spans.values())
    return lengths[len(lengths) // 2] >= PROSE * height
