"""Reading order from the geometry of the words, whatever an engine's blocks and lines say: two
and three columns inside one legacy /ocr region come out column by column in pdftotext and
pypdfium2; headers and footers before and after the columns; forms and tables row by row;
right-to-left pages from the right; vertical text in its own direction."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import ImageFont

from ocr_pdf.cli import main
from ocr_pdf.geometry import engine_order, order_blocks, reading_order
from ocr_pdf.models import Line, Quad, Word
from tests import checks
from tests.conftest import FAKE_KEY
from tests.pagegen import Block, PageSpec, make_pdf
from tests.standin import StandIn

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])


def word(text: str, x: float, y: float, h: float = 20.0, w: float | None = None) -> Word:
    """An upright word with its top-left corner at (x, y), about 10 px per letter."""
    w = 10.0 * len(text) if w is None else w
    quad: Quad = ((x, y), (x + w, y), (x + w, y + h), (x, y + h))
    return Word(text, quad)


def line(x: float, y: float, *texts: str, h: float = 20.0) -> Line:
    words, at = [], x
    for t in texts:
        words.append(word(t, at, y, h))
        at += 10 * len(t) + 6  # a space of 0.3 line heights
    return Line(tuple(words))


def texts(lines: tuple[Line, ...]) -> list[str]:
    return [ln.text for ln in lines]


LEFT = [f"left {n} of the first column text" for n in range(1, 6)]
RIGHT = [f"right {n} of the second column text" for n in range(1, 6)]


def two_columns(gutter: float) -> list[Line]:
    """Rows of two columns on the same baselines, listed as a legacy region lists them: each
    row's left line, then its right line."""
    out = []
    for n, (a, b) in enumerate(zip(LEFT, RIGHT, strict=True)):
        out.append(line(100, 100 + 30 * n, *a.split()))
        out.append(line(100 + 320 + gutter, 100 + 30 * n, *b.split()))
    return out


@pytest.mark.parametrize("gutter", [20, 40, 120])  # one, two and six line heights
def test_columns_inside_one_block_read_column_by_column(gutter: float) -> None:
    assert texts(order_blocks([two_columns(gutter)])) == LEFT + RIGHT


def test_a_line_across_the_gutter_is_cut_there() -> None:
    # An engine that ran each row across a gutter of two line heights into one line.
    rows = []
    for n, (a, b) in enumerate(zip(LEFT, RIGHT, strict=True)):
        left, right = line(100, 100 + 30 * n, *a.split()), line(460, 100 + 30 * n, *b.split())
        rows.append(Line(left.words + right.words))
    assert texts(reading_order(rows)) == LEFT + RIGHT


def test_header_and_footer_come_before_and_after_the_columns() -> None:
    header = line(100, 20, "Annual", "report", "of", "the", "library", "committee", "for", "2026")
    footer = line(100, 400, "page", "2", "of", "9")
    lines = [footer, *reversed(two_columns(40)), header]
    assert texts(reading_order(lines)) == [header.text, *LEFT, *RIGHT, footer.text]


def test_three_columns_and_a_column_longer_than_the_others() -> None:
    cols = [[f"column {c} line {n} says more" for n in range(1, 7 - c)] for c in range(3)]
    lines = [
        line(100 + 300 * c, 100 + 30 * n, *t.split())
        for c, col in enumerate(cols)
        for n, t in enumerate(col)
    ]
    lines.sort(key=lambda ln: ln.words[0].quad[0][1])  # service order: row by row
    assert texts(reading_order(lines)) == [t for col in cols for t in col]


def test_forms_and_tables_read_row_by_row() -> None:
    rows = [("Name:", "Ada Lovelace"), ("Date:", "10 December 1815"), ("Total:", "12.99")]
    lines = []
    for n, (label, value) in enumerate(rows):
        lines.append(line(100, 100 + 30 * n, label))
        lines.append(line(400, 100 + 30 * n, *value.split()))
    lines.reverse()
    assert texts(reading_order(lines)) == [t for row in rows for t in (row[0], row[1])]


def test_widely_spaced_words_that_line_up_are_not_a_gutter() -> None:
    # Justified lines whose wide spaces happen to line up: one column, read line by line.
    a = Line((word("wing", 100, 100), word("after", 200, 100), word("long", 300, 100)))
    b = Line((word("talk", 100, 130), word("it", 200, 130), word("is", 300, 130)))
    c = Line((word("done", 100, 160), word("for", 200, 160), word("now", 300, 160)))
    assert texts(reading_order([c, b, a])) == ["wing after long", "talk it is", "done for now"]


def test_right_to_left_page_reads_its_columns_from_the_right() -> None:
    right = [line(500, 100 + 30 * n, "שלום", "עולם", "יפה", "מאוד", "היום") for n in range(3)]
    left = [line(100, 100 + 30 * n, "תודה", "רבה", "לכם", "חברים", "יקרים") for n in range(3)]
    ordered = reading_order([*left, *right])
    assert [ln.words[0].quad[0][0] > 300 for ln in ordered] == [True] * 3 + [False] * 3
    # Each line's words in logical order: the rightmost word first.
    first = ordered[0]
    assert [w.text for w in first.words] == ["היום", "מאוד", "יפה", "עולם", "שלום"]


