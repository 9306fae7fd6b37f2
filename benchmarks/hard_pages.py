"""Generated hard scans with known text: forms, receipts, old print, small print, tables and
low-contrast pages, each degraded the way real scans are (noise, fading, blur, broken ink).

Every page is drawn from a seed, so a run is reproducible; the fonts are whatever of DejaVu,
Liberation, FreeFont and URW (Debian: fonts-dejavu-core fonts-liberation fonts-freefont-ttf
fonts-urw-base35) is installed, else Pillow's own. ``pages()`` returns (name, image, dpi, words)
with ``words`` the words drawn, in reading order; ``bag_f1`` scores a reading against them
without caring for the order the engine reads cells and columns in."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = ("/usr/share/fonts/truetype", "/usr/share/fonts/opentype")
SANS = ("LiberationSans-Regular.ttf", "FreeSans.ttf", "DejaVuSans.ttf", "NimbusSans-Regular.otf")
SERIF = ("LiberationSerif-Regular.ttf", "FreeSerif.ttf", "NimbusRoman-Regular.otf",
         "DejaVuSerif.ttf")  # fmt: skip
MONO = ("LiberationMono-Regular.ttf", "FreeMono.ttf", "DejaVuSansMono.ttf",
        "NimbusMonoPS-Regular.otf")  # fmt: skip

WORDS = (
    "account amount balance customer delivery invoice order payment period quantity receipt "
    "reference service signature subtotal supplier total address city county district "
    "employer insurance number postal registration surname telephone certificate parish "
    "harvest merchant voyage council bridge river market village chapel meadow winter "
    "letters between ordinary government manufacture Company Street Avenue Board Office "
    "January March October Monday Friday London Boston Chicago Oxford Springfield"
).split()


def _find(names: tuple[str, ...]) -> list[str]:
    found = []
    for name in names:
        for folder in FONT_DIRS:
            hits = list(Path(folder).rglob(name)) if Path(folder).is_dir() else []
            if hits:
                found.append(str(hits[0]))
                break
    return found


def _font(path: str | None, size: int) -> ImageFont.FreeTypeFont:
    font = ImageFont.truetype(path, size) if path else ImageFont.load_default(size)
    assert isinstance(font, ImageFont.FreeTypeFont)
    return font


def _fonts(kind: tuple[str, ...]) -> list[str | None]:
    return [*_find(kind)] or [None]


@dataclass
class Canvas:
    """A white page being drawn on, with the words drawn so far in reading order."""

    image: Image.Image
    dpi: int
    words: list[str]

    @classmethod
    def new(cls, width_in: float, height_in: float, dpi: int, paper: int = 255) -> Canvas:
        size = (round(width_in * dpi), round(height_in * dpi))
        return cls(Image.new("L", size, paper), dpi, [])

    def px(self, points: float) -> int:
        return round(points * self.dpi / 72)

    def text(self, xy: tuple[float, float], text: str, font: ImageFont.FreeTypeFont,
             ink: int = 20) -> float:  # fmt: skip
        """Draw ``text`` with its top-left at ``xy``; returns the x after it."""
        ImageDraw.Draw(self.image).text(xy, text, font=font, fill=ink)
        self.words.extend(text.split())
        return xy[0] + font.getlength(text)


def _amount(rng: random.Random) -> str:
    return f"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}"


def _phrase(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def form(rng: random.Random) -> Canvas:
    """A filled-in form: labels, typed values, boxes and rules that touch the text."""
    c = Canvas.new(8.5, 11, 200)
    draw = ImageDraw.Draw(c.image)
    label_font = _font(rng.choice(_fonts(SANS)), c.px(9))
    value_font = _font(rng.choice(_fonts(MONO)), c.px(10))
    title = _font(rng.choice(_fonts(SANS)), c.px(16))
    c.text((c.px(54), c.px(40)), "Application for Registration", title)
    y = c.px(90)
    for section in range(3):
        draw.rectangle((c.px(50), y, c.px(560), y + c.px(16)), fill=215)
        c.text((c.px(56), y + c.px(3)), f"Section {section + 1} {_phrase(rng, 2)}", label_font)
        y += c.px(26)
        for _ in range(5):
            x = c.px(56)
            for _col in range(2):
                label = rng.choice(WORDS).capitalize()
                end = c.text((x, y), f"{label}:", label_font)
                value = rng.choice((_phrase(rng, 2), str(rng.randint(1000, 99999)), _amount(rng)))
                c.text((end + c.px(6), y - c.px(1)), value, value_font, ink=40)
                draw.line((end + c.px(4), y + c.px(12), x + c.px(250), y + c.px(12)), fill=90)
                x += c.px(260)
            y += c.px(24)
        draw.rectangle((c.px(50), y - c.px(4), c.px(560), y + c.px(2)), outline=60)
        y += c.px(18)
    for i in range(4):  # check boxes
        box = (c.px(56 + 130 * i), y, c.px(64 + 130 * i), y + c.px(8))
        draw.rectangle(box, outline=30, width=2)
        if i % 2 == 0:
            draw.line((box[0], box[1], box[2], box[3]), fill=30, width=2)
        c.text((box[2] + c.px(5), y - c.px(1)), rng.choice(WORDS), label_font)
    return c


def receipt(rng: random.Random) -> Canvas:
    """A till receipt: narrow, monospace, small, faded like thermal paper."""
    c = Canvas.new(3.2, 8, 200, paper=238)
    font = _font(rng.choice(_fonts(MONO)), c.px(8))
    x, y, step = c.px(12), c.px(18), c.px(11)
    c.text((x + c.px(40), y), "CORNER MARKET", _font(rng.choice(_fonts(MONO)), c.px(11)), ink=60)
    y += c.px(20)
    c.text((x, y), f"Store 0{rng.randint(10, 99)} Till {rng.randint(1, 9)}", font, ink=70)
    y += step
    day, month = rng.randint(1, 28), rng.randint(1, 9)
    hour, minute = rng.randint(10, 23), rng.randint(10, 59)
    c.text((x, y), f"{day:02d}/0{month}/2024 {hour}:{minute}", font, ink=70)
    y += step * 2
    total = 0.0
    for _ in range(rng.randint(12, 18)):
        item = rng.choice(WORDS).upper()[:12]
        price = _amount(rng)
        total += float(price)
        c.text((x, y), item, font, ink=rng.randint(60, 110))
        c.text((c.px(160), y), price, font, ink=rng.randint(60, 110))
        y += step
    y += step
    c.text((x, y), "TOTAL", font, ink=50)
    c.text((c.px(160), y), f"{total:.2f}", font, ink=50)
    y += step
    c.text((x, y), f"CARD {rng.randint(1000, 9999)}", font, ink=80)
    # Thermal fade: the lower part of the slip lighter, with a grainy surface.
    fade = Image.linear_gradient("L").resize(c.image.size).point(lambda v: v * 70 // 255)
    c.image = _lift(c.image, fade)
    c.image = _noise(c.image, rng, 14)
    return c


def old_print(rng: random.Random) -> Canvas:
    """A page of old book print: serif, yellowed paper, broken and bleeding ink, skewed."""
    c = Canvas.new(6, 9, 300, paper=226)
    font = _font(rng.choice(_fonts(SERIF)), c.px(11))
    y = c.px(54)
    while y < c.image.height - c.px(70):
        c.text((c.px(50), y), _phrase(rng, 8).capitalize(), font, ink=rng.randint(25, 60))
        y += c.px(15)
    image = c.image.filter(ImageFilter.GaussianBlur(0.9))
    image = _dropout(image, rng, 0.04)
    image = _noise(image, rng, 18)
    c.image = image.rotate(rng.uniform(-1.2, 1.2), resample=Image.Resampling.BICUBIC, fillcolor=226)
    return c


def small_print(rng: random.Random) -> Canvas:
    """Two columns of 7 pt type (footnotes, terms and conditions) at 300 dpi."""
    c = Canvas.new(8.5, 11, 300)
    font = _font(rng.choice(_fonts(SANS)), c.px(7))
    for col in range(2):
        y = c.px(60)
        while y < c.image.height - c.px(60):
            c.text((c.px(50 + 265 * col), y), _phrase(rng, 6), font)
            y += c.px(9)
    c.image = _noise(c.image, rng, 10)
    return c


def table(rng: random.Random) -> Canvas:
    """A ruled table of names, dates and amounts."""
    c = Canvas.new(8.5, 11, 200)
    draw = ImageDraw.Draw(c.image)
    font = _font(rng.choice(_fonts(SANS)), c.px(9))
    widths = (150, 90, 90, 110, 90)
    x0, y = c.px(40), c.px(60)
    for row in range(30):
        x = x0
        cells = (
            _phrase(rng, 2).title(),
            f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(1950, 2024)}",
            str(rng.randint(1, 5000)),
            rng.choice(WORDS),
            _amount(rng),
        )
        for width, cell in zip(widths, cells, strict=True):
            draw.rectangle((x, y, x + c.px(width), y + c.px(16)), outline=40)
            c.text((x + c.px(4), y + c.px(3)), cell, font)
            x += c.px(width)
        y += c.px(16)
        if row == 0:
            y += c.px(2)
    c.image = _noise(c.image, rng, 8)
    return c


def low_contrast(rng: random.Random) -> Canvas:
    """Grey type on grey paper, as from a faded carbon copy, with JPEG-like softness."""
    c = Canvas.new(8.5, 11, 200, paper=205)
    font = _font(rng.choice(_fonts(SANS + SERIF)), c.px(10))
    y = c.px(60)
    while y < c.image.height - c.px(70):
        c.text((c.px(60), y), _phrase(rng, 9), font, ink=rng.randint(120, 150))
        y += c.px(15)
    c.image = _noise(c.image.filter(ImageFilter.GaussianBlur(0.7)), rng, 12)
    return c


def _noise(image: Image.Image, rng: random.Random, sigma: float) -> Image.Image:
    """Gaussian grain of ``sigma`` grey levels."""
    grain = np.random.default_rng(rng.randrange(2**32)).normal(0, sigma, image.size[::-1])
    return Image.fromarray(np.clip(np.asarray(image, np.float32) + grain, 0, 255).astype(np.uint8))


def _lift(image: Image.Image, amount: Image.Image) -> Image.Image:
    """Lighten each pixel towards white by ``amount`` (0-255) of the way."""
    ink = 255 - np.asarray(image, np.float32)
    kept = 1 - np.asarray(amount, np.float32) / 255
    return Image.fromarray((255 - ink * kept).astype(np.uint8))


def _dropout(image: Image.Image, rng: random.Random, share: float) -> Image.Image:
    """Paper-coloured specks where the ink failed to take."""
    specks = np.random.default_rng(rng.randrange(2**32)).random(image.size[::-1]) < share
    pixels = np.asarray(image).copy()
    pixels[specks] = 226
    return Image.fromarray(pixels)


KINDS: dict[str, Callable[[random.Random], Canvas]] = {
    "form": form,
    "receipt": receipt,
    "old-print": old_print,
    "small-print": small_print,
    "table": table,
    "low-contrast": low_contrast,
}


def pages(per_kind: int = 2, seed: int = 11) -> list[tuple[str, Image.Image, int, list[str]]]:
    """``per_kind`` pages of each kind: (name, image, dpi, words in reading order)."""
    out = []
    for kind, make in KINDS.items():
        for n in range(per_kind):
            c = make(random.Random(f"{seed}-{kind}-{n}"))
            out.append((f"{kind}-{n}", c.image, c.dpi, c.words))
    return out


def bag_f1(read: list[str], truth: list[str]) -> float:
    """F1 of the words read against the words drawn, as multisets (order ignored)."""
    got, want = Counter(read), Counter(truth)
    hit = sum((got & want).values())
    if not hit:
        return 0.0
    precision, recall = hit / sum(got.values()), hit / sum(want.values())
    return 2 * precision * recall / (precision + recall)
