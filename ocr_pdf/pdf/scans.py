"""The scan itself: a page that is one image drawn and nothing else gives its image's own bytes
(a JPEG, or PNG data stored as Flate with PNG predictors) with the map from its pixels to the
page, so they can be sent to an engine as they are: no render, no decode, no re-encode.

Read with pikepdf from the original (the one graft writes onto); every page that holds anything
else (text, paths, more images, masks, annotations, unusual colour spaces or filters), whose
image is stored mirrored (it would read as mirror writing), or whose image dictionary does not
tell the truth about its bytes (a JPEG's own size, samples and components against /Width,
/Height, /BitsPerComponent and the colour space; an Exif orientation, which a service may
apply and a PDF viewer never does), gives None and is rendered instead: the words read on the
bytes are placed through the dictionary, so the two must describe the same pixels."""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import pikepdf
from pikepdf import Name

from ocr_pdf.image.encoding import header
from ocr_pdf.models import Matrix, apply, then

MAX_CONTENT = 4096
"""Bytes of page content a scan page can have: a handful of operators. Longer content is never
one image alone, and is not parsed at all."""

MIN_DPI = 150.0
"""A scan coarser than this is rendered at the engine's resolution instead: engines read
small print better when it has more pixels (Azure asks for 12 px tall text)."""

_ALLOWED = {"q", "Q", "cm", "Do"}
_COLOUR_TYPES = {1: 0, 3: 2}  # components -> PNG colour type (grey, RGB)
_JPEG_MODES = {1: "L", 3: "RGB"}  # components -> the mode Pillow reads such a JPEG in


@dataclass(frozen=True)
class Scan:
    """A page's one image as stored: ``data`` its encoded bytes (``content_type``),
    ``width`` x ``height`` pixels, ``to_user`` the map from its pixels (origin top-left, y down)
    to the page's user space (points), ``dpi`` its resolution as drawn."""

    data: bytes
    content_type: str
    width: int
    height: int
    to_user: Matrix
    dpi: float


def page_scan(pdf: pikepdf.Pdf, index: int) -> Scan | None:
    """The scan of page ``index`` if the page is one image and nothing else, in an encoding
    we can send as it is; None otherwise (a malformed value anywhere included)."""
    try:
        return _page_scan(pdf, index)
    except (TypeError, ValueError, AttributeError, pikepdf.PdfError):
        return None


def _page_scan(pdf: pikepdf.Pdf, index: int) -> Scan | None:
    page = pdf.pages[index]
    if len(page.obj.get(Name.Annots, pikepdf.Array())) > 0:
        return None  # annotations render too: the page as displayed is more than its image
    placed = _one_image(page)
    if placed is None:
        return None
    image, ctm = placed
    size = _size(image)
    if size is None:
        return None
    width, height = size
    encoded = _as_sent(image, width, height)
    if encoded is None:
        return None
    data, content_type = encoded
    a, b, c, d, _, _ = ctm
    if a * d - b * c <= 0:
        return None  # stored mirrored: an engine reads mirror writing as nothing; render it
    # Pixel (u, v), origin top-left, is (u / w, 1 - v / h) in image space: the unit square.
    to_user = then((1 / width, 0.0, 0.0, -1 / height, 0.0, 1.0), ctm)
    drawn_width = math.dist(apply(to_user, (0, 0)), apply(to_user, (width, 0)))
    dpi = width / (drawn_width / 72) if drawn_width > 0 else 0.0
    if dpi < MIN_DPI:
        return None
    return Scan(data, content_type, width, height, to_user, dpi)


def _one_image(page: pikepdf.Page) -> tuple[pikepdf.Stream, Matrix] | None:
    """The page's only drawn object if it is an image, and the CTM it is drawn with."""
    contents: Any = page.obj.get(Name.Contents)
    streams: list[Any] = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    if any(not isinstance(s, pikepdf.Stream) for s in streams):
        return None
    if sum(int(s.get(Name.Length, 0)) for s in streams) > MAX_CONTENT:
        return None
    ctm: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    saved: list[Matrix] = []
    drawn: tuple[pikepdf.Stream, Matrix] | None = None
    try:
        instructions = pikepdf.parse_content_stream(page)
    except pikepdf.PdfError:
        return None
    for instruction in instructions:
        op = str(getattr(instruction, "operator", ""))
        if op not in _ALLOWED or (drawn is not None and op == "Do"):
            return None  # anything but one image drawn: render the page
        operands = list(getattr(instruction, "operands", []))
        if op == "q":
            saved.append(ctm)
        elif op == "Q" and saved:
            ctm = saved.pop()
        elif op == "cm" and len(operands) == 6:
            a, b, c, d, e, f = (float(v) for v in operands)
            ctm = then((a, b, c, d, e, f), ctm)
        elif op == "Do":
            image = _image(page, operands)
            if image is None:
                return None
            drawn = (image, ctm)
    return drawn