def test_vertical_text_reads_down_each_line_and_lines_right_to_left() -> None:
    # Text turned 90 degrees clockwise: each line runs down the image, the next line is to
    # its left (a sideways page, or vertical CJK).
    def down(text: str, x: float, y: float) -> Word:
        h = 10.0 * len(text)
        quad: Quad = ((x + 20, y), (x + 20, y + h), (x, y + h), (x, y))
        return Word(text, quad)

    lines = [
        Line((down("first", 300, 100), down("line", 300, 166))),
        Line((down("second", 260, 100), down("line", 260, 176))),
        Line((down("third", 220, 100), down("line", 220, 166))),
    ]
    assert texts(reading_order(list(reversed(lines)))) == [
        "first line",
        "second line",
        "third line",
    ]


BODY = (
    "the committee met on tuesday to review",
    "the annual budget and agreed to fund",
    "the new library wing after a long talk",
    "about the costs of heating and repairs",
)
OTHER = (
    "members asked whether the contractor",
    "could finish before winter and the",
    "chair promised a written answer by",
    "the end of the month while the clerk",
)
THIRD = (
    "reported that donations had risen by",
    "twelve percent compared with the last",
    "year thanks to the spring fair and the",
    "letters of several residents in town",
)


def columns_page(count: int, gutter: int) -> PageSpec:
    """Prose columns as wide as their longest line (150 dpi, 20 px type) with the given
    gutter between them, a header across them and a footer."""
    cols = (BODY, OTHER, THIRD)[:count]
    font = ImageFont.load_default(20)
    width = max(font.getlength(t) for rows in cols for t in rows)
    blocks = [Block(40, 20, ("Quarterly Report Summary of the Library",), size=30)]
    blocks += [
        Block(round(40 + c * (width + gutter)), 120, rows, size=20) for c, rows in enumerate(cols)
    ]
    blocks.append(Block(40, 300, ("Signed in Berlin on Monday",), size=20))
    page = (80 + count * width + (count - 1) * gutter) / 150
    return PageSpec(f"cols{count}-{gutter}", tuple(blocks), width_in=page, height_in=2.4)


