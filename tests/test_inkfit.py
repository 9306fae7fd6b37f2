"""Words fitted to their ink: whatever boxes an engine gives (axis-aligned ones on a skewed
scan, a recogniser's guesses, already exact ones), each word's selection box in the output
(pypdfium2's character boxes) lands on the word's ink across its line's height; words an
engine ran together come apart; noise, punctuation, touching words, CJK, right-to-left and
vertical text keep their boxes on their own ink."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr_pdf import inkfit, make_searchable
from ocr_pdf.geometry import group_lines
from ocr_pdf.inkfit import refine
from ocr_pdf.models import Line, PageText, Point, Quad, Word, quad_bounds, quad_from_box
from tests import checks
from tests.pagegen import Block, PageSpec, TruthPage, make_pdf

Spoil = Callable[[int, Quad], Quad]


class Answering:
    """An engine that answers from a generated page's truth, each word's quad spoiled the way
    a real engine spoils it; ``glue`` runs every pair of words starting at those indexes in a
    line together, as an engine that missed the space does."""

    name = "answering"

    def __init__(self, truth: TruthPage, spoil: Spoil, glue: tuple[int, ...] = ()) -> None:
        self.truth, self.spoil, self.glue = truth, spoil, glue

    def recognize(self, image: Image.Image) -> PageText:
        w, h = image.size
        lines, n = [], 0
        for truth_line in self.truth.lines:
            words: list[Word] = []
            for k, t in enumerate(truth_line):
                a, b, c, d = ((x * w, y * h) for x, y in t.display_quad)
                quad = self.spoil(n, (a, b, c, d))
                n += 1
                if k - 1 in self.glue and words:
                    prev = words.pop()
                    x0, y0, x1, y1 = quad_bounds((*prev.quad, *quad))
                    glued = quad_from_box(x0, y0, x1 - x0, y1 - y0)
                    words.append(Word(prev.text + t.text, glued))
                else:
                    words.append(Word(t.text, quad))
            lines.append(Line(tuple(words)))
        return PageText(w, h, group_lines(lines))


def as_rectangles(n: int, quad: Quad) -> Quad:
    """Tesseract: the axis-aligned bounds of each word."""
    left, top, right, bottom = quad_bounds(quad)
    return quad_from_box(left, top, right - left, bottom - top)


def as_guesses(n: int, quad: Quad) -> Quad:
    """RapidOCR: word ends guessed from the recogniser's steps (off by up to a third of the
    line height either way), the detector's box padded by a third of the height across."""
    (ax, ay), (bx, by), (cx, cy), (dx, dy) = quad
    height = ((dx - ax) ** 2 + (dy - ay) ** 2) ** 0.5
    shift = ((n * 7) % 5 - 2) / 6 * height  # -1/3 .. 1/3 of the height, word by word
    grow = ((n * 3) % 4 - 1) / 8 * height
    ux = (bx - ax) / max(abs(bx - ax) + abs(by - ay), 1e-9)
    pad = height / 3
    return (
        (ax + shift * ux - grow, ay - pad),
        (bx + shift * ux + grow, by - pad),
        (cx + shift * ux + grow, cy + pad),
        (dx + shift * ux - grow, dy + pad),
    )


def exact(n: int, quad: Quad) -> Quad:
    """Azure: each word's own box."""
    return quad


PROSE = (
    "The quick brown fox jumps over the lazy dog",
    "while seven wizards quietly hex a jolly judge,",
    "and (of course) the clerk signs the minutes.",
    "Invoice number 4471 is due on delivery today",
)


def page(name: str, **extra: Any) -> PageSpec:
    block = Block(60, 60, PROSE, size=30, font=checks_font())
    return PageSpec(name, (block,), width_in=6.0, height_in=2.2, dpi=150, **extra)


def checks_font() -> str | None:
    path = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
    return str(path) if path.exists() else None


def convert(spec: PageSpec, engine: Callable[[TruthPage], object], tmp_path: Path) -> list[float]:
    """Selection IoUs of each word of ``spec`` converted with the engine made for its truth;
    every word is in the layer. (On a page skewed by five degrees a long line climbs more than
    a line's pitch, and PDFium may take the end of one line for the start of the next: the
    words, not their order, are checked.)"""
    data, truths = make_pdf([spec])
    src, out = tmp_path / "scan.pdf", tmp_path / "out.pdf"
    src.write_bytes(data)
    make_searchable(src, out, engine=engine(truths[0]), dpi=spec.dpi, cache=False)
    words = checks.page_text(out, 0).split()
    assert sorted(words) == sorted(checks.expected_text(truths[0]).split())
    return checks.selection_ious(out, 0, truths[0])


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


