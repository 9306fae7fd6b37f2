"""Microsoft's own SDKs, unchanged, as clients of `ocr-pdf serve` started as a user starts it
(a process of its own, on a free loopback port, with the bundled engine): Document
Intelligence (azure-ai-documentintelligence 1.x, as paperless-ngx calls it, and the older
azure-ai-formrecognizer 3.x), Image Analysis 4.0 (azure-ai-vision-imageanalysis) and the
legacy Computer Vision SDK (azure-cognitiveservices-vision-computervision).

Each SDK is pointed at ``http://127.0.0.1:PORT`` with a dummy key: their key credentials send
``Ocp-Apim-Subscription-Key`` over plain http (only bearer tokens insist on https)."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import ROOT
from tests.serve_process import serve_command, served_url
from tests.test_local_engines import has_local

pytestmark = [pytest.mark.slow, has_local, pytest.mark.block_network(allowed_hosts=["127.0.0.1"])]

SAMPLE = ROOT / "samples" / "minutes-two-columns.pdf"
KEY = "dummy-key"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """`ocr-pdf serve --port 0` with the bundled engine, as a process; its URL."""
    proc = serve_command("--port", "0", engine="local")
    try:
        yield served_url(proc, "local")
    finally:
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=60)[1]
    assert proc.returncode == 0, rest


def _run(*command: str | Path) -> str:
    return subprocess.run(
        [str(c) for c in command], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout


@pytest.fixture(scope="module")
def direct(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample converted directly by `ocr-pdf` with the same engine."""
    out = tmp_path_factory.mktemp("direct") / "direct.pdf"
    _run(sys.executable, "-m", "ocr_pdf", "--engine", "local", "--no-cache", SAMPLE, out)
    return out


def _renders(path: Path, folder: Path) -> list[bytes]:
    prefix = folder / path.stem
    _run("pdftoppm", "-r", "60", "-png", path, prefix)
    return [p.read_bytes() for p in sorted(folder.glob(f"{path.stem}-*.png"))]


def _page_png(tmp_path: Path) -> bytes:
    _run("pdftoppm", "-png", "-r", "150", "-singlefile", "-l", "1", SAMPLE, tmp_path / "p")
    return (tmp_path / "p.png").read_bytes()


def test_document_intelligence_as_paperless_calls_it(
    endpoint: str, direct: Path, tmp_path: Path
) -> None:
    """paperless-ngx's call, verbatim: the whole PDF as base64Source, text content, output=pdf;
    then the result, and the searchable PDF, whose text is a direct conversion's and whose
    pages render exactly as the input's."""
    from azure.ai.documentintelligence import DocumentIntelligenceClient
    from azure.ai.documentintelligence.models import (
        AnalyzeDocumentRequest,
        AnalyzeOutputOption,
        DocumentContentFormat,
    )
    from azure.core.credentials import AzureKeyCredential

    client = DocumentIntelligenceClient(endpoint=endpoint, credential=AzureKeyCredential(KEY))
    poller = client.begin_analyze_document(
        model_id="prebuilt-read",
        body=AnalyzeDocumentRequest(bytes_source=SAMPLE.read_bytes()),
        output_content_format=DocumentContentFormat.TEXT,
        output=[AnalyzeOutputOption.PDF],
        content_type="application/json",
    )
    poller.wait()
    result_id = poller.details["operation_id"]
    result = poller.result()
    out = tmp_path / "from-serve.pdf"
    out.write_bytes(
        b"".join(client.get_analyze_result_pdf(model_id="prebuilt-read", result_id=result_id))
    )
    client.close()

    assert result.api_version == "2024-11-30" and result.model_id == "prebuilt-read"
    assert [p.page_number for p in result.pages] == [1, 2]
    assert all(p.unit == "inch" and (p.width, p.height) == (8.5, 11.0) for p in result.pages)
    assert "Garden Society" in result.content and "Minutes" in result.content
    assert _run("pdftotext", out, "-") == _run("pdftotext", direct, "-")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert _renders(out, tmp_path / "a") == _renders(SAMPLE, tmp_path / "b")


def test_document_intelligence_bytes_pages_and_layout(endpoint: str, tmp_path: Path) -> None:
    """Raw bytes (application/octet-stream), one page of two, prebuilt-layout: every word's
    span points at its text in ``content`` and its polygon lies on the page."""
    from azure.ai.documentintelligence import DocumentIntelligenceClient
    from azure.core.credentials import AzureKeyCredential

    with DocumentIntelligenceClient(endpoint, AzureKeyCredential(KEY)) as client:
        result = client.begin_analyze_document(
            "prebuilt-layout", io.BytesIO(SAMPLE.read_bytes()), pages="2"
        ).result()
    assert [p.page_number for p in result.pages] == [2]
    page = result.pages[0]
    assert page.words and page.lines
    for word in page.words:
        span = word.span
        assert result.content[span.offset : span.offset + span.length] == word.content
        assert word.polygon is not None and page.width is not None and page.height is not None
        xs, ys = word.polygon[0::2], word.polygon[1::2]
        assert 0 <= min(xs) <= max(xs) <= page.width
        assert 0 <= min(ys) <= max(ys) <= page.height
    assert "page 2" in result.content and "page 1" not in result.content


