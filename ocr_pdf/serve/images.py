"""The request's image for `ocr-pdf serve`: its format and size read from the header before
anything is decoded (Pillow parses headers lazily), refused as Azure refuses it, and decoded
only when the engine is ready for it."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from ocr_pdf.azure.apis import Api
from ocr_pdf.image.encoding import as_grey

_UNREADABLE = (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError)


@dataclass(frozen=True)
class Refusal:
    """Why an image is refused: Azure's error code and message."""

    code: str
    message: str


def _opened(data: bytes | bytearray) -> Image.Image:
    with warnings.catch_warnings():
        # Our own pixel bound is checked right after; Pillow's warning would go to stderr.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return Image.open(io.BytesIO(data))


def check(data: bytes | bytearray, api: Api, max_pixels: int) -> Refusal | None:
    """None when ``data`` is an image ``api`` takes and this server decodes, else the refusal.
    Reads the header only: a small file that declares 13000 x 13000 pixels costs nothing."""
    if not data:
        return Refusal("InvalidImageSize", "The image is empty.")
    try:
        with _opened(data) as image:
            fmt, (width, height) = image.format or "", image.size
    except Image.DecompressionBombError:
        return Refusal("InvalidImageSize", _too_many_pixels(max_pixels))
    except _UNREADABLE:
        hint = " PDF input is not supported by this local server." if data[:5] == b"%PDF-" else ""
        return Refusal("InvalidImageFormat", f"Input data is not a valid image.{hint}")
    limits = api.limits
    if fmt not in limits.formats:
        return Refusal("InvalidImageFormat", "Input data is not a valid image.")
    if not limits.fits(width, height):
        return Refusal(
            "InvalidImageSize",
            f"Image must be at least {limits.min_side} pixels in width and height and at most "
            f"{limits.max_side} pixels.",
        )
    if width * height > max_pixels:
        return Refusal("InvalidImageSize", _too_many_pixels(max_pixels))
    return None


def _too_many_pixels(max_pixels: int) -> str:
    return (
        f"Input image is too large: this local server reads images of at most "
        f"{max_pixels / 1e6:g} megapixels."
    )


def decode(data: bytes | bytearray) -> Image.Image | None:
    """The image's first frame in grey levels, or None when its data cannot be decoded (a
    header that :func:`check` accepted over a damaged body)."""
    try:
        with _opened(data) as image:
            image.load()
            grey: Image.Image = as_grey(image)  # 16-bit samples scaled, never clipped
            return grey
    except (*_UNREADABLE, Image.DecompressionBombError):
        return None


def frames(data: bytes | bytearray, api: Api, max_pixels: int) -> list[tuple[int, int]] | Refusal:
    """Each frame's (width, height) of an image document (every page of a TIFF), read from
    the headers only, or the refusal in Document Intelligence's words when one is not what
    ``api`` takes or this server decodes."""
    try:
        with _opened(data) as image:
            fmt, sizes = image.format or "", []
            for index in range(getattr(image, "n_frames", 1)):
                image.seek(index)
                sizes.append(image.size)
    except Image.DecompressionBombError:
        return Refusal("InvalidContentDimensions", _too_many_pixels(max_pixels))
    except _UNREADABLE:
        return Refusal("InvalidContent", "")
    if fmt not in api.limits.formats:
        return Refusal("InvalidContent", "")
    for width, height in sizes:
        if not api.limits.fits(width, height):
            return Refusal("InvalidContentDimensions", "")
        if width * height > max_pixels:
            return Refusal("InvalidContentDimensions", _too_many_pixels(max_pixels))
    return sizes
