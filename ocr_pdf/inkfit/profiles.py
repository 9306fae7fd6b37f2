"""A line's ink measured across and along it (numpy): the band of rows holding its letters, its
ink per column over that band and over the band less the descenders, and the blank runs of
those profiles, where the gaps between words and letters are.

Arrays are a line's region as :func:`ocr_pdf.inkfit.frames.region` resamples it: rows are the
line's sheared rows, columns its frame's columns from the region's first."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ocr_pdf.image import ink

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


class Runs:
    """The blank runs of one ink profile of a line (columns holding at most ``floor`` ink
    pixels), as sorted Python lists."""

    def __init__(self, profile: NDArray[np.int32], floor: int) -> None:
        import numpy as np

        self.profile = profile
        self.size = len(profile)
        blank = np.zeros(self.size + 2, dtype=bool)  # paper before and after the line
        blank[1:-1] = profile <= floor
        changes = np.flatnonzero(blank[1:] != blank[:-1])  # a run's start, its end, the next...
        self.starts: list[int] = changes[::2].tolist()
        self.ends: list[int] = changes[1::2].tolist()

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


@dataclass(frozen=True)
class Ink:
    """A line's ink per column, from column ``x0`` of its frame: ``full`` over its whole band,
    ``core`` over its band less the descenders, where the gaps between words are cleanest: the
    hooks of j, y, g and p reach under the neighbouring letters, while the ink above the
    x-height (a 7's bar, a T's) belongs inside words."""

    full: Runs
    core: Runs
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


def band_and_profiles(
    region: NDArray[np.uint8], e0: float, e1: float
) -> tuple[tuple[int, int], NDArray[np.int32], NDArray[np.int32]] | None:
    """In a line's region (see :func:`ocr_pdf.inkfit.frames.region`): its band (rows
    [top, bottom) holding ink contiguously around the densest row within the engine's band
    [e0, e1], inner part), and its ink per column within the band and within the band less its
    descenders (see :func:`_baseline`); None when the region holds no print (too little
    contrast, no ink)."""
    import numpy as np

    levels = ink.otsu(np.bincount(region[::2, ::2].ravel(), minlength=256))
    if levels is None or levels[2] - levels[1] < ink.MIN_CONTRAST:
        return None
    mask = region <= levels[0]
    if np.count_nonzero(mask) > mask.size // 2:
        mask = ~mask  # light print on a dark ground: the print is the lighter class
    # Ink pixels counted as sums of 0/1 bytes: a third of the time of count_nonzero by axis.
    ink_ = mask.view(np.uint8)
    across = ink_.sum(axis=1, dtype=np.int32)
    inner0 = max(0, int(e0 + 0.2 * (e1 - e0)))
    inner1 = min(len(across), max(inner0 + 1, int(e1 - 0.2 * (e1 - e0))))
    band = _band(across, inner0, inner1)
    if band is None:
        return None
    top, bottom = band
    base = _baseline(across, top, bottom)
    full = ink_[top:bottom].sum(axis=0, dtype=np.int32)
    core = ink_[top:base].sum(axis=0, dtype=np.int32)
    return band, full, core


def _baseline(across: NDArray[np.int32], top: int, bottom: int) -> int:
    """The row below the letters' bodies in [top, bottom): below the densest row, the first
    holding less than a fifth as much ink. The x-height's rows (stems at least) hold a third
    or more of the densest row's ink, descenders a tenth: this is the baseline of Latin text,
    the foot of CJK."""
    import numpy as np

    rows = across[top:bottom]
    peak = int(np.argmax(rows))
    thin = np.flatnonzero(rows[peak:] < rows[peak] / 5)
    return top + peak + (int(thin[0]) if len(thin) else len(rows) - peak)


def _band(across: NDArray[np.int32], inner0: int, inner1: int) -> tuple[int, int] | None:
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
