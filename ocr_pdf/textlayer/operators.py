"""What both line writers share: a line ready to write (its words, where each goes, its
direction and font size) and the text operators they emit by hand (text matrix, horizontal
scale, numbers written short). Points, in the frame of the line's direction."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.pdfgen.textobject import PDFTextObject

from ocr_pdf.models import Word, is_rtl

Place = tuple[float, float, float]
"""Where a word goes: start and end along the line's direction, and its baseline across it
(points, in the frame of that direction)."""


@dataclass(frozen=True)
class LineLayout:
    """One line ready to write: its words, where each goes, the line's direction (cos, sin)
    and its font size in points."""

    words: list[Word]
    places: list[Place]
    cos: float
    sin: float
    size: float


def shown(word: Word) -> str:
    """The characters of ``word`` in the order they are written."""
    # RTL words are written in visual order: extractors put glyphs back into logical order by
    # position, so logical order on the page would come out reversed.
    return word.text[::-1] if is_rtl(word.text) else word.text


def num(value: float, places: int) -> str:
    """A PDF number with at most ``places`` decimals and no trailing zeros: reportlab writes
    five, which costs ~30% of a text layer's size for precision far below a pixel."""
    out = f"{value:.{places}f}"
    if "." in out:  # only decimals are trailing zeros: 20 with no decimals is twenty
        out = out.rstrip("0").rstrip(".")
    return "0" if out in ("-0", "") else out


ACROSS = 0.9
"""How much of a line's height the glyphs of a line that runs vertically in user space (the
page is shown through /Rotate 90 or 270, or the text is sideways) cover. PDFium keeps
vertical words on one line while their boxes overlap across the line, so lines set as
tightly as the scan's would merge at full height; 0.9 keeps them apart."""


def set_matrix(text: PDFTextObject, cos: float, sin: float, along: float, across: float) -> None:
    """Text matrix for direction (cos, sin) with its origin at (along, across) in that
    direction's frame (points): a hundredth of a point, a ten-thousandth of the direction.
    Vertical lines are scaled across by ACROSS."""
    x, y = along * cos - across * sin, along * sin + across * cos
    k = ACROSS if abs(sin) > abs(cos) else 1.0
    c, s = num(cos, 4), num(sin, 4)
    kc, ks = num(k * cos, 4), num(-k * sin, 4)
    text._code.append(f"{c} {s} {ks} {kc} {num(x, 2)} {num(y, 2)} Tm")


def set_scale(text: PDFTextObject, percent: float, places: int = 1) -> None:
    """Horizontal scale (Tz) in percent."""
    text._code.append(f"{num(percent, places)} Tz")
