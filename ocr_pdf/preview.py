"""``ocr-pdf preview``: one page drawn with every recognised word's box and text, so that a
person sees at a glance what the OCR found and where. Uses the OCR cache, so a preview of a
page already converted (same engine, same resolution) costs no call, and a preview's reading
spares the conversion one."""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ocr_pdf import pdf
from ocr_pdf.cache import cache_key, open_cache, pixel_digest
from ocr_pdf.engines import EngineConfig, OcrEngine, get_engine
from ocr_pdf.errors import BadArgumentsError
from ocr_pdf.models import PageText, Quad, quad_angle
from ocr_pdf.pipeline import engine_id, page_dpi, read_page, write_atomically

BOX = (220, 20, 60)  # crimson: visible on black, white and grey scans alike
FAINT = (255, 190, 200)
GAP = 8  # pixels between the two panels
OUTSET = 0.2  # of a word's height: how far outside its box the outline is drawn


def preview(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    page: int = 1,
    *,
    engine: str | OcrEngine | None = None,
    language: str | None = None,
    endpoint: str | None = None,
    dpi: float | None = None,
    cache: bool | str | os.PathLike[str] = True,
    timeout: float = 60.0,
) -> tuple[PageText, bool]:
    """Draw page ``page`` (1-based) of ``input_path`` as a PNG at ``output_path``: the page
    with the OCR's word boxes, and beside it the words read, each in its box. Returns the
    page's reading and whether it came from the cache. The page is rendered exactly as a
    conversion renders it, so the cache is shared."""
    src, dst = Path(input_path), Path(output_path)
    if isinstance(engine, str) or engine is None:
        config = EngineConfig.from_environment(
            language=language, endpoint=endpoint, timeout=timeout
        )
        engine = get_engine(engine, config)
    with pdf.Document(src) as doc:
        if not 1 <= page <= len(doc):
            raise BadArgumentsError(f"--page {page}: {src} has pages 1 to {len(doc)}")
        image = doc.render(page - 1, page_dpi(engine, doc, page - 1, dpi))
    store = open_cache(cache)
    key = cache_key(pixel_digest(image), engine_id(engine)) if store else ""
    text, _, cached = read_page(engine, image, store, key)
    png = io.BytesIO()
    draw_words(image, text).save(png, "PNG")
    write_atomically(dst, png.getvalue())  # a preview is either complete or absent
    return text, cached


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