@pytest.mark.parametrize("skew", [-4.0, 2.0, 5.0])
def test_axis_aligned_boxes_on_a_skewed_scan_land_on_the_ink(skew: float, tmp_path: Path) -> None:
    """Tesseract's rectangles on a skewed scan cover the climb of each line: written as they
    are, a line's font is as tall as its climb and every word's selection spans neighbouring
    lines (IoU 0.4 to 0.6 at 2 to 5 degrees)."""
    ious = convert(page("skewed", skew=skew), lambda t: Answering(t, as_rectangles), tmp_path)
    # Lines are written level word by word (see textlayer.SNAP_DEGREES): a skewed word's
    # own bounds are taller than the line, so IoU cannot reach 1 there; the line's font grows
    # by the climb of a median word (textlayer.layout._grown_size: 0.79 -> 0.84 at 5 degrees).
    assert mean(ious) > {2.0: 0.85, -4.0: 0.83, 5.0: 0.82}[skew]
    assert min(ious) > 0.5


def test_guessed_word_ends_move_to_the_ink(tmp_path: Path) -> None:
    """RapidOCR's word boxes are guesses: off by a third of a line, padded by a third."""
    ious = convert(page("upright"), lambda t: Answering(t, as_guesses), tmp_path)
    assert mean(ious) > 0.93
    assert min(ious) > 0.75


