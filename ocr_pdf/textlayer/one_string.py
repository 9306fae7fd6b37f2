"""The writer of a line that runs leftwards on the displayed page (upside-down text): the whole
line as one string (TJ), each character put in place by the string's offsets."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.textobject import PDFTextObject

from ocr_pdf.models import needs_space
from ocr_pdf.textlayer import fonts
from ocr_pdf.textlayer.operators import LineLayout, num, set_matrix, set_scale, shown

MAX_OVERLAP = 0.15  # ems by which a character may overlap the one before in one string


def write_as_one_string(text: PDFTextObject, layout: LineLayout) -> None:
    """Write a line that runs leftwards on the displayed page (upside-down text) as one TJ.

    PDFium orders separately positioned pieces of text by their position on the page, so an
    upside-down line written word by word comes out in reverse word order; the characters of
    one string keep theirs. One string means one horizontal scale for the whole line: the
    widest word's, so that characters of narrower words overlap rather than leave gaps (PDFium
    reads a gap inside a word as a space). TJ offsets put each character in place, the last
    one of a word ending exactly at the word's end (poppler reads the gap to the next word)."""
    words, places, size = layout.words, layout.places, layout.size
    texts = [shown(w) for w in words]
    naturals = [float(pdfmetrics.stringWidth(t, fonts.FONT_NAME, size)) for t in texts]
    scale = max(max(e - s, 0.01 * size) / n for (s, e, _), n in zip(places, naturals, strict=True))
    start, _, baseline = places[0]
    set_matrix(text, layout.cos, layout.sin, start, baseline)
    set_scale(text, 100 * scale)
    string = _String(start, size, scale, text._canvas._doc)
    for i, (word, t, (begin, end, _)) in enumerate(zip(words, texts, places, strict=True)):
        last = float(pdfmetrics.stringWidth(t[-1], fonts.FONT_NAME, size)) * scale
        room = places[i + 1][0] if i + 1 < len(places) else math.inf
        step = _step(len(t), begin, end, last, room, size)
        for k, char in enumerate(t):
            string.move_to(begin + k * step)
            string.show(char)
        if i + 1 < len(words) and needs_space(word.text, words[i + 1].text):
            string.move_to(max(end, string.pen - 0.5 * last))
            string.show(" ")
    string.show(" ")  # the line's end (see word_by_word._end_line)
    text._code.append(string.operators(text._canvas._escape))


def _step(length: int, begin: float, end: float, last: float, room: float, size: float) -> float:
    """The advance from one character of a word to the next (points): the word's ``length``
    characters spread from ``begin`` to ``end``, the last (``last`` wide) ending there."""
    if length < 2:
        return 0.0
    step = (end - begin - last) / (length - 1)
    # Poppler cuts a word where a character overlaps the one before by more than a fifth of
    # an em: a short word on a line of long ones keeps that much apart, as far as the gap to
    # the next word (``room``, where it begins) allows.
    wanted = last - MAX_OVERLAP * size
    return max(step, min(wanted, (room - 0.05 * size - begin - last) / (length - 1)))


class _String:
    """One TJ being built: glyph runs (font subset, encoded bytes) and offsets (thousandths of
    an em, at the string's scale) between them, with the pen's position along the line."""

    def __init__(self, pen: float, size: float, scale: float, doc: Any) -> None:
        self.pen, self.size, self.scale, self.doc = pen, size, scale, doc
        self.font = pdfmetrics.getFont(fonts.FONT_NAME)
        self.items: list[tuple[int, bytes] | float] = []

    def move_to(self, target: float) -> None:
        if abs(target - self.pen) > 1e-3:
            self.items.append((self.pen - target) * 1000 / (self.size * self.scale))
        self.pen = target

    def show(self, char: str) -> None:
        self.items.extend(self.font.splitString(char, self.doc))
        self.pen += float(pdfmetrics.stringWidth(char, fonts.FONT_NAME, self.size)) * self.scale

    def operators(self, escape: Callable[[bytes], str]) -> str:
        """The string's operators: one TJ per font subset run (a subset holds 256
        characters; most lines need one)."""
        ops: list[str] = []
        array: list[str] = []
        subset = None
        for item in self.items:
            if isinstance(item, float):
                array.append(num(item, 1))
                continue
            if item[0] != subset:
                if array:
                    ops.append(f"[{' '.join(array)}] TJ")
                    array = []
                subset = item[0]
                ops.append(
                    f"{self.font.getSubsetInternalName(subset, self.doc)} {self.size:.4f} Tf"
                )
            array.append(f"({escape(item[1])})")
        if array:
            ops.append(f"[{' '.join(array)}] TJ")
        return " ".join(ops)
