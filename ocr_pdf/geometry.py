"""Plane geometry on image pixels: rotations about a centre and reading order (stdlib only)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ocr_pdf.models import Line, PageText, Point, Quad, Word, is_rtl, quad_angle, quad_bounds


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


def _upright_box(lines: Sequence[Line], angle: float) -> Box:
    """Bounds of lines after turning the page so that its text is upright."""
    pts = [rotate_point(p, -angle, (0.0, 0.0)) for ln in lines for w in ln.words for p in w.quad]
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def order_blocks(blocks: Sequence[Sequence[Line]]) -> tuple[Line, ...]:
    """Put blocks of lines (an engine's regions or paragraphs) in reading order, judged in the
    frame where the page's text is upright: bands separated by horizontal white space top to
    bottom, columns separated by vertical white space left to right, recursively, cutting first
    where the white space is widest (XY-cut). A header or footer thus comes before or after all
    the columns, and each column is read to its end before the next."""
    kept = [list(b) for b in blocks if any(ln.words for ln in b)]
    if not kept:
        return ()
    angle = dominant_angle([w for b in kept for ln in b for w in ln.words])
    boxes = [_upright_box(b, angle) for b in kept]
    lines: list[Line] = []
    for i in _xy_cut(list(range(len(kept))), boxes):
        lines.extend(_order_lines(kept[i], angle))
    return tuple(lines)


def _widest_cut(
    items: list[int], boxes: Sequence[Box], lo: int, hi: int
) -> tuple[list[int], list[int], float]:
    """The items before and after the widest white space along one axis (lo/hi: indexes of
    the box's edges on that axis), and its width (0 and nothing after when there is none)."""
    items = sorted(items, key=lambda i: boxes[i][lo])
    reach, widest, at = boxes[items[0]][hi], 0.0, len(items)
    for n, i in enumerate(items[1:], 1):
        if boxes[i][lo] - reach > widest:
            widest, at = boxes[i][lo] - reach, n
        reach = max(reach, boxes[i][hi])
    return items[:at], items[at:], widest


def _xy_cut(items: list[int], boxes: Sequence[Box]) -> list[int]:
    """Recursive XY-cut, one cut at a time where the white space is widest, across either
    axis: a column gutter is wider than the gaps between paragraphs, and a page's header or
    footer stands further off than its columns are apart."""
    if len(items) <= 1:
        return items
    top, bottom, band_gap = _widest_cut(items, boxes, 1, 3)
    left, right, column_gap = _widest_cut(items, boxes, 0, 2)
    first, second = (left, right) if column_gap > band_gap else (top, bottom)
    if second:
        return _xy_cut(first, boxes) + _xy_cut(second, boxes)
    return sorted(items, key=lambda i: (boxes[i][1], boxes[i][0]))


def _order_lines(lines: Sequence[Line], angle: float) -> list[Line]:
    """Lines of one block top to bottom, each line's words along the baseline."""

    def key_point(w: Word) -> Point:
        left, top, right, bottom = quad_bounds(
            tuple(rotate_point(p, -angle, (0.0, 0.0)) for p in w.quad)
        )
        return ((left + right) / 2, (top + bottom) / 2)

    out = []
    for ln in lines:
        if not ln.words:
            continue
        # Right-to-left lines read from the right: keep them in logical order too.
        rtl = is_rtl("".join(w.text for w in ln.words))
        words = sorted(ln.words, key=lambda w: key_point(w)[0], reverse=rtl)
        out.append(Line(tuple(words)))
    out.sort(key=lambda ln: sum(key_point(w)[1] for w in ln.words) / len(ln.words))
    return out


def _split_at_gutters(line: Line, angle: float) -> list[Line]:
    """A line cut where the gap between two words exceeds twice the line's height: engines
    (Tesseract most of all) run lines across the gutter between two columns."""
    boxes = [_upright_box([Line((w,))], angle) for w in line.words]
    height = max(b[3] - b[1] for b in boxes)
    order = sorted(range(len(boxes)), key=lambda i: boxes[i][0])
    if any(is_rtl(w.text) for w in line.words):
        return [line]  # right-to-left lines keep the engine's order
    parts: list[list[Word]] = [[line.words[order[0]]]]
    reach = boxes[order[0]][2]
    for cur in order[1:]:
        if boxes[cur][0] - reach > 2 * height:
            parts.append([])
        parts[-1].append(line.words[cur])
        reach = max(reach, boxes[cur][2])
    return [Line(tuple(p)) for p in parts]


def group_lines(lines: Sequence[Line]) -> tuple[Line, ...]:
    """Reading order for engines that report lines but no blocks: lines are cut at column
    gutters (gaps over twice their height), then lines that share a column
    (overlap horizontally) and follow each other closely (a gap under 1.5 line heights) form a
    block, then the blocks are ordered by :func:`order_blocks`."""
    lines = [ln for ln in lines if ln.words]
    if not lines:
        return ()
    angle = dominant_angle([w for ln in lines for w in ln.words])
    lines = [part for ln in lines for part in _split_at_gutters(ln, angle)]
    boxes = [_upright_box([ln], angle) for ln in lines]
    height = sorted(b[3] - b[1] for b in boxes)[len(boxes) // 2]
    parent = list(range(len(lines)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = sorted(range(len(lines)), key=lambda i: boxes[i][1])
    for n, i in enumerate(order):
        li, _, ri, bi = boxes[i]
        for j in order[n + 1 :]:
            lj, tj, rj, _ = boxes[j]
            if tj - bi > 1.5 * height:
                break  # sorted by top: every later line is further down
            if _overlap(li, ri, lj, rj) > 0.3 * min(ri - li, rj - lj):
                parent[root(j)] = root(i)
    blocks: dict[int, list[Line]] = {}
    for i in range(len(lines)):
        blocks.setdefault(root(i), []).append(lines[i])
    return order_blocks(list(blocks.values()))


def rescale(page: PageText, factor: float, width: int, height: int) -> PageText:
    """A PageText measured on a scaled copy of an image, expressed on the original image."""
    lines = tuple(
        Line(
            tuple(Word(w.text, scale_quad(w.quad, factor, factor), w.confidence) for w in ln.words)
        )
        for ln in page.lines
    )
    return PageText(width, height, lines, page.angle, page.language)
