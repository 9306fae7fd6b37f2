"""Images in: a JPEG, PNG, TIFF (every frame), GIF, BMP or JPEG 2000 file as a PDF of one page
per image at the image's own resolution, the image data embedded without re-encoding where its
format allows (img2pdf); the PDF then goes through the conversion like any other."""

from __future__ import annotations

import io
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from ocr_pdf.errors import FileAccessError, InputFileError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".gif", ".bmp", ".jp2"})
"""What a folder input picks up besides PDFs."""

_MAGIC = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",
    b"II*\x00",  # TIFF, little-endian
    b"MM\x00*",  # TIFF, big-endian
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"\x00\x00\x00\x0cjP  ",  # JPEG 2000
)

PLAUSIBLE_DPI = (30.0, 3000.0)
"""Resolutions an image may claim; outside them (0, or the 1 of some cameras) it has none."""


def is_image(path: Path) -> bool:
    """Whether ``path`` starts like an image file we take (by its bytes, not its name)."""
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except OSError:
        return False
    return head.startswith(_MAGIC)


def _own_dpi(image: Image.Image) -> float | None:
    """The resolution the image says it has, if plausible."""
    dpi = image.info.get("dpi") or ()
    try:
        value = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        value = 0.0
    low, high = PLAUSIBLE_DPI
    return value if low <= value <= high else None


def _check(path: Path, fallback_dpi: float | None) -> tuple[bool, float | None]:
    """(img2pdf can embed it as it is, the dpi to impose or None to keep the image's own)."""
    try:
        with Image.open(path) as image:
            own = _own_dpi(image)
            plain = (
                image.mode in ("1", "L", "RGB", "CMYK", "P") and "transparency" not in image.info
            )
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise InputFileError(f"{path}: not a PDF, and not an image we can read ({exc})") from None
    if own is None and fallback_dpi is None:
        raise InputFileError(
            f"{path}: the image does not say its resolution; give it with --image-dpi "
            "(300 for most scans)"
        )
    return plain, None if own is not None else fallback_dpi


def _flattened(path: Path) -> bytes:
    """The image with transparency flattened onto white, as a lossless PNG per frame, for the
    images img2pdf refuses to embed as they are (alpha channels, 16-bit samples)."""
    frames = []
    with Image.open(path) as image:
        dpi = image.info.get("dpi")
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            frame = image.convert("RGBA")
            white = Image.new("RGB", frame.size, (255, 255, 255))
            white.paste(frame, mask=frame.getchannel("A"))
            frames.append(white)
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:], dpi=dpi or (0, 0))
    return buf.getvalue()


def to_pdf(path: Path, fallback_dpi: float | None) -> bytes:
    """A PDF of ``path``'s images, one page each, sized by their resolution."""
    import img2pdf  # here, not above: 45 ms of start-up that a PDF input never needs

    plain, imposed = _check(path, fallback_dpi)
    settings: dict[str, Any] = {"rotation": img2pdf.Rotation.ifvalid}
    if imposed:
        settings["layout_fun"] = img2pdf.get_fixed_dpi_layout_fun((imposed, imposed))
    try:
        if plain:
            return bytes(img2pdf.convert(str(path), **settings))
    except (img2pdf.ImageOpenError, img2pdf.AlphaChannelError, ValueError, TypeError) as exc:
        log.info("%s: embedding the image needs converting it first (%s)", path, exc)
    try:
        return bytes(img2pdf.convert(_flattened(path), **settings))
    except Exception as exc:  # img2pdf raises plain exceptions on odd images
        raise InputFileError(f"{path}: cannot make a PDF of this image ({exc})") from None


@contextmanager
def as_pdf(path: Path, fallback_dpi: float | None = None) -> Iterator[Path]:
    """``path`` itself when it is not an image (a PDF, or something the PDF checks will name),
    else a temporary PDF of its images, removed afterwards."""
    if not is_image(path):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="ocr-pdf-image-") as folder:
        converted = Path(folder) / f"{path.stem}.pdf"
        try:
            converted.write_bytes(to_pdf(path, fallback_dpi))
        except OSError as exc:
            raise FileAccessError(f"{path}: cannot convert the image ({exc.strerror})") from None
        yield converted
