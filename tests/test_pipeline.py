"""The library and the command as a user scripts them: per-page results, page selection,
service image limits on extreme page sizes, the public API, the recorded cassettes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from PIL import Image

from ocr_pdf import ConversionResult, PageText, make_searchable
from ocr_pdf.azure.legacy_ocr import LIMITS
from ocr_pdf.image.encoding import encode_for_limits
from ocr_pdf.models import Line, Word, quad_from_box
from tests import checks
from tests.conftest import CASSETTES, FAKE_KEY, Service
from tests.pagegen import Block, PageSpec, make_pdf


class ScriptedEngine:
    """An engine that 'reads' one word in the middle of every image: enough to drive the
    pipeline without a service."""

    name = "scripted"

    def __init__(self) -> None:
        self.sizes: list[tuple[int, int]] = []

    def recognize(self, image: Image.Image) -> PageText:
        self.sizes.append(image.size)
        w, h = image.size
        word = Word("middle", quad_from_box(w * 0.4, h * 0.45, w * 0.2, h * 0.1), 0.9)
        return PageText(w, h, (Line((word,)),))


def test_library_reports_each_page(tmp_path: Path) -> None:
    spec = PageSpec("p", (Block(40, 40, ("hello",)),), width_in=4, height_in=3)
    data, _ = make_pdf([spec, spec, spec])
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(data)
    engine = ScriptedEngine()
    result = make_searchable(src, out, engine=engine, pages="1,3", dpi=100, cache=False)
    assert isinstance(result, ConversionResult)
    assert [(p.number, p.status, p.words, p.text) for p in result.pages] == [
        (1, "ocr", 1, "middle"),
        (2, "skipped", 0, ""),
        (3, "ocr", 1, "middle"),
    ]
    assert engine.sizes == [(400, 300), (400, 300)]
    assert result.bytes_added == out.stat().st_size - src.stat().st_size
    assert checks.page_text(out, 0) == "middle" and checks.page_text(out, 1) == ""
    # The word's characters sit in the middle of the page, as read.
    boxes = checks.char_boxes(out, 2)
    assert all(100 < (b[0] + b[2]) / 2 < 190 and 90 < (b[1] + b[3]) / 2 < 130 for _, b in boxes)


def test_limits_on_extreme_images() -> None:
    huge = encode_for_limits(Image.new("L", (7200, 10800), 255), LIMITS)
    assert max(huge.width, huge.height) <= 4200 and huge.width * huge.height <= 10_000_000
    assert len(huge.data) < LIMITS.max_bytes and huge.scale < 0.4
    tiny = encode_for_limits(Image.new("L", (300, 35), 255), LIMITS)
    assert (tiny.width, tiny.height, tiny.scale) == (300, 50, 1.0)
    assert tiny.content_type == "image/png"
    # Noise defeats compression: the encoder must still get under the byte limit.
    noisy = Image.effect_noise((4000, 4000), 120).convert("L")
    dense = encode_for_limits(noisy, LIMITS)
    assert len(dense.data) < LIMITS.max_bytes and dense.content_type == "image/jpeg"


@pytest.mark.vcr
@pytest.mark.azure
def test_drawing_and_receipt_fit_the_service(service: Service, tmp_path: Path) -> None:
    """A 24x36 inch drawing at 300 dpi and a receipt strip under 50 px tall: both are sent
    within the service's limits (the stand-in refuses anything else) and both get their text."""
    drawing = PageSpec(
        "drawing",
        (Block(40, 40, ("Elevation North", "Scale 1 to 50"), 30),),
        width_in=24,
        height_in=36,
        dpi=20,
    )
    receipt = PageSpec(
        "receipt", (Block(8, 6, ("TOTAL 12.50 EUR",), 36),), width_in=3, height_in=0.33, dpi=150
    )
    data, truths = make_pdf([drawing, receipt])
    service.register(truths)
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(data)
    result = make_searchable(src, out, engine="azure-ocr", endpoint=service.endpoint, dpi=300)
    assert [p.words for p in result.pages] == [6, 3]
    for i, truth in enumerate(truths):
        assert checks.page_text(out, i) == checks.expected_text(truth)
        assert all(p.centres_inside for p in checks.word_placements(out, i, truth))


