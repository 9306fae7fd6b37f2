"""How straight an output page is and whether its words sit on their ink, measured from the
outside: poppler renders the page as displayed (pdftoppm) and lists its words with their boxes
(pdftotext -bbox), and nothing of ocr_pdf is used, so that a wrong answer of ours cannot make
its own check pass.

* skew: a projection-profile estimate. Ink pixels are projected onto the page's vertical axis
  along lines tilted by each candidate angle; the angle at which text lines fall into the
  fewest, fullest rows (the largest sum of squared row counts) is the direction of the print,
  in degrees clockwise on the displayed page (y down): positive when lines run down to the
  right. Searched from -10 to 10 degrees, to 0.02 degrees.
* words on ink: a word's box (as poppler reports it: where search and selection land) is on
  ink when enough of the pixel columns across its middle third hold ink and it covers
  most of the height of the ink it lies on: a box between two lines has paper across its
  middle, a box half a line off leaves half its word's ink outside, an upright box around a word
  on a skewed line reaches into the lines above and below."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

DPI = 150


def available() -> bool:
    """Whether poppler's tools are installed (the measures need them)."""
    return shutil.which("pdftoppm") is not None and shutil.which("pdftotext") is not None


def render(path: Path, page: int, dpi: int = DPI) -> Image.Image:
    """Page ``page`` (0-based) as poppler displays it, grey."""
    with tempfile.TemporaryDirectory() as tmp:
        stem = Path(tmp) / "page"
        number = str(page + 1)
        subprocess.run(
            ["pdftoppm", "-gray", "-r", str(dpi), "-f", number, "-l", number, "-png", path, stem],
            check=True,
            capture_output=True,
        )
        (png,) = Path(tmp).glob("page*.png")
        with Image.open(png) as opened:
            image: Image.Image = opened.convert("L")
        return image


def ink(image: Image.Image) -> NDArray[np.bool_]:
    """Pixels much darker than the paper: below halfway between the median grey (paper) and
    the 0.5th percentile (the darkest ink)."""
    a = np.asarray(image, dtype=np.uint8)
    paper = float(np.median(a))
    darkest = float(np.percentile(a, 0.5))
    return a < (paper + darkest) / 2


def skew(image: Image.Image) -> float:
    """The print's direction in degrees clockwise (see the module's docstring)."""
    mask = ink(image)
    ys, xs = np.nonzero(mask)
    if len(xs) < 100:
        return 0.0
    x = xs.astype(np.float64) - image.width / 2
    y = ys.astype(np.float64)

    def score(degrees: float) -> float:
        rows = np.round(y - x * np.tan(np.radians(degrees))).astype(np.int64)
        counts = np.bincount(rows - rows.min())
        return float(np.dot(counts, counts))

    best = max(np.arange(-10.0, 10.01, 0.25), key=score)
    fine = np.arange(best - 0.3, best + 0.301, 0.02)
    return round(float(max(fine, key=score)), 2)


@dataclass(frozen=True)
class WordBox:
    """A word as poppler reports it, in pixels of the render at DPI (origin top-left)."""

    text: str
    left: float
    top: float
    right: float
    bottom: float


def words(path: Path, page: int, dpi: int = DPI) -> list[WordBox]:
    """The page's words and their boxes (pdftotext -bbox, displayed page, top-left origin)."""
    number = str(page + 1)
    done = subprocess.run(
        ["pdftotext", "-bbox", "-f", number, "-l", number, path, "-"],
        check=True,
        capture_output=True,
        text=True,
    )
    scale = dpi / 72
    found = []
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    for x0, y0, x1, y1, text in re.findall(pattern, done.stdout):
        box = [float(v) * scale for v in (x0, y0, x1, y1)]
        found.append(WordBox(unescape(text), *box))
    return found


def on_ink(box: WordBox, mask: NDArray[np.bool_]) -> bool:
    """Whether the box sits on its word's ink: MIDDLE_INK of the pixel columns across its
    middle third hold ink; and, in its columns, it covers at least COVER of the height of
    the ink band it lies on (the rows holding ink around its most inked row, up to the first
    row without, searched to half its height beyond its edges), while at most OTHER_INK of
    its rows hold ink of another band."""
    height = box.bottom - box.top
    left = max(round(box.left), 0)
    right = min(max(round(box.right), left + 1), mask.shape[1])
    top, bottom = round(box.top), max(round(box.bottom), round(box.top) + 1)
    third = max(1, (bottom - top) // 3)
    band = mask[max(top + third, 0) : max(bottom - third, 0), left:right]
    if band.size == 0 or float(band.any(axis=0).mean()) < MIDDLE_INK:
        return False
    start = max(round(box.top - height / 2), 0)
    end = max(round(box.bottom + height / 2), start + 1)
    counts = mask[start:end, left:right].sum(axis=1)
    rows = counts >= max(1.0, ROW_INK * (right - left))
    inside = range(max(top - start, 0), min(bottom - start, len(rows)))
    if not inside:
        return False
    peak = max(inside, key=lambda r: int(counts[r]))
    first = last = peak
    while first > 0 and rows[first - 1]:
        first -= 1
    while last < len(rows) - 1 and rows[last + 1]:
        last += 1
    covered = min(last + 1, bottom - start) - max(first, top - start)
    others = sum(bool(rows[r]) for r in inside if not first <= r <= last)
    return covered >= COVER * (last + 1 - first) and others <= OTHER_INK * (bottom - top)


MIDDLE_INK = 0.3
"""Share of the pixel columns across a word box's middle third that must hold ink (thin serif
print at 150 dpi fills about half; a box between two lines, none)."""

ROW_INK = 0.03
"""Share of a box's columns that must hold ink for a row to count as inked (specks and the
show-through of the other side of the paper do not join two lines into one band)."""

COVER = 0.7
"""Share of its ink band's height a word's box must cover to be on its ink."""

OTHER_INK = 0.2
"""Share of a word's box's rows that may hold ink of another band (a box reaching into the
next line is not on its word)."""


@dataclass(frozen=True)
class PageCheck:
    """One displayed page: its skew (degrees clockwise), its words, and the share on ink."""

    skew: float
    words: int
    on_ink: float


def check_page(path: Path, page: int = 0) -> PageCheck:
    image = render(path, page)
    found = [w for w in words(path, page) if w.text.strip()]
    mask = ink(image)
    share = sum(on_ink(w, mask) for w in found) / len(found) if found else 0.0
    return PageCheck(skew(image), len(found), share)
