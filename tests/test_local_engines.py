"""The offline engines on real renderings: `local` (RapidOCR, models from its wheel) and
`tesseract` (skipped where the program is absent), including pages turned inside the scan."""

from __future__ import annotations

import runpy
import shutil
from pathlib import Path

import pytest

from ocr_pdf import ExitCode, make_searchable
from ocr_pdf.cli import main
from ocr_pdf.engines import EngineConfig, available_engines, default_engine_name
from ocr_pdf.engines.tesseract import parse_tsv, tesseract_languages
from ocr_pdf.errors import MissingDependencyError
from tests import checks
from tests.conftest import ROOT
from tests.pagegen import Block, PageSpec, make_pdf

SAMPLES = ROOT / "samples"
LETTER = " ".join(runpy.run_path(str(ROOT / "scripts" / "make_samples.py"))["LETTER"].split())

has_local = pytest.mark.skipif(
    not __import__("importlib").util.find_spec("rapidocr"), reason="ocr-pdf[local] not installed"
)
has_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="no tesseract")
# The bundled model takes a second or more a page: its runs are slow tests, tesseract's are not.
ENGINES = [
    pytest.param("local", marks=[has_local, pytest.mark.slow]),
    pytest.param("tesseract", marks=has_tesseract),
]


@pytest.mark.parametrize("engine", ENGINES)
def test_reads_the_sample_letter_offline(engine: str, tmp_path: Path, no_network: None) -> None:
    out = tmp_path / "letter.pdf"
    result = make_searchable(SAMPLES / "letter.pdf", out, engine=engine)
    text = " ".join(checks.page_text(out, 0).split())
    assert checks.cer(text, LETTER) < 0.02, text
    assert result.pages[0].words > 90
    assert checks.render(out, 0) == checks.render(SAMPLES / "letter.pdf", 0)
    checks.original_streams_kept(SAMPLES / "letter.pdf", out)


@pytest.mark.parametrize("engine", ENGINES)
def test_two_columns_read_column_by_column(engine: str, tmp_path: Path) -> None:
    out = tmp_path / "minutes.pdf"
    make_searchable(SAMPLES / "minutes-two-columns.pdf", out, engine=engine)
    for page in (0, 1):  # page 2 displays upright through /Rotate 90
        text = " ".join(checks.page_text(out, page).split())
        left, right = text.find("Minutes of the meeting"), text.find("The garden committee")
        assert 0 < left < text.find("third quarter") < right < text.find("nine in the evening")


TURNED = (
    Block(60, 50, ("Quarterly Report Summary",), 40),
    Block(60, 170, ("The quick brown fox jumps", "over the lazy dog while", "wizards hex"), 30),
    Block(640, 170, ("Invoice number 4471 due", "on delivery of goods to", "Main Street"), 30),
)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("turn", [90, 180, 270])
@pytest.mark.slow
def test_sideways_and_upside_down_scans(engine: str, turn: int, tmp_path: Path) -> None:
    spec = PageSpec(f"turned{turn}", TURNED, width_in=6, height_in=4.5, dpi=200, turn=turn)
    data, truths = make_pdf([spec])
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(data)
    result = make_searchable(src, out, engine=engine, rotate_pages=True)
    expected = checks.expected_text(truths[0]).split()
    got = checks.page_text(out, 0).split()
    assert checks.cer(" ".join(got), " ".join(expected)) < 0.05, got
    assert checks.share_on_words(out, 0, truths[0]) > 0.95
    assert result.pages[0].turned == (360 - turn) % 360
    assert checks.rotation(out, 0) == (360 - turn) % 360
    checks.original_streams_kept(src, out)


@has_local
def test_local_is_the_default_without_azure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_VISION_ENDPOINT", raising=False)
    assert default_engine_name(EngineConfig.from_environment()) == "local"
    monkeypatch.setenv("AZURE_VISION_ENDPOINT", "https://x.cognitiveservices.azure.com")
    assert default_engine_name(EngineConfig.from_environment()) == "azure"


@has_local
def test_local_refuses_a_language_its_model_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(
        [str(SAMPLES / "letter.pdf"), str(tmp_path / "o.pdf"), "--engine", "local", "-l", "ru"]
    )
    assert rc == ExitCode.invalid_config
    assert "--engine tesseract" in capsys.readouterr().err
    assert not (tmp_path / "o.pdf").exists()


def test_local_missing_models_are_refused_not_downloaded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("rapidocr")
    from ocr_pdf.engines import local

    monkeypatch.setattr(local, "models_dir", lambda: tmp_path)
    with pytest.raises(MissingDependencyError, match="never downloads"):
        local.RapidOcrEngine()