def test_python_dash_m() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ocr_pdf", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stdout.startswith("ocr-pdf ")


def test_cassettes_hold_no_key_and_no_image() -> None:
    files = list(CASSETTES.rglob("*.yaml"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert FAKE_KEY not in text, path
        for interaction in yaml.safe_load(text)["interactions"]:
            body = interaction["request"]["body"]
            assert body is None or str(body).startswith("sha256:"), path
            assert interaction["request"]["headers"]["Ocp-Apim-Subscription-Key"] == ["<redacted>"]
            headers = {k.lower() for k in interaction["response"]["headers"]}
            assert "x-stand-in" in headers, f"{path} does not say it was recorded on the stand-in"


class ScriptsEngine:
    """Reads one line per script, as an engine would report them (logical order)."""

    name = "scripts"
    LINES = (
        ("Latin", "naïve", "café"),
        ("Ελληνικά", "κόσμε"),
        ("Привет", "мир"),
        ("東", "京", "都"),
        ("مرحبا", "بالعالم"),
        ("שלום", "עולם"),
    )

    def recognize(self, image: Image.Image) -> PageText:
        w, h = image.size
        lines = []
        for row, texts in enumerate(self.LINES):
            y = h * (0.1 + 0.12 * row)
            rtl = row >= 4
            words = []
            x = w * (0.9 if rtl else 0.1)
            for text in texts:
                width = len(text) * w * 0.02
                left = x - width if rtl else x
                words.append(Word(text, quad_from_box(left, y, width, h * 0.04)))
                gap = 0.0 if text == "東" or text == "京" else w * 0.012
                x = left - gap if rtl else left + width + gap
            lines.append(Line(tuple(words)))
        return PageText(w, h, tuple(lines))


def test_every_script_comes_back_as_recognised(tmp_path: Path) -> None:
    data, _ = make_pdf([PageSpec("blank", (), width_in=6, height_in=6)])
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(data)
    make_searchable(src, out, engine=ScriptsEngine(), dpi=72)
    expected = [" ".join(t) if t[0] != "東" else "".join(t) for t in ScriptsEngine.LINES]
    assert checks.page_text(out, 0).split("\n") == expected
    poppler = checks.pdftotext(out, 0)
    if poppler is not None:
        lines = [
            " ".join(ln.replace("\u202b", "").replace("\u202c", "").split())
            for ln in poppler.splitlines()
            if ln.strip()
        ]
        assert lines == expected


def create_scripted(config: object) -> ScriptedEngine:
    """An entry-point style factory: (EngineConfig) -> engine."""
    return ScriptedEngine()


def test_colour_pages_render_as_their_luminance(tmp_path: Path) -> None:
    """Engines get 8-bit grey pages: colour drawn on a page arrives as its luminance (red
    ink is dark grey, yellow nearly white), whatever colour space it was drawn in."""
    from reportlab.pdfgen import canvas

    from ocr_pdf.pdf import pdfium

    src = tmp_path / "colours.pdf"
    page = canvas.Canvas(str(src), pagesize=(400, 100))
    colours = [(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), (1.0, 1.0, 0.0)]
    for i, rgb in enumerate(colours):
        page.setFillColorRGB(*rgb)
        page.rect(i * 100, 0, 100, 100, stroke=0, fill=1)
    page.save()
    with pdfium.Document(src) as doc, doc.page(0) as p:
        image = p.render(72)
    assert image.mode == "L" and image.size == (400, 100)
    for i, (r, g, b) in enumerate(colours):
        expected = 255 * (0.299 * r + 0.587 * g + 0.114 * b)
        assert abs(image.getpixel((i * 100 + 50, 50)) - expected) <= 3  # type: ignore[operator]
