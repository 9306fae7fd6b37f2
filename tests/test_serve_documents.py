"""`ocr-pdf serve` as Document Intelligence, driven over HTTP as Azure's REST reference drives
it: analyze, poll, the searchable PDF, delete; PDF, image and JSON bodies; the refusals in
Document Intelligence's error bodies; a document counted as its pages in the engine's queue.
The writer of the analyze result is checked against our own parser and by its offsets."""

from __future__ import annotations

import base64
import http.server
import io
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import requests
from PIL import Image, ImageDraw
from reportlab.pdfgen import canvas

from ocr_pdf.azure.document_intelligence import (
    ResultPage,
    analyze_result,
    parse_analyze_result,
)
from ocr_pdf.models import Line, PageText, Word
from ocr_pdf.serve import AzureCompatibleServer
from ocr_pdf.serve.analysis import page_spec
from ocr_pdf.serve.work import WorkQueue
from tests import test_serve_hardening

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
serve = test_serve_hardening.serve  # the servers on threads, stopped after each test

DI = "/documentintelligence/documentModels"
SENTENCE = "Payable within thirty days to the garden society of the town."
VERSION = "api-version=2024-11-30"


class OneWordEngine:
    """Reads every page as one word where a black bar is drawn (x 100..400, y 100..160 of a
    1275 x 1650 page image); counts its pages; fails when told to."""

    name = "oneword"

    def __init__(self, text: str = "hello", fail: bool = False) -> None:
        self.text = text
        self.fail = fail
        self.pages = 0

    def recognize(self, image: Image.Image) -> PageText:
        self.pages += 1
        if self.fail:
            raise RuntimeError("the engine broke")
        sx, sy = image.width / 1275, image.height / 1650
        quad = (
            (100 * sx, 100 * sy),
            (400 * sx, 100 * sy),
            (400 * sx, 160 * sy),
            (100 * sx, 160 * sy),
        )
        return PageText(image.width, image.height, (Line((Word(self.text, quad, 0.9),)),))


def scan_page() -> Image.Image:
    page = Image.new("L", (1275, 1650), 255)
    ImageDraw.Draw(page).rectangle((100, 100, 400, 160), fill=0)
    return page


def scan_pdf(pages: int = 2) -> bytes:
    """A PDF of ``pages`` scanned US Letter pages at 150 dpi."""
    buf = io.BytesIO()
    first = scan_page()
    first.save(buf, "PDF", resolution=150, save_all=True, append_images=[scan_page()] * (pages - 1))
    return buf.getvalue()