@pytest.mark.parametrize(
    "extra",
    [{}, {"rotate": 90}, {"skew": -3.0}, {"turn": 90}, {"turn": 180}, {"noise": True}],
    ids=["upright", "rotate90", "skewed", "sideways", "upside-down", "noise"],
)
def test_exact_boxes_stay_exact(
    extra: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Boxes that already fit (Azure's) are never made worse."""
    spec = page("exact", **extra)
    refined = convert(spec, lambda t: Answering(t, exact), tmp_path)
    monkeypatch.setattr(inkfit, "refine", lambda text, image: text)
    given = convert(spec, lambda t: Answering(t, exact), tmp_path)
    assert mean(refined) >= mean(given) - 0.005
    assert min(refined) > 0.5


def test_words_run_together_come_apart(tmp_path: Path) -> None:
    """An engine that missed the space in 'quickbrown', 'lazydog', 'Invoicenumber', ...: the
    gap in the ink says where the second word starts."""
    spec = page("glued")
    data, truths = make_pdf([spec])
    src, out = tmp_path / "scan.pdf", tmp_path / "out.pdf"
    src.write_bytes(data)
    engine = Answering(truths[0], exact, glue=(0, 2, 6))
    glued = [w.text for w in engine.recognize(Image.new("L", (900, 330))).words]
    assert "Thequick" in glued and "Invoicenumber" in glued
    make_searchable(src, out, engine=engine, dpi=150, cache=False)
    assert checks.page_text(out, 0).split() == checks.expected_text(truths[0]).split()
    assert mean(checks.selection_ious(out, 0, truths[0])) > 0.93


# -- the ink itself ----------------------------------------------------------------------------


FONT = checks_font()


def drawn(words: list[tuple[str, float]], y: float = 40, size: int = 40) -> tuple[
    Image.Image, list[tuple[str, tuple[int, int, int, int]]]
]:  # fmt: skip
    """A white image with each (text, x) drawn at height y, and each word's ink bounds."""
    font = ImageFont.truetype(FONT, size) if FONT else ImageFont.load_default(size)
    image = Image.new("L", (900, 160), 255)
    draw = ImageDraw.Draw(image)
    inks = []
    for text, x in words:
        single = Image.new("L", image.size, 255)
        ImageDraw.Draw(single).text((x, y), text, font=font, fill=0)
        bbox = single.point(lambda v: 255 if v < 128 else 0).getbbox()
        assert bbox is not None
        inks.append((text, bbox))
        draw.text((x, y), text, font=font, fill=0)
    return image, inks


Boxes = Sequence[tuple[str, tuple[float, float, float, float]]]


def answer(image: Image.Image, boxes: Boxes) -> PageText:
    words = [Word(t, quad_from_box(x0, y0, x1 - x0, y1 - y0)) for t, (x0, y0, x1, y1) in boxes]
    return PageText(image.width, image.height, (Line(tuple(words)),))


def spans(text: PageText) -> list[tuple[str, float, float]]:
    return [(w.text, quad_bounds(w.quad)[0], quad_bounds(w.quad)[2]) for w in text.words]


def test_noise_punctuation_and_touching_words() -> None:
    # "end." and "(see" keep their punctuation; "ab" and "cd" touch; specks of dust lie in a
    # gap and above the line.
    image, inks = drawn([("end.", 40), ("(see", 160), ("ab", 300), ("cd", 0), ("x", 520)])
    ab = inks[2][1]
    image, inks = drawn([("end.", 40), ("(see", 160), ("ab", 300), ("cd", ab[2] - 1), ("x", 520)])
    draw = ImageDraw.Draw(image)
    draw.rectangle((130, 70, 132, 72), fill=0)  # in the gap between "end." and "(see"
    draw.rectangle((700, 10, 702, 12), fill=0)  # above the line, away from every word
    line_top = min(b[1] for _, b in inks)
    line_bottom = max(b[3] for _, b in inks)
    # Boxes as a rough engine gives them: padded, shifted, the touching pair cut off-centre.
    rough = [(text, (b[0] - 9, b[1] - 12, b[2] + 6, b[3] + 10)) for text, b in inks]
    rough[2] = ("ab", (ab[0] - 9, ab[1] - 12, ab[2] + 5, ab[3] + 10))
    rough[3] = ("cd", (ab[2] + 6, ab[1] - 12, inks[3][1][2] + 6, ab[3] + 10))
    fitted = refine(answer(image, rough), image)
    for (text, ink), (got, left, right) in zip(inks, spans(fitted), strict=True):
        assert got == text
        tolerance = 3 if text in ("ab", "cd") else 1  # touching letters share a column
        assert abs(left - ink[0]) <= tolerance, text
        assert abs(right - ink[2]) <= tolerance, text
    for w in fitted.words:
        _, top, _, bottom = quad_bounds(w.quad)
        assert (top, bottom) == (line_top, line_bottom)


def test_refining_twice_changes_nothing() -> None:
    image, inks = drawn([("Refine", 40), ("twice,", 220), ("same", 400), ("boxes", 560)])
    rough = [(t, (b[0] - 7, b[1] - 9, b[2] + 8, b[3] + 9)) for t, b in inks]
    once = refine(answer(image, rough), image)
    twice = refine(once, image)
    assert [w.quad for w in twice.words] == [w.quad for w in once.words]


def test_cjk_characters_each_get_their_own_ink() -> None:
    cjk_font = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    if not cjk_font.exists():
        pytest.skip("no CJK font (fonts-wqy-microhei)")
    font = ImageFont.truetype(str(cjk_font), 40)
    image = Image.new("L", (600, 120), 255)
    draw = ImageDraw.Draw(image)
    inks = []
    for k, ch in enumerate("吸烟有害健康"):
        x = 40 + 46 * k
        draw.text((x, 30), ch, font=font, fill=0)
        inks.append((ch, draw.textbbox((x, 30), ch, font=font)))
    # An engine whose character boxes drift by half a character towards the end of the line.
    rough = [(t, (b[0] + 4 * k, b[1] - 5, b[2] + 4 * k, b[3] + 5)) for k, (t, b) in enumerate(inks)]
    fitted = refine(answer(image, rough), image)
    for (ch, ink), (got, left, right) in zip(inks, spans(fitted), strict=True):
        assert got == ch
        assert abs(left - ink[0]) <= 3 and abs(right - ink[2]) <= 3, ch


def test_right_to_left_and_vertical_lines() -> None:
    image, inks = drawn([("שלום", 40), ("עולם", 200), ("יפה", 360)])
    # The engine lists the words in logical order: the rightmost first.
    rough = [(t, (b[0] - 8, b[1] - 10, b[2] + 8, b[3] + 10)) for t, b in reversed(inks)]
    fitted = refine(answer(image, rough), image)
    assert [w.text for w in fitted.words] == ["יפה", "עולם", "שלום"]
    for (text, ink), (got, left, right) in zip(reversed(inks), spans(fitted), strict=True):
        assert got == text and abs(left - ink[0]) <= 1 and abs(right - ink[2]) <= 1
    # The same line turned to run down the image (90 degrees clockwise).
    image, inks = drawn([("down", 40), ("the", 200), ("page", 320)])
    turned = image.transpose(Image.Transpose.ROTATE_270)  # clockwise: (x, y) -> (H - y, x)
    height = image.height

    def turn(p: Point) -> Point:
        return (height - p[1], p[0])

    words = []
    for text, (x0, y0, x1, y1) in inks:
        corners = ((x0 - 8, y0 - 9), (x1 + 8, y0 - 9), (x1 + 8, y1 + 9), (x0 - 8, y1 + 9))
        a, b, c, d = (turn(p) for p in corners)
        words.append(Word(text, (a, b, c, d)))
    fitted = refine(PageText(turned.width, turned.height, (Line(tuple(words)),)), turned)
    for (text, (x0, _, x1, _)), w in zip(inks, fitted.words, strict=True):
        _, top, _, bottom = quad_bounds(w.quad)
        assert abs(top - x0) <= 1 and abs(bottom - x1) <= 1, text  # along the line: down
        assert w.quad[0] == pytest.approx(turn((x0, min(b[1] for _, b in inks))), abs=1.01)


def test_ink_it_cannot_find_leaves_the_box_alone() -> None:
    image = Image.new("L", (400, 100), 255)  # nothing printed
    text = answer(image, [("ghost", (40, 30, 140, 60))])
    assert refine(text, image) == text
    image, _ = drawn([("word", 40)])
    steep = Word("word", ((40, 40), (140, 80), (120, 130), (20, 90)))  # 22 degrees
    off = Word("off", quad_from_box(880, 40, 60, 40))  # half off the image's edge
    text = PageText(image.width, image.height, (Line((steep,)), Line((off,))))
    assert refine(text, image).words == (steep, off)


def test_numbers_and_punctuation_are_not_split_at_wide_gaps() -> None:
    """A gap as wide as a space inside "1,250" (a 1's wide side bearing at low resolution) or
    before a closing bracket is not a missed space; inside "wordsglued" it is."""
    font = ImageFont.truetype(FONT, 40) if FONT else ImageFont.load_default(40)
    space = font.getlength(" ")
    pieces, x = [], 40.0
    for text in ("total", "1", ",250", "(see", ")", "words", "glued", "here"):
        pieces.append((text, x))
        x += font.getlength(text) + space
    image, inks = drawn(pieces)
    box = {t: (b[0] - 2, b[1] - 2, b[2] + 2, b[3] + 2) for t, b in inks}

    def union(first: str, second: str) -> tuple[float, float, float, float]:
        return (box[first][0], box[first][1], box[second][2], box[second][3])

    merged = [
        ("total", box["total"]),
        ("1,250", union("1", ",250")),
        ("(see)", union("(see", ")")),
        ("wordsglued", union("words", "glued")),
        ("here", box["here"]),
    ]
    fitted = refine(answer(image, merged), image)
    assert [w.text for w in fitted.words] == ["total", "1,250", "(see)", "words", "glued", "here"]


def test_light_print_on_a_dark_ground() -> None:
    image, inks = drawn([("white", 40), ("on", 200), ("black", 300)])
    inverted = image.point(lambda v: 255 - v)
    rough = [(t, (b[0] - 8, b[1] - 10, b[2] + 8, b[3] + 10)) for t, b in inks]
    fitted = refine(answer(inverted, rough), inverted)
    for (text, ink), (got, left, right) in zip(inks, spans(fitted), strict=True):
        assert got == text and abs(left - ink[0]) <= 1 and abs(right - ink[2]) <= 1


def test_a_word_the_engine_cut_in_two_stays_one() -> None:
    """Tesseract read "4471" as "447" (its box over the whole number) and "1" inside it:
    fitted apart, the pieces would extract as "447 1"."""
    image = Image.new("L", (900, 600), 255)
    font = ImageFont.load_default(size=48)
    ImageDraw.Draw(image).text((60, 80), "Invoice number 4471", fill=0, font=font)
    boxes = [
        ("Invoice", (65.0, 94.0, 214.0, 128.0)),
        ("number", (230.0, 91.0, 397.0, 128.0)),
        ("447", (409.0, 94.0, 511.0, 127.0)),
        ("1", (494.0, 87.0, 516.0, 137.0)),
    ]
    fitted = refine(answer(image, boxes), image)
    assert [w.text for w in fitted.words] == ["Invoice", "number", "4471"]
    left, _, right, _ = quad_bounds(fitted.words[2].quad)
    assert 405 <= left <= 412 and 508 <= right <= 516  # the number's own ink


def test_a_capital_initial_is_never_cut_off() -> None:
    """A serif W, V or F stands apart from the letter after it (hard scans' tables): "Winter"
    stays whole where "approvedthe" and "QUANTITYREQUIRED" are cut at their missed space."""
    from ocr_pdf.inkfit.text import split_index

    assert split_index("Winter", 0.2) is None and split_index("Village", 0.15) is None
    assert split_index("approvedthe", 0.73) == 8
    assert split_index("QUANTITYREQUIRED", 0.5) == 8


@pytest.mark.parametrize("turn", [90, 270])
def test_sideways_words_are_selected_at_full_height(turn: int, tmp_path: Path) -> None:
    """A line that runs down the page is written as tall as its words (a layer once set
    vertical lines at 0.9 of their height, every word's selection a tenth short)."""
    ious = convert(page("sideways", turn=turn), lambda t: Answering(t, exact), tmp_path)
    assert mean(ious) > 0.95 and min(ious) > 0.85
