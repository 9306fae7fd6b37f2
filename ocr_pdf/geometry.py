"""Plane geometry on image pixels: rotations, a page's text direction and skew, reading order
(stdlib only)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

from ocr_pdf.models import Line, PageText, Point, Quad, Word, is_rtl, quad_angle


def rotate_point(p: Point, degrees: float, centre: Point) -> Point:
    """Rotate ``p`` by ``degrees`` clockwise *as seen on a y-down image* about ``centre``."""
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    dx, dy = p[0] - centre[0], p[1] - centre[1]
    return (centre[0] + dx * c - dy * s, centre[1] + dx * s + dy * c)


def rotate_quad(q: Quad, degrees: float, centre: Point) -> Quad:
    """Rotate every corner of ``q``; see :func:`rotate_point`."""
    a, b, c, d = (rotate_point(p, degrees, centre) for p in q)
    return (a, b, c, d)


def scale_quad(q: Quad, sx: float, sy: float) -> Quad:
    """Scale a quad from one image size to another (both origin top-left)."""
    a, b, c, d = ((x * sx, y * sy) for x, y in q)
    return (a, b, c, d)


def dominant_angle(words: Sequence[Word]) -> float:
    """The text direction of a page in degrees clockwise (circular mean of the baselines,
    weighted by word length so that long words count more than stray marks)."""
    sx = sy = 0.0
    for w in words:
        a = math.radians(quad_angle(w.quad))
        weight = max(len(w.text), 1)
        sx += math.cos(a) * weight
        sy += math.sin(a) * weight
    if sx == 0 and sy == 0:
        return 0.0
    return math.degrees(math.atan2(sy, sx))


Box = tuple[float, float, float, float]


def axis_aligned(quad: Quad) -> bool:
    """Whether a quad's edges run along the image's axes: what engines that report only
    rectangles (Tesseract) give, which says nothing about the skew of the text."""
    (ax, ay), (bx, by), _, (dx, dy) = quad
    return (abs(ay - by) < 1e-6 or abs(ax - bx) < 1e-6) and (
        abs(ax - dx) < 1e-6 or abs(ay - dy) < 1e-6
    )


def line_direction(words: Sequence[Word]) -> float:
    """A line's baseline direction in degrees clockwise: the words' top and bottom edges,
    weighted by their length (as the text layer computes it)."""
    dx = dy = 0.0
    for w in words:
        (tlx, tly), (trx, try_), (brx, bry), (blx, bly) = w.quad
        dx += (brx - blx) + (trx - tlx)
        dy += (bry - bly) + (try_ - tly)
    return math.degrees(math.atan2(dy, dx))


def box_skew(lines: Sequence[Line]) -> float | None:
    """The skew of a page whose every quad is an axis-aligned box (degrees clockwise), from the
    slope of word centres along each line; None when some quad carries an angle of its own.

    A word's centre sits higher when it has ascenders and lower when it has descenders, so
    words are compared with words of their own kind (:func:`_profile`): the slope is the one
    that fits each kind's centres best. Lines of three words or more spanning at least six
    word heights vote, weighted by their span; the weighted median resists a stray line. 0
    when no line can vote."""
    words = [w for ln in lines for w in ln.words]
    if not words or not all(axis_aligned(w.quad) for w in words):
        return None
    votes: list[tuple[float, float]] = []
    for line in lines:
        if len(line.words) < 3:
            continue
        turn = 90.0 * round(line_direction(line.words) / 90)
        kinds: dict[tuple[bool, bool], list[tuple[float, float]]] = {}
        heights = []
        for w in line.words:
            left, top, right, bottom = _turned_bounds(w.quad, turn)
            kinds.setdefault(_profile(w.text), []).append(((left + right) / 2, (top + bottom) / 2))
            heights.append(bottom - top)
        xs = [x for kind in kinds.values() for x, _ in kind]
        heights.sort()
        if max(xs) - min(xs) < 6 * heights[len(heights) // 2]:
            continue
        sxy = sxx = 0.0
        for kind in kinds.values():
            mx = sum(x for x, _ in kind) / len(kind)
            my = sum(y for _, y in kind) / len(kind)
            sxy += sum((x - mx) * (y - my) for x, y in kind)
            sxx += sum((x - mx) ** 2 for x, _ in kind)
        if sxx > 0:
            votes.append((math.degrees(math.atan(sxy / sxx)), max(xs) - min(xs)))
    if not votes:
        return 0.0
    votes.sort()
    half, acc = sum(v[1] for v in votes) / 2, 0.0
    for angle, weight in votes:
        acc += weight
        if acc >= half:
            return angle
    return votes[-1][0]


_ASCENDING = set("bdfhklt0123456789'\"!?()[]{}/|\\")
_DESCENDING = set("gjpqy,;()[]{}")


def _profile(text: str) -> tuple[bool, bool]:
    """Whether a word reaches above the x-height (ascenders, capitals, digits) and below the
    baseline (descenders): its box's middle shifts with both."""
    up = any(c in _ASCENDING or c.isupper() or not c.isascii() for c in text)
    down = any(c in _DESCENDING for c in text)
    return up, down


