"""Word boxes fitted to the ink they were read from (Pillow, numpy): every word spans its own
ink along its line and the full height of its line's ink across it, following the line's
baseline.

Engines report boxes of uneven quality: Azure's hug each word; Tesseract's are axis-aligned, so
on a skewed scan they cover the climb of the line; RapidOCR's word boxes are guesses from where
its recogniser emitted each character, padded by its detector. :func:`refine` measures the
truth on the page image instead. Each line's region is resampled upright and level (one affine
transform: the line's quarter turn undone, its skew sheared out), thresholded (Otsu, per line,
so that uneven lighting does not matter), and:

* the line's band is the run of rows holding ink around its densest row, bounded by the first
  empty row (or a little beyond the engine's own band);
* along the band, each boundary between two words moves to the widest gap in the ink near
  where the engine put it (or to the faintest column, for words that touch), and the line's
  outer ends to where its ink starts and stops; specks of dust at a word's ends are dropped;
* a word holding a gap as wide as the gaps between words and well wider than the gaps between
  letters (the engine missed a space) is split in two there;
* CJK lines share their ink out by character count (CJK is set on a fixed pitch).

A line whose ink cannot be found (no contrast, no ink where the engine read, a skew steeper
than MAX_SKEW) keeps the engine's boxes, and so does a word whose ink hardly overlaps its box:
refining never invents geometry. Coordinates are image pixels, origin top-left, y down, like
the quads of :mod:`ocr_pdf.models`. Cost: 15 ms of one core for a 300 dpi page of 250 words,
the quads of :mod:`ocr_pdf.models`. Cost: 15 ms of one core for a 300 dpi page of 250 words,
about 30 for 500 words on skewed columns.

The package: :func:`refine` (here) joins the pieces of words an engine cut in two and fits
each line; ``frames`` turns a line upright and level, ``profiles`` measures its ink,
``placing`` puts its words on that ink, ``lines`` fits one line and splits its glued words,
``text`` holds what a word's characters say about their width."""

from __future__ import annotations

import math
from statistics import median

from PIL import Image

from ocr_pdf.geometry import line_direction
from ocr_pdf.inkfit.frames import LEVEL, OWN_ANGLE, line_angles
from ocr_pdf.inkfit.lines import MAX_SKEW, fit_line
from ocr_pdf.models import Line, PageText, Quad, Word

__all__ = ["LEVEL", "MAX_SKEW", "OVERLAP", "OWN_ANGLE", "refine"]


def refine(text: PageText, image: Image.Image) -> PageText:
    """``text`` with each word's quad fitted to its ink on ``image``, the image the engine read
    (``text``'s words are in its pixels), and words the engine ran together split at the gap
    between them. Lines and their order are kept; so is any word whose ink cannot be found."""
    if not text.words or image.size != (text.width, text.height):
        return text
    page = image if image.mode == "L" else image.convert("L")
    text = PageText(
        text.width, text.height, tuple(_joined(ln) for ln in text.lines), text.angle, text.language
    )
    fits = [
        fit_line(page, line, quarter, skew)
        for line, (quarter, skew) in zip(text.lines, line_angles(text.lines), strict=True)
    ]
    gaps = [g for f in fits if f is not None for g in f.word_gaps]
    page_gap = median(gaps) if gaps else None
    lines = tuple(
        line if fit is None else fit.line(page_gap)
        for line, fit in zip(text.lines, fits, strict=True)
    )
    return PageText(text.width, text.height, lines, text.angle, text.language)


OVERLAP = 0.5
"""Share of the shorter of two neighbouring words that the longer's box may cover along their
line before they are taken for one word the engine cut in two."""


def _joined(line: Line) -> Line:
    """``line`` with each pair of neighbours whose boxes overlap along the line by more than
    OVERLAP of the shorter made one word: engines sometimes cut a word and report a piece
    inside the box of the rest (Tesseract: "447" over the whole of "4471", then "1"). Fitted
    apart, the pieces would be read as two words. Two pieces that both hold letters are two
    words (see :func:`_two_words`): the first one's box is cut back to where the second's
    begins."""
    if len(line.words) < 2:
        return line
    angle = math.radians(line_direction(line.words))
    ux, uy = math.cos(angle), math.sin(angle)

    def span(w: Word) -> tuple[float, float]:
        along = [x * ux + y * uy for x, y in w.quad]
        return min(along), max(along)

    words = [line.words[0]]
    for word in line.words[1:]:
        (a0, a1), (b0, b1) = span(words[-1]), span(word)
        overlap = min(a1, b1) - max(a0, b0)
        if not overlap > OVERLAP * min(a1 - a0, b1 - b0) > 0:
            words.append(word)
        elif _two_words(words[-1], word) and a0 < b0 < a1:
            words[-1] = _ending_at(words[-1], word)
            words.append(word)
        else:
            start = words[-1] if a0 <= b0 else word
            end = words[-1] if a1 >= b1 else word
            quad: Quad = (start.quad[0], end.quad[1], end.quad[2], start.quad[3])
            known = [c for c in (words[-1].confidence, word.confidence) if c is not None]
            words[-1] = Word(words[-1].text + word.text, quad, min(known) if known else None)
    return Line(tuple(words))


def _two_words(a: Word, b: Word) -> bool:
    """Whether two pieces read as two words, whatever their boxes: both hold letters
    (Tesseract's "Ship" over the whole of "Ship to" on a tight form, then "to"), where a
    number's pieces ("447" and "1") are one word."""
    return any(c.isalpha() for c in a.text) and any(c.isalpha() for c in b.text)


def _ending_at(a: Word, b: Word) -> Word:
    """``a`` with its end moved back to where ``b`` begins (its box ran over ``b``)."""
    (tl, _, _, bl), (btl, _, _, bbl) = a.quad, b.quad
    return Word(a.text, (tl, btl, bbl, bl), a.confidence)
