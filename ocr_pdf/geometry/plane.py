"""Plane geometry on image pixels: rotations and scaling of quads, a page's text direction and
skew (stdlib only). Pixels: origin top-left, y down; angles in degrees clockwise."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from ocr_pdf.models import Line, PageText, Point, Quad, Word, quad_angle


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
    votes = [vote for vote in map(_skew_vote, lines) if vote is not None]
    if not votes:
        return 0.0
    return weighted_median(votes, sorted(votes)[-1][0])


def _skew_vote(line: Line) -> tuple[float, float] | None:
    """One line's vote on the page's skew (see :func:`box_skew`): the slope in degrees that
    fits its words' centres best, kind by kind, and its span; None when the line may not vote
    (under three words, under six word heights long, every centre at one x)."""
    if len(line.words) < 3:
        return None
    turn = 90.0 * round(line_direction(line.words) / 90)
    kinds: dict[tuple[bool, bool], list[tuple[float, float]]] = {}
    heights = []
    for w in line.words:
        left, top, right, bottom = turned_bounds(w.quad, turn)
        kinds.setdefault(_profile(w.text), []).append(((left + right) / 2, (top + bottom) / 2))
        heights.append(bottom - top)
    xs = [x for kind in kinds.values() for x, _ in kind]
    heights.sort()
    if max(xs) - min(xs) < 6 * heights[len(heights) // 2]:
        return None
    sxy = sxx = 0.0
    for kind in kinds.values():
        mx = sum(x for x, _ in kind) / len(kind)
        my = sum(y for _, y in kind) / len(kind)
        sxy += sum((x - mx) * (y - my) for x, y in kind)
        sxx += sum((x - mx) ** 2 for x, _ in kind)
    if sxx > 0:
        return math.degrees(math.atan(sxy / sxx)), max(xs) - min(xs)
    return None


def weighted_median(votes: Iterable[tuple[float, float]], default: float) -> float:
    """The median of (value, weight) votes: the value, in increasing order, at which the
    weights reach half their total; ``default`` when they never do (no votes)."""
    ordered = sorted(votes)
    half, acc = sum(w for _, w in ordered) / 2, 0.0
    for value, weight in ordered:
        acc += weight
        if acc >= half:
            return value
    return default


_ASCENDING = set("bdfhklt0123456789'\"!?()[]{}/|\\")
_DESCENDING = set("gjpqy,;()[]{}")


def _profile(text: str) -> tuple[bool, bool]:
    """Whether a word reaches above the x-height (ascenders, capitals, digits) and below the
    baseline (descenders): its box's middle shifts with both."""
    up = any(c in _ASCENDING or c.isupper() or not c.isascii() for c in text)
    down = any(c in _DESCENDING for c in text)
    return up, down


def turned_bounds(quad: Quad, degrees: float) -> Box:
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


def rescale(page: PageText, factor: float, width: int, height: int) -> PageText:
    """A PageText measured on a scaled copy of an image, expressed on the original image."""
    return _scaled(page, factor, factor, width, height)


def resized(page: PageText, width: int, height: int) -> PageText:
    """A PageText measured on a copy of an image resized to ``page``'s size (each side by its
    own factor), expressed on the ``width`` x ``height`` original."""
    return _scaled(page, width / page.width, height / page.height, width, height)


def _scaled(page: PageText, sx: float, sy: float, width: int, height: int) -> PageText:
    lines = tuple(
        Line(tuple(Word(w.text, scale_quad(w.quad, sx, sy), w.confidence) for w in ln.words))
        for ln in page.lines
    )
    return PageText(width, height, lines, page.angle, page.language)
