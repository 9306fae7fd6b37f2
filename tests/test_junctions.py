"""Where the layer's lines meet (ocr_pdf/textlayer/junctions.py): lines are moved out of
reading order only where pdf.js would run two of them together on one row, never on a real
page's prose, headings or columns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ocr_pdf.textlayer
from ocr_pdf.geometry import engine_order, group_lines
from ocr_pdf.models import PageText
from tests import readers
from tests.test_order_real import REAL, reading
from tests.test_readers_azure import _scaled, convert


@pytest.mark.parametrize("name", ["linn.local", "skew.local", "skew.tesseract"])
def test_real_pages_keep_their_reading_order(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The layer of a real engine reading, in content order (pdftotext -raw), is the same with
    and without the junctions' moves. The two-line heading of linn.pdf, set tighter than half
    its size, had its second line moved below the first line of the body."""
    if "poppler-raw" not in readers.available():
        pytest.skip("pdftotext is not installed")
    data = json.loads((REAL / "readings" / f"{name}.json").read_text("utf-8"))
    size = (int(data["width"]), int(data["height"]))
    engine = name.split(".")[1]
    # In the order the engine gives them to the pipeline (see tests/test_order_real.py).
    lines = engine_order(reading(name)) if engine == "tesseract" else group_lines(reading(name))

    def read(w: int, h: int) -> PageText:
        return PageText(w, h, tuple(_scaled(ln, w / size[0], h / size[1]) for ln in lines))

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    moved = readers.READERS["poppler-raw"](convert(size, read, tmp_path / "a"))
    monkeypatch.setattr(ocr_pdf.textlayer, "untangle", lambda layouts: list(range(len(layouts))))
    kept = readers.READERS["poppler-raw"](convert(size, read, tmp_path / "b"))
    assert moved == kept
