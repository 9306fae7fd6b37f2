"""Sideways and upside-down pages for engines that only read upright text (stdlib + Pillow)."""

from __future__ import annotations

import logging

from PIL import Image

from ocr_pdf.engines.base import Engine
from ocr_pdf.models import Line, PageText, Point, Quad, Word, quad_bounds

log = logging.getLogger(__name__)

_TRANSPOSE = {  # clockwise turns
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
            turn: score(self.engine.recognize(small.transpose(_TRANSPOSE[turn]) if turn else small))
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
        turned = self.engine.recognize(image.transpose(_TRANSPOSE[best]))
        return unturn(turned, best, image.width, image.height)