def _turned_bounds(quad: Quad, degrees: float) -> Box:
    """Bounds of a quad after turning the page by -``degrees`` about the origin."""
    quarter = degrees / 90
    if quarter == round(quarter):  # exact quarter turns: no trigonometry
        xs = [p[0] for p in quad]
        ys = [p[1] for p in quad]
        turn = round(quarter) % 4
        if turn == 0:
            return min(xs), min(ys), max(xs), max(ys)
        if turn == 1:  # (x, y) -> (y, -x)
            return min(ys), -max(xs), max(ys), -min(xs)
        if turn == 2:  # (x, y) -> (-x, -y)
            return -max(xs), -max(ys), -min(xs), -min(ys)
        return -max(ys), min(xs), -min(ys), max(xs)  # (x, y) -> (-y, x)
    pts = [rotate_point(p, -degrees, (0.0, 0.0)) for p in quad]
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


def text_angle(lines: Sequence[Line]) -> float:
    """The direction a page's text runs in, degrees clockwise, skew included: the words'
    quads' own angle, or for axis-aligned boxes their quarter turn plus :func:`box_skew`."""
    words = [w for ln in lines for w in ln.words]
    angle = dominant_angle(words)
    skew = box_skew(lines)
    if skew is not None:
        angle = 90.0 * round(angle / 90) + skew
    return angle


# -- reading order -----------------------------------------------------------------------------
#
# Judged in the frame where the page's text is upright, on words, not on the engine's blocks
# or lines (a block may hold several columns, a line may run across a gutter):
#
# 1. Bands: the words cut at every white space that runs across the whole region.
# 2. Sections: consecutive bands that share a white channel (an interval of x no word
#    touches, at least GUTTER word heights wide) and follow each other closely; a wide band
#    gap (a header's, a footer's) starts a new section.
# 3. A section's channel with text on both sides is a column gutter when both sides hold at
#    least two lines of prose (lines PROSE word heights long or more): the section is cut
#    there, and each column is ordered the same way, recursively. Short text on either side
#    (a form's labels, a receipt's prices, a table's cells) is read row by row instead.
# 4. What is left is read row by row, each engine line a unit, left to right (right to left
#    on a right-to-left page, whose columns are also read from the right).

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
    lines = [ln for ln in lines if ln.words]
    if not lines:
        return ()
    angle = text_angle(lines)
    items = [
        _Item(_turned_bounds(w.quad, angle), n, w) for n, ln in enumerate(lines) for w in ln.words
    ]
    heights = sorted(it.bottom - it.top for it in items)
    height = max(heights[len(heights) // 2], 1e-6)
    rtl = is_rtl("".join(w.text for ln in lines for w in ln.words))
    out = []
    for segment in _order(items, height, rtl):
        rtl_line = is_rtl("".join(it.word.text for it in segment))
        segment.sort(key=lambda it: it.left + it.right, reverse=rtl_line)
        out.append(Line(tuple(it.word for it in segment)))
    return tuple(out)


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


def _order(items: list[_Item], height: float, rtl: bool) -> list[list[_Item]]:
    """The items as line segments in reading order (see the notes above)."""
    x0 = min(it.left for it in items)
    x1 = max(it.right for it in items)
    # A section: its bands and the white channels they all share that have text on both
    # sides (none: a single column so far, or a header or footer).
    sections: list[tuple[list[list[_Item]], list[Span]]] = []
    bottom = -math.inf
    for band in _bands(items):
        white = _white(band, x0, x1, height)
        inner = [w for w in white if x0 < w[0] and w[1] < x1]
        top = min(it.top for it in band)
        if sections and top - bottom < SECTION_BREAK * height:
            bands, channels = sections[-1]
            # Columns go on while their channels stay white (a column may end before the
            # others); a single column goes on while there are no channels.
            common = _common(channels, white, GUTTER * height) if channels else []
            if common or not (channels or inner):
                bands.append(band)
                sections[-1] = (bands, common)
                bottom = max(bottom, max(it.bottom for it in band))
                continue
        sections.append(([band], inner))
        bottom = max(it.bottom for it in band)
    out: list[list[_Item]] = []
    for bands, channels in sections:
        section = [it for band in bands for it in band]
        parts = _columns(section, channels, height)
        if len(parts) > 1:
            for part in reversed(parts) if rtl else parts:
                out.extend(_order(part, height, rtl))
        else:
            for band in bands:
                out.extend(_rows(band, height, rtl))
    return out


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
        if _prose(left, height) and _prose(right, height):
            parts[-1:] = [left, right]
    return parts


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


def rescale(page: PageText, factor: float, width: int, height: int) -> PageText:
    """A PageText measured on a scaled copy of an image, expressed on the original image."""
    lines = tuple(
        Line(
            tuple(Word(w.text, scale_quad(w.quad, factor, factor), w.confidence) for w in ln.words)
        )
        for ln in page.lines
    )
    return PageText(width, height, lines, page.angle, page.language)
