"""``ocr-pdf preview``: one page drawn with every recognised word's box and text, so that a
person sees at a glance what the OCR found and where. Uses the OCR cache, so a preview of a
page already converted (same engine, same resolution) costs no call, and a preview's reading
spares the conversion one."""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from ocr_pdf import _files
from ocr_pdf.errors import BadArgumentsError, InputFileError
from ocr_pdf.image.encoding import EncodedImage, as_grey
from ocr_pdf.models import PageText, Quad, quad_angle
from ocr_pdf.options import ConversionOptions
from ocr_pdf.pipeline import EngineHandle, read_one_page
from ocr_pdf.reading.cache import open_cache
from ocr_pdf.steps.inputs import open_input

BOX = (220, 20, 60)  # crimson: visible on black, white and grey scans alike
FAINT = (255, 190, 200)
GAP = 8  # pixels between the two panels
OUTSET = 0.2  # of a word's height: how far outside its box the outline is drawn


def preview(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    page: int = 1,
    *,
    options: ConversionOptions | None = None,
    **kwargs: Any,
) -> tuple[PageText, bool]:
    """Draw page ``page`` (1-based) of ``input_path`` as a PNG at ``output_path``: the page
    with the OCR's word boxes, and beside it the words read, each in its box. Returns the
    page's reading and whether it came from the cache. The page is rendered exactly as a
    conversion renders it (``options``, or the same keyword arguments as
    ``make_searchable``: engine, language, endpoint, dpi, cache, timeout), so the cache is
    shared."""
    src, dst = Path(input_path), Path(output_path)
    engine = kwargs.pop("engine", None)
    given = engine if engine is not None and not isinstance(engine, str) else None
    if options is None:
        options = ConversionOptions.from_kwargs(**kwargs, engine=None if given else engine)
    store = open_cache(options.cache)
    # Opened as a conversion opens it: a decompression bomb is refused before PDFium sees it.
    with (
        open_input(src, invalidate_signatures=True) as source,
        EngineHandle(options, given) as handle,
    ):
        if not 1 <= page <= len(source):
            raise BadArgumentsError(f"--page {page}: {src} has pages 1 to {len(source)}")
        with source.doc.page(page - 1) as shown:
            if not shown.geometry().visible:
                raise InputFileError(f"--page {page}: nothing of it is visible in {src}")
        image, reading = read_one_page(source, page - 1, handle.engine, store, options)
    text, cached = reading.text, reading.from_cache
    drawn = image.image
    if isinstance(drawn, EncodedImage):  # the scan itself, or a render fitted to a service
        drawn = _in_page_frame(drawn, image.page.width, image.page.height)
    png = io.BytesIO()
    draw_words(drawn, text).save(png, "PNG")
    _files.write_atomically(dst, png.getvalue())  # a preview is either complete or absent
    return text, cached


def _in_page_frame(sent: EncodedImage, width: int, height: int) -> Image.Image:
    """The image sent, decoded, in the page image's frame (``width`` x ``height``), where the
    reading's words are: a render fitted to a service's limits is cropped of its padding
    and scaled back."""
    drawn = as_grey(Image.open(io.BytesIO(sent.data)))
    if drawn.size == (width, height):
        return drawn
    inner = (max(1, int(width * sent.scale)), max(1, int(height * sent.scale)))
    return drawn.crop((0, 0, *inner)).resize((width, height))


def draw_words(image: Image.Image, text: PageText) -> Image.Image:
    """Two panels side by side: the page with each word's quad outlined, and a white page
    with each word's text written in its box, so the reading can be checked against the ink
    without labels covering it."""
    width, height = image.size
    sheet = Image.new("RGB", (width * 2 + GAP, height), (128, 128, 128))
    sheet.paste(image.convert("RGB"), (0, 0))
    sheet.paste(Image.new("RGB", (width, height), "white"), (width + GAP, 0))
    draw = ImageDraw.Draw(sheet)
    line = max(1, round(min(width, height) / 600))
    for word in text.words:
        # Boxes fitted to the ink would hide the letters' edges under the outline: it is
        # drawn a little outside.
        draw.polygon(_grown(word.quad, OUTSET), outline=BOX, width=line)
        shifted = [(x + width + GAP, y) for x, y in word.quad]
        draw.polygon(shifted, outline=FAINT, width=line)
        xs = [x for x, _ in shifted]
        ys = [y for _, y in shifted]
        size = max(6, round((max(ys) - min(ys)) * 0.7))
        if 45 < quad_angle(word.quad) % 180 < 135:  # vertical text: its height is across
            size = max(6, round((max(xs) - min(xs)) * 0.7))
        draw.text(
            ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2),
            word.text,
            fill=(0, 0, 0),
            font=_font(size),
            anchor="mm",
        )
    return sheet


def _grown(quad: Quad, fraction: float) -> list[tuple[float, float]]:
    """A quad's corners moved outwards by ``fraction`` of its height, along and across it."""
    (ax, ay), (bx, by), (cx, cy), (dx, dy) = quad
    ux, uy = bx - ax, by - ay  # along the baseline
    vx, vy = dx - ax, dy - ay  # down the text
    along = math.hypot(ux, uy) or 1.0
    across = math.hypot(vx, vy) or 1.0
    m = fraction * across
    ux, uy, vx, vy = ux / along * m, uy / along * m, vx / across * m, vy / across * m
    return [
        (ax - ux - vx, ay - uy - vy),
        (bx + ux - vx, by + uy - vy),
        (cx + ux + vx, cy + uy + vy),
        (dx - ux + vx, dy - uy + vy),
    ]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in ("DejaVuSans.ttf", "Arial.ttf", "LiberationSans-Regular.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)
