"""Pillow: page images of any mode and bit depth in 8-bit samples, and encoded so that they meet
an OCR service's input limits."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image

from ocr_pdf.errors import OcrEngineError


@dataclass(frozen=True)
class ImageLimits:
    """What a service accepts: each side in [min_side, max_side] pixels, at most max_pixels
    pixels (0 = no limit), strictly under max_bytes bytes, in one of ``formats`` (Pillow's
    format names: "JPEG", "PNG", ...)."""

    min_side: int
    max_side: int
    max_bytes: int
    max_pixels: int = 0
    formats: frozenset[str] = frozenset({"JPEG", "PNG"})

    def within(self, other: ImageLimits) -> ImageLimits:
        """What both these limits and ``other`` allow."""
        pixels = [p for p in (self.max_pixels, other.max_pixels) if p]
        return ImageLimits(
            max(self.min_side, other.min_side),
            min(self.max_side, other.max_side),
            min(self.max_bytes, other.max_bytes),
            min(pixels) if pixels else 0,
            self.formats & other.formats,
        )

    def takes(self, data: bytes, content_type: str, width: int, height: int) -> bool:
        """Whether an encoded image can be sent as it is: its format, size and bytes."""
        kind = content_type.removeprefix("image/").upper()
        return kind in self.formats and len(data) < self.max_bytes and self.fits(width, height)

    def fits(self, width: int, height: int) -> bool:
        """Whether an image of ``width`` x ``height`` pixels is within the size limits."""
        return (
            self.min_side <= min(width, height)
            and max(width, height) <= self.max_side
            and (not self.max_pixels or width * height <= self.max_pixels)
        )


@dataclass(frozen=True)
class EncodedImage:
    """Image bytes ready to send. ``width``/``height`` are the pixel size of the encoded image,
    which may be padded (extra white at the right and bottom) and scaled from the original;
    an encoded pixel (x, y) maps back to original pixel (x / scale, y / scale)."""

    data: bytes
    content_type: str
    width: int
    height: int
    scale: float


GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "F"})
"""Pillow modes of one colour channel (besides the 16-bit ``I;16*`` ones)."""

_STRIP_PIXELS = 4_000_000
"""Pixels converted at a time: a large image's conversion costs a strip's worth of memory
beyond the image and its result, not a copy of the whole in every intermediate mode."""


def eight_bit(image: Image.Image) -> Image.Image:
    """``image`` in 8-bit samples as it is displayed on white paper: mode "1", "L" and "RGB"
    as they are, other grey modes as "L", colour ones as "RGB". Samples of 16 or 32 bits are
    scaled to 8 (never clipped, which turns a 16-bit scan's print white), floats by their
    range (0..1, 0..255 or 0..65535), transparency composited onto white, CMYK and other
    colour spaces converted. Converted a strip of rows at a time."""
    if image.mode in ("1", "L", "RGB"):
        return image
    grey = image.mode in GREY_MODES or image.mode.startswith("I;16")
    if image.mode == "P" and "transparency" not in image.info:
        grey = image.getpalette("RGB") is not None and _grey_palette(image)
    scale = _sample_scale(image)
    width, height = image.size
    rows = max(1, _STRIP_PIXELS // max(1, width))
    if height <= rows:
        return _strip(image, grey, scale)
    out = Image.new("L" if grey else "RGB", image.size)
    for top in range(0, height, rows):
        strip = image.crop((0, top, width, min(height, top + rows)))
        out.paste(_strip(strip, grey, scale), (0, top))
    out.info = dict(image.info)
    return out


def as_grey(image: Image.Image) -> Image.Image:
    """``image`` as 8-bit grey levels ("L"), whatever its mode and bit depth (see
    :func:`eight_bit`): what engines, ink fitting and the rescue read."""
    image = eight_bit(image)
    return image if image.mode == "L" else image.convert("L")


def _grey_palette(image: Image.Image) -> bool:
    palette = image.getpalette("RGB") or []
    return all(palette[i] == palette[i + 1] == palette[i + 2] for i in range(0, len(palette), 3))


def _sample_scale(image: Image.Image) -> float:
    """The factor that brings a 16-bit, 32-bit or float image's samples to 0..255: the bit
    depth's for 16-bit modes; for 32-bit integers and floats, the range the values use (0..1,
    0..255, 0..65535, or else their maximum), read from the samples, not assumed."""
    if image.mode.startswith("I;16"):
        return 1 / 257
    if image.mode not in ("I", "F"):
        return 1.0
    extrema = image.getextrema()
    high = float(extrema[1]) if isinstance(extrema[1], (int, float)) else 0.0
    if high != high or high <= 0:  # NaN, or nothing above black
        return 1.0
    for ceiling in ((1.0,) if image.mode == "F" else ()) + (255.0, 65535.0):
        if high <= ceiling:
            return 255 / ceiling
    return 255 / high


def _strip(image: Image.Image, grey: bool, scale: float) -> Image.Image:
    """One strip of :func:`eight_bit`'s work."""
    mode = image.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        wide = image.convert("F" if mode == "F" else "I")
        return (wide if scale == 1.0 else wide.point(lambda v: v * scale)).convert("L")
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        mode = image.mode
    if mode in ("LA", "La", "PA", "RGBA", "RGBa"):
        solid = image.convert("RGBA")
        paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
        flat = Image.alpha_composite(paper, solid)
        return flat.convert("L" if grey else "RGB")
    return image.convert("L" if grey else "RGB")


