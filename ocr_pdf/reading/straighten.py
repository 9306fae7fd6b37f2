"""Straightening a page from its one reading (Pillow): the quarter turn that sets its text
upright, the skew of its lines, and the reading carried onto an image of the page that has
since been turned, scaled and deskewed by those answers, so that a tool which straightens pages
before OCR (OCRmyPDF's --rotate-pages and --deskew) needs no second reading of the page.

Angles are degrees clockwise on a y-down image, as in :mod:`ocr_pdf.geometry`; a skew is
positive when lines run down to the right."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from PIL import Image

from ocr_pdf import inkfit
from ocr_pdf.geometry import box_skew, dominant_angle, line_direction, rotate_point, weighted_median
from ocr_pdf.image import ink
from ocr_pdf.models import Line, PageText, Point, Quad, Word, quad_angle

log = logging.getLogger(__name__)

THUMBNAIL = 200
"""Pixels on the long side of the small copy of a page image kept to recognise it later."""

LIKENESS = 0.5
"""Correlation of grey levels between the image a reading is carried onto and the image read,
turned, scaled and deskewed as expected (both as thumbnails), below which the image is taken to
be something else (a tool that turned it otherwise): the reading is then not carried."""

ASPECT = 0.02
"""Relative difference of aspect ratios beyond which two page images are not one page turned
and scaled (renderers round sizes to whole pixels)."""

CHARACTERS_PER_POINT = 2
"""Characters of words running the page's way, net of those running any other, per point of
orientation confidence: a page's turn is as sure as the text read in its direction."""


MOST_CONFIDENT = 100.0
"""The orientation confidence of a page full of text (Tesseract's rarely pass a few dozen)."""


@dataclass(frozen=True)
class Orientation:
    """Which way a page's text runs: ``facing``, degrees clockwise (0, 90, 180 or 270) that its
    text is turned from upright (the quarter turn it reads at); ``confidence``, the characters
    read at that turn, net of those read at any other, over CHARACTERS_PER_POINT, at most
    MOST_CONFIDENT (0 when nothing was read). OCRmyPDF compares it with
    ``--rotate-pages-threshold`` (paperless-ngx passes 12): a page turns when a couple of
    dozen characters or more say so."""

    facing: int
    confidence: float


def orientation(text: PageText) -> Orientation:
    """The quarter turn of ``text``'s words (see :class:`Orientation`)."""
    if not text.words:
        return Orientation(0, 0.0)
    quarter = round(dominant_angle(text.words) / 90) % 4
    agree = disagree = 0
    for word in text.words:
        if round(quad_angle(word.quad) / 90) % 4 == quarter:
            agree += len(word.text)
        else:
            disagree += len(word.text)
    confidence = max(agree - disagree, 0) / CHARACTERS_PER_POINT
    return Orientation(90 * quarter, min(confidence, MOST_CONFIDENT))


def skew(text: PageText, image: Image.Image | None = None) -> float:
    """How far ``text``'s lines run off their quarter turn, degrees clockwise. From the
    reading: the slope of word centres along each line for engines that give axis-aligned
    boxes (:func:`ocr_pdf.geometry.box_skew`), else the lines' own directions, their median
    weighted by length (a stray line or a slanted caption does not sway it); best measured on
    the engine's own boxes, before they are fitted to the ink (which levels axis-aligned
    boxes). Engines' boxes are good to a few tenths of a degree; with the ``image`` read,
    the answer is made exact within a degree of that by the ink of the text's region
    (:func:`ocr_pdf.image.ink.profile_skew`)."""
    lines = [ln for ln in text.lines if ln.words]
    estimate = box_skew(lines)
    if estimate is None:
        votes = []
        for line in lines:
            angle = line_direction(line.words)
            start, end = line.words[0].quad[3], line.words[-1].quad[2]
            votes.append((angle - 90 * round(angle / 90), math.dist(start, end)))
        estimate = weighted_median(votes, 0.0)
    if image is None or not lines or image.size != (text.width, text.height):
        return estimate
    quarter = round(dominant_angle(text.words) / 90) % 4
    return ink.profile_skew(image, _text_region(text), quarter, estimate, SEARCH)


SEARCH = 1.0
"""Degrees either side of the reading's skew within which the ink's is searched."""


