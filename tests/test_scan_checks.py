"""A scan is sent as stored only when its image dictionary tells the truth about its bytes
(/Width, /Height, /BitsPerComponent and colour space against the JPEG's own frame header, no
turn asked by an Exif orientation), and no cached reading is ever placed with another page
image's geometry: whatever the file, the words land on their ink or the run fails.

The pages come from tests/test_scans.py (an upright two-column canvas stored as a JPEG); each
test spoils one thing the dictionary says, and checks what a user sees: the words on the ink
the page shows, with exit code 0."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from ocr_pdf.cli import main
from ocr_pdf.engines.base import Engine
from ocr_pdf.image.encoding import EncodedImage
from ocr_pdf.models import Line, PageText, Word
from ocr_pdf.reading.cache import OcrCache
from ocr_pdf.reading.page import read_page
from tests import checks
from tests.conftest import FAKE_KEY
from tests.pagegen import TruthPage
from tests.standin import StandIn
from tests.test_scans import Placement, scan_page

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])

# Drawn small (500 dpi as stored), so that even half the pixels the dictionary claims make a
# resolution fine enough to be sent as stored.
SMALL = Placement(scale=0.4)


def _exif_turned(jpeg: bytes, orientation: int) -> bytes:
    """The JPEG with an Exif segment asking viewers to turn it (tag 0x0112)."""
    tiff = b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1)
    tiff += struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + b"\x00\x00\x00\x00"
    body = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + jpeg[2:]


def _spoil(image: pikepdf.Stream, how: str) -> None:
    width, height = int(image.Width), int(image.Height)
    if how == "half-size":
        image.Width, image.Height = width // 2, height // 2
    elif how == "double-size":
        image.Width, image.Height = width * 2, height * 2
    elif how == "swapped-sides":
        image.Width, image.Height = height, width
    elif how == "rgb-space":
        image.ColorSpace = pikepdf.Name.DeviceRGB
    elif how == "16-bits":
        image.BitsPerComponent = 16
    elif how == "exif-turned":
        image.write(_exif_turned(image.read_raw_bytes(), 6), filter=pikepdf.Name.DCTDecode)
    elif how == "not-a-number":
        image.Width = pikepdf.String("wide")


def _convert(src: Path, out: Path, truths: list[TruthPage], *extra: str) -> StandIn:
    with StandIn(key=FAKE_KEY, pages=truths) as standin:
        args = [str(src), str(out), "--engine", "azure-ocr", "-q", "--endpoint"]
        code = main([*args, standin.endpoint, *extra])
    assert code == 0
    return standin


@pytest.mark.parametrize(
    "how",
    [
        "half-size",
        "double-size",
        "swapped-sides",
        "rgb-space",
        "16-bits",
        "exif-turned",
        "not-a-number",
    ],
)
def test_a_dictionary_that_lies_about_its_jpeg_is_rendered(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    pdf = pikepdf.new()
    truth, shown = scan_page(pdf, SMALL)
    image = pdf.pages[0].obj.Resources.XObject.Im0
    assert isinstance(image, pikepdf.Stream)
    _spoil(image, how)
    stored = image.read_raw_bytes()
    src, out = tmp_path / "scan.pdf", tmp_path / "out.pdf"
    pdf.save(src)
    # The stand-in knows both the stored image and the page as shown: whichever it is sent,
    # it answers that image's words; only the render's land on the ink.
    standin = _convert(src, out, [truth, shown], "--no-cache")
    assert len(standin.calls) == 1 and standin.calls[0]["bytes"] != len(stored)
    placements = checks.word_placements(out, 0, shown)
    assert placements and all(p.centres_inside for p in placements)


def test_a_cached_reading_is_never_placed_with_another_files_geometry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same JPEG in a file whose dictionary lies, then in a sound one, one cache."""
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    cache = ["--cache-dir", str(tmp_path / "cache")]
    sound = pikepdf.new()
    truth, shown = scan_page(sound, SMALL)
    sound.save(tmp_path / "sound.pdf")
    lying = pikepdf.open(tmp_path / "sound.pdf")
    image = lying.pages[0].obj.Resources.XObject.Im0
    assert isinstance(image, pikepdf.Stream)
    _spoil(image, "half-size")
    lying.save(tmp_path / "lying.pdf")
    _convert(tmp_path / "lying.pdf", tmp_path / "lying-out.pdf", [truth, shown], *cache)
    _convert(tmp_path / "sound.pdf", tmp_path / "sound-out.pdf", [truth, shown], *cache)
    for name in ("lying-out.pdf", "sound-out.pdf"):
        placements = checks.word_placements(tmp_path / name, 0, shown)
        assert placements and all(p.centres_inside for p in placements), name


class _Engine(Engine):
    name = "counting"
    count = 0

    def recognize_encoded(self, image: EncodedImage) -> PageText:
        self.count += 1
        word = Word("right", ((10, 10), (60, 10), (60, 30), (10, 30)))
        return PageText(image.width, image.height, (Line((word,)),))


def test_a_cached_entry_made_for_another_frame_is_read_again(tmp_path: Path) -> None:
    """An entry kept under a page image's key but made in another frame (an older version's
    entry for a lying dictionary, or a poisoned shared cache) is not trusted."""
    buf = io.BytesIO()
    Image.new("L", (400, 300), 255).save(buf, "JPEG")
    sent = EncodedImage(buf.getvalue(), "image/jpeg", 400, 300, 1.0)
    store = OcrCache(tmp_path)
    word = Word("wrong", ((100, 100), (300, 100), (300, 140), (100, 140)))
    store.put("k", PageText(200, 150, (Line((word,)),)))
    engine = _Engine()
    text, _, cached = read_page(engine, sent, store, "k")
    assert not cached and engine.count == 1 and text.text == "right"
    text, _, cached = read_page(engine, sent, store, "k")
    assert cached and engine.count == 1 and (text.width, text.height) == (400, 300)