@pytest.mark.parametrize(("count", "gutter"), [(2, 30), (2, 60), (3, 30)])
def test_legacy_answer_with_every_column_in_one_region(
    count: int, gutter: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A legacy /ocr answer that lists the lines of all columns in one region, row by row:
    the layer holds each column whole, in order, header first, footer last, as pypdfium2 and
    `pdftotext -raw` (poppler in the layer's own order) read it, and plain `pdftotext` too:
    poppler's layout analysis joins the lines of a column into one block only while their font
    sizes agree within 5% and their baselines are within 1.5 sizes, so the layer gives the
    lines of one print one size near the print's em (it read row by row across the gutter).
    Where poppler puts the footer, under the first column or last, is its own choice."""
    spec = columns_page(count, gutter)
    data, truths = make_pdf([spec])
    src, out = tmp_path / "scan.pdf", tmp_path / "out.pdf"
    src.write_bytes(data)
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    with StandIn(key=FAKE_KEY, pages=truths, one_region=True) as standin:
        args = [str(src), str(out), "--engine", "azure-ocr", "--endpoint", standin.endpoint]
        assert main([*args, "--dpi", "150", "--no-cache", "-q"]) == 0
    expected = [t for b in spec.blocks for t in b.lines]
    assert checks.page_text(out, 0).split("\n") == expected
    exe = shutil.which("pdftotext")
    if exe is None:
        return  # poppler-utils not installed
    raw = subprocess.run([exe, "-raw", str(out), "-"], capture_output=True, text=True, check=True)
    assert [ln for ln in raw.stdout.splitlines() if ln.strip()] == expected
    laid_out = [ln for ln in (checks.pdftotext(out, 0) or "").splitlines() if ln.strip()]
    assert sorted(laid_out) == sorted(expected)
    footer = spec.blocks[-1].lines[0]
    assert [ln for ln in laid_out if ln != footer] == [ln for ln in expected if ln != footer]


# -- an engine's own order, kept where the geometry agrees ---------------------------------


def test_engine_order_kept_where_consistent() -> None:
    """A layout the geometry alone misreads: a photo's caption crossing the gutter between two
    columns cuts them in two sections, which the geometry reads top half, caption, bottom
    half. Tesseract's blocks read it right (each column whole, the caption after them); that
    order is kept."""
    left = [line(100, 100 + 30 * n, *t.split()) for n, t in enumerate(LEFT + RIGHT)]
    right = [line(440, 100 + 30 * n, *t.split()) for n, t in enumerate(RIGHT + LEFT)]
    for column in (left, right):
        column[5:] = [Line(tuple(shifted(w, 90) for w in ln.words)) for ln in column[5:]]
    caption = line(250, 260, "a", "caption", "that", "crosses", "the", "gutter")
    given = [*left, *right, caption]
    assert texts(reading_order(given)) != texts(tuple(given))
    assert texts(engine_order(given)) == texts(tuple(given))


def shifted(w: Word, dy: float) -> Word:
    a, b, c, d = ((x, y + dy) for x, y in w.quad)
    return Word(w.text, (a, b, c, d))


def test_engine_order_replaced_when_it_interleaves_columns() -> None:
    """A legacy region's row-by-row listing of two columns: the geometry's order instead."""
    assert texts(engine_order(two_columns(40))) == LEFT + RIGHT


def test_engine_order_replaced_when_its_lines_cross_the_gutter() -> None:
    """Engine lines that run across the gutter are cut there, the columns read one by one."""
    rows = []
    for n, (a, b) in enumerate(zip(LEFT, RIGHT, strict=True)):
        left, right = line(100, 100 + 30 * n, *a.split()), line(460, 100 + 30 * n, *b.split())
        rows.append(Line((*left.words, *right.words)))
    assert texts(engine_order(rows)) == LEFT + RIGHT


def test_engine_order_replaced_when_it_reads_a_line_before_the_one_above() -> None:
    """A header listed after the body it stands over goes back on top."""
    body = [line(100, 140 + 30 * n, *t.split()) for n, t in enumerate(LEFT)]
    header = line(100, 60, "the", "running", "header", "of", "the", "page")
    assert texts(engine_order([*body, header])) == [header.text, *LEFT]


def test_engine_order_replaced_when_it_reads_columns_backwards() -> None:
    left = [line(100, 100 + 30 * n, *t.split()) for n, t in enumerate(LEFT)]
    right = [line(440, 100 + 30 * n, *t.split()) for n, t in enumerate(RIGHT)]
    assert texts(engine_order([*right, *left])) == LEFT + RIGHT


def spaced(y: float, texts: list[str], xs: list[float]) -> Line:
    """A line of words starting at the given x, each 10 px a letter, 20 px high."""
    return Line(tuple(word(t, x, y) for t, x in zip(texts, xs, strict=True)))


def test_loose_word_spaces_that_line_up_in_a_few_lines_are_no_gutter() -> None:
    """Three loosely justified lines whose widest spaces (0.7 line heights) line up, in a
    paragraph of prose: read line by line, not cut in two columns there. A gutter that narrow
    counts only beside four lines or more on each side (a 1985 sheet's gutter, measured on
    `local`'s padded boxes, was 0.74 of their height)."""
    rows = [
        "the committee met tuesday to review",
        "all annual budget reports with care",
        "and agreed safely the library wing",
    ]
    lines = []
    for n, row in enumerate(rows):
        words = row.split()
        xs, at = [], 100.0
        for w in words:
            xs.append(at)
            at += 10 * len(w) + (14 if len(xs) == 3 else 6)  # the fourth word after 0.7
        lines.append(spaced(100 + 24 * n, words, xs))
    lines.append(line(100, 100 + 24 * 3, *"and the last line of the paragraph".split()))
    expected = [*rows, "and the last line of the paragraph"]
    assert texts(reading_order(lines)) == expected
    assert texts(engine_order(lines)) == expected


def test_a_narrow_gutter_beside_many_lines_is_a_gutter() -> None:
    """Two columns of eight lines each, 0.7 line heights apart: column by column."""
    left = [f"left {n} of the first column text" for n in range(8)]
    right = [f"right {n} of the second column text" for n in range(8)]
    lines = []
    for n, (a, b) in enumerate(zip(left, right, strict=True)):
        lines.append(line(100, 100 + 24 * n, *a.split()))
        lines.append(line(100 + 286 + 14, 100 + 24 * n, *b.split()))  # 286 px long
    assert texts(reading_order(lines)) == left + right


def test_an_article_beside_a_column_holding_a_table_reads_column_by_column() -> None:
    """An article (ten lines of prose, 24 px apart) beside a column that holds a table in
    smaller type (fifteen rows of a label and an amount, 18 px apart): most of the article's
    lines meet a row of the table, but most of the table's rows are on none of the article's
    baselines, so the two are columns, the article first (a real 10-K page read by `local`
    came out row by row: CER 0.69, now 0.04)."""
    article = [f"paragraph line {n} of the long article text" for n in range(10)]
    table = [(f"Item {n}", f"{n},{n}00.00") for n in range(15)]
    lines = [line(100, 100 + 24 * n, *t.split()) for n, t in enumerate(article)]
    for n, (label, amount) in enumerate(table):
        lines.append(line(560, 100 + 18 * n, *label.split(), h=14))
        lines.append(line(760, 100 + 18 * n, amount, h=14))
    expected = [*article, *(t for row in table for t in row)]
    assert texts(reading_order(lines)) == expected


def test_invoice_rows_with_long_descriptions_read_row_by_row() -> None:
    """An invoice: long descriptions, each with its amount on its own row: row by row."""
    rows = [(f"professional services rendered in month {n}", f"{n}00.00") for n in range(6)]
    lines = []
    for n, (text, amount) in enumerate(rows):
        lines.append(line(100, 100 + 30 * n, *text.split()))
        lines.append(line(700, 100 + 30 * n, amount))
    assert texts(reading_order(lines)) == [t for row in rows for t in row]
