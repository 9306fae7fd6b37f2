"""The writer of a line that reads rightwards on the displayed page: each word a piece of text
of its own, stretched over its extent, with a space stretched over the gap to the next."""

from __future__ import annotations

from collections.abc import Callable

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.textobject import PDFTextObject

from ocr_pdf.models import needs_space
from ocr_pdf.textlayer import fonts
from ocr_pdf.textlayer.operators import LineLayout, num, set_matrix, set_scale, shown

VERTICAL_SPACE = 4.4  # points: the widest space PDFium keeps inside a line set vertically
SPACE_OVERLAP = 0.05
"""How far (in ems) a space reaches into the words on either side of it."""


def write_word_by_word(text: PDFTextObject, layout: LineLayout) -> None:
    """Write ``layout`` word by word."""
    words, places, size = layout.words, layout.places, layout.size
    space = pdfmetrics.stringWidth(" ", fonts.FONT_NAME, size)
    pen: tuple[float, float] | None = None

    def move(along: float, across: float) -> float:
        """Put the pen at (along, across) in the line's frame; return where it landed along.
        Td moves from the previous piece's start: shorter than a new Tm for each, rounded
        to 0.1 pt from where the rounded moves put the pen, so rounding never accumulates."""
        nonlocal pen
        if pen is None:
            set_matrix(text, layout.cos, layout.sin, along, across)
            pen = (along, across)
            return along
        dx, dy = round(along - pen[0], 1), round(across - pen[1], 1)
        text._code.append(f"{num(dx, 1)} {num(dy, 1)} Td")
        pen = (pen[0] + dx, pen[1] + dy)
        return pen[0]

    for i, (word, (start, end, baseline)) in enumerate(zip(words, places, strict=True)):
        chars = shown(word)
        natural = pdfmetrics.stringWidth(chars, fonts.FONT_NAME, size)
        if i == 0 and layout.turn:
            _turned(text, layout, start, baseline)
        else:
            move(start, baseline)
        set_scale(text, 100 * max(end - start, 0.01 * size) / natural)
        text.textOut(chars)
        if i + 1 < len(words) and needs_space(word.text, words[i + 1].text):
            # The space spans the gap to the next word, so that a selection has no hole, and
            # is a tenth of an em at least where words touch: PDFium drops thinner ones. It
            # reaches a little into the words on both sides: PDFium takes a piece of one
            # character (of no direction of its own) that merely touches its neighbour on a
            # vertical line (a /Rotate 90 page) for the start of a new line.
            overlap = SPACE_OVERLAP * size
            at = move(end - overlap, baseline)
            width = max(places[i + 1][0] + overlap, end + 0.1 * size) - at
            if abs(layout.sin) > abs(layout.cos):
                # On a line that runs up or down the page's user space (a page turned by
                # /Rotate, or text set sideways), PDFium starts a new line at a space wider
                # than 4.5 pt: the one-character piece is judged against the page's main
                # direction. The rest of the gap stays empty; the next word is placed anyway.
                width = min(width, VERTICAL_SPACE)
            set_scale(text, 100 * width / space, places=0)
            text.textOut(" ")
    _end_line(text, layout, move, space)


def _turned(text: PDFTextObject, layout: LineLayout, along: float, across: float) -> None:
    """Start the line's first word at (along, across) in the line's frame, in its own turned
    direction (see LineLayout.turn). The pen is left unset, so that the next piece starts a
    new text matrix in the line's own direction."""
    x = along * layout.cos - across * layout.sin
    y = along * layout.sin + across * layout.cos
    c, s = layout.direction(0)
    set_matrix(text, c, s, x * c + y * s, -x * s + y * c)


LINE_END = 0.25
"""Width (ems) of the space that ends every line."""


def _end_line(
    text: PDFTextObject, layout: LineLayout, move: Callable[[float, float], float], space: float
) -> None:
    """A space after a line's last word, on the line's first baseline. Readers that keep the
    content's order without a layout analysis (pdfminer.six inside a form XObject, pypdf)
    join lines with nothing else between them: the space keeps the last word of one line
    apart from the first of the next. On the first baseline, it is also the rightmost piece of
    the line where that baseline is: PDFium gathers the pieces that follow each other within
    half a character's width of height into one line, sorted by x, so on a skewed line
    written level in steps (see layout._level) the last step took the next line's first
    words in."""
    move(layout.places[-1][1], layout.places[0][2])
    set_scale(text, 100 * LINE_END * layout.size / space, places=0)
    text.textOut(" ")
