"""The glyphless font of the text layer: every BMP character, nothing to paint, fixed width.

The font ships generated in ``ocr_pdf/data``; ``python -m ocr_pdf.textlayer.fonts`` rebuilds
it (needs fontTools, which is a build-time dependency only) and the tests check that the shipped
file is exactly what this code builds."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

FONT_NAME = "OcrPdfGlyphless"
UNITS_PER_EM = 1000
ADVANCE = 1000
"""Every glyph's advance width, in font units: a word of n characters at size s is n*s wide
before horizontal scaling, which the text layer then fits to the word's box. A full em:
PDFium starts a new line where a piece of text sits more than half its characters' advance
above the last (a quarter below), so with an em the steps of a skewed line written level
(textlayer.layout._shared) stay on one line even at 5 degrees (at half an em, PDFium broke
such lines after every word)."""
ASCENT = 600
DESCENT = -150
"""Ascent minus descent is three quarters of an em (BOX): a line whose ink band is h points
tall is written at h / BOX points, near the em of the print itself, whose ascenders and
descenders span about that much of it. Extractors judge lines by their font size: poppler
(pdftotext) joins lines into one column only while their baselines are within 1.5 font sizes,
so a layer sized to the bare ink band read ordinary 1.5-spaced columns row by row across the
gutter."""
BOX = (ASCENT - DESCENT) / UNITS_PER_EM

_FILE = "glyphless.ttf"
_FIXED_TIMESTAMP = 0x7C259DC0  # head.created/modified: fixed so that builds are reproducible


def font_path() -> Path:
    """The shipped font file."""
    return Path(str(resources.files("ocr_pdf") / "data" / _FILE))


def _code_points() -> list[int]:
    # All of the BMP from the space on, less the surrogates (not characters) and the two
    # non-characters at its end. Private-use code points are kept: some engines emit them.
    return [c for c in range(0x20, 0xFFFE) if not 0xD800 <= c <= 0xDFFF]


def build_glyphless_font(path: Path) -> None:
    """Write the font to ``path``.

    Each glyph is one zero-area contour, a diagonal of the em box: it paints nothing, yet gives
    the glyph a bounding box. PDFium drops rotated characters whose glyphs have no box at all
    (measured: a 90-degree word in a font of empty glyphs extracts as nothing), and viewers
    size tight selections by it. One glyph per code point keeps the cmap a handful of
    format-4 segments and lets PDF writers subset the font to the glyphs a page uses:
    ~1.6 MB on disk (~100 KB in the wheel), ~2 KB in a document."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    codes = _code_points()
    names = [".notdef"] + [f"u{c:04X}" for c in codes]
    pen = TTGlyphPen(None)
    pen.moveTo((0, DESCENT))
    pen.lineTo((ADVANCE, ASCENT))
    pen.closePath()
    glyph = pen.glyph()
    fb = FontBuilder(UNITS_PER_EM, isTTF=True)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({c: f"u{c:04X}" for c in codes})
    fb.setupGlyf({n: glyph for n in names})
    fb.setupHorizontalMetrics({n: (ADVANCE, 0) for n in names})
    fb.setupHorizontalHeader(ascent=ASCENT, descent=DESCENT)
    fb.setupNameTable({"familyName": FONT_NAME, "styleName": "Regular"})
    fb.setupOS2(
        sTypoAscender=ASCENT,
        sTypoDescender=DESCENT,
        usWinAscent=ASCENT,
        usWinDescent=-DESCENT,
        achVendID="OPDF",
    )
    fb.setupPost(keepGlyphNames=False)
    head = fb.font["head"]
    head.created = head.modified = _FIXED_TIMESTAMP
    fb.font.recalcTimestamp = False
    fb.save(str(path))


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else font_path()
    build_glyphless_font(target)
    print(f"wrote {target} ({target.stat().st_size} bytes)")