def text_and_scan_pdf() -> bytes:
    """Page 1 has its own text (two lines: "Invoice 42", then a sentence); page 2 is a
    scan."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=(612, 792))
    pdf.setFont("Helvetica", 14)
    pdf.drawString(72, 700, "Invoice 42")
    pdf.drawString(72, 680, SENTENCE)
    pdf.showPage()
    pdf.save()
    scan = io.BytesIO()
    scan_page().save(scan, "PDF", resolution=150)
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(buf.getvalue())) as text, pikepdf.open(scan) as image:
        text.pages.extend(image.pages)
        text.save(out)
    return out.getvalue()


def analyze(
    server: AzureCompatibleServer,
    body: bytes,
    query: str = "",
    model: str = "prebuilt-read",
    content_type: str = "application/pdf",
) -> requests.Response:
    url = f"{server.url}{DI}/{model}:analyze?{VERSION}{query}"
    return requests.post(url, data=body, headers={"Content-Type": content_type}, timeout=30)


def poll(location: str) -> dict[str, Any]:
    for _ in range(600):
        answer = requests.get(location, timeout=30)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        if body["status"] not in ("notStarted", "running"):
            return body
        assert int(answer.headers["Retry-After"]) >= 1
        time.sleep(0.05)
    raise AssertionError("the operation never ended")


def inner(answer: requests.Response) -> tuple[int, str, str]:
    error = answer.json()["error"]
    return answer.status_code, error["code"], error.get("innererror", {}).get("code", "")


def test_analyze_poll_and_get_the_searchable_pdf(serve: Callable[..., Any], tmp_path: Path) -> None:
    engine = OneWordEngine()
    server = serve(engine)
    started = analyze(server, scan_pdf(), "&output=pdf")
    assert started.status_code == 202, started.text
    location = started.headers["Operation-Location"]
    assert location.startswith(f"{server.url}{DI}/prebuilt-read/analyzeResults/")
    assert location.endswith(f"?{VERSION}") and int(started.headers["Retry-After"]) >= 1
    done = poll(location)
    assert done["status"] == "succeeded" and engine.pages == 2
    result = done["analyzeResult"]
    assert (result["apiVersion"], result["modelId"]) == ("2024-11-30", "prebuilt-read")
    assert result["content"] == "hello\nhello" and result["contentFormat"] == "text"
    for number, page in enumerate(result["pages"], 1):
        assert page["pageNumber"] == number and page["unit"] == "inch"
        assert (page["width"], page["height"]) == (8.5, 11.0)
        word = page["words"][0]
        assert word["content"] == "hello" and word["confidence"] == 0.9
        assert word["span"] == {"offset": 6 * (number - 1), "length": 5}
        assert page["lines"][0]["spans"] == [word["span"]] == page["spans"]
        xs, ys = word["polygon"][0::2], word["polygon"][1::2]
        # The bar is at 100..400 x 100..160 px of a 150-dpi page: 0.67..2.67 x 0.67..1.07 in
        # (the box fitted to the ink, a little around it).
        assert 0.3 < min(xs) < 0.7 and 2.6 < max(xs) < 3.0, word
        assert 0.3 < min(ys) < 0.7 and 1.0 < max(ys) < 1.4, word
    pdf = requests.get(location.replace("?", "/pdf?"), timeout=30)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    (tmp_path / "out.pdf").write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", tmp_path / "out.pdf", "-"], capture_output=True, text=True, check=True
    )
    assert text.stdout.split() == ["hello", "hello"]
    parsed = parse_analyze_result(done, 1275, 1650)
    assert parsed.text == "hello"


def test_a_page_with_its_own_text_is_reported_not_read(serve: Callable[..., Any]) -> None:
    engine = OneWordEngine()
    server = serve(engine)
    body = base64.b64encode(text_and_scan_pdf()).decode()
    started = requests.post(
        f"{server.url}{DI}/prebuilt-read:analyze?{VERSION}",
        json={"base64Source": body},
        timeout=30,
    )
    assert started.status_code == 202, started.text
    result = poll(started.headers["Operation-Location"])["analyzeResult"]
    assert result["content"] == f"Invoice 42\n{SENTENCE}\nhello" and engine.pages == 1
    words = result["pages"][0]["words"]
    assert [w["content"] for w in words] == ["Invoice", "42", *SENTENCE.split()]
    # Drawn at x = 72 pt, 14 pt tall on a baseline 92 pt (1.28 inch) from the top.
    left, top, bottom = words[0]["polygon"][0], words[0]["polygon"][1], words[0]["polygon"][5]
    assert abs(left - 1.0) < 0.02 and 1.0 < top < 1.2 < 1.28 < bottom < 1.4, words[0]


def test_images_pages_and_the_older_api(serve: Callable[..., Any]) -> None:
    engine = OneWordEngine()
    server = serve(engine, max_pages=2)
    frames = io.BytesIO()
    scan_page().save(frames, "TIFF", save_all=True, append_images=[scan_page()] * 2, dpi=(150, 150))
    url = f"{server.url}/formrecognizer/documentModels/prebuilt-layout:analyze"
    started = requests.post(
        url + "?api-version=2023-07-31&stringIndexType=unicodeCodePoint",
        data=frames.getvalue(),
        headers={"Content-Type": "image/tiff"},
        timeout=30,
    )
    assert started.status_code == 202, started.text
    assert (
        "/formrecognizer/documentModels/prebuilt-layout/" in started.headers["Operation-Location"]
    )
    result = poll(started.headers["Operation-Location"])["analyzeResult"]
    # Three frames, at most two pages analyzed (max_pages), the first ones.
    assert [p["pageNumber"] for p in result["pages"]] == [1, 2]
    assert "contentFormat" not in result and result["apiVersion"] == "2023-07-31"
    page = result["pages"][0]
    assert (page["unit"], page["width"], page["height"]) == ("pixel", 1275, 1650)
    xs = page["words"][0]["polygon"][0::2]
    assert 50 < min(xs) < 110 and 390 < max(xs) < 450
    one = analyze(server, scan_pdf(3), "&pages=2", content_type="application/octet-stream")
    assert [
        p["pageNumber"] for p in poll(one.headers["Operation-Location"])["analyzeResult"]["pages"]
    ] == [2]


def test_refusals_are_document_intelligences(serve: Callable[..., Any]) -> None:
    server = serve(OneWordEngine())
    pdf = scan_pdf(1)
    assert inner(analyze(server, pdf, model="prebuilt-invoice")) == (
        404,
        "NotFound",
        "ModelNotFound",
    )
    wrong = requests.post(
        f"{server.url}{DI}/prebuilt-read:analyze?api-version=2021-09-30-preview",
        data=pdf,
        headers={"Content-Type": "application/pdf"},
        timeout=30,
    )
    assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "404"
    layout_pdf = analyze(server, pdf, "&output=pdf", model="prebuilt-layout")
    assert inner(layout_pdf) == (400, "InvalidArgument", "InvalidParameter")
    assert inner(analyze(server, pdf, "&pages=5")) == (400, "InvalidArgument", "InvalidParameter")
    assert inner(analyze(server, pdf, "&pages=x")) == (400, "InvalidArgument", "InvalidParameter")
    assert inner(analyze(server, pdf, "&stringIndexType=bytes"))[2] == "InvalidParameter"
    assert inner(analyze(server, b"hello", content_type="text/plain"))[:2] == (
        415,
        "UnsupportedMediaType",
    )
    assert inner(analyze(server, b"not a document")) == (400, "InvalidRequest", "InvalidContent")
    tiny = io.BytesIO()
    Image.new("L", (20, 20), 255).save(tiny, "PNG")
    too_small = analyze(server, tiny.getvalue(), content_type="image/png")
    assert inner(too_small) == (400, "InvalidRequest", "InvalidContentDimensions")
    url = f"{server.url}{DI}/prebuilt-read:analyze?{VERSION}"
    for body in ({"urlSource": "http://192.0.2.1/a.pdf"},):
        assert inner(requests.post(url, json=body, timeout=30)) == (
            403,
            "Forbidden",
            "OutboundAccessForbidden",
        )
    for body in ({}, {"base64Source": "%%%"}, {"base64Source": "QQ==", "urlSource": "x"}):
        answer = requests.post(url, json=body, timeout=30)
        assert inner(answer) == (400, "InvalidArgument", "InvalidContentSourceFormat"), body
    missing = f"{server.url}{DI}/prebuilt-read/analyzeResults/nope?{VERSION}"
    assert inner(requests.get(missing, timeout=30))[2] == "OperationNotFound"


def test_results_pdf_delete_and_failures(serve: Callable[..., Any]) -> None:
    server = serve(OneWordEngine())
    location = analyze(server, scan_pdf(1)).headers["Operation-Location"]
    assert poll(location)["status"] == "succeeded"
    no_pdf = requests.get(location.replace("?", "/pdf?"), timeout=30)
    assert inner(no_pdf)[2] == "OperationNotFound" and "output=pdf" in no_pdf.text
    other_model = location.replace("prebuilt-read", "prebuilt-layout")
    assert requests.get(other_model, timeout=30).status_code == 404
    assert requests.delete(location, timeout=30).status_code == 204
    assert requests.get(location, timeout=30).status_code == 404
    broken = serve(OneWordEngine(fail=True))
    failed = poll(analyze(broken, scan_pdf(1)).headers["Operation-Location"])
    assert failed["status"] == "failed" and failed["error"]["code"] == "InternalServerError"


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def test_url_sources_are_fetched_when_allowed(serve: Callable[..., Any], tmp_path: Path) -> None:
    (tmp_path / "scan.pdf").write_bytes(scan_pdf(1))
    files = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a: _Files(*a, directory=str(tmp_path))
    )
    threading.Thread(target=files.serve_forever, daemon=True).start()
    try:
        server = serve(OneWordEngine(), allow_urls=True)
        url = f"{server.url}{DI}/prebuilt-read:analyze?{VERSION}"
        source = f"http://127.0.0.1:{files.server_address[1]}"
        started = requests.post(url, json={"urlSource": f"{source}/scan.pdf"}, timeout=30)
        assert started.status_code == 202, started.text
        assert poll(started.headers["Operation-Location"])["analyzeResult"]["content"] == "hello"
        gone = requests.post(url, json={"urlSource": f"{source}/missing.pdf"}, timeout=30)
        assert inner(gone) == (400, "InvalidRequest", "ContentSourceNotAccessible")
    finally:
        files.shutdown()
        files.server_close()


def test_a_document_is_as_many_pages_of_work_as_it_has() -> None:
    gate = threading.Event()
    queue = WorkQueue(depth=4)
    try:
        running = queue.submit(gate.wait)
        assert running is not None
        for _ in range(100):
            if running.running():
                break
            time.sleep(0.01)
        assert queue.submit(lambda: None, pages=20) is not None  # nothing waits: taken
        assert queue.waiting == 20
        assert queue.submit(lambda: None) is None  # 21 pages would wait
        assert queue.full() and queue.seconds_left(running) >= 0
    finally:
        gate.set()
        queue.close()


def test_the_result_counts_offsets_as_asked() -> None:
    quad = ((0.0, 0.0), (10.0, 0.0), (10.0, 5.0), (0.0, 5.0))
    words = (Word("\U0001d49c\u0301bc", quad), Word("day", quad))
    page = ResultPage(1, PageText(100, 50, (Line(words),)), "pixel", 1.0, 100, 50)
    for index_type, offset in (("textElements", 4), ("unicodeCodePoint", 5), ("utf16CodeUnit", 6)):
        result = analyze_result([page], "prebuilt-read", "2024-11-30", index_type)
        day = result["pages"][0]["words"][1]["span"]
        assert day == {"offset": offset, "length": 3}, index_type
        assert result["stringIndexType"] == index_type
    assert page_spec((0, 1, 2, 4, 6, 7)) == "1-3,5,7-8"
