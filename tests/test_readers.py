"""The text layer as the common PDF readers extract it (tests/readers.py: PDFium, pdftotext
plain and -raw, MuPDF, pdf.js, pdfminer.six, pypdf): the same words in every reader, spaces
between words and line breaks between lines, on generated pages with exact word boxes (read
by the Azure stand-in, which answers from the truth) and on the real scans of
tests/fixtures/real/layout (read by tesseract)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from benchmarks.placement_bench import prose_page, tight_page
from ocr_pdf.cli import main
from tests import checks, readers
from tests.conftest import FAKE_KEY
from tests.pagegen import Block, PageSpec, TruthPage, make_pdf
from tests.standin import StandIn

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])

REAL = Path(__file__).resolve().parent / "fixtures" / "real" / "layout"

PROSE = (
    "the committee met on tuesday to review",
    "the annual budget and agreed to fund",
    "the new library wing after a long talk",
    "about the costs of heating and repairs",
    "members asked whether the contractor",
    "could finish before winter and the",
)


def convert_with_standin(spec: PageSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data, truths = make_pdf([spec])
    src, out = tmp_path / "scan.pdf", tmp_path / "out.pdf"
    src.write_bytes(data)
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    with StandIn(key=FAKE_KEY, pages=truths) as standin:
        args = [str(src), str(out), "--engine", "azure-read", "--endpoint", standin.endpoint]
        assert main([*args, "--no-cache", "-q"]) == 0
    return out


def truth_lines(spec: PageSpec) -> list[list[str]]:
    truth: TruthPage = make_pdf([spec])[1][0]
    return [[w.text for w in ln] for ln in truth.lines]


@pytest.mark.parametrize("skew", [0.0, 3.0, 5.0, -5.0])
def test_every_reader_reads_every_word_and_line(
    skew: float, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Upright and skewed prose: every reader gives every word as a word of its own, glues
    no two words and no line end to the next line's first word (pdfminer.six read the layer's
    lines run together), and, in the readers that keep the layer's order, each line whole and
    in order (PDFium took the next line's first words into a skewed line's last step; pdf.js
    ran a skewed line's last word into the next line's first where the line's last step
    ended at the height the next began: 2 of 5 line ends at 3 degrees, 5 of 5 at 5)."""
    spec = PageSpec(f"prose{skew}", (Block(40, 40, PROSE, size=24),), width_in=6.0, skew=skew)
    out = convert_with_standin(spec, tmp_path, monkeypatch)
    lines = truth_lines(spec)
    known = [w for ln in lines for w in ln]
    for name, pages in readers.extract_all(out).items():
        got = readers.words(pages[0])
        assert readers.recall(known, got) == 1.0, (name, pages[0])
        assert readers.glued(lines, got) == (0, 0), (name, pages[0])
        if name in ("pdfium", "poppler-raw", "mupdf", "pypdf", "pdfjs"):
            assert readers.lines(pages[0]) == lines, (name, pages[0])


def test_words_close_together_stay_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Words set with a third of a space between them (0.1 em, a tight form): two words in
    every reader."""
    rows = ("INVOICE NUMBER 4471 DATE", "TOTAL AMOUNT DUE NOW", "SHIP TO MAIN STREET")
    spec = PageSpec("tight", (Block(40, 40, rows, size=24, space=0.35),), width_in=5.0)
    out = convert_with_standin(spec, tmp_path, monkeypatch)
    lines = truth_lines(spec)
    for name, pages in readers.extract_all(out).items():
        got = readers.words(pages[0])
        assert readers.glued(lines, got) == (0, 0), (name, pages[0])
        assert readers.recall([w for ln in lines for w in ln], got) == 1.0, (name, pages[0])


def real_pages() -> list[Path]:
    return sorted(REAL.glob("*.pdf"))


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
@pytest.mark.parametrize("pdf", real_pages(), ids=lambda p: p.stem)
def test_real_scans_read_alike_in_every_reader(pdf: Path, tmp_path: Path) -> None:
    """A real scan read by tesseract: each reader's word recall within 0.02 of the best
    reader's, no line end glued to the next line's first word in any reader (pdfminer.six had
    glued them all), and the layer's own order (pdftotext -raw) close to the transcript."""
    out = tmp_path / "out.pdf"
    assert main([str(pdf), str(out), "--engine", "tesseract", "--no-cache", "-q"]) == 0
    lines = [ln.split() for ln in pdf.with_suffix(".txt").read_text("utf-8").splitlines()]
    lines = [ln for ln in lines if ln]
    known = [w for ln in lines for w in ln]
    texts = {name: pages[0] for name, pages in readers.extract_all(out).items()}
    recalls = {name: readers.recall(known, readers.words(t)) for name, t in texts.items()}
    best = max(recalls.values())
    if pdf.stem == "skew":
        # Known, not fixed: plain pdftotext cuts and mixes the steps of the skewed lines
        # (recall 0.85 against 0.95 in the other readers; OCRmyPDF's layer: 0.84). pdf.js,
        # which ran a line's last word into the next line's first where the skewed line ended
        # at the height the next began (0.84), is held to the bound now.
        recalls.pop("poppler", None)
    assert all(r >= best - 0.02 for r in recalls.values()), recalls
    for name, text in texts.items():
        if name in recalls:
            assert readers.glued(lines, readers.words(text))[1] <= 1, (name, text)
    if "poppler-raw" in texts:
        expected = "\n".join(" ".join(ln) for ln in lines)
        # skew.pdf's columns came out row by row (a "_" tesseract read in the gutter closed
        # it): 0.33; now 0.03, OCRmyPDF's layer 0.37.
        assert readers.cer(texts["poppler-raw"], expected) < 0.1


