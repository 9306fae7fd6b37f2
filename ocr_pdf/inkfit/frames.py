"""The frames a line's ink is measured in (Pillow): each line's quarter turn and skew, the map
between the page image and the frame in which its text reads upright, and the line's region
resampled upright and level in one affine transform.

Coordinates are image pixels, origin top-left, y down; a frame's are the same pixels turned by
whole quarters, so that the text runs left to right along its x axis."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PIL import Image

from ocr_pdf.geometry import box_skew, line_direction, weighted_median
from ocr_pdf.models import Line, Point

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

LEVEL = 0.2
"""Degrees of skew below which a line is taken as level (the fast path): estimates from
axis-aligned boxes scatter by up to 0.12 degrees on level pages, and a level line stays
exactly level (the text layer reads a vertical line 0.1 degree past the axis as running
backwards). 0.2 degrees climbs seven pixels over a seven-inch line at 300 dpi."""

OWN_ANGLE = 1.5
"""Degrees by which a line's angle must differ from the page's before it is kept: engines'
angles for single lines scatter (RapidOCR's by 0.1 to 0.3 degrees, several pixels over a long
line), while the page's, a median over all its lines, is steady."""


_UPRIGHT = {
    1: Image.Transpose.ROTATE_90,
    2: Image.Transpose.ROTATE_180,
    3: Image.Transpose.ROTATE_270,
}
"""Pillow's turn that brings a page's region into the frame of each quarter (counterclockwise
by as many quarters as the text is set clockwise)."""


class Canon:
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


def line_angles(lines: tuple[Line, ...]) -> list[tuple[int, float]]:
    """Each line's quarter turn (0 to 3, clockwise) and skew off it in degrees: the page's
    skew (:func:`ocr_pdf.geometry.box_skew` for axis-aligned boxes, else the median of its
    lines' angles weighted by their length), unless a line's own angle is OWN_ANGLE away."""
    angles = [line_direction(ln.words) if ln.words else 0.0 for ln in lines]
    residuals = [a - 90 * round(a / 90) for a in angles]
    skew = box_skew(lines)
    if skew is None:
        lengths = (
            sum(abs(w.quad[1][0] - w.quad[0][0]) + abs(w.quad[1][1] - w.quad[0][1])
                for w in ln.words)
            for ln in lines
        )  # fmt: skip
        skew = weighted_median(zip(residuals, lengths, strict=True), 0.0)
        residuals = [skew if abs(r - skew) <= OWN_ANGLE else r for r in residuals]
    else:
        residuals = [skew] * len(lines)
    return [
        (round(a / 90) % 4, 0.0 if abs(r) < LEVEL else r)
        for a, r in zip(angles, residuals, strict=True)
    ]


def region(
    page: Image.Image, canon: Canon, t: float, x0: int, x1: int, lo_r: int, hi_r: int
) -> NDArray[np.uint8]:
    """The grey levels of columns [x0, x1) and sheared rows [lo_r, hi_r) of a line's frame, as
    an array whose rows are those sheared rows: the line turned upright and its skew sheared
    out in one affine resampling (nearest pixel; paper beyond the page's edges)."""
    import numpy as np

    size = (x1 - x0, hi_r - lo_r)
    if t == 0 and lo_r >= 0 and hi_r <= canon.size[1]:  # level, on the page: no resampling
        if canon.quarter == 0:
            return np.asarray(page.crop((x0, lo_r, x1, hi_r)))  # the common case, 5 times faster
        # A line turned by whole quarters: its box on the page, turned upright; the very pixels
        # the affine resampling takes, in a tenth of the time.
        corners = [canon.back((u, v)) for u in (x0, x1) for v in (lo_r, hi_r)]
        xs, ys = [round(x) for x, _ in corners], [round(y) for _, y in corners]
        box = (min(xs), min(ys), max(xs), max(ys))
        return np.asarray(page.crop(box).transpose(_UPRIGHT[canon.quarter]))
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