def _text_region(text: PageText) -> tuple[int, int, int, int]:
    """The bounds of a page's words (pixels), so that a scan's edges, punch holes and a
    picture beside the text do not sway the measure of its skew."""
    xs = [x for w in text.words for x, _ in w.quad]
    ys = [y for w in text.words for _, y in w.quad]
    left, top = max(0, math.floor(min(xs))), max(0, math.floor(min(ys)))
    right, bottom = min(text.width, math.ceil(max(xs))), min(text.height, math.ceil(max(ys)))
    return left, top, max(right, left + 1), max(bottom, top + 1)


@dataclass(frozen=True)
class Straightening:
    """How one image of a page was made from another: turned clockwise by ``turn`` degrees (a
    quarter turn), scaled to its own size, then rotated counter-clockwise by ``rotate``
    degrees about its centre, as Pillow's ``Image.rotate`` and deskewing tools do (white
    filling the corners)."""

    turn: int = 0
    rotate: float = 0.0


def thumbnail(image: Image.Image) -> Image.Image:
    """A small grey copy of a page image (THUMBNAIL pixels on its long side), kept to
    recognise the page in images made from it later."""
    scale = THUMBNAIL / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.convert("L").resize(size, Image.Resampling.BOX)


def carry(
    text: PageText, seen: Image.Image, image: Image.Image, how: Straightening
) -> PageText | None:
    """``text``, read on an image whose :func:`thumbnail` is ``seen``, moved onto ``image``,
    made from that one as ``how`` says, and fitted to its ink there. None when ``image`` is
    not what ``how`` makes of the image read (another aspect ratio, or other content): the
    caller then reads ``image`` itself. Words turned out of the image are dropped."""
    source = (text.width, text.height)
    turned = source[::-1] if how.turn % 180 else source
    if abs(image.width / image.height - turned[0] / turned[1]) > ASPECT * turned[0] / turned[1]:
        log.debug("image %s is not the page read (%s turned %d)", image.size, source, how.turn)
        return None
    if text.words and not _alike(seen, image, how):
        log.debug("image %s does not show the page read, turned and deskewed", image.size)
        return None
    scale = (image.width / turned[0], image.height / turned[1])
    centre = (image.width / 2, image.height / 2)

    def moved(p: Point) -> Point:
        x, y = _turned(p, how.turn, *source)
        return rotate_point((x * scale[0], y * scale[1]), -how.rotate, centre)

    lines = []
    for line in text.lines:
        words = []
        for word in line.words:
            a, b, c, d = (moved(p) for p in word.quad)
            quad: Quad = (a, b, c, d)
            cx, cy = sum(x for x, _ in quad) / 4, sum(y for _, y in quad) / 4
            if 0 <= cx <= image.width and 0 <= cy <= image.height:
                words.append(Word(word.text, quad, word.confidence))
        if words:
            lines.append(Line(tuple(words)))
    carried = PageText(image.width, image.height, tuple(lines), None, text.language)
    return inkfit.refine(carried, image)


def _turned(p: Point, turn: int, width: int, height: int) -> Point:
    """Where a point of a ``width`` x ``height`` image lands once the image is turned
    clockwise by ``turn`` degrees."""
    x, y = p
    quarter = (turn // 90) % 4
    if quarter == 1:
        return (height - y, x)
    if quarter == 2:
        return (width - x, height - y)
    if quarter == 3:
        return (y, width - x)
    return (x, y)


_TRANSPOSE = {
    90: Image.Transpose.ROTATE_270,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


def _alike(seen: Image.Image, image: Image.Image, how: Straightening) -> bool:
    """Whether ``image`` shows what ``seen`` (a thumbnail) shows once straightened by
    ``how``: their thumbnails correlate by LIKENESS or more."""
    target = thumbnail(image)
    expected = seen.transpose(_TRANSPOSE[how.turn % 360]) if how.turn % 360 else seen
    expected = expected.resize(target.size, Image.Resampling.BILINEAR)
    if how.rotate:
        expected = expected.rotate(how.rotate, Image.Resampling.BILINEAR, fillcolor=255)
    alike = ink.likeness(expected, target)
    log.debug("image read and image to carry it to: likeness %.2f", alike)
    return alike >= LIKENESS