def test_edit_distance_agrees_with_the_table() -> None:
    """The bit-parallel edit distance behind the character error rates here gives what the
    textbook table gives (random strings, fixed seed)."""
    rng = random.Random(21)
    for _ in range(500):
        a = "".join(rng.choice("ab c\n") for _ in range(rng.randint(0, 40)))
        b = "".join(rng.choice("ab c\n") for _ in range(rng.randint(0, 40)))
        table = list(range(len(b) + 1))
        for i, x in enumerate(a, 1):
            row = [i]
            for j, y in enumerate(b, 1):
                row.append(min(table[j] + 1, row[j - 1] + 1, table[j - 1] + (x != y)))
            table = row
        assert checks.levenshtein(a, b) == table[-1], (a, b)


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_tesseract_reads_a_page_skewed_4_degrees_whole(tmp_path: Path) -> None:
    """Sixteen lines of 11-pt prose at 300 dpi skewed 4 degrees, read by the real tesseract:
    every word in every reader that keeps the layer's order (tesseract's layout analysis had
    dropped six of the lines: recall 0.59, CER 0.37 in every reader), each selection on its
    ink (line-height IoU 0.52, now 0.87; target 0.85). The page is read a second time,
    straightened, and the words turned back onto the page."""
    spec = prose_page("skew+4", 2, skew=4.0, lines=16)
    data, truths = make_pdf([spec])
    src, out = tmp_path / "scan.pdf", tmp_path / "out.pdf"
    src.write_bytes(data)
    assert main([str(src), str(out), "--engine", "tesseract", "--no-cache", "-q"]) == 0
    lines = [[w.text for w in ln] for ln in truths[0].lines]
    expected = "\n".join(" ".join(ln) for ln in lines)
    for name, pages in readers.extract_all(out).items():
        if name == "poppler":
            continue  # skewed lines: plain pdftotext cuts and mixes their steps
        assert readers.cer(pages[0], expected) < 0.03, (name, pages[0])
    ious = checks.selection_ious(out, 0, truths[0])
    assert sum(ious) / len(checks.line_height_boxes(truths[0])) >= 0.85


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_tesseract_on_a_tight_form_glues_no_words_of_its_own(tmp_path: Path) -> None:
    """A form set with tight spaces, read by the real tesseract: no reader runs two words
    together beyond the two "TOTALAMOUNT" tesseract itself reads as one (OCRmyPDF's layer has
    them too). Tesseract's box for "Ship" covers "to" beside it, and the two were taken for
    pieces of one word and joined: "Shipto" four times, 6 glued words in every reader (2 in
    OCRmyPDF's), recall 0.91 (0.97)."""
    data, truths = make_pdf([tight_page("tight-form", 0)])
    src, out = tmp_path / "scan.pdf", tmp_path / "out.pdf"
    src.write_bytes(data)
    assert main([str(src), str(out), "--engine", "tesseract", "--no-cache", "-q"]) == 0
    lines = [[w.text for w in ln] for ln in truths[0].lines]
    known = [w for ln in lines for w in ln]
    for name, pages in readers.extract_all(out).items():
        got = readers.words(pages[0])
        assert readers.glued(lines, got)[0] <= 2, (name, pages[0])
        assert readers.recall(known, got) >= 0.95, (name, pages[0])
