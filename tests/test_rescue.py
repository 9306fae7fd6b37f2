"""No page that shows print gets a silently empty layer: an engine that finds no words on such a
page reads the print's crop again (Tesseract reads a clean, skewed page on grey paper as
"Empty page!!" with its default page segmentation, and the same print cropped reads), and the
log says so; blank pages, specks, punch holes and black pages are not read twice."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr_pdf import make_searchable
from ocr_pdf.engines import EngineConfig, get_engine
from ocr_pdf.engines.tesseract import TesseractEngine
from ocr_pdf.models import Line, PageText, Word, quad_from_box
from tests import checks
from tests.pagegen import Block, PageSpec, make_pdf
from tests.test_empty_pages import KINDS, _pdf

WORDS = ("the", "committee", "met", "on", "tuesday", "to", "review", "the", "budget")
SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
GREY_PAGE = PageSpec(
    "grey",
    (Block(270, 300, (" ".join(WORDS[:6]), " ".join(WORDS[3:])), 38, font=SERIF),),
    width_in=8.5,
    height_in=11,
    dpi=300,
    skew=3.0,
    background=215,
    ink=80,
)
"""9 pt print, skewed by 3 degrees, on a light grey page whose white corners the skew
uncovered: Tesseract 5.3 answers "Empty page!!" with --psm 3 and with --psm 6."""


class GivesUpOnWholePages:
    """An engine like Tesseract on such a page: no words on the whole page, the print read
    when it fills most of the image it is given."""

    name = "gives-up"

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def recognize(self, image: Image.Image) -> PageText:
        self.calls.append(image.size)
        if image.width * image.height > 0.5 * 2550 * 3300:
            return PageText(image.width, image.height)
        # The crop: its words where they are printed (the page generator's layout).
        line = Line(tuple(Word(w, quad_from_box(40 + 120 * i, 80, 100, 40)) for i, w in
                          enumerate(WORDS[:3])))  # fmt: skip
        return PageText(image.width, image.height, (line,))


class NeverReads:
    name = "never-reads"

    def __init__(self) -> None:
        self.calls = 0

    def recognize(self, image: Image.Image) -> PageText:
        self.calls += 1
        return PageText(image.width, image.height)


def grey_pdf(tmp_path: Path) -> Path:
    data, _ = make_pdf([GREY_PAGE])
    src = tmp_path / "grey.pdf"
    src.write_bytes(data)
    return src


def test_a_page_read_empty_is_read_again_cropped_to_its_print(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = GivesUpOnWholePages()
    out = tmp_path / "out.pdf"
    with caplog.at_level(logging.INFO, logger="ocr_pdf"):
        result = make_searchable(grey_pdf(tmp_path), out, engine=engine, dpi=300, cache=False)
    assert result.pages[0].words == 3
    assert checks.page_text(out, 0).split() == list(WORDS[:3])
    whole, crop = engine.calls
    assert whole[0] == 2550 and crop[0] < 1000 and crop[1] < 500
    said = [r for r in caplog.records if "found no words on a page that shows print" in r.message]
    assert said and said[0].levelno == logging.INFO and "cropped" in said[0].message


def test_a_page_that_stays_empty_is_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = NeverReads()
    out = tmp_path / "out.pdf"
    with caplog.at_level(logging.INFO, logger="ocr_pdf"):
        make_searchable(grey_pdf(tmp_path), out, engine=engine, dpi=300, cache=False)
    assert engine.calls == 2
    assert checks.page_text(out, 0) == ""
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and "its text layer is empty" in warned[0].message


@pytest.mark.parametrize("kind", KINDS)
def test_pages_without_print_are_read_once(
    kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = NeverReads()
    with caplog.at_level(logging.INFO, logger="ocr_pdf"):
        make_searchable(_pdf(kind, tmp_path), tmp_path / "out.pdf", engine=engine, cache=False)
    assert engine.calls == 1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_grey_page_with_a_few_lines_of_print_is_print() -> None:
    from ocr_pdf.image.ink import text_box

    image = Image.new("L", (1275, 1650), 215)
    font = ImageFont.truetype(SERIF, 13) if Path(SERIF).exists() else ImageFont.load_default(13)
    ImageDraw.Draw(image).text((200, 300), "a few words of small print", fill=80, font=font)
    box = text_box(image.rotate(-3, fillcolor=255))
    # Turned 3 degrees clockwise about the page's middle, the line starts near (228, 280).
    assert box is not None
    assert 210 < box[0] < 245 and 265 < box[1] < 300 and 150 < box[2] - box[0] < 200


has_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="no tesseract")


@has_tesseract
@pytest.mark.slow
def test_tesseract_reads_the_page_it_calls_empty(tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    result = make_searchable(grey_pdf(tmp_path), out, engine="tesseract", cache=False)
    assert result.pages[0].words >= 9
    assert checks.page_text(out, 0).split() == [*WORDS[:6], *WORDS[3:]]


@has_tesseract
@pytest.mark.slow
def test_tesseract_reads_as_one_block_a_page_its_layout_analysis_calls_empty() -> None:
    """A clean page skewed by 5 degrees: --psm 3 finds nothing, --psm 6 reads it all."""
    lines = tuple(" ".join(WORDS) for _ in range(12))
    spec = PageSpec("skew5", (Block(250, 300, lines, 46, font=SERIF),), width_in=8.5,
                    height_in=11, dpi=300, skew=5.0)  # fmt: skip
    data, _ = make_pdf([spec])
    import pypdfium2 as pdfium

    image = pdfium.PdfDocument(data)[0].render(scale=300 / 72, grayscale=True).to_pil()
    engine = get_engine("tesseract", EngineConfig())
    inner = getattr(engine, "engine", engine)
    assert isinstance(inner, TesseractEngine)
    if inner._read(image, 3).words:
        pytest.skip("this Tesseract reads the page with its default page segmentation")
    assert len(inner.recognize(image).words) >= 100
