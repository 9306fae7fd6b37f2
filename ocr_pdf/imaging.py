"""Pillow: encode a page image so that it meets an OCR service's input limits."""

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


# Below this many pixels PNG is cheap to compute and keeps thin strokes crisp.
_PNG_MAX_PIXELS = 1_500_000
_JPEG_QUALITIES = (85, 70, 55)


def encode_for_limits(image: Image.Image, limits: ImageLimits) -> EncodedImage:
    """Scale, pad and compress ``image`` until it meets ``limits``.

    Too large: scale down (never below the minimum side). Too small: pad with white, which keeps
    the text at its scanned size, unlike upscaling. Format: PNG for small images, JPEG otherwise,
    lowering JPEG quality and then the resolution until the bytes fit."""
    if image.mode not in ("L", "RGB"):
        image = image.convert("L")
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
