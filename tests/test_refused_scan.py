"""A scan the service refuses as stored (a truncated JPEG, say: "Input data is not a valid
image") is rendered and read once more, with a line in the log saying so; a render refused too
fails the page as before (exit 7, named)."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest

from ocr_pdf.cli import main
from ocr_pdf.errors import ExitCode
from tests import checks
from tests.conftest import FAKE_KEY
from tests.pagegen import thumbnail
from tests.standin import Fault, StandIn
from tests.test_scans import Placement, scan_page

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])

NOT_AN_IMAGE = {
    "error": {
        "code": "InvalidArgument",
        "innererror": {"code": "InvalidImageFormat", "message": "Input data is not a valid image."},
        "message": "Input data is not a valid image.",
    }
}


def _run(src: Path, out: Path, standin: StandIn, engine: str = "azure-ocr") -> int:
    args = [str(src), str(out), "--engine", engine, "--no-cache", "--endpoint"]
    return main([*args, standin.endpoint])


@pytest.mark.parametrize("engine", ["azure-ocr", "azure-read"])
def test_a_refused_scan_is_rendered_and_read_once_more(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    pdf = pikepdf.new()
    truth, shown = scan_page(pdf, Placement())
    stored = next(iter(pdf.pages[0].get_images().values())).read_raw_bytes()
    src, out = tmp_path / "scan.pdf", tmp_path / "out.pdf"
    pdf.save(src)
    with StandIn(key=FAKE_KEY, pages=[truth, shown]) as standin:
        standin.faults.append(Fault(400, NOT_AN_IMAGE))
        assert _run(src, out, standin, engine) == 0
    sent = [c["bytes"] for c in standin.calls if c["path"].endswith(("/ocr", "/analyze"))]
    assert sent[0] == len(stored) and len(sent) == 2 and sent[1] != len(stored)
    said = capsys.readouterr().err
    assert "page 1: the service refused the scan's own image" in said and "rendered" in said
    placements = checks.word_placements(out, 0, shown)
    assert placements and all(p.centres_inside for p in placements)


def test_a_truncated_jpeg_scan_is_read_from_its_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real thing: the stand-in cannot decode the cut-off JPEG (as Azure cannot), PDFium
    draws what it can of it, and the page is read from that."""
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    pdf = pikepdf.new()
    truth, shown = scan_page(pdf, Placement())
    image = pdf.pages[0].obj.Resources.XObject.Im0
    assert isinstance(image, pikepdf.Stream)
    data = image.read_raw_bytes()
    image.write(data[: len(data) * 3 // 4], filter=pikepdf.Name.DCTDecode)
    src, out = tmp_path / "scan.pdf", tmp_path / "out.pdf"
    pdf.save(src)
    # What PDFium draws of it (the top three quarters) is what the stand-in will be shown.
    doc = pdfium.PdfDocument(str(src))
    shown.thumbnail = thumbnail(doc[0].render(scale=2).to_pil().convert("L"))
    doc.close()
    with StandIn(key=FAKE_KEY, pages=[truth, shown]) as standin:
        assert _run(src, out, standin) == 0
    assert standin.calls[0]["bytes"] == len(data) * 3 // 4
    assert "Quarterly" in checks.page_text(out, 0)


def test_a_render_refused_too_fails_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    pdf = pikepdf.new()
    truth, shown = scan_page(pdf, Placement())
    src, out = tmp_path / "scan.pdf", tmp_path / "out.pdf"
    pdf.save(src)
    with StandIn(key=FAKE_KEY, pages=[truth, shown]) as standin:
        standin.faults.extend([Fault(400, NOT_AN_IMAGE), Fault(400, NOT_AN_IMAGE)])
        assert _run(src, out, standin) == ExitCode.ocr_engine_error
    assert len(standin.calls) == 2 and not out.exists()
    assert "page 1" in capsys.readouterr().err
