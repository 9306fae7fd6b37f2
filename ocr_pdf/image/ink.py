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


def likeness(a: Image.Image, b: Image.Image) -> float:
    """How alike two images of one size are: the correlation of their grey levels, from -1 to
    1 (two images that are both one flat grey count as alike: 1)."""
    import numpy as np

    x = grey(a).astype(np.float64).ravel()
    y = grey(b).astype(np.float64).ravel()
    x -= x.mean()
    y -= y.mean()
    spread = float(np.sqrt(np.dot(x, x) * np.dot(y, y)))
    if spread < 1e-9:
        return 1.0 if not x.any() and not y.any() else 0.0
    return float(np.dot(x, y)) / spread


SKEW_POINTS = 100_000
"""Ink pixels at most that :func:`profile_skew` projects (spread evenly over the region)."""

SKEW_PIXELS = 1600
"""Pixels on the long side of the region :func:`profile_skew` measures (larger ones are
reduced first): a line 1600 pixels long climbs half a pixel in 0.02 degree."""


def profile_skew(
    image: Image.Image,
    region: tuple[int, int, int, int],
    quarter: int,
    estimate: float,
    span: float = 1.0,
) -> float:
    """The skew of the print in ``region`` (left, top, right, bottom pixels) of ``image``, in
    degrees clockwise, searched within ``span`` of ``estimate``: the angle at which the ink,
    projected across the text's direction (its ``quarter`` turn, 0 to 3 clockwise), falls
    into the fewest and fullest rows (the largest sum of squared row counts: text lines and
    the gaps between them sharpest). To 0.01 degree; ``estimate`` when the region holds too
    little ink to tell."""
    import numpy as np

    left, top, right, bottom = region
    crop = image.crop((left, top, right, bottom))
    factor = max(crop.size) // SKEW_PIXELS + 1
    a = grey(crop.reduce(factor) if factor > 1 else crop)
    if a.size == 0:
        return estimate
    counts = np.cumsum(np.bincount(a.ravel(), minlength=256))
    paper = int(np.searchsorted(counts, counts[-1] / 2))
    darkest = int(np.searchsorted(counts, counts[-1] * 0.005))
    if paper - darkest < MIN_CONTRAST:
        return estimate
    ys, xs = np.nonzero(a < (paper + darkest) / 2)
    if len(xs) < 100:
        return estimate
    step = max(1, len(xs) // SKEW_POINTS)
    along, across = (ys[::step], xs[::step]) if quarter % 2 else (xs[::step], ys[::step])
    along = along.astype(np.float64) - along.mean()
    across = across.astype(np.float64)
    sign = -1.0 if quarter % 2 else 1.0  # a vertical line's skew tilts it the other way

    def sharpness(degrees: float) -> float:
        rows = np.round(across - sign * along * np.tan(np.radians(degrees))).astype(np.int64)
        hits = np.bincount(rows - rows.min())
        return float(np.dot(hits, hits))

    coarse = max(np.arange(estimate - span, estimate + span + 1e-9, 0.1), key=sharpness)
    fine = np.arange(coarse - 0.1, coarse + 0.1 + 1e-9, 0.01)
    return round(float(max(fine, key=sharpness)), 2)
