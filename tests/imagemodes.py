"""One page of print, stored in every bit depth and mode a PNG or TIFF can hold: 1, 2, 4, 8 and
16-bit grey, palette with and without transparency, grey and colour with alpha, CMYK, 16-bit
RGB, 32-bit integer and float samples. Pillow writes what it can; the PNGs and TIFFs it cannot
write (2 and 4-bit grey, 16-bit colour, big-endian samples) are written here byte by byte from
the format's specification, so the tests need no binary fixtures and no other library.

The print is mid-grey ink on light-grey paper, as a real scan's is: a conversion that clips or
truncates samples (16-bit values taken as 8-bit ones) turns it into a blank page, where pure
black on pure white would survive the same mistake."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

WORDS = ("INVOICE", "4711", "PAID", "MARCH")
DPI = 150
PAPER, INK = 226, 72


def page() -> Image.Image:
    """The 8-bit grey original every variant is made from (6 x 1.6 inches at 150 dpi)."""
    image = Image.new("L", (900, 240), PAPER)
    font = ImageFont.truetype("DejaVuSans.ttf", 56)
    ImageDraw.Draw(image).text((40, 80), " ".join(WORDS), fill=INK, font=font)
    return image


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(samples: NDArray[np.uint16], bits: int, colour_type: int) -> bytes:
    """A PNG of ``samples`` ((h, w) grey or (h, w, c) colour, already at ``bits`` per sample),
    rows packed MSB first and filtered with filter type 0, with a pHYs chunk for DPI."""
    height, width = samples.shape[:2]
    channels = 1 if samples.ndim == 2 else samples.shape[2]
    rows = []
    for row in samples.reshape(height, width * channels):
        if bits == 16:
            data = row.astype(">u2").tobytes()
        elif bits == 8:
            data = row.astype(np.uint8).tobytes()
        else:
            data = np.packbits(
                np.unpackbits(row.astype(np.uint8)[:, None], axis=1)[:, 8 - bits :]
            ).tobytes()
        rows.append(b"\x00" + data)
    per_metre = round(DPI / 0.0254)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bits, colour_type, 0, 0, 0))
        + _chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1))
        + _chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + _chunk(b"IEND", b"")
    )


def tiff(
    samples: NDArray[np.generic], bits: int, photometric: int, sample_format: int = 1
) -> bytes:
    """An uncompressed, one-strip, big-endian TIFF of ``samples`` (grey (h, w) or (h, w, c)),
    ``bits`` per sample (1, 2 and 4 packed MSB first), with its resolution."""
    height, width = samples.shape[:2]
    channels = 1 if samples.ndim == 2 else samples.shape[2]
    flat = samples.reshape(height, width * channels)
    if bits < 8:
        packed = [
            np.packbits(np.unpackbits(r.astype(np.uint8)[:, None], axis=1)[:, 8 - bits :])
            for r in flat
        ]
        strip = b"".join(p.tobytes() for p in packed)
    else:
        dtypes = {(1, 8): ">u1", (1, 16): ">u2", (1, 32): ">u4", (2, 32): ">i4", (3, 32): ">f4"}
        strip = flat.astype(dtypes[(sample_format, bits)]).tobytes()
    entries = [
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, channels, bits),  # BitsPerSample (one value per sample: stored at an offset)
        (259, 3, 1, 1),  # no compression
        (262, 3, 1, photometric),
        (273, 4, 1, 0),  # StripOffsets, filled below
        (277, 3, 1, channels),
        (278, 4, 1, height),
        (279, 4, 1, len(strip)),
        (282, 5, 1, 0),  # XResolution, at an offset
        (283, 5, 1, 0),
        (296, 3, 1, 2),  # inches
        (339, 3, channels, sample_format),
    ]
    if channels == 4 and photometric == 2:
        entries.append((338, 3, 1, 2))  # ExtraSamples: unassociated alpha
    entries.sort()
    ifd_size = 2 + 12 * len(entries) + 4
    extra_at = 8 + ifd_size
    extra = b""
    values: dict[int, bytes] = {}
    for tag, kind, count, value in entries:
        if kind == 3 and count > 2:
            values[tag] = struct.pack(f">{count}H", *([value] * count))
        elif kind == 5:
            values[tag] = struct.pack(">II", DPI, 1)
    offsets: dict[int, int] = {}
    for tag, data in values.items():
        offsets[tag] = extra_at + len(extra)
        extra += data
    strip_at = extra_at + len(extra)
    ifd = struct.pack(">H", len(entries))
    for tag, kind, count, value in entries:
        if tag in offsets:
            field = struct.pack(">I", offsets[tag])
        elif tag == 273:
            field = struct.pack(">I", strip_at)
        elif kind == 3 and count == 1:
            field = struct.pack(">HH", value, 0)
        elif kind == 3:
            field = struct.pack(">HH", value, value)
        else:
            field = struct.pack(">I", value)
        ifd += struct.pack(">HHI", tag, kind, count) + field
    ifd += b"\x00\x00\x00\x00"
    return b"MM\x00*" + struct.pack(">I", 8) + ifd + extra + strip


def _saved(image: Image.Image, fmt: str, **options: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, dpi=(DPI, DPI), **options)
    return buf.getvalue()


def _palette_with_transparent_paper(grey: Image.Image) -> Image.Image:
    """A palette image whose paper colour is the transparent entry (a cut-out)."""
    paletted = grey.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    paper = paletted.getpixel((0, 0))
    paletted.info["transparency"] = paper
    return paletted


def variants() -> dict[str, bytes]:
    """File name -> the file's bytes, for every depth and mode (the name says which)."""
    grey = page()
    a = np.asarray(grey)
    a16 = a.astype(np.uint16) * 257
    rgb = np.stack([a, a, a], axis=2)
    alpha_paper = np.where(a > 150, 0, 255).astype(np.uint8)  # paper transparent, ink opaque
    bilevel = grey.point(lambda v: 255 if v > 150 else 0).convert("1")
    make: dict[str, Callable[[], bytes]] = {
        "grey1.png": lambda: _saved(bilevel, "PNG"),
        "grey2.png": lambda: png((a >> 6).astype(np.uint16), 2, 0),
        "grey4.png": lambda: png((a >> 4).astype(np.uint16), 4, 0),
        "grey8.png": lambda: _saved(grey, "PNG"),
        "grey16.png": lambda: png(a16, 16, 0),
        "palette.png": lambda: _saved(grey.convert("P", palette=Image.Palette.ADAPTIVE), "PNG"),
        "palette-transparent.png": lambda: _saved(_palette_with_transparent_paper(grey), "PNG"),
        "grey-alpha.png": lambda: png(np.stack([a, alpha_paper], 2).astype(np.uint16), 8, 4),
        "grey-alpha16.png": lambda: png(
            np.stack([a16, alpha_paper.astype(np.uint16) * 257], 2), 16, 4
        ),
        "rgb16.png": lambda: png(np.stack([a16, a16, a16], 2), 16, 2),
        "rgba.png": lambda: _saved(Image.fromarray(np.dstack([rgb, alpha_paper]), "RGBA"), "PNG"),
        "rgba16.png": lambda: png(
            np.stack([a16, a16, a16, alpha_paper.astype(np.uint16) * 257], 2), 16, 6
        ),
        "grey1.tif": lambda: _saved(bilevel, "TIFF"),
        "grey2.tif": lambda: tiff(a >> 6, 2, 1),
        "grey4.tif": lambda: tiff(a >> 4, 4, 1),
        "grey8.tif": lambda: _saved(grey, "TIFF"),
        "grey16.tif": lambda: tiff(a16, 16, 1),
        "grey16-pillow.tif": lambda: _saved(Image.fromarray(a16), "TIFF"),
        "palette.tif": lambda: _saved(grey.convert("P", palette=Image.Palette.ADAPTIVE), "TIFF"),
        "grey-alpha.tif": lambda: _saved(
            Image.fromarray(np.dstack([a, alpha_paper]), "LA"), "TIFF"
        ),
        "rgba.tif": lambda: _saved(Image.fromarray(np.dstack([rgb, alpha_paper]), "RGBA"), "TIFF"),
        "rgb16.tif": lambda: tiff(np.stack([a16, a16, a16], 2), 16, 2),
        "cmyk.tif": lambda: _saved(grey.convert("RGB").convert("CMYK"), "TIFF"),
        "int32.tif": lambda: _saved(Image.fromarray(a.astype(np.int32) * 257), "TIFF"),
        "int32-8bit-range.tif": lambda: _saved(Image.fromarray(a.astype(np.int32)), "TIFF"),
        "float-unit.tif": lambda: _saved(Image.fromarray(a.astype(np.float32) / 255), "TIFF"),
        "float-8bit-range.tif": lambda: _saved(Image.fromarray(a.astype(np.float32)), "TIFF"),
    }
    return {name: build() for name, build in make.items()}


def write_all(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in variants().items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths
