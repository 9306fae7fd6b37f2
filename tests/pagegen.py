"""Generate scanned-looking PDF pages with known word positions, for tests and benchmarks.

Everything here is computed forward, independently of ocr_pdf's own geometry code: words are
drawn on an upright canvas, the canvas is skewed and turned, counter-rotated for the page's
/Rotate and placed in user space by a `cm` we write ourselves. The truth we keep is each
word's quad on the displayed image (for the stand-in server) and in PDF user space (for the
assertions). Only Pillow's bundled font is used, so pages are byte-identical on any machine
with the same Pillow: cassettes match requests on the hash of the page image."""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import pikepdf
from PIL import Image, ImageDraw, ImageFont

Pt = tuple[float, float]
QuadT = tuple[Pt, Pt, Pt, Pt]


@dataclass(frozen=True)
class Block:
    """A column or paragraph: its top-left on the upright canvas (pixels) and its lines."""

    left: int
    top: int
    lines: tuple[str, ...]
    size: int = 22
    cjk: bool = False  # characters are words, no spaces (as Azure reports CJK)
    font: str | None = None  # a TrueType file; None = Pillow's bundled font (reproducible)
    space: float = 1.0  # the gap between words, in widths of the font's space


@dataclass(frozen=True)
class PageSpec:
    """One page. Sizes of the upright canvas in inches at ``dpi`` pixels per inch;
    ``skew`` rotates the content clockwise (degrees); ``turn`` turns the whole scan clockwise
    by a multiple of 90 inside the image; ``rotate`` is the page's /Rotate; the crop box is
    placed at ``crop_origin`` (points) inside a MediaBox ``margin`` points larger on each side;
    ``dirty_ctm`` leaves an unclosed ``q`` and a changed matrix at the end of the content."""

    name: str
    blocks: tuple[Block, ...]
    width_in: float = 5.0
    height_in: float = 4.0
    dpi: int = 150
    skew: float = 0.0
    turn: int = 0
    rotate: int = 0
    crop_origin: Pt = (0.0, 0.0)
    margin: float = 0.0
    dirty_ctm: bool = False
    noise: bool = False
    background: int = 255  # grey level of the paper (the corners a skew uncovers stay white)
    ink: int = 20  # grey level of the print


@dataclass
class TruthWord:
    text: str
    display_quad: QuadT  # on the displayed page image, normalised to [0, 1]
    user_quad: QuadT  # in PDF user space (points)


@dataclass
class TruthPage:
    spec: PageSpec
    blocks: list[list[list[TruthWord]]] = field(default_factory=list)
    thumbnail: bytes = b""
    display_size: tuple[int, int] = (0, 0)

    @property
    def words(self) -> list[TruthWord]:
        return [w for b in self.blocks for ln in b for w in ln]

    @property
    def lines(self) -> list[list[TruthWord]]:
        return [ln for b in self.blocks for ln in b]


def _font(size: int, path: str | None = None) -> ImageFont.FreeTypeFont:
    font = ImageFont.truetype(path, size) if path else ImageFont.load_default(size)
    assert isinstance(font, ImageFont.FreeTypeFont)
    return font


def _rot_cw(p: Pt, deg: float, c: Pt) -> Pt:
    a = math.radians(deg)
    dx, dy = p[0] - c[0], p[1] - c[1]
    return (c[0] + dx * math.cos(a) - dy * math.sin(a), c[1] + dx * math.sin(a) + dy * math.cos(a))


def _turn_point(p: Pt, turn: int, w: float, h: float) -> Pt:
    """Where pixel-edge point p of a w x h image lands after turning it clockwise by `turn`."""
    x, y = p
    return {0: (x, y), 90: (h - y, x), 180: (w - x, h - y), 270: (y, w - x)}[turn]


