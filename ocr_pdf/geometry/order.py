"""Reading order of a page's words, from their geometry alone (stdlib only): the engine's
lines as a reader takes them, columns one after another, headers and footers around them,
tables and forms row by row. Image pixels, origin top-left, y down.

Judged in the frame where the page's text is upright, on words, not on the engine's blocks
or lines (a block may hold several columns, a line may run across a gutter):

1. Bands: the words cut at every white space that runs across the whole region.
2. Sections: consecutive bands that share a white channel (an interval of x no word
   touches, at least GUTTER word heights wide) and follow each other closely; a wide band
   gap (a header's, a footer's) starts a new section.
3. A section's channel with text on both sides is a column gutter when both sides hold at
   least two lines of prose (lines PROSE word heights long or more), or two lines or more
   that do not share rows (a sidebar beside an article, short lines beside a photo): the
   section is cut there, and each column is ordered the same way, recursively. Text whose
   lines share rows across the channel (a form's labels and values, a receipt's prices, a
   table's cells) is read row by row instead.
4. What is left is read row by row, each engine line a unit, left to right (right to left
   on a right-to-left page, whose columns are also read from the right)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

from ocr_pdf.geometry.plane import Box, text_angle, turned_bounds
from ocr_pdf.models import Line, Word, is_rtl

GUTTER = 0.8
"""Narrowest column gutter, in word heights (about an em): wider than word spaces, even
justified ones, narrower than any gutter a typesetter would leave."""
PROSE = 6.0
"""Median line length, in word heights, above which the text beside a gutter is a column of
prose rather than a column of a table or form."""
SECTION_BREAK = 2.0
"""Vertical white space, in word heights, that ends a section (a header's or footer's)."""
ROW = 0.3
"""Engine lines whose middles are closer than this many word heights share a row (a table's
cells on one baseline); a line a third of a height lower is the next row."""


Span = tuple[float, float]
"""An interval of x in the upright frame: (left, right)."""


class _Item:
    """A word in the upright frame: its bounds and the index of its engine line."""

    __slots__ = ("bottom", "left", "line", "right", "top", "word")

    def __init__(self, box: Box, line: int, word: Word) -> None:
        self.left, self.top, self.right, self.bottom = box
        self.line, self.word = line, word


def reading_order(lines: Sequence[Line]) -> tuple[Line, ...]:
    """An engine's lines in reading order, from the geometry alone: columns one after another
    (even inside one engine block, even where an engine line crosses the gutter: it is cut
    there), a header before and a footer after them, tables and forms row by row, right-to-left
    pages from the right, vertical text in its own direction. Each line's words run along
    its baseline, right-to-left lines in logical order."""
    page = _Page.of(lines)
    return page.lines(page.segments()) if page else ()


def engine_order(lines: Sequence[Line]) -> tuple[Line, ...]:
    """An engine's lines in the engine's own order (tesseract's blocks and paragraphs, the
    order of a service's regions and lines) where that order is consistent with the geometry,
    else in :func:`reading_order`. Consistent: no engine line runs across a column gutter
    that the geometry finds (it would be cut there), and no line is followed by one that sits
    above it in the same column, nor by one above it and wholly to its left (on a right-to-left
    page: right), which read a column's text out of order or columns backwards. An engine that
    understood the layout (a photo's caption, a pull quote, a drop cap, columns of unequal
    width) keeps its order; one whose lines cross a gutter is put right by the geometry."""
    page = _Page.of(lines)
    if page is None:
        return ()
    regions: dict[int, Region] = {}
    segments = _order(list(page.items), page.height, page.rtl, regions)
    if len(segments) != len(page.bounds) or _contradicted(page, regions):
        return page.lines(segments)
    by_line: dict[int, list[_Item]] = {}
    for it in page.items:
        by_line.setdefault(it.line, []).append(it)
    return page.lines([by_line[n] for n in sorted(by_line)])


class _Page:
    """A page's words in the upright frame, with their median height and direction."""

    def __init__(self, lines: list[Line]) -> None:
        angle = text_angle(lines)
        self.items = [
            _Item(turned_bounds(w.quad, angle), n, w)
            for n, ln in enumerate(lines)
            for w in ln.words
        ]
        heights = sorted(it.bottom - it.top for it in self.items)
        self.height = max(heights[len(heights) // 2], 1e-6)
        self.rtl = is_rtl("".join(w.text for ln in lines for w in ln.words))
        self.bounds: dict[int, Box] = {}
        for it in self.items:
            b = self.bounds.get(it.line, (it.left, it.top, it.right, it.bottom))
            self.bounds[it.line] = (
                min(b[0], it.left),
                min(b[1], it.top),
                max(b[2], it.right),
                max(b[3], it.bottom),
            )

    @classmethod
    def of(cls, lines: Sequence[Line]) -> _Page | None:
        kept = [ln for ln in lines if ln.words]
        return cls(kept) if kept else None

    def segments(self) -> list[list[_Item]]:
        return _order(list(self.items), self.height, self.rtl)

    @staticmethod
    def lines(segments: list[list[_Item]]) -> tuple[Line, ...]:
        out = []
        for segment in segments:
            rtl_line = is_rtl("".join(it.word.text for it in segment))
            segment.sort(key=lambda it: it.left + it.right, reverse=rtl_line)
            out.append(Line(tuple(it.word for it in segment)))
        return tuple(out)


def _contradicted(page: _Page, regions: dict[int, Region]) -> bool:
    """Whether the engine's order goes back and forth between the regions (columns, and the
    sections above and below them) the geometry finds, reads a line before the one above it in
    its column, or jumps up to a column on the wrong side (see :func:`engine_order`)."""
    order = sorted(page.bounds)
    runs = 1 + sum(regions[a] != regions[b] for a, b in pairwise(order))
    if runs > len(set(regions.values())) + 1:
        return True
    slack = page.height
    for a, b in pairwise(order):
        al, at, ar, _ = page.bounds[a]
        bl, _, br, bb = page.bounds[b]
        if bb > at + slack:
            continue  # b is not above a
        inside = (bl >= al - slack and br <= ar + slack) or (al >= bl - slack and ar <= br + slack)
        if inside:
            return True  # b sits above a in the same column (a caption that crosses the
            # gutter, wider than a column on one side only, may be read after the columns)
        if (bl > ar) if page.rtl else (br < al):
            return True  # b is a column on a's wrong side, above it
    return False


def _bands(items: list[_Item]) -> list[list[_Item]]:
    """Items cut at every horizontal white space across them all, top to bottom."""
    items = sorted(items, key=lambda it: it.top)
    bands: list[list[_Item]] = []
    reach = -math.inf
    for it in items:
        if not bands or it.top > reach:
            bands.append([])
        bands[-1].append(it)
        reach = max(reach, it.bottom) if len(bands[-1]) > 1 else it.bottom
    return bands


def _white(items: list[_Item], x0: float, x1: float, height: float) -> list[Span]:
    """The x-intervals in [x0, x1] that no item touches, at least GUTTER word heights wide.
    Specks (a dot or comma an engine read off the paper's grain) do not count: they must not
    close a gutter."""
    narrowest = GUTTER * height
    out: list[Span] = []
    reach = x0
    for it in sorted(items, key=lambda it: it.left):
        if it.right - it.left < 0.3 * height and it.bottom - it.top < 0.5 * height:
            continue
        if it.left - reach >= narrowest:
            out.append((reach, it.left))
        reach = max(reach, it.right)
    if x1 - reach >= narrowest:
        out.append((reach, x1))
    return out


def _common(a: list[Span], b: list[Span], narrowest: float) -> list[Span]:
    """The intervals both lists leave white, at least ``narrowest`` wide."""
    out = []
    for a0, a1 in a:
        for b0, b1 in b:
            lo, hi = max(a0, b0), min(a1, b1)
            if hi - lo >= narrowest:
                out.append((lo, hi))
    return out


Region = tuple[tuple[int, int], ...]
"""Where a line was read: the section and the column of each level of the recursion."""


def _order(
    items: list[_Item],
    height: float,
    rtl: bool,
    regions: dict[int, Region] | None = None,
    region: Region = (),
) -> list[list[_Item]]:
    """The items as line segments in reading order (see the notes above); with ``regions``,
    the region of each engine line is noted there."""
    out: list[list[_Item]] = []
    for s, (bands, channels) in enumerate(_sections(items, height)):
        section = [it for band in bands for it in band]
        parts = _columns(section, channels, height)
        if len(parts) > 1:
            for p, part in enumerate(reversed(parts) if rtl else parts):
                out.extend(_order(part, height, rtl, regions, (*region, (s, p))))
        else:
            if regions is not None:
                regions.update((it.line, (*region, (s, -1))) for it in section)
            for band in bands:
                out.extend(_rows(band, height, rtl))
    return out


Section = tuple[list[list[_Item]], list[Span]]
"""A section: its bands, top to bottom, and the white channels they all share that have text
on both sides (none: a single column so far, or a header or footer)."""


def _sections(items: list[_Item], height: float) -> list[Section]:
    """The items' bands grouped in sections, top to bottom (see the notes above)."""
    x0 = min(it.left for it in items)
    x1 = max(it.right for it in items)
    sections: list[Section] = []
    bottom = -math.inf
    for band in _bands(items):
        white = _white(band, x0, x1, height)
        inner = [w for w in white if x0 < w[0] and w[1] < x1]
        top = min(it.top for it in band)
        if sections and top - bottom < SECTION_BREAK * height:
            bands, channels = sections[-1]
            kept = _continued(channels, white, inner, height)
            if kept is not None:
                bands.append(band)
                sections[-1] = (bands, kept)
                bottom = max(bottom, max(it.bottom for it in band))
                continue
        sections.append(([band], inner))
        bottom = max(it.bottom for it in band)
    return sections


def _continued(
    channels: list[Span], white: list[Span], inner: list[Span], height: float
) -> list[Span] | None:
    """The channels a section keeps when a band with ``white`` space (``inner``: the part of
    it with text on both sides) follows it closely, None when the band starts a new section.
    Columns go on while their channels stay white (a column may end before the others); a
    single column goes on while there are no channels."""
    common = _common(channels, white, GUTTER * height) if channels else []
    if common or not (channels or inner):
        return common
    return None


def _columns(items: list[_Item], gutters: list[Span], height: float) -> list[list[_Item]]:
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
        left = [it for it in last if it.left + it.right < 2 * middle]
        right = [it for it in last if it.left + it.right >= 2 * middle]
        if _separate(left, right, height):
            parts[-1:] = [left, right]
    return parts


ALIGNED = 0.5
"""Share of the lines beside a gutter, on its side with fewer, that have a line on the same
row across it, from which the two sides are a table's or a form's, read row by row."""


def _separate(left: list[_Item], right: list[_Item], height: float) -> bool:
    """Whether two sides of a white channel are columns read one after the other: both hold
    prose, or both hold two lines or more that do not share rows (a sidebar of names beside an
    article, lines beside a photo, a caption: flows of their own); a table's cells and a
    form's labels and values share rows, and are read row by row."""
    if _prose(left, height) and _prose(right, height):
        return True
    a, b = _middles(left), _middles(right)
    if len(a) < 2 or len(b) < 2:
        return False
    if len(a) > len(b):
        a, b = b, a
    aligned = sum(any(abs(m - n) < ROW * height for n in b) for m in a)
    return aligned < ALIGNED * len(a)


def _middles(items: list[_Item]) -> list[float]:
    """The middle height of each engine line among the items."""
    spans: dict[int, tuple[float, float]] = {}
    for it in items:
        top, bottom = spans.get(it.line, (it.top, it.bottom))
        spans[it.line] = (min(top, it.top), max(bottom, it.bottom))
    return [(top + bottom) / 2 for top, bottom in spans.values()]


def _word_gap(items: list[_Item]) -> float:
    """The median gap between consecutive words of the items' engine lines (0 if none)."""
    lines: dict[int, list[_Item]] = {}
    for it in items:
        lines.setdefault(it.line, []).append(it)
    gaps = []
    for words in lines.values():
        words.sort(key=lambda it: it.left)
        gaps += [b.left - a.right for a, b in pairwise(words) if b.left > a.right]
    gaps.sort()
    return gaps[len(gaps) // 2] if gaps else 0.0


def _prose(items: list[_Item], height: float) -> bool:
    """Whether items hold at least two lines whose median length is PROSE word heights."""
    spans: dict[int, tuple[float, float]] = {}
    for it in items:
        lo, hi = spans.get(it.line, (it.left, it.right))
        spans[it.line] = (min(lo, it.left), max(hi, it.right))
    if len(spans) < 2:
        return False
    lengths = sorted(hi - lo for lo, hi in spans.values())
    return lengths[len(lengths) // 2] >= PROSE * height


def _rows(items: list[_Item], height: float, rtl: bool) -> list[list[_Item]]:
    """A band read row by row: its engine lines (each one unit) by the height of their middle,
    those within ROW word heights of each other as one row, left to right in a row (right to
    left on a right-to-left page)."""
    segments: dict[int, list[_Item]] = {}
    for it in items:
        segments.setdefault(it.line, []).append(it)

    def middle(seg: list[_Item]) -> float:
        return sum(it.top + it.bottom for it in seg) / (2 * len(seg))

    def left(seg: list[_Item]) -> float:
        return min(it.left for it in seg)

    ordered = sorted(segments.values(), key=middle)
    rows: list[list[list[_Item]]] = []
    for seg in ordered:
        if rows and middle(seg) - middle(rows[-1][0]) < ROW * height:
            rows[-1].append(seg)
        else:
            rows.append([seg])
    out = []
    for row in rows:
        out.extend(sorted(row, key=left, reverse=rtl))
    return out


def order_blocks(blocks: Sequence[Sequence[Line]]) -> tuple[Line, ...]:
    """Lines that an engine grouped in blocks (regions, paragraphs) in reading order: the
    blocks say nothing about columns (one region may hold two), so the order comes from the
    geometry alone (:func:`reading_order`)."""
    return reading_order([ln for block in blocks for ln in block])


def group_lines(lines: Sequence[Line]) -> tuple[Line, ...]:
    """Reading order for engines that report lines but no blocks (:func:`reading_order`)."""
    return reading_order(lines)
