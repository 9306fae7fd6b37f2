"""Straightening a page from its one reading (ocr_pdf.reading.straighten): the turn and skew
answered from a reading are the ones that set generated scans upright and level (measured on
the image by an independent projection profile), and a reading carried onto the page once it
has been turned, scaled and deskewed lands where the words are printed there."""

from __future__ import annotations

import io
import math

import pypdfium2 as pdfium
import pytest
from PIL import Image

from ocr_pdf.image import ink
from ocr_pdf.models import Line, PageText, Quad, Word
from ocr_pdf.reading import straighten
from tests import straightness
from tests.pagegen import BODY, Block, PageSpec, TruthPage, make_pdf

BLOCKS = (
    Block(40, 30, ("Quarterly Report Summary",), size=30),
    Block(40, 100, BODY, size=22),
    Block(40, 220, ("Invoice number 4471 due on delivery", "of goods to Main Street 12"), size=22),
)


def scan(spec: PageSpec) -> tuple[Image.Image, TruthPage]:
    """The displayed image of a generated page (at its own dpi) and its truth."""
    data, (truth,) = make_pdf([spec])
    doc = pdfium.PdfDocument(io.BytesIO(data))
    try:
        image = doc[0].render(scale=spec.dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        doc.close()
    return image, truth


def reading(image: Image.Image, truth: TruthPage, boxes: bool = False) -> PageText:
    """The truth as an engine would report it on ``image``: each word's quad in pixels (with
    ``boxes``, its axis-aligned bounds, as Tesseract reports words)."""
    w, h = image.size
    lines = []
    for words in truth.lines:
        out = []
        for word in words:
            quad: Quad = tuple((x * w, y * h) for x, y in word.display_quad)  # type: ignore[assignment]
            if boxes:
                x0, x1 = min(p[0] for p in quad), max(p[0] for p in quad)
                y0, y1 = min(p[1] for p in quad), max(p[1] for p in quad)
                quad = ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
            out.append(Word(word.text, quad, 0.95))
        lines.append(Line(tuple(out)))
    return PageText(w, h, tuple(lines))


@pytest.mark.parametrize("skew", [3.0, -4.5, 0.8])
@pytest.mark.parametrize("boxes", [False, True], ids=["quads", "boxes"])
def test_the_skew_answered_levels_the_page(skew: float, boxes: bool) -> None:
    """Turned counter-clockwise by the answer, as OCRmyPDF turns it (Pillow's rotate), the
    page's lines are level: the answer has the skew's sign and size."""
    image, truth = scan(PageSpec("skewed", BLOCKS, 6.0, 4.0, dpi=150, skew=skew))
    answer = straighten.skew(reading(image, truth, boxes))
    assert answer == pytest.approx(skew, abs=0.15)
    assert straightness.skew(image) == pytest.approx(skew, abs=0.15)  # the measure agrees
    levelled = image.rotate(answer, Image.Resampling.BICUBIC, fillcolor=255)
    assert abs(straightness.skew(levelled)) <= 0.1


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_orientation_is_the_turn_of_the_text(turn: int) -> None:
    image, truth = scan(PageSpec("turned", BLOCKS, 6.0, 4.0, dpi=150, turn=turn, skew=1.5))
    found = straighten.orientation(reading(image, truth))
    assert found.facing == turn
    # Twelve lines' worth of characters: far above OCRmyPDF's thresholds (14; paperless 12).
    assert found.confidence >= 50


def test_no_words_no_turn() -> None:
    assert straighten.orientation(PageText(100, 100)) == straighten.Orientation(0, 0.0)
    assert straighten.skew(PageText(100, 100)) == 0.0


def test_a_few_characters_are_not_sure() -> None:
    words = (Word("ok", ((0, 40), (0, 10), (10, 10), (10, 40))),)  # running up the page
    found = straighten.orientation(PageText(100, 100, (Line(words),)))
    assert found.facing == 270 and found.confidence < 12


def straightened(image: Image.Image, turn: int, scale: float, rotate: float) -> Image.Image:
    """What OCRmyPDF makes of a page image: rendered turned and at another resolution, then
    deskewed with Pillow's rotate (white corners)."""
    transposed = {90: Image.Transpose.ROTATE_270, 270: Image.Transpose.ROTATE_90}
    turned = image.transpose(transposed[turn]) if turn else image
    size = (round(turned.width * scale), round(turned.height * scale))
    return turned.resize(size, Image.Resampling.BICUBIC).rotate(
        rotate, Image.Resampling.BICUBIC, fillcolor=255
    )


def test_a_reading_carried_onto_the_straightened_page_lands_on_its_words() -> None:
    """A page scanned sideways and skewed, read once; OCRmyPDF turns it upright at 1.5 times
    the resolution and deskews it: the carried words sit where an upright, level scan of the
    same page (drawn 1.5 times larger) has them."""
    spec = PageSpec("sideways", BLOCKS, 6.0, 4.0, dpi=150, turn=90, skew=2.0)
    image, truth = scan(spec)
    text = reading(image, truth)
    turn = (360 - straighten.orientation(text).facing) % 360
    rotate = straighten.skew(text)
    target = straightened(image, turn, 1.5, rotate)
    carried = straighten.carry(
        text, straighten.thumbnail(image), target, straighten.Straightening(turn, rotate)
    )
    assert carried is not None and carried.text == text.text
    _, upright = scan(PageSpec("upright", BLOCKS, 6.0, 4.0, dpi=150))
    printed = [w for ln in upright.lines for w in ln]
    for word, truth_word in zip(carried.words, printed, strict=True):
        assert word.text == truth_word.text
        expected = [(x * target.width, y * target.height) for x, y in truth_word.display_quad]
        height = expected[3][1] - expected[0][1]
        centre = [sum(c) / 4 for c in zip(*word.quad, strict=True)]
        truth_centre = [sum(c) / 4 for c in zip(*expected, strict=True)]
        assert math.dist(centre, truth_centre) <= 0.35 * height, word.text


def test_an_image_turned_otherwise_is_not_carried_onto() -> None:
    """If the image was turned some other way than the answers say (another tool, another
    OCRmyPDF), the reading is not carried: the caller reads the image itself."""
    image, truth = scan(PageSpec("sideways", BLOCKS, 6.0, 4.0, dpi=150, turn=90))
    text, seen = reading(image, truth), straighten.thumbnail(image)
    wrong = straightened(image, 90, 1.0, 0.0)  # turned further instead of back
    assert straighten.carry(text, seen, wrong, straighten.Straightening(270, 0.0)) is None
    upside_down = straightened(image, 270, 1.0, 0.0).rotate(180)  # same size, other content
    assert straighten.carry(text, seen, upside_down, straighten.Straightening(270, 0.0)) is None
    right = straightened(image, 270, 1.0, 0.0)
    assert straighten.carry(text, seen, right, straighten.Straightening(270, 0.0)) is not None


def test_likeness() -> None:
    image, _ = scan(PageSpec("page", BLOCKS, 6.0, 4.0, dpi=100))
    assert ink.likeness(image, image) == pytest.approx(1.0)
    assert ink.likeness(image, image.rotate(180)) < straighten.LIKENESS
    blank = Image.new("L", (50, 50), 255)
    assert ink.likeness(blank, blank) == 1.0