def _image(page: pikepdf.Page, operands: list[Any]) -> pikepdf.Stream | None:
    """The image XObject a ``Do`` names, if it is a plain opaque image."""
    if len(operands) != 1:
        return None
    try:
        xobject = page.resources.XObject[operands[0]]
    except (AttributeError, KeyError, TypeError):
        return None
    if not isinstance(xobject, pikepdf.Stream) or xobject.get(Name.Subtype) != Name.Image:
        return None
    for masked in (Name.SMask, Name.Mask, Name.Decode, Name.Alternates, Name.OC):
        if masked in xobject:
            return None  # what is drawn differs from the stored samples
    if xobject.get(Name.ImageMask, False):
        return None
    return xobject


def _components(image: pikepdf.Stream) -> int | None:
    """1 or 3 for grey or RGB images (device or ICC-based), None for anything else."""
    space = image.get(Name.ColorSpace)
    if space == Name.DeviceGray:
        return 1
    if space == Name.DeviceRGB:
        return 3
    if isinstance(space, pikepdf.Array) and len(space) == 2 and space[0] == Name.ICCBased:
        n = int(space[1].get(Name.N, 0))
        return n if n in (1, 3) else None
    return None


def _size(image: pikepdf.Stream) -> tuple[int, int] | None:
    """The image's /Width and /Height if both are positive whole numbers."""
    width, height = image.get(Name.Width), image.get(Name.Height)
    if not isinstance(width, int) or not isinstance(height, int) or min(width, height) <= 0:
        return None
    return width, height


def _as_sent(image: pikepdf.Stream, width: int, height: int) -> tuple[bytes, str] | None:
    """The image's bytes as an engine takes them, and their type, without decoding: a JPEG as
    stored, or Flate data with PNG predictors as a PNG; None for other encodings."""
    filters = image.get(Name.Filter)
    if isinstance(filters, pikepdf.Array):
        filters = filters[0] if len(filters) == 1 else None
    components = _components(image)
    if components is None:
        return None
    if filters == Name.DCTDecode:
        data = image.read_raw_bytes()
        return (data, "image/jpeg") if _jpeg_agrees(image, data, width, height) else None
    if filters == Name.FlateDecode:
        png = _png(image, components, width, height)
        return (png, "image/png") if png is not None else None
    return None


def _jpeg_agrees(image: pikepdf.Stream, data: bytes, width: int, height: int) -> bool:
    """Whether the JPEG's own frame header describes the pixels the dictionary places: the
    same size, 8-bit samples, the same components, no Exif turn, no decode parameters (a
    /ColorTransform the service would not know of)."""
    found = header(data)
    return (
        found is not None
        and found.format == "JPEG"
        and (found.width, found.height) == (width, height)
        and found.bits == 8
        and _bits(image) == 8
        and found.mode == _JPEG_MODES.get(_components(image) or 0)
        and found.orientation == 1
        and Name.DecodeParms not in image
    )


def _bits(image: pikepdf.Stream) -> int | None:
    bits = image.get(Name.BitsPerComponent, 8)
    return bits if isinstance(bits, int) else None


def _png(image: pikepdf.Stream, components: int, width: int, height: int) -> bytes | None:
    """A PNG around Flate data whose rows carry PNG predictor bytes: the same zlib stream is
    a PNG's image data, so nothing is decoded or compressed again."""
    parms = image.get(Name.DecodeParms)
    if isinstance(parms, pikepdf.Array):
        parms = parms[0] if len(parms) == 1 else None
    if not isinstance(parms, pikepdf.Dictionary):
        return None
    bits = _bits(image)
    try:
        predictor, colors, own_bits, columns = (
            int(parms.get(key, default))
            for key, default in (
                (Name.Predictor, 1),
                (Name.Colors, 1),
                (Name.BitsPerComponent, 8),
                (Name.Columns, 1),
            )
        )
    except (TypeError, ValueError):
        return None
    if (
        predictor < 10
        or colors != components
        or own_bits != bits
        or columns != width
        or bits not in (1, 2, 4, 8, 16)
        or (components == 3 and bits < 8)
    ):
        return None

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, bits, _COLOUR_TYPES[components], 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", image.read_raw_bytes())
        + chunk(b"IEND", b"")
    )
