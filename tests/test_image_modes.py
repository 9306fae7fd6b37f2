"""Images of every bit depth and mode (tests/imagemodes.py) give the same page as the 8-bit grey
original: as converted into a PDF and rendered, as a scan sent as stored is seen by the ink
fitting and the rescue, as `serve` decodes a request, and as text read by a real engine."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from ocr_pdf.cli import main
from ocr_pdf.image import to_pdf
from ocr_pdf.image.encoding import EncodedImage, as_grey
from ocr_pdf.reading.page import SentImage
from ocr_pdf.serve.images import decode
from tests import checks, imagemodes

VARIANTS = imagemodes.variants()
THRESHOLD = (imagemodes.PAPER + imagemodes.INK) // 2


def _ink(grey: Image.Image) -> np.ndarray:
    return np.asarray(grey.convert("L")) < THRESHOLD


def _overlap(got: np.ndarray, want: np.ndarray) -> float:
    return float((got & want).sum() / max(1, (got | want).sum()))


def _rendered(pdf: bytes) -> Image.Image:
    doc = pdfium.PdfDocument(pdf)
    try:
        bitmap = doc[0].render(scale=imagemodes.DPI / 72)
        grey: Image.Image = bitmap.to_pil().convert("L")
        return grey
    finally:
        doc.close()


REFERENCE = _ink(imagemodes.page())


def _rendered_reference(tmp_path: Path) -> np.ndarray:
    """The 8-bit original's page as converted and rendered (the same resampling)."""
    path = tmp_path / "reference.png"
    path.write_bytes(VARIANTS["grey8.png"])
    return _ink(_rendered(to_pdf.to_pdf(path, None)).crop((0, 0, 900, 240)))


@pytest.mark.parametrize("name", list(VARIANTS))
def test_every_mode_and_depth_makes_the_same_page(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(VARIANTS[name])
    page = _rendered(to_pdf.to_pdf(path, None))
    # pHYs stores dots per metre: 150 dpi comes back as 150.01, a pixel more when rendered.
    assert abs(page.width - 900) <= 1 and abs(page.height - 240) <= 1
    page = page.crop((0, 0, 900, 240))
    # The ink is where the 8-bit original has it (1-bit and 2-bit versions quantise its
    # edges; a transparent paper composited onto white loses nothing of the ink).
    overlap = _overlap(_ink(page), _rendered_reference(tmp_path))
    assert overlap > 0.85


@pytest.mark.parametrize("name", [n for n in VARIANTS if n.endswith(".png")])
def test_a_scan_sent_as_stored_is_seen_as_printed(name: str) -> None:
    """The pixels the ink fitting and the rescue read of a PNG sent as it is."""
    data = VARIANTS[name]
    with Image.open(io.BytesIO(data)) as opened:
        width, height = opened.size
    sent = SentImage(EncodedImage(data, "image/png", width, height, 1.0), None)
    pixels = sent.pixels()
    assert pixels is not None and pixels.mode == "L"
    overlap = _overlap(_ink(pixels), REFERENCE)
    assert overlap > 0.85


@pytest.mark.parametrize("name", ["grey16.png", "rgba16.png", "grey-alpha.png"])
def test_serve_decodes_every_depth_as_printed(name: str) -> None:
    grey = decode(VARIANTS[name])
    assert grey is not None
    overlap = _overlap(_ink(grey), REFERENCE)
    assert overlap > 0.85


@pytest.mark.parametrize(
    ("mode", "values", "expected"),
    [
        ("I;16", [0, 257 * 72, 65535], [0, 72, 255]),
        ("I", [0, 257 * 72, 65535], [0, 72, 255]),
        ("I", [0, 72, 226], [0, 72, 226]),
        ("I", [0, 400_000, 2_000_000], [0, 51, 255]),
        ("F", [0.0, 72 / 255, 1.0], [0, 72, 255]),
        ("F", [-3.0, 72.0, 226.0], [0, 72, 226]),
    ],
)
def test_wide_samples_are_scaled_not_clipped(
    mode: str, values: list[float], expected: list[int]
) -> None:
    dtype = {"I;16": np.uint16, "I": np.int32, "F": np.float32}[mode]
    image = Image.fromarray(np.array([values], dtype=dtype))
    assert image.mode == mode
    assert np.asarray(as_grey(image)).tolist() == [expected]


@pytest.mark.slow
@pytest.mark.parametrize("name", list(VARIANTS))
def test_every_mode_and_depth_reads_as_well_as_eight_bit(name: str, tmp_path: Path) -> None:
    """The real engine on the converted page: every word the 8-bit original gives."""
    path, out = tmp_path / name, tmp_path / "out.pdf"
    path.write_bytes(VARIANTS[name])
    assert main([str(path), str(out), "--engine", "tesseract", "--no-cache", "-q"]) == 0
    text = checks.page_text(out, 0)
    assert all(word in text for word in imagemodes.WORDS), text


# -- 23.5: frames, pixels and memory bounded before decoding ---------------------------------


def _frames(path: Path, count: int, size: tuple[int, int], mode: str = "RGBA") -> None:
    frame = Image.new(mode, size, (255, 255, 255, 0) if mode == "RGBA" else 255)
    frame.save(
        path,
        save_all=True,
        append_images=[frame] * (count - 1),
        compression="tiff_adobe_deflate",
        dpi=(300, 300),
    )


def test_a_multi_frame_image_is_converted_one_frame_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "frames.tif"
    _frames(path, 5, (1200, 900))
    doc = pdfium.PdfDocument(to_pdf.to_pdf(path, None))
    try:
        assert len(doc) == 5
    finally:
        doc.close()


@pytest.mark.parametrize(
    ("limit", "value", "needle"),
    [
        ("MAX_FRAMES", 3, "more than 3 frames"),
        ("MAX_TOTAL_PIXELS", 3_000_000, "gigapixels in all"),
        ("MAX_FRAME_PIXELS", 500_000, "more than we decode"),
        ("MAX_DECODED_BYTES", 2_000_000, "more than we decode"),
        ("MAX_CONVERTED_BYTES", 1000, "once converted"),
    ],
)
def test_too_much_is_refused_in_one_line_before_it_is_decoded(
    limit: str,
    value: int,
    needle: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "frames.tif"
    _frames(path, 5, (1200, 900))
    monkeypatch.setattr(to_pdf, limit, value)
    code = main([str(path), str(tmp_path / "out.pdf"), "--engine", "tesseract", "--no-cache"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and needle in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "out.pdf").exists()


def test_a_png_declaring_thirty_thousand_pixels_a_side_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bomb.png"
    Image.new("1", (30000, 30000), 1).save(path, dpi=(300, 300))
    assert path.stat().st_size < 10_000_000
    code = main([str(path), str(tmp_path / "out.pdf"), "--engine", "tesseract", "--no-cache"])
    assert code == 2 and "larger than we decode" in capsys.readouterr().err
