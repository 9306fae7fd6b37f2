"""Domain types shared by engines, the text layer and the pipeline (stdlib only)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

Point = tuple[float, float]
"""A point in image pixels: x to the right, y down, origin at the image's top-left corner."""

Quad = tuple[Point, Point, Point, Point]
"""Four corners of a piece of text in image pixels (origin top-left, y down), in the order
top-left, top-right, bottom-right, bottom-left *of the text itself*: for upside-down text the
first corner is at the bottom-right of the image. The baseline runs from corner 4 to corner 3."""


def quad_from_box(x: float, y: float, w: float, h: float) -> Quad:
    """The quad of an upright axis-aligned box given by its left, top, width and height (pixels)."""
    return ((x, y), (x + w, y), (x + w, y + h), (x, y + h))


def quad_bounds(quad: Sequence[Point]) -> tuple[float, float, float, float]:
    """Axis-aligned bounds (left, top, right, bottom) of a quad (or any points), in its own
    units."""
    xs = [p[0] for p in quad]
    ys = [p[1] for p in quad]
    return min(xs), min(ys), max(xs), max(ys)


def quad_angle(quad: Quad) -> float:
    """Direction of the text's baseline in degrees, clockwise from the +x axis on a y-down image
    (0 = upright text, 90 = text running downwards, 180 = upside down)."""
    (x0, y0), (x1, y1) = quad[3], quad[2]
    tx, ty = quad[1][0] - quad[0][0], quad[1][1] - quad[0][1]
    # Average the top and bottom edges: one of them may be degenerate in a sloppy quad.
    return math.degrees(math.atan2((y1 - y0) + ty, (x1 - x0) + tx))


@dataclass(frozen=True)
class Word:
    """One recognised word: its text, its quad in image pixels (origin top-left, y down) and the
    engine's confidence in [0, 1] when the engine gives one."""

    text: str
    quad: Quad
    confidence: float | None = None


@dataclass(frozen=True)
class Line:
    """Words that share a baseline, in reading order."""

    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return join_words([w.text for w in self.words])


@dataclass(frozen=True)
class PageText:
    """What an engine read on one image.

    ``width`` and ``height`` are the pixel size of the image the caller passed to the engine;
    every quad is in that image's pixels (origin top-left, y down), whatever the engine sent over
    the wire. ``lines`` are in reading order. ``angle`` (degrees, clockwise) and ``language``
    are informational, as reported by the engine."""

    width: int
    height: int
    lines: tuple[Line, ...] = field(default_factory=tuple)
    angle: float | None = None
    language: str | None = None

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(w for line in self.lines for w in line.words)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def is_cjk(char: str) -> bool:
    """True for characters of scripts written without spaces between words (Han, kana,
    CJK punctuation and full-width forms). Hangul is spaced, so it is not included."""
    cp = ord(char)
    return (
        0x3000 <= cp <= 0x30FF  # CJK punctuation, hiragana, katakana
        or 0x3400 <= cp <= 0x4DBF  # CJK extension A
        or 0x4E00 <= cp <= 0x9FFF  # CJK unified ideographs
        or 0xF900 <= cp <= 0xFAFF  # CJK compatibility ideographs
        or 0xFF00 <= cp <= 0xFFEF  # half-width and full-width forms
        or 0x20000 <= cp <= 0x3FFFF  # CJK extensions B and later
    )


def is_rtl(text: str) -> bool:
    """True when most letters of ``text`` belong to a right-to-left script (Hebrew, Arabic,
    Syriac, Thaana, N'Ko and their presentation forms)."""
    rtl = ltr = 0
    for ch in text:
        cp = ord(ch)
        if 0x0590 <= cp <= 0x08FF or 0xFB1D <= cp <= 0xFDFF or 0xFE70 <= cp <= 0xFEFF:
            rtl += 1
        elif ch.isalpha():
            ltr += 1
    return rtl > ltr


def needs_space(left: str, right: str) -> bool:
    """Whether a space belongs between two consecutive words of a line."""
    if not left or not right:
        return False
    return not (is_cjk(left[-1]) and is_cjk(right[0]))


def join_words(texts: list[str]) -> str:
    """Join the words of a line the way a reader would type them."""
    out = ""
    for i, t in enumerate(texts):
        if i and needs_space(texts[i - 1], t):
            out += " "
        out += t
    return out


Matrix = tuple[float, float, float, float, float, float]
"""An affine map (a, b, c, d, e, f): x' = a*x + c*y + e, y' = b*x + d*y + f (PDF's order)."""


def apply(m: Matrix, p: Point) -> Point:
    """Map a point through an affine matrix."""
    return (m[0] * p[0] + m[2] * p[1] + m[4], m[1] * p[0] + m[3] * p[1] + m[5])


def then(first: Matrix, second: Matrix) -> Matrix:
    """The map that applies ``first``, then ``second`` (PDF's ``first second`` product: a
    ``cm`` operator's matrix, then the CTM it modifies)."""
    a, b, c, d, e, f = first
    p, q, r, s, t, u = second
    return (
        a * p + b * r,
        a * q + b * s,
        c * p + d * r,
        c * q + d * s,
        e * p + f * r + t,
        e * q + f * s + u,
    )


@dataclass(frozen=True)
class PageGeometry:
    """Where a PDF page is, in PDF points (user space: origin bottom-left, y up).

    ``mediabox`` and ``cropbox`` are (left, bottom, right, top), left < right and bottom <
    top, as viewers read the page's boxes: ``cropbox`` is the part displayed, within
    ``mediabox`` (all zeros when nothing of the page is visible); ``rotation`` is the page's
    /Rotate, clockwise degrees in {0, 90, 180, 270}, applied when the page is displayed."""

    mediabox: tuple[float, float, float, float]
    cropbox: tuple[float, float, float, float]
    rotation: int

    @property
    def visible(self) -> bool:
        """Whether anything of the page is displayed (not when its CropBox lies outside its
        MediaBox)."""
        x0, y0, x1, y1 = self.cropbox
        return x1 > x0 and y1 > y0

    @property
    def display_size(self) -> tuple[float, float]:
        """Width and height in points of the page as displayed (crop box, rotation applied)."""
        x0, y0, x1, y1 = self.cropbox
        w, h = x1 - x0, y1 - y0
        return (h, w) if self.rotation in (90, 270) else (w, h)

    def image_to_user(self, width_px: int, height_px: int) -> Matrix:
        """The map from pixels of an image of the displayed page (``width_px`` x ``height_px``,
        origin top-left, y down) to the page's user space in points.

        The scale comes from the real bitmap size, not from a DPI: a 792 pt page rendered at
        300 dpi is 3301 px tall, not 3300."""
        dw, dh = self.display_size
        sx, sy = dw / width_px, dh / height_px
        x0, y0, x1, y1 = self.cropbox
        # Displayed point (u, v), measured from the top-left corner of the displayed page with
        # v down, lands in user space at:
        #   0:   (x0 + u, y1 - v)      90:  (x0 + v, y0 + u)
        #   180: (x1 - u, y0 + v)      270: (x1 - v, y1 - u)
        if self.rotation == 90:
            return (0.0, sx, sy, 0.0, x0, y0)
        if self.rotation == 180:
            return (-sx, 0.0, 0.0, sy, x1, y0)
        if self.rotation == 270:
            return (0.0, -sx, -sy, 0.0, x1, y1)
        return (sx, 0.0, 0.0, -sy, x0, y1)
