"""What both line writers share: a line ready to write (its words, where each goes, its
direction and font size) and the text operators they emit by hand (text matrix, horizontal
scale, numbers written short). Points, in the frame of the line's direction."""

from __future__ import annotations

import math
from dataclasses import dataclass

from reportlab.pdfgen.textobject import PDFTextObject

from ocr_pdf.models import Word, is_rtl

Place = tuple[float, float, float]
"""Where a word goes: start and end along the line's direction, and its baseline across it
(points, in the frame of that direction)."""


@dataclass(frozen=True)
class LineLayout:
    """One line ready to write: its words, where each goes, the line's direction (cos, sin)
    and its font size in points; ``turn``: degrees (counter-clockwise) the first word alone
    is turned by, a hundredth or two where pdf.js would otherwise run the line into the one
    before (see junctions.py)."""

    words: list[Word]
    places: list[Place]
    cos: float
    sin: float
    size: float
    turn: float = 0.0

    def direction(self, i: int) -> tuple[float, float]:
        """The direction word ``i`` is written in."""
        if i or not self.turn:
            return self.cos, self.sin
        t = math.radians(self.turn)
        return (
            self.cos * math.cos(t) - self.sin * math.sin(t),
            self.sin * math.cos(t) + self.cos * math.sin(t),
        )


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


def set_matrix(text: PDFTextObject, cos: float, sin: float, along: float, across: float) -> None:
    """Text matrix for direction (cos, sin) with its origin at (along, across) in that
    direction's frame (points): a hundredth of a point, a ten-thousandth of the direction."""
    x, y = along * cos - across * sin, along * sin + across * cos
    c, s = num(cos, 4), num(sin, 4)
    ns = "0" if s == "0" else (s[1:] if s.startswith("-") else "-" + s)
    text._code.append(f"{c} {s} {ns} {c} {num(x, 2)} {num(y, 2)} Tm")


def set_scale(text: PDFTextObject, percent: float, places: int = 1) -> None:
    """Horizontal scale (Tz) in percent."""
    text._code.append(f"{num(percent, places)} Tz")