_TRANSPOSE_CW = {
    90: Image.Transpose.ROTATE_270,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


def _draw(spec: PageSpec) -> tuple[Image.Image, list[list[list[tuple[str, QuadT]]]]]:
    w, h = round(spec.width_in * spec.dpi), round(spec.height_in * spec.dpi)
    img = Image.new("L", (w, h), spec.background)
    draw = ImageDraw.Draw(img)
    blocks = []
    for block in spec.blocks:
        font = _font(block.size, block.font)
        lines = []
        y = block.top
        for text in block.lines:
            x = float(block.left)
            words = []
            tokens = list(text.replace(" ", "")) if block.cjk else text.split(" ")
            for tok in tokens:
                left, top, right, bottom = draw.textbbox((x, y), tok, font=font)
                draw.text((x, y), tok, font=font, fill=spec.ink)
                words.append((tok, ((left, top), (right, top), (right, bottom), (left, bottom))))
                gap = block.size * 0.12 if block.cjk else font.getlength(" ") * block.space
                x += font.getlength(tok) + gap
            lines.append(words)
            y += round(block.size * 1.5)
        blocks.append(lines)
    if spec.noise:
        # Deterministic speckle, like dust on a scanner glass.
        for i in range(0, w * h, 977):
            img.putpixel((i % w, (i * 7) % h), 150)
    return img, blocks


def make_page(spec: PageSpec, pdf: pikepdf.Pdf) -> TruthPage:
    """Append the page described by ``spec`` to ``pdf`` and return its truth."""
    canvas, blocks = _draw(spec)
    w0, h0 = canvas.size
    quads_fn: list[Callable[[Pt], Pt]] = []  # composed maps: upright canvas -> displayed image
    if spec.skew:
        canvas = canvas.rotate(-spec.skew, resample=Image.Resampling.BICUBIC, fillcolor=255)
        quads_fn.append(partial(_rot_cw, deg=spec.skew, c=(w0 / 2, h0 / 2)))
    if spec.turn:
        quads_fn.append(partial(_turn_point, turn=spec.turn, w=canvas.width, h=canvas.height))
        canvas = canvas.transpose(_TRANSPOSE_CW[spec.turn])
    display = canvas
    dw, dh = display.size
    # Stored image: the display turned back by /Rotate, so that the viewer's turn shows `display`.
    back = (360 - spec.rotate) % 360
    stored = display.transpose(_TRANSPOSE_CW[back]) if back else display
    sw, sh = stored.size
    k = 72 / spec.dpi
    cx0, cy0 = spec.crop_origin
    cx1, cy1 = cx0 + sw * k, cy0 + sh * k

    def to_user(p: Pt) -> Pt:
        for fn in quads_fn:
            p = fn(p)
        sx, sy = _turn_point(p, back, dw, dh)
        return (cx0 + sx * k, cy1 - sy * k)

    def to_display(p: Pt) -> Pt:
        for fn in quads_fn:
            p = fn(p)
        return (p[0] / dw, p[1] / dh)

    truth = TruthPage(spec, display_size=(dw, dh))
    for lines in blocks:
        tb = []
        for words in lines:
            tb.append(
                [
                    TruthWord(text, tuple(map(to_display, q)), tuple(map(to_user, q)))  # type: ignore[arg-type]
                    for text, q in words
                ]
            )
        truth.blocks.append(tb)
    truth.thumbnail = thumbnail(display)

    image = pikepdf.Stream(pdf, zlib.compress(stored.tobytes(), 6))
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height = sw, sh
    image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceGray, 8
    image.Filter = pikepdf.Name.FlateDecode
    content = f"q {sw * k:.4f} 0 0 {sh * k:.4f} {cx0:.4f} {cy0:.4f} cm /Im0 Do Q\n"
    if spec.dirty_ctm:
        content += "q 0.5 0 0 0.5 37 -12 cm 1 0 0 1 5 5 cm\n"
    m = spec.margin
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[cx0 - m, cy0 - m, cx1 + m, cy1 + m],
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)),
        Contents=pikepdf.Stream(pdf, content.encode()),
    )
    if m:
        page.CropBox = [cx0, cy0, cx1, cy1]
    if spec.rotate:
        page.Rotate = spec.rotate
    pdf.pages.append(pikepdf.Page(page))
    return truth


def make_pdf(specs: list[PageSpec]) -> tuple[bytes, list[TruthPage]]:
    """A PDF with one page per spec, and the truth of each page."""
    pdf = pikepdf.new()
    truths = [make_page(s, pdf) for s in specs]
    buf = io.BytesIO()
    pdf.save(buf, deterministic_id=True)
    return buf.getvalue(), truths


def thumbnail(image: Image.Image) -> bytes:
    """A 24x24 grey thumbnail: enough to tell our generated pages apart in the stand-in."""
    return image.convert("L").resize((24, 24), Image.Resampling.BOX).tobytes()


# The pages the geometry tests run. Reading order is the order of the blocks.
BODY = ("The quick brown fox jumps", "over the lazy dog while", "seven wizards quietly hex")
RIGHT = ("Invoice number 4471 due", "on delivery of goods to", "Main Street 12 Springfield")


def two_columns(size: int = 22) -> tuple[Block, ...]:
    return (
        Block(40, 30, ("Quarterly Report Summary",), size=30),
        Block(40, 100, BODY, size=size),
        Block(390, 100, RIGHT, size=size),
        Block(40, 450, ("Signed in Berlin on Monday",), size=size),
    )


def geometry_specs() -> list[PageSpec]:
    cols = two_columns()
    w, h = 5.0, 3.6
    return [
        PageSpec("upright", cols, w, h),
        PageSpec("rotate90", cols, w, h, rotate=90),
        PageSpec("rotate180", cols, w, h, rotate=180),
        PageSpec("rotate270", cols, w, h, rotate=270),
        PageSpec("offset-boxes", cols, w, h, crop_origin=(137.0, -61.5), margin=23.0),
        PageSpec("skew-plus3", cols, w, h, skew=3.0),
        PageSpec("skew-minus4.5", cols, w, h, skew=-4.5, noise=True),
        PageSpec("sideways-text", cols, w, h, turn=90),
        PageSpec("upside-down-text", cols, w, h, turn=180),
        PageSpec("sideways-left-text", cols, w, h, turn=270, skew=2.0),
        PageSpec("dirty-ctm", cols, w, h, dirty_ctm=True),
        PageSpec(
            "everything",
            cols,
            w,
            h,
            rotate=90,
            skew=-2.5,
            crop_origin=(-40, 55),
            margin=12,
            dirty_ctm=True,
        ),
        PageSpec(
            "cyrillic-cjk",
            (
                Block(40, 40, ("Съешь же ещё этих мягких", "французских булок"), size=24),
                Block(40, 200, ("東京都千代田区", "吸烟有害健康"), size=28, cjk=True),
                Block(40, 340, ("Καλημέρα κόσμε",), size=24),
            ),
            w,
            h,
        ),
    ]
