"""Our engines inside OCRmyPDF when it straightens pages (--deskew, --rotate-pages) and with
paperless-ngx's own arguments: the output page is level (skew measured on poppler's render by
an independent projection profile), upright, its words sit on their ink, and each page costs
one reading by the engine, however many times OCRmyPDF asks about it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from tests import checks, straightness
from tests.pagegen import BODY, Block, PageSpec, TruthPage, make_pdf
from tests.test_local_engines import has_local

pytestmark = [
    pytest.mark.slow,  # OCRmyPDF and the bundled model, a few seconds a page
    has_local,
    pytest.mark.skipif(not straightness.available(), reason="no poppler-utils"),
]

ocrmypdf = pytest.importorskip("ocrmypdf")

BLOCKS = (
    Block(60, 40, ("Quarterly Report Summary",), size=40),
    Block(60, 140, BODY, size=30),
    Block(60, 320, ("Invoice number 4471 due on delivery", "of goods to Main Street 12"), size=30),
)
# Skewed and turned scans, as a sheet fed crooked or upside down into a scanner comes out.
SPECS = [
    PageSpec("skewed", BLOCKS, 6.0, 3.6, dpi=200, skew=3.0),
    PageSpec("sideways", BLOCKS, 6.0, 3.6, dpi=200, turn=90, skew=-2.0),
    PageSpec("upside-down", BLOCKS, 6.0, 3.6, dpi=200, turn=180, skew=1.5),
    PageSpec("sideways-left", BLOCKS, 6.0, 3.6, dpi=200, turn=270),
]
LEVEL = 0.3  # degrees of skew left at most
ON_INK = 0.95  # share of word boxes on their ink at least
SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "letter.pdf"  # a real 0.8° skew


def run(*args: str, cache: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ocrmypdf", "--plugin", "ocr_pdf.ocrmypdf_plugin", "-q", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "OCR_PDF_CACHE_DIR": str(cache)},
    )
    assert done.returncode == 0, done.stderr


def cache_entries(cache: Path) -> int:
    return sum(1 for p in cache.rglob("*") if p.is_file() and not p.name.startswith("."))


def check_straight(out: Path, truths: list[TruthPage]) -> None:
    """Every page level and upright, its text as printed, its words on their ink."""
    for index, truth in enumerate(truths):
        page = straightness.check_page(out, index)
        name = truth.spec.name
        assert abs(page.skew) <= LEVEL, (name, page)
        assert page.on_ink >= ON_INK, (name, page)
        text = checks.pdftotext(out, index)
        assert text is not None and text.split() == checks.expected_text(truth).split(), name


def test_deskew_and_rotate_pages_straighten_turned_and_skewed_scans(tmp_path: Path) -> None:
    data, truths = make_pdf(SPECS)
    src, out, cache = tmp_path / "scans.pdf", tmp_path / "out.pdf", tmp_path / "cache"
    src.write_bytes(data)
    run("--deskew", "--rotate-pages", "--output-type", "pdf", str(src), str(out), cache=cache)
    check_straight(out, truths)
    # Orientation, deskew and OCR each asked about every page: one reading each.
    assert cache_entries(cache) == len(SPECS)


@pytest.mark.parametrize("renderer", ["hocr", "sandwich"])
def test_deskew_with_every_renderer(renderer: str, tmp_path: Path) -> None:
    data, truths = make_pdf(SPECS[:1])
    src, out, cache = tmp_path / "scan.pdf", tmp_path / "out.pdf", tmp_path / "cache"
    src.write_bytes(data)
    args = ["--deskew", "--pdf-renderer", renderer, "--output-type", "pdf"]
    run(*args, str(src), str(out), cache=cache)
    check_straight(out, truths)
    assert cache_entries(cache) == 1


def test_a_real_scan_comes_out_straighter(tmp_path: Path) -> None:
    out, cache = tmp_path / "letter.pdf", tmp_path / "cache"
    before = straightness.check_page(SAMPLE)
    run("--deskew", "--rotate-pages", "--output-type", "pdf", str(SAMPLE), str(out), cache=cache)
    after = straightness.check_page(out)
    assert abs(before.skew) >= 0.5 and abs(after.skew) <= LEVEL, (before, after)
    assert after.on_ink >= ON_INK and after.words >= 80, after


def paperless_arguments(src: Path, out: Path, sidecar: Path) -> dict[str, Any]:
    """What paperless-ngx 3 passes to ocrmypdf.ocr with its default settings (OCR_MODE auto,
    OCR_CLEAN clean, OCR_DESKEW and OCR_ROTATE_PAGES true, threshold 12, output type pdfa,
    colour conversion RGB, language eng, two threads on two cores) and
    PAPERLESS_OCR_USER_ARGS='{"plugins": ["ocr_pdf.ocrmypdf_plugin"]}', merged last as it
    merges them (src/paperless/parsers/tesseract.py, construct_ocrmypdf_parameters)."""
    return {
        "input_file_or_options": src,
        "output_file": out,
        "use_threads": True,
        "jobs": 2,
        "language": "eng",
        "output_type": "pdfa",
        "progress_bar": False,
        "color_conversion_strategy": "RGB",
        "clean": True,
        "deskew": True,
        "rotate_pages": True,
        "rotate_pages_threshold": 12.0,
        "sidecar": sidecar,
        "plugins": ["ocr_pdf.ocrmypdf_plugin"],
    }


@pytest.mark.skipif(shutil.which("unpaper") is None, reason="no unpaper (paperless cleans)")
@pytest.mark.skipif(shutil.which("gs") is None, reason="no Ghostscript (paperless's PDF/A)")
def test_paperless_default_arguments_read_each_page_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ocr_pdf import ocrmypdf_plugin
    from ocr_pdf.engines import Engine, get_engine

    data, truths = make_pdf(SPECS[:2])
    src, out, sidecar = tmp_path / "scan.pdf", tmp_path / "archive.pdf", tmp_path / "side.txt"
    src.write_bytes(data)
    cache = tmp_path / "cache"
    monkeypatch.setenv("OCR_PDF_CACHE_DIR", str(cache))
    monkeypatch.setattr(ocrmypdf_plugin, "_readers", {})
    calls: list[tuple[int, int]] = []
    build = get_engine

    def counted(*args: Any, **kwargs: Any) -> Engine:
        engine = build(*args, **kwargs)
        recognize = engine.recognize

        def counting(image: Any) -> Any:
            calls.append(image.size)
            return recognize(image)

        engine.recognize = counting  # type: ignore[method-assign]
        return engine

    monkeypatch.setattr(ocrmypdf_plugin, "get_engine", counted)
    ocrmypdf.ocr(**paperless_arguments(src, out, sidecar))
    assert len(calls) == len(truths), calls  # one engine reading per page
    assert cache_entries(cache) == len(truths)
    check_straight(out, truths)
    pages = sidecar.read_text(encoding="utf-8").split("\f")
    for page, truth in zip(pages, truths, strict=True):
        assert page.split() == checks.expected_text(truth).split()
    with pikepdf.open(out) as pdf:
        assert pdf.open_metadata().get("pdfaid:part") == "2"  # paperless's archive is PDF/A-2
