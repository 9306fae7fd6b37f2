"""Images in: a JPEG, PNG, TIFF (every frame), GIF, BMP or JPEG 2000 file as a PDF of one page
per image at the image's own resolution, the image data embedded without re-encoding where its
format allows (img2pdf); the PDF then goes through the conversion like any other.

Every frame's size is read from the file's headers before any pixel is decoded, and a file
whose frames would take too much memory or time is refused in one line. Images img2pdf cannot
embed as they are (16-bit TIFF samples, 32-bit and float ones, transparency) are converted to
8-bit samples as displayed on white (:func:`ocr_pdf.image.encoding.eight_bit`) one frame at a time,
each stored as a lossless PNG (or CCITT G4 for bilevel frames) before the next is decoded."""

from __future__ import annotations

import io
import logging
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from ocr_pdf.errors import FileAccessError, InputFileError
from ocr_pdf.image.encoding import ORIENTATION, eight_bit

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

MAX_FRAMES = 2000
"""Frames (pages) an image file may have."""

MAX_FRAME_PIXELS = 180_000_000
"""Pixels one frame may have (about Pillow's own decompression-bomb limit: 13400 x 13400, a
44 x 44 inch page at 300 dpi)."""

MAX_DECODED_BYTES = 256 * 2**20
"""Memory one decoded frame may take (Pillow keeps colour, alpha, 32-bit and float samples in
4 bytes a pixel, grey and palette in 1): a 64-megapixel colour frame (a 300-dpi scan of 24 x
36 inches), converted with at most as much again."""

MAX_TOTAL_PIXELS = 2_000_000_000
"""Pixels all frames together may have: about 230 A4 pages scanned at 300 dpi."""

MAX_CONVERTED_BYTES = 256 * 2**20
"""Bytes the frames converted here may take once stored losslessly, all together (they are
held until the PDF is made)."""

_PLAIN_MODES = frozenset({"1", "L", "RGB", "CMYK", "P"})
"""Modes img2pdf embeds as they are (16-bit PNGs too: it keeps their samples)."""


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


@dataclass(frozen=True)
class Survey:
    """What a file's headers say: ``frames`` in it, whether img2pdf can embed it as it is
    (``plain``), the dpi to impose (None: keep each frame's own)."""

    frames: int
    plain: bool
    imposed: float | None


def _bytes_per_pixel(mode: str) -> int:
    return 1 if mode in ("1", "L", "P") else 2 if mode.startswith("I;16") else 4


def _survey(path: Path, image: Image.Image, fallback_dpi: float | None) -> Survey:
    """Every frame's size and mode, read from the headers (seeking a frame decodes nothing),
    checked against the bounds before anything is decoded."""
    frames, total, plain, own = 0, 0, True, _own_dpi(image)
    while True:
        width, height = image.size
        pixels = width * height
        if pixels > MAX_FRAME_PIXELS or pixels * _bytes_per_pixel(image.mode) > MAX_DECODED_BYTES:
            raise InputFileError(
                f"{path}: frame {frames + 1} is {width} x {height} pixels in mode "
                f"{image.mode}, more than we decode (at most {MAX_FRAME_PIXELS // 10**6} "
                f"megapixels and {MAX_DECODED_BYTES // 2**20} MB a frame)"
            )
        total += pixels
        frames += 1
        plain = plain and _plain(image)
        if frames > MAX_FRAMES or total > MAX_TOTAL_PIXELS:
            raise InputFileError(
                f"{path}: the image has more than {MAX_FRAMES} frames or "
                f"{MAX_TOTAL_PIXELS // 10**9} gigapixels in all, more than we convert"
            )
        try:
            image.seek(frames)
        except EOFError:
            break
    if own is None and fallback_dpi is None:
        raise InputFileError(
            f"{path}: the image does not say its resolution; give it with --image-dpi "
            "(300 for most scans)"
        )
    return Survey(frames, plain, None if own is not None else fallback_dpi)


def _plain(image: Image.Image) -> bool:
    """Whether img2pdf embeds this frame faithfully as it is."""
    if "transparency" in image.info:
        return False
    return image.mode in _PLAIN_MODES or (image.format == "PNG" and image.mode.startswith("I;16"))


def _frames_converted(path: Path, image: Image.Image) -> Iterator[bytes]:
    """Each frame in 8-bit samples on white, stored losslessly (CCITT G4 for bilevel frames,
    PNG otherwise), one decoded at a time; refused when they add up to too much."""
    stored = 0
    index = 0
    while True:
        image.seek(index)
        dpi = image.info.get("dpi")
        turned = image.getexif().get(ORIENTATION, 1) in range(2, 9)
        frame = eight_bit(ImageOps.exif_transpose(image) if turned else image)
        buf = io.BytesIO()
        if frame.mode == "1":
            frame.save(buf, "TIFF", compression="group4", dpi=dpi or (0, 0))
        else:
            frame.save(buf, "PNG", compress_level=1, dpi=dpi or (0, 0))  # 3x faster than 6
        del frame
        stored += buf.tell()
        if stored > MAX_CONVERTED_BYTES:
            raise InputFileError(
                f"{path}: its frames take more than {MAX_CONVERTED_BYTES // 2**20} MB once "
                "converted; split the file, or make it a PDF first"
            )
        yield buf.getvalue()
        index += 1
        try:
            image.seek(index)
        except EOFError:
            return


def _opened(path: Path) -> Image.Image:
    with warnings.catch_warnings():
        # Our own bounds are checked right after; Pillow's warning would go to stderr.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return Image.open(path)


def to_pdf(path: Path, fallback_dpi: float | None) -> bytes:
    """A PDF of ``path``'s images, one page each, sized by their resolution."""
    import img2pdf  # here, not above: 45 ms of start-up that a PDF input never needs

    try:
        with _opened(path) as image:
            survey = _survey(path, image, fallback_dpi)
            settings: dict[str, Any] = {"rotation": img2pdf.Rotation.ifvalid}
            if survey.imposed:
                dpi = (survey.imposed, survey.imposed)
                settings["layout_fun"] = img2pdf.get_fixed_dpi_layout_fun(dpi)
            if survey.plain and survey.frames == 1:
                try:
                    return bytes(img2pdf.convert(str(path), **settings))
                except (img2pdf.ImageOpenError, img2pdf.AlphaChannelError, ValueError) as exc:
                    log.info("%s: embedding the image needs converting it first (%s)", path, exc)
            frames = list(_frames_converted(path, image))
    except Image.DecompressionBombError as exc:
        raise InputFileError(f"{path}: the image is larger than we decode ({exc})") from None
    except UnidentifiedImageError as exc:
        raise InputFileError(f"{path}: not a PDF, and not an image we can read ({exc})") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InputFileError(f"{path}: the image is damaged and cannot be read ({exc})") from None
    try:
        return bytes(img2pdf.convert(*frames, **settings))
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
