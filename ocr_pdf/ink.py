"""Ink on a page image (numpy): grey levels, the ink/paper threshold, where printed text is.

Images here are Pillow images of a page in pixels (origin top-left, y down); arrays are numpy
views of their grey levels, rows first. numpy is imported by the functions that need it, so that
``import ocr_pdf`` stays light."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PIL import Image

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

MIN_CONTRAST = 48
"""Grey levels between paper and ink below which a region is treated as holding no print: a
faint background texture or a scanner's noise must not pass for letters."""


def grey(image: Image.Image) -> NDArray[np.uint8]:
    """The image's grey levels (0 black .. 255 white) as a (height, width) array."""
    import numpy as np

    if image.mode != "L":
        image = image.convert("L")
    # tobytes and frombuffer: half the time of np.asarray(image) on a 300 dpi page.
    return np.frombuffer(image.tobytes(), dtype=np.uint8).reshape(image.height, image.width)


def otsu(histogram: NDArray[np.int64]) -> tuple[int, float, float] | None:
    """Otsu's threshold of a 256-bin grey histogram: (threshold, mean grey of the darker class,
    mean of the lighter), pixels at or below the threshold being ink; None when the pixels are
    all one level."""
    import numpy as np

    h = histogram.astype(np.float64)
    total = h.sum()
    if total == 0:
        return None
    levels = np.arange(256, dtype=np.float64)
    weight = np.cumsum(h)  # pixels at or below each level
    mass = np.cumsum(h * levels)
    dark = weight
    light = total - weight
    valid = (dark > 0) & (light > 0)
    if not valid.any():
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_dark = mass / dark
        mean_light = (mass[-1] - mass) / light
        between = dark * light * (mean_dark - mean_light) ** 2
    between[~valid] = -1.0
    t = int(np.argmax(between))
    return t, float(mean_dark[t]), float(mean_light[t])


def text_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    """Bounds (left, top, right, bottom, pixels) of what looks like printed text on the image,
    or None when nothing does: a blank page, a speck, a punch hole, an all-black page.

    Ink is what is much darker than the paper (the median grey): white corners that a skewed
    scan uncovers on grey paper are not ink. Text is ink that changes between paper and ink
    often along a row (letters' strokes) on several rows; a hole or a smear changes twice.
    Called on pages an engine found empty, so it may take its time: full resolution, where
    the strokes of small print are a pixel wide."""
    import numpy as np

    a = grey(image)
    if a.size == 0:
        return None
    counts = np.cumsum(np.bincount(a.ravel(), minlength=256))
    paper = int(np.searchsorted(counts, counts[-1] / 2))
    darkest = int(np.searchsorted(counts, 20))  # a line of small print has hundreds
    if paper - darkest < MIN_CONTRAST:
        return None
    ink = a < (paper + darkest) / 2
    if ink.mean() > 0.5:
        return None  # more ink than paper: not a page of print
    changes = np.count_nonzero(ink[:, 1:] != ink[:, :-1], axis=1)
    rows = np.flatnonzero(changes >= 6)  # three strokes or more on the row
    if len(rows) < 4:
        return None
    cols = np.flatnonzero(ink[rows].any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1
