"""The shipped glyphless font is exactly what ocr_pdf.textlayer.fonts builds (so anyone can
rebuild and audit it), and it has what the text layer relies on."""

from __future__ import annotations

from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from ocr_pdf.textlayer import fonts


@pytest.mark.slow  # builds 65,000 glyphs
def test_the_shipped_font_is_what_the_builder_makes(tmp_path: Path) -> None:
    rebuilt = tmp_path / "glyphless.ttf"
    fonts.build_glyphless_font(rebuilt)
    assert rebuilt.read_bytes() == fonts.font_path().read_bytes()


def test_the_font_maps_the_whole_bmp_with_one_advance() -> None:
    font = TTFont(str(fonts.font_path()))
    cmap = font.getBestCmap()
    for char in "Aé中ЖאΩ€\ue000":
        assert ord(char) in cmap, char
    assert 0xD800 not in cmap  # surrogates are not characters
    widths = {advance for advance, _ in font["hmtx"].metrics.values()}
    assert widths == {fonts.ADVANCE}
    assert font["hhea"].ascent - font["hhea"].descent == fonts.BOX * fonts.UNITS_PER_EM
