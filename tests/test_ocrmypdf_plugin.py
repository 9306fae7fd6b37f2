"""Our engines inside OCRmyPDF 17: loaded with --plugin or selected with --ocr-pdf-engine
(entry point), through each of OCRmyPDF's renderers (its OcrElement model, hOCR, and the
sandwich text-only PDF, which is our own layer). Each run is checked for what a user sees: the
page's text, and where each word's characters sit."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import checks
from tests.pagegen import Block, PageSpec, make_pdf
from tests.test_local_engines import has_local

pytestmark = pytest.mark.slow  # each test runs a process, a model or a server

pytest.importorskip("ocrmypdf")

# OCRmyPDF's speculative PDF/A path needs no Ghostscript for these simple pages; give it
# one page of large, clean text and our bundled engine.
SPEC = PageSpec(
    "plugin",
    (Block(40, 40, ("Annual Meeting Minutes", "Budget approved unanimously")),),
    width_in=5,
    height_in=3,
    dpi=200,
)


def ocrmypdf(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ocrmypdf", "--output-type", "pdf", "-q", *args],
        capture_output=True,
        text=True,
        timeout=900,  # a guard against a hang: a run takes seconds, minutes on a crowded machine
        check=False,
    )


@has_local
@pytest.mark.parametrize(
    "selection",
    [["--plugin", "ocr_pdf.ocrmypdf_plugin"], ["--ocr-pdf-engine", "local"]],
    ids=["plugin", "entry-point"],
)
@pytest.mark.parametrize("renderer", ["auto", "hocr", "sandwich"])
def test_ocrmypdf_runs_our_engine(selection: list[str], renderer: str, tmp_path: Path) -> None:
    data, truths = make_pdf([SPEC])
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(data)
    done = ocrmypdf(*selection, "--pdf-renderer", renderer, str(src), str(out))
    assert done.returncode == 0, done.stderr
    assert checks.page_text(out, 0).split() == checks.expected_text(truths[0]).split()
    placements = checks.word_placements(out, 0, truths[0])
    assert all(p.centres_inside for p in placements), [p.word.text for p in placements]
    with __import__("pikepdf").open(out) as pdf:
        assert "ocr-pdf" in str(pdf.open_metadata().get("xmp:CreatorTool"))


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="no tesseract")
def test_without_selection_ocrmypdf_keeps_its_own_engine(tmp_path: Path) -> None:
    data, _ = make_pdf([SPEC])
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(data)
    done = ocrmypdf(str(src), str(out))
    assert done.returncode == 0, done.stderr
    with __import__("pikepdf").open(out) as pdf:
        assert "Tesseract" in str(pdf.open_metadata().get("xmp:CreatorTool"))


def test_our_errors_keep_their_exit_codes(tmp_path: Path) -> None:
    data, _ = make_pdf([SPEC])
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(data)
    # azure without an endpoint: our configuration error, exit 9 in both numberings.
    done = ocrmypdf("--ocr-pdf-engine", "azure-read", str(src), str(out))
    assert done.returncode == 9, done.stderr
    assert "needs an endpoint" in done.stderr
    assert not out.exists()


def test_our_errors_read_as_ocrmypdf_errors(tmp_path: Path) -> None:
    """No internal class name, and our options as OCRmyPDF spells them."""
    data, _ = make_pdf([SPEC])
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(data)
    done = ocrmypdf("--ocr-pdf-engine", "azure-read", str(src), str(out))
    assert done.returncode == 9, done.stderr
    line = next(ln for ln in done.stderr.splitlines() if "needs an endpoint" in ln)
    assert "_Failure" not in line and "ocr-pdf:" in line
    assert "ExitCodeException" not in done.stderr, done.stderr
    assert line.startswith("ConfigurationError: ocr-pdf: ") or " ConfigurationError: " in line
    assert "--ocr-pdf-endpoint" in line
    assert " --endpoint" not in line.replace("--ocr-pdf-endpoint", "")
    done = ocrmypdf("--ocr-pdf-engine", "no-such-engine", str(src), str(out))
    assert done.returncode == 9 and "unknown OCR engine" in done.stderr
    assert "_Failure" not in done.stderr