def test_tesseract_missing_program_or_language(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [str(SAMPLES / "letter.pdf"), str(tmp_path / "o.pdf"), "--engine", "tesseract"]
    if shutil.which("tesseract"):
        assert main([*args, "-l", "xx_nonexistent"]) == ExitCode.missing_dependency
        assert "language data" in capsys.readouterr().err
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert main(args) == ExitCode.missing_dependency
    assert "apt-get install tesseract-ocr" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_tesseract_language_codes() -> None:
    assert tesseract_languages(None) == "eng"
    assert tesseract_languages("de") == "deu"
    assert tesseract_languages("zh-Hans") == "chi_sim"
    assert tesseract_languages("deu+en") == "deu+eng"
    assert tesseract_languages("rus") == "rus"


def test_tesseract_tsv_parser() -> None:
    tsv = (
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
        "1\t1\t0\t0\t0\t0\t0\t0\t500\t200\t-1\t\n"
        "5\t1\t1\t1\t1\t1\t10\t20\t40\t12\t96.5\tHello\n"
        "5\t1\t1\t1\t1\t2\t60\t21\t50\t12\t91\tworld\n"
        "5\t1\t1\t1\t1\t3\t120\t21\t50\t12\t-1\t \n"
    )
    page = parse_tsv(tsv, 500, 200)
    assert page.text == "Hello world"
    assert page.words[0].quad == ((10, 20), (50, 20), (50, 32), (10, 32))
    assert page.words[0].confidence == pytest.approx(0.965)


def test_plugin_engines_come_from_the_entry_point_group(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import EntryPoint

    from ocr_pdf import engines, get_engine

    ep = EntryPoint("scripted", "tests.test_pipeline:create_scripted", engines.ENTRY_POINT_GROUP)
    monkeypatch.setattr(engines, "entry_points", lambda group: [ep])
    assert "scripted" in available_engines()
    assert get_engine("scripted", EngineConfig()).name == "scripted"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_rotated_page_extracts_as_cleanly_as_an_upright_one(engine: str, tmp_path: Path) -> None:
    """Page 2 of the sample shows the same text as page 1 through /Rotate 90. PDFium (Chrome,
    Edge) must read it in the same lines, not break them word by word or merge them."""
    out = tmp_path / "minutes.pdf"
    make_searchable(SAMPLES / "minutes-two-columns.pdf", out, engine=engine)

    def lines(page: int) -> list[str]:
        return [ln for ln in checks.page_text(out, page).split("\n") if ln.strip()]

    upright, rotated = lines(0), lines(1)
    assert len(rotated) == len(upright)
    assert sum(len(ln.split()) <= 2 for ln in rotated) <= sum(
        len(ln.split()) <= 2 for ln in upright
    )
    assert [ln.replace("page 2", "page 1") for ln in rotated] == upright


def test_a_space_the_model_did_not_name_is_found_after_punctuation_only() -> None:
    """'1.The' read with a gap wider than the line's letters after the full stop is two words;
    numbers keep their separators however wide their digits ('468.72', 'Account:95204')."""
    from ocr_pdf.engines.ppocr import _unnamed_space

    assert _unnamed_space(".", "T", 4, 2.5)
    assert not _unnamed_space(".", "7", 4, 2.5) and not _unnamed_space(":", "9", 5, 2.5)
    assert not _unnamed_space(".", "g", 3, 2.5)  # "e.g." is set tight
    assert _unnamed_space("a", "b", 6, 2.5)  # wider than WORD_GAP anywhere


@pytest.mark.parametrize("engine", ENGINES)
def test_pdftotext_reads_the_two_column_sample_by_column(engine: str, tmp_path: Path) -> None:
    """poppler (pdftotext, Evince, paperless-ngx) reads the sample's left column whole, then
    its right one: it read row by row across the gutter when each line had the font size of
    its own ink (lines without descenders smaller than their neighbours)."""
    out = tmp_path / "minutes.pdf"
    make_searchable(SAMPLES / "minutes-two-columns.pdf", out, engine=engine, pages="1")
    text = checks.pdftotext(out, 0)
    if text is None:
        pytest.skip("poppler-utils not installed")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    left = ["Present: the chair, the", "treasurer, five members.", "1. The minutes of the"]
    right = ["3. The garden committee", "asked for two new benches"]
    at = [lines.index(ln) for ln in left + right]
    assert at == sorted(at) and at[1] == at[0] + 1 and at[4] == at[3] + 1, lines
