"""Sideways and upside-down pages for engines that only read upright text (stdlib + Pillow).

Two ways in: :class:`OrientationCorrected` wraps any engine and reads the page again when the
result looks turned (tesseract); :func:`turn_from_lines` decides the turn *before* reading, from
the shapes of the detected text lines and a vote of a per-line 0/180 classifier, for engines that
can detect lines apart from reading them (`local`): an upright page then costs nothing extra and
a turned one a second detection, never four readings."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from ocr_pdf.engines.base import Engine
from ocr_pdf.models import Line, PageText, Point, Quad, Word, quad_bounds

log = logging.getLogger(__name__)

TRANSPOSE = {  # clockwise turns
    90: Image.Transpose.ROTATE_270,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


def _is_tall(word: Word) -> bool:
    left, top, right, bottom = quad_bounds(word.quad)
    return bottom - top > 1.2 * (right - left)


def looks_misoriented(page: PageText) -> bool:
    """The cheap check, on a result already in hand: most words of three or more characters
    stand taller than wide (text running up or down the page), or the engine is unsure of what
    it read (upside-down text reads as confident-looking garbage only rarely)."""
    words = [w for w in page.words if len(w.text) >= 3]
    if len(words) < 3:
        return False
    tall = sum(_is_tall(w) for w in words) / len(words)
    confidences = [w.confidence for w in words if w.confidence is not None]
    # Upright pages score 0.9 and up on both engines here; text turned 180 or 270 degrees
    # came out at 0.3 (tesseract) to 0.77 (local). A false alarm costs one page read at most.
    unsure = bool(confidences) and sum(confidences) / len(confidences) < 0.85
    return tall > 0.4 or unsure


def score(page: PageText) -> float:
    """How much confidently read, horizontally set text a result holds."""
    return sum(
        (w.confidence if w.confidence is not None else 0.5) * len(w.text)
        for w in page.words
        if not _is_tall(w)
    )


def _back(p: Point, turn: int, width: int, height: int) -> Point:
    """A point of the image turned clockwise by ``turn``, on the original width x height image."""
    u, v = p
    if turn == 90:
        return (v, height - u)
    if turn == 180:
        return (width - u, height - v)
    return (width - v, u)


def unturn(page: PageText, turn: int, width: int, height: int) -> PageText:
    """A result read on the image turned clockwise by ``turn``, expressed on the original."""
    lines = []
    for line in page.lines:
        words = []
        for w in line.words:
            a, b, c, d = (_back(p, turn, width, height) for p in w.quad)
            quad: Quad = (a, b, c, d)
            words.append(Word(w.text, quad, w.confidence))
        lines.append(Line(tuple(words)))
    return PageText(width, height, tuple(lines), page.angle, page.language)


TALL = 1.5
"""A detected line this many times taller than wide runs up or down the page (RapidOCR's own
threshold for turning a crop)."""


@dataclass(frozen=True)
class LineVote:
    """One detected text line's evidence: its box (pixels: the text's own width along the
    line, its height across it, as the box lies on the page image), and what a 0/180 classifier
    made of the line's crop once laid flat: the probability that the crop is upside down."""

    width: float
    height: float
    upside_down: float


def turn_from_lines(votes: Sequence[LineVote], margin: float = 0.3) -> tuple[int, bool]:
    """(clockwise turn that sets the text upright, sure?) from the detected lines.

    Lines vote with their length (a heading and a footnote each count for their characters).
    Most of the length in tall boxes means text running down or up the page (a turn of 90 or
    270); then, or for wide boxes, the classifier tells the two apart: crops of tall lines are
    laid flat by turning them counter-clockwise, so a flat crop that reads upright means text
    running down the page, which a turn of 270 sets upright. ``sure`` is False when the vote
    is within ``margin`` (of the total length) of a tie: then the caller should check by
    reading a few lines both ways. Near-square boxes (single characters, marks) do not vote."""
    tall = [v for v in votes if v.height >= TALL * v.width]
    wide = [v for v in votes if v.width >= TALL * v.height]
    tall_length = sum(v.height for v in tall)
    wide_length = sum(v.width for v in wide)
    if not tall_length and not wide_length:
        return 0, True
    sideways = tall_length > wide_length
    group, length = (tall, tall_length) if sideways else (wide, wide_length)
    flipped = sum(max(v.height, v.width) * v.upside_down for v in group) / length
    turn = (90 if flipped > 0.5 else 270) if sideways else (180 if flipped > 0.5 else 0)
    return turn, abs(flipped - 0.5) >= margin / 2


class OrientationCorrected(Engine):
    """Wraps an ``upright_only`` engine: when a page's result looks sideways or upside down,
    the four quarter turns are tried on a half-size copy, and the page is read again turned
    the best way. The wrapped pair reads pages in any orientation."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine.config)
        self.engine = engine
        self.name = engine.name
        self.default_jobs = engine.default_jobs
        self.render_dpi = engine.render_dpi
        self.requests_per_page = engine.requests_per_page

    @property
    def cache_id(self) -> str:
        return f"{self.engine.cache_id}|turns"

    def review(self, text: PageText) -> str | None:
        return self.engine.review(text)

    def close(self) -> None:
        self.engine.close()

    def recognize(self, image: Image.Image) -> PageText:
        page = self.engine.recognize(image)
        if not looks_misoriented(page):
            return page
        small = image.reduce(2) if min(image.size) >= 1000 else image
        scores = {
            turn: score(self.engine.recognize(small.transpose(TRANSPOSE[turn]) if turn else small))
            for turn in (0, 90, 180, 270)
        }
        best = max(scores, key=lambda t: scores[t])
        log.info(
            "page looks turned; scores by clockwise turn %s: reading it turned %d",
            {t: round(s) for t, s in scores.items()},
            best,
        )
        if best == 0:
            return page
        turned = self.engine.recognize(image.transpose(TRANSPOSE[best]))
        return unturn(turned, best, image.width, image.height)
