"""`ocr-pdf serve`: an Azure-compatible endpoint on loopback, backed by a local engine. Driven
the way existing scripts drive Azure (plain `requests` calls shaped as in the contract and
Azure's quickstart) and by our own azure-* engines, whose placement of every word on rotated,
skewed and sideways pages must survive the trip through each wire format."""

from __future__ import annotations

import io
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
import requests
from PIL import Image

from ocr_pdf import PageText, make_searchable
from ocr_pdf.models import Line, Quad, Word
from ocr_pdf.serve import AzureCompatibleServer, make_server
from tests import checks
from tests.conftest import FAKE_KEY
from tests.events import HANG, wait_for
from tests.pagegen import QuadT, TruthPage, geometry_specs, make_pdf
from tests.serve_process import serve_command, served_url
from tests.standin import StandIn
from tests.test_local_engines import has_local

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
SPECS = {s.name: s for s in geometry_specs()}


def scaled(quad: QuadT, w: float, h: float) -> Quad:
    """A quad normalised to [0, 1] as pixels of a ``w`` x ``h`` image."""
    a, b, c, d = ((x * w, y * h) for x, y in quad)
    return (a, b, c, d)


class TruthEngine:
    """Reads a generated page perfectly: the words the page generator drew, where it drew
    them (recognised by thumbnail, as the stand-in does)."""

    name = "truth"

    def __init__(self, pages: list[TruthPage]) -> None:
        self.matcher = StandIn(pages=pages)  # only its page matching; never started

    def recognize(self, image: Image.Image) -> PageText:
        match = self.matcher._match(image)
        assert match is not None, "an image of no known page"
        page, w, h = match
        lines = tuple(
            Line(tuple(Word(t.text, scaled(t.display_quad, w, h)) for t in ln)) for ln in page.lines
        )
        return PageText(image.width, image.height, lines)


@pytest.fixture
def serve() -> Iterator[object]:
    """Start a server on a free loopback port on a thread; returns a starter."""
    servers: list[AzureCompatibleServer] = []

    def start(engine: object, key: str | None = None) -> AzureCompatibleServer:
        server = make_server(engine, "127.0.0.1", 0, key)  # type: ignore[arg-type]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def polled(location: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A Read operation's answer, polled (as a client does) until it is no longer running."""
    answer: dict[str, Any] = {}

    def done() -> bool:
        answer.update(requests.get(location, headers=headers, timeout=HANG).json())
        return answer["status"] not in ("notStarted", "running")

    wait_for(done, f"{location} to finish")
    return answer


def page_png(name: str = "upright") -> tuple[bytes, list[TruthPage]]:
    data, truths = make_pdf([SPECS[name]])
    image = pdfium.PdfDocument(data)[0].render(scale=150 / 72).to_pil()
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue(), truths