@dataclass(frozen=True)
class Header:
    """What an encoded image's own header says: Pillow's ``format`` and ``mode`` ("L", "RGB",
    "CMYK", ...), ``width`` x ``height`` pixels, ``bits`` per sample, and the Exif
    ``orientation`` (1: as stored; 2-8: a viewer turns or mirrors it)."""

    format: str
    mode: str
    width: int
    height: int
    bits: int
    orientation: int


def header(data: bytes) -> Header | None:
    """The header of an encoded image, read without decoding its pixels; None when it is not
    an image Pillow reads."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            orientation = image.getexif().get(ORIENTATION, 1)
            return Header(
                image.format or "",
                image.mode,
                image.width,
                image.height,
                int(getattr(image, "bits", 8) or 8),
                orientation if isinstance(orientation, int) else 0,
            )
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        return None


ORIENTATION = 0x0112
"""The TIFF and Exif tag that says how stored pixels are to be turned for display."""


# Below this many pixels PNG is cheap to compute and keeps thin strokes crisp.
_PNG_MAX_PIXELS = 1_500_000
_JPEG_QUALITIES = (85, 70, 55)


def encode_for_limits(image: Image.Image, limits: ImageLimits) -> EncodedImage:
    """Scale, pad and compress ``image`` until it meets ``limits``.

    Too large: scale down (never below the minimum side). Too small: pad with white, which keeps
    the text at its scanned size, unlike upscaling. Format: PNG for small images, JPEG otherwise,
    lowering JPEG quality and then the resolution until the bytes fit."""
    if image.mode not in ("L", "RGB"):
        image = as_grey(image)
    w, h = image.size
    scale = min(1.0, limits.max_side / max(w, h))
    if limits.max_pixels and w * h * scale * scale > limits.max_pixels:
        scale = (limits.max_pixels / (w * h)) ** 0.5
    for _ in range(12):
        sw, sh = max(1, int(w * scale)), max(1, int(h * scale))
        scaled = image if (sw, sh) == (w, h) else image.resize((sw, sh), Image.Resampling.LANCZOS)
        pw, ph = max(sw, limits.min_side), max(sh, limits.min_side)
        if (pw, ph) != (sw, sh):
            canvas = Image.new(scaled.mode, (pw, ph), 255 if scaled.mode == "L" else (255,) * 3)
            canvas.paste(scaled, (0, 0))
            scaled = canvas
        # The scale actually applied, from the integer size: what maps pixels back exactly.
        real_scale = sw / w
        for content_type, data in _candidates(scaled):
            if len(data) < limits.max_bytes:
                return EncodedImage(data, content_type, pw, ph, real_scale)
        scale *= 0.8
        if max(w, h) * scale < limits.min_side:
            break
    raise OcrEngineError(
        f"cannot fit a {w}x{h} px page image under {limits.max_bytes} bytes; "
        "lower --dpi or simplify the page"
    )


def _candidates(image: Image.Image) -> Iterator[tuple[str, bytes]]:
    """Encodings to try, best first, each computed only if the previous one was too big."""

    def encode(fmt: str, **options: int) -> bytes:
        buf = io.BytesIO()
        image.save(buf, fmt, **options)
        return buf.getvalue()

    if image.width * image.height <= _PNG_MAX_PIXELS:
        yield "image/png", encode("PNG", compress_level=6)
    for quality in _JPEG_QUALITIES:
        yield "image/jpeg", encode("JPEG", quality=quality)
