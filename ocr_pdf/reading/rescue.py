"""Pages an engine gave up on: print on the page, no words in the answer. The print's crop is
read again, and the log says so.

Engines give up on a page as a whole: Tesseract 5's page layout analysis answers "Empty
page!!" on a clean, slightly skewed page with a light grey background (white corners where the
skew uncovered the scanner's lid, small print), while the same print cropped to its ink reads
perfectly. A layer that is silently empty is the worst outcome: the page looks searchable and
is not."""

from __future__ import annotations

import logging

from PIL import Image

from ocr_pdf.engines.base import Engine
from ocr_pdf.image import ink
from ocr_pdf.models import Line, PageText, Quad, Word

log = logging.getLogger(__name__)

MARGIN = 0.25
"""Paper kept around the print in the crop, in inches at 300 dpi scaled to the image (about
75 pixels at 300 dpi): engines find text more readily with a margin of paper around it."""


def reread(engine: Engine, image: Image.Image, text: PageText) -> PageText:
    """``text``, ``engine``'s reading of ``image``; if it holds no words although the image
    shows print (:func:`ocr_pdf.image.ink.text_box`), the reading of the print's crop, in the pixels
    of ``image``. Logged at INFO when the second reading finds words, WARNING when it does
    not."""
    if text.words:
        return text
    box = ink.text_box(image)
    if box is None:
        return text
    pad = round(MARGIN * max(image.size) / 11)  # a quarter inch on a letter page
    left, top = max(0, box[0] - pad), max(0, box[1] - pad)
    right, bottom = min(image.width, box[2] + pad), min(image.height, box[3] + pad)
    if (left, top, right, bottom) == (0, 0, image.width, image.height):
        log.warning(
            "%s found no words on a page that shows print; its text layer is empty", engine.name
        )
        return text
    again = engine.recognize(image.crop((left, top, right, bottom)))
    if not again.words:
        log.warning(
            "%s found no words on a page that shows print, nor on the print cropped "
            "(%d,%d to %d,%d); its text layer is empty",
            engine.name,
            left,
            top,
            right,
            bottom,
        )
        return text
    log.info(
        "%s found no words on a page that shows print; read the print cropped "
        "(%d,%d to %d,%d): %d words",
        engine.name,
        left,
        top,
        right,
        bottom,
        len(again.words),
    )
    return _shifted(again, left, top, image.width, image.height)


def _shifted(text: PageText, dx: float, dy: float, width: int, height: int) -> PageText:
    """A reading of a crop whose top-left corner is at (dx, dy), on the whole image."""

    def move(w: Word) -> Word:
        a, b, c, d = ((x + dx, y + dy) for x, y in w.quad)
        quad: Quad = (a, b, c, d)
        return Word(w.text, quad, w.confidence)

    lines = tuple(Line(tuple(move(w) for w in line.words)) for line in text.lines)
    return PageText(width, height, lines, text.angle, text.language)