def test_document_intelligence_reads_every_page_of_a_tiff(endpoint: str, tmp_path: Path) -> None:
    """A two-page TIFF: two pages, in pixels of each frame."""
    from azure.ai.documentintelligence import DocumentIntelligenceClient
    from azure.core.credentials import AzureKeyCredential

    first = Image.open(io.BytesIO(_page_png(tmp_path))).convert("L")
    second = first.crop((0, 0, 900, 700))
    buf = io.BytesIO()
    first.save(buf, "TIFF", save_all=True, append_images=[second], dpi=(150, 150))
    with DocumentIntelligenceClient(endpoint, AzureKeyCredential(KEY)) as client:
        result = client.begin_analyze_document("prebuilt-read", io.BytesIO(buf.getvalue())).result()
    sizes = [(p.unit, p.width, p.height) for p in result.pages]
    assert sizes == [("pixel", *first.size), ("pixel", 900, 700)]
    assert all(p.words for p in result.pages)


def test_form_recognizer_sdk_reads_through_the_older_path(endpoint: str, tmp_path: Path) -> None:
    """azure-ai-formrecognizer 3.3: /formrecognizer/documentModels/prebuilt-read:analyze at
    api-version 2023-07-31, offsets in code points."""
    from azure.ai.formrecognizer import DocumentAnalysisClient
    from azure.core.credentials import AzureKeyCredential

    client = DocumentAnalysisClient(endpoint, AzureKeyCredential(KEY))
    result = client.begin_analyze_document("prebuilt-read", _page_png(tmp_path)).result()
    client.close()
    assert result.api_version == "2023-07-31"
    assert "Garden Society" in result.content and result.pages[0].unit == "pixel"


def test_image_analysis_sdk_read(endpoint: str, tmp_path: Path) -> None:
    from azure.ai.vision.imageanalysis import ImageAnalysisClient
    from azure.ai.vision.imageanalysis.models import VisualFeatures
    from azure.core.credentials import AzureKeyCredential

    client = ImageAnalysisClient(endpoint, AzureKeyCredential(KEY))
    result = client.analyze(image_data=_page_png(tmp_path), visual_features=[VisualFeatures.READ])
    client.close()
    assert result.read is not None
    lines = [ln.text for block in result.read.blocks for ln in block.lines]
    assert any("Garden Society" in ln for ln in lines), lines


def test_legacy_computer_vision_sdk_ocr_and_read(endpoint: str, tmp_path: Path) -> None:
    from azure.cognitiveservices.vision.computervision import ComputerVisionClient
    from azure.cognitiveservices.vision.computervision.models import OperationStatusCodes
    from msrest.authentication import CognitiveServicesCredentials

    client = ComputerVisionClient(endpoint, CognitiveServicesCredentials(KEY))  # type: ignore[no-untyped-call]
    png = _page_png(tmp_path)
    printed = client.recognize_printed_text_in_stream(io.BytesIO(png))  # type: ignore[no-untyped-call]
    words = [w.text for r in printed.regions for ln in r.lines for w in ln.words]
    assert "Garden" in words and printed.language == "en", words
    started = client.read_in_stream(io.BytesIO(png), raw=True)  # type: ignore[no-untyped-call]
    operation_id = started.headers["Operation-Location"].rsplit("/", 1)[-1]
    for _ in range(120):
        read = client.get_read_result(operation_id)  # type: ignore[no-untyped-call]
        if read.status not in (OperationStatusCodes.not_started, OperationStatusCodes.running):
            break
        time.sleep(0.5)
    assert read.status == OperationStatusCodes.succeeded
    lines = [ln.text for page in read.analyze_result.read_results for ln in page.lines]
    assert any("Garden Society" in ln for ln in lines), lines


def test_refusals_reach_the_sdk_as_azures(endpoint: str) -> None:
    """urlSource (not allowed by default) and an unknown model, as Azure refuses them."""
    from azure.ai.documentintelligence import DocumentIntelligenceClient
    from azure.ai.documentintelligence.models import AnalyzeDocumentRequest
    from azure.core.credentials import AzureKeyCredential
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    with DocumentIntelligenceClient(endpoint, AzureKeyCredential(KEY)) as client:
        with pytest.raises(HttpResponseError) as refused:
            client.begin_analyze_document(
                "prebuilt-read", AnalyzeDocumentRequest(url_source="http://192.0.2.1/a.pdf")
            )
        assert refused.value.status_code == 403
        assert refused.value.error is not None and refused.value.error.code == "Forbidden"
        with pytest.raises(ResourceNotFoundError) as missing:
            client.begin_analyze_document("prebuilt-invoice", io.BytesIO(b"%PDF-"))
        assert missing.value.error is not None and missing.value.error.code == "NotFound"