@pytest.mark.parametrize("engine", ["azure-ocr", "azure-read", "azure-vision"])
@pytest.mark.parametrize("name", list(SPECS))
def test_our_engines_place_words_through_every_wire_format(
    name: str, engine: str, serve: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, truths = make_pdf([SPECS[name]])
    src, out = tmp_path / "scan.pdf", tmp_path / "out.pdf"
    src.write_bytes(data)
    server = serve(TruthEngine(truths))  # type: ignore[operator]
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    monkeypatch.setattr("ocr_pdf.azure.polling.POLL_INTERVAL", 0.05)
    make_searchable(src, out, engine=engine, endpoint=server.url, dpi=150, cache=False)
    truth = truths[0]
    assert checks.page_text(out, 0).split() == checks.expected_text(truth).split()
    placements = checks.word_placements(out, 0, truth)
    assert all(p.centres_inside for p in placements), [p.word.text for p in placements]
    assert sum(p.iou for p in placements) / len(placements) > 0.6


def test_a_script_written_for_azure_ocr_runs_unchanged(serve: object) -> None:
    png, truths = page_png()
    server = serve(TruthEngine(truths))  # type: ignore[operator]
    # As in Azure's REST quickstart: key header, octet-stream body, language and orientation.
    endpoint = server.url
    response = requests.post(
        endpoint + "/vision/v3.2/ocr",
        headers={"Ocp-Apim-Subscription-Key": "any", "Content-Type": "application/octet-stream"},
        params={"language": "unk", "detectOrientation": "true"},
        data=png,
        timeout=30,
    )
    response.raise_for_status()
    analysis = response.json()
    assert set(analysis) >= {"language", "textAngle", "orientation", "regions"}
    words = [
        word["text"]
        for region in analysis["regions"]
        for line in region["lines"]
        for word in line["words"]
    ]
    assert words == checks.expected_text(truths[0]).split()
    # The first word's box is where the page generator drew it (upright page: no rotation).
    x, y, w, h = (
        int(v) for v in analysis["regions"][0]["lines"][0]["words"][0]["boundingBox"].split(",")
    )
    width, height = Image.open(io.BytesIO(png)).size
    quad = truths[0].words[0].display_quad
    left, top = min(p[0] for p in quad) * width, min(p[1] for p in quad) * height
    right, bottom = max(p[0] for p in quad) * width, max(p[1] for p in quad) * height
    assert abs(x - left) <= 2 and abs(y - top) <= 2
    assert abs(x + w - right) <= 2 and abs(y + h - bottom) <= 2


def test_a_script_written_for_read_polls_as_on_azure(serve: object) -> None:
    png, truths = page_png()
    server = serve(TruthEngine(truths))  # type: ignore[operator]
    headers = {"Ocp-Apim-Subscription-Key": "any", "Content-Type": "application/octet-stream"}
    submitted = requests.post(
        server.url + "/vision/v3.2/read/analyze", headers=headers, data=png, timeout=30
    )
    assert submitted.status_code == 202 and submitted.content == b""
    location = submitted.headers["Operation-Location"]
    assert location.startswith(server.url + "/vision/v3.2/read/analyzeResults/")
    result = polled(location, {"Ocp-Apim-Subscription-Key": "any"})
    assert result["status"] == "succeeded"
    page = result["analyzeResult"]["readResults"][0]
    assert (page["unit"], page["page"]) == ("pixel", 1)
    lines = [line["text"] for line in page["lines"]]
    assert " ".join(lines).split() == checks.expected_text(truths[0]).split()
    assert all(len(w["boundingBox"]) == 8 for line in page["lines"] for w in line["words"])


def test_image_analysis_read(serve: object) -> None:
    png, truths = page_png()
    server = serve(TruthEngine(truths))  # type: ignore[operator]
    response = requests.post(
        server.url + "/computervision/imageanalysis:analyze",
        params={"api-version": "2023-10-01", "features": "read"},
        headers={"Content-Type": "application/octet-stream"},
        data=png,
        timeout=30,
    )
    body = response.json()
    assert response.status_code == 200, body
    assert body["metadata"] == dict(
        zip(("width", "height"), Image.open(io.BytesIO(png)).size, strict=True)
    )
    texts = [
        w["text"] for b in body["readResult"]["blocks"] for ln in b["lines"] for w in ln["words"]
    ]
    assert texts == checks.expected_text(truths[0]).split()


def _png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (width, height), 255).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize(
    "path,body,content_type,status,code",
    [
        ("/vision/v3.2/ocr", _png(40, 40), "application/octet-stream", 400, "InvalidImageSize"),
        ("/vision/v3.2/ocr", _png(4300, 60), "application/octet-stream", 400, "InvalidImageSize"),
        (
            "/vision/v3.2/ocr",
            b"%PDF-1.7 not an image",
            "application/octet-stream",
            400,
            "InvalidImageFormat",
        ),
        (
            "/vision/v3.2/ocr",
            b"\x00" * (4 * 1024 * 1024 + 1),
            "application/octet-stream",
            400,
            "InvalidImageSize",
        ),
        (
            "/vision/v3.2/ocr",
            b'{"url": "https://example.org/a.png"}',
            "application/json",
            400,
            "InvalidImageUrl",
        ),
        (
            "/vision/v3.2/read/analyze",
            _png(10001, 60),
            "application/octet-stream",
            400,
            "InvalidImageSize",
        ),
        ("/vision/v9.9/ocr", _png(60, 60), "application/octet-stream", 404, "404"),
        ("/vision/v3.2/describe", _png(60, 60), "application/octet-stream", 404, "404"),
    ],
)
def test_refusals_are_azures(
    path: str, body: bytes, content_type: str, status: int, code: str, serve: object
) -> None:
    server = serve(TruthEngine([]))  # type: ignore[operator]
    response = requests.post(
        server.url + path, headers={"Content-Type": content_type}, data=body, timeout=30
    )
    assert response.status_code == status
    error = response.json()["error"]
    assert error.get("innererror", error)["code"] == code
    assert error["message"]


def test_v2_errors_are_flat(serve: object) -> None:
    server = serve(TruthEngine([]))  # type: ignore[operator]
    response = requests.post(
        server.url + "/vision/v2.1/ocr",
        headers={"Content-Type": "application/octet-stream"},
        data=b"not an image",
        timeout=30,
    )
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidImageFormat" and "requestId" in response.json()


def test_key_check(serve: object) -> None:
    png, truths = page_png()
    server = serve(TruthEngine(truths), key="s3cret")  # type: ignore[operator]
    url = server.url + "/vision/v3.2/ocr"
    denied = requests.post(
        url, headers={"Content-Type": "application/octet-stream"}, data=png, timeout=30
    )
    assert denied.status_code == 401 and denied.json()["error"]["code"] == "401"
    allowed = requests.post(
        url,
        headers={"Content-Type": "application/octet-stream", "Ocp-Apim-Subscription-Key": "s3cret"},
        data=png,
        timeout=30,
    )
    assert allowed.status_code == 200


@has_local
@pytest.mark.slow
def test_the_command_serves_the_bundled_engine(tmp_path: Path) -> None:
    """`ocr-pdf serve --port 0` as a user starts it: it names its URL, reads a real page with
    the local engine, and stops cleanly on SIGTERM."""
    proc = serve_command("--port", "0", engine="local")
    try:
        url = served_url(proc, "local")
        png, _ = page_png()
        response = requests.post(
            url + "/vision/v3.2/ocr",
            headers={"Content-Type": "application/octet-stream"},
            data=png,
            timeout=60,
        )
        words = [
            w["text"] for r in response.json()["regions"] for ln in r["lines"] for w in ln["words"]
        ]
        assert "Quarterly" in words, words
    finally:
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=30)[1]
    assert proc.returncode == 0, rest
