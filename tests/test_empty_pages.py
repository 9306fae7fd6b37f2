"""Pages with nothing to read: the blank back of a duplex scan, a speck of dust, a punch hole,
an all-black page. Every engine reads them as pages with no words (never a crash, never junk
text), and `serve` answers them as Azure answers a page without text."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PIL import Image, ImageDraw

from ocr_pdf.cli import main
from ocr_pdf.engines import EngineConfig, get_engine
from ocr_pdf.serve import AzureCompatibleServer, make_server
from tests import checks
from tests.conftest import FAKE_KEY
from tests.standin import StandIn
from tests.test_local_engines import ENGINES, has_local
from tests.test_serve import polled

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])


def _page(kind: str) -> Image.Image:
    """A letter-size page at 150 dpi (1275 x 1650 px) of the given kind."""
    if kind == "black":
        return Image.new("L", (1275, 1650), 0)
    image = Image.new("L", (1275, 1650), 255)
    draw = ImageDraw.Draw(image)
    if kind == "speck":
        draw.ellipse((600, 600, 603, 603), fill=0)
    elif kind == "punch-hole":
        draw.ellipse((60, 800, 110, 850), fill=40)
    return image


KINDS = ("blank", "speck", "punch-hole", "black")


def _pdf(kind: str, folder: Path) -> Path:
    path = folder / f"{kind}.pdf"
    _page(kind).save(path, resolution=150)
    return path


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("engine", ENGINES)
def test_local_engines_read_no_words(
    engine: str, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _pdf(kind, tmp_path)
    out = tmp_path / "out.pdf"
    code = main([str(src), str(out), "--engine", engine, "--no-cache"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "error" not in err
    text = checks.page_text(out, 0)
    assert not any(ch.isalnum() for ch in text), f"junk text on a {kind} page: {text!r}"


@pytest.mark.parametrize("kind", ("blank", "black"))
@pytest.mark.parametrize("engine", ["azure-ocr", "azure-read", "azure-vision", "azure-di"])
def test_azure_engines_read_no_words(
    engine: str, kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stand-in answers a page it has no words for as each API answers a page without
    text (no regions, no lines, no blocks): a page with no words, exit 0."""
    src = _pdf(kind, tmp_path)
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    monkeypatch.delenv("AZURE_DI_ENDPOINT", raising=False)
    monkeypatch.delenv("AZURE_DI_KEY", raising=False)
    with StandIn(key=FAKE_KEY) as standin:
        standin.running_polls = 0
        code = main(
            [
                str(src),
                str(tmp_path / "out.pdf"),
                "--engine",
                engine,
                "--no-cache",
                "--endpoint",
                standin.endpoint,
            ]
        )
        assert code == 0
        assert standin.calls, "the page was never sent"
    assert checks.page_text(tmp_path / "out.pdf", 0) == ""


@pytest.fixture(scope="module")
def served() -> Iterator[AzureCompatibleServer]:
    """One server, one model loaded, for every page kind."""
    engine = get_engine("local", EngineConfig())
    server = make_server(engine, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@has_local
@pytest.mark.parametrize("kind", ("blank", "black"))
def test_serve_answers_a_blank_page_as_azure_does(served: AzureCompatibleServer, kind: str) -> None:
    buf = io.BytesIO()
    _page(kind).save(buf, "PNG")
    body = buf.getvalue()
    headers = {"Content-Type": "application/octet-stream"}
    legacy = requests.post(f"{served.url}/vision/v3.2/ocr", data=body, headers=headers, timeout=60)
    assert legacy.status_code == 200, legacy.text
    assert legacy.json()["regions"] == []
    vision = requests.post(
        f"{served.url}/computervision/imageanalysis:analyze",
        params={"api-version": "2023-10-01", "features": "read"},
        data=body,
        headers=headers,
        timeout=60,
    )
    assert vision.status_code == 200, vision.text
    assert vision.json()["readResult"]["blocks"] == []
    submitted = requests.post(
        f"{served.url}/vision/v3.2/read/analyze", data=body, headers=headers, timeout=60
    )
    assert submitted.status_code == 202
    answer = polled(submitted.headers["Operation-Location"])
    assert answer["status"] == "succeeded"
    assert answer["analyzeResult"]["readResults"][0]["lines"] == []
