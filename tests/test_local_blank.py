"""Pages with nothing to read give the local engine no words, whatever its models make of
empty input on this CPU or another (an int8 kernel that saturates read a blank A4 page as a
"1" spanning the page on one machine, nothing on another): a page without ink never reaches
the models, a line cut from blank paper is never read, and a reading with far too few
characters for its line's length (a table rule read as "1") is dropped."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ocr_pdf.engines import EngineConfig, ppocr, textlines

has_local = pytest.mark.skipif(
    not __import__("importlib").util.find_spec("rapidocr"), reason="ocr-pdf[local] not installed"
)

SIZES = {"A4": (8.27, 11.69), "letter": (8.5, 11.0), "legal": (8.5, 14.0), "A5": (5.83, 8.27)}
DPIS = (72, 100, 150, 200, 300, 400)


def blank_pages() -> Iterator[tuple[str, Image.Image]]:
    """Blank sheets of every common size at every common resolution: white, a scanner's grey
    paper, black; grey (L) and colour (RGB) images."""
    for name, (w, h) in SIZES.items():
        for dpi in DPIS:
            size = (round(w * dpi), round(h * dpi))
            yield f"white {name} {dpi} dpi", Image.new("L", size, 255)
    yield "grey paper", Image.new("L", (1654, 2339), 228)
    yield "black", Image.new("L", (1275, 1650), 0)
    yield "white RGB", Image.new("RGB", (2480, 3508), (255, 255, 255))
    yield "cream RGB", Image.new("RGB", (1700, 2200), (250, 246, 232))


BLANK = dict(blank_pages())


def table_rules(dpi: int = 200) -> Image.Image:
    """An empty ruled table on an A4 page: rows and columns of lines, no text."""
    width, height = round(8.27 * dpi), round(11.69 * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    left, right, top, bottom = width // 10, width * 9 // 10, height // 8, height * 7 // 8
    for y in range(top, bottom + 1, max(8, dpi * 2 // 5)):
        draw.line((left, y, right, y), fill=0, width=max(1, dpi // 100))
    for x in np.linspace(left, right, 5).astype(int):
        draw.line((int(x), top, int(x), bottom), fill=0, width=max(1, dpi // 100))
    return image


class TextEverywhere:
    """A detector as a misbehaving CPU may run it: every row band across the page is text."""

    def __call__(self, pixels: np.ndarray) -> np.ndarray:
        probability = np.zeros(pixels.shape[:2], np.float32)
        for top in range(20, pixels.shape[0] - 20, 60):
            probability[top : top + 14, 8:-8] = 0.95
        return probability


class ReadsOne:
    """A recognizer as a misbehaving CPU may run it: every line is a confident "1"."""

    def read(self, line: np.ndarray) -> ppocr.Reading:
        return ppocr.Reading("1", 0.99, (ppocr.Piece("1", 0.99, 0.0, 1.0),))


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    from ocr_pdf.engines import local

    return local.RapidOcrEngine(config=EngineConfig(language="unk"))


@pytest.fixture(scope="module")
def misbehaving():  # type: ignore[no-untyped-def]
    """The engine with models that invent text wherever they are asked."""
    from ocr_pdf.engines import local

    broken = local.RapidOcrEngine(config=EngineConfig(language="en"))
    broken._detector = TextEverywhere()  # type: ignore[assignment]
    broken._full = broken._latin = ReadsOne()  # type: ignore[assignment]
    broken._upside_down = lambda lines: [0.0] * len(lines)  # type: ignore[method-assign]
    return broken


@has_local
@pytest.mark.parametrize("name", [name for name, _ in blank_pages()])
def test_a_blank_page_never_reaches_the_models(engine, misbehaving, name: str) -> None:  # type: ignore[no-untyped-def]
    image = BLANK[name]
    for reader in (engine, misbehaving):
        before = reader.reads
        page = reader.recognize(image)
        assert page.words == (), f"{name}: {page.text!r}"
        assert reader.reads == before, "a detection ran on a page without ink"
        assert (page.width, page.height) == image.size


@has_local
@pytest.mark.slow
@pytest.mark.parametrize("dpi", [100, 200, 300])
def test_an_empty_ruled_table_reads_no_words(engine, misbehaving, dpi: int) -> None:  # type: ignore[no-untyped-def]
    image = table_rules(dpi)
    for reader in (engine, misbehaving):
        page = reader.recognize(image)
        assert not any(ch.isalnum() for ch in page.text), f"{dpi} dpi: {page.text!r}"


@has_local
@pytest.mark.slow
def test_a_text_page_still_reads_where_the_models_are_sane(engine) -> None:  # type: ignore[no-untyped-def]
    """The guards cost no words: a page with text and a ruled table reads its text."""
    image = table_rules(200)
    draw = ImageDraw.Draw(image)
    from PIL import ImageFont

    font = ImageFont.load_default(36)
    draw.text((200, 120), "Invoice 4471 for Main Street", font=font, fill=0)
    draw.text((1400, 2200), "7", font=font, fill=0)  # a lone page number
    text = engine.recognize(image).text
    assert "Invoice 4471" in text and "Main Street" in text and "7" in text.split(), text


def test_ink_checks() -> None:
    white = np.full((1650, 1275), 255, np.uint8)
    assert not textlines.page_has_ink(white)
    assert not textlines.page_has_ink(np.zeros((400, 300, 3), np.uint8))
    speck = white.copy()
    speck[600:604, 600:604] = 0
    assert textlines.page_has_ink(speck)  # small, but something: the detector decides
    number = white.copy()
    number[1500:1530, 620:640] = 30  # a lone page number at 150 dpi
    assert textlines.page_has_ink(number)
    blank_line = np.full((48, 400), 250, np.uint8)
    blank_line[::7, ::5] = 244  # paper grain
    assert not textlines.line_has_ink(blank_line)
    faint = blank_line.copy()
    faint[14:34, 20:380:9] = 190  # faint print, 60 levels under its paper
    assert textlines.line_has_ink(faint)
