"""Make the scanned sample PDFs in samples/: text drawn with a real font, then treated like a
scan (slight skew, speckle, grey paper, JPEG), one image per page, no text layer.

Run from the repository root: python scripts/make_samples.py
Uses DejaVu fonts when the system has them (Debian: fonts-dejavu-core), else Pillow's own."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pikepdf
from PIL import Image, ImageDraw, ImageFilter, ImageFont

OUT = Path(__file__).resolve().parent.parent / "samples"
FONTS = Path("/usr/share/fonts/truetype/dejavu")


def font(size: int, serif: bool = True) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSerif.ttf" if serif else "DejaVuSans.ttf"
    if (FONTS / name).exists():
        return ImageFont.truetype(str(FONTS / name), size)
    return ImageFont.load_default(size)


LETTER = """\
Dear Ms. Lindqvist,

Thank you for your letter of 14 March concerning the
renovation of the reading room. The library board met
on Tuesday and approved the revised budget of 48,200
euros, including the new shelving and the lighting.

Work will begin on 2 May and should be finished before
the summer exhibition opens on 21 June. During this
time the archive remains open by appointment only.

Please send the final drawings to the office by the
end of the month so that the contractor can order the
materials in time.

Yours sincerely,

Henrik Aaltonen
Head Librarian"""

MINUTES_LEFT = """\
Minutes of the meeting
held on 9 October

Present: the chair, the
treasurer, five members.

1. The minutes of the
last meeting were read
and approved without
changes.

2. The treasurer reported
a surplus of 1,250 euros
for the third quarter."""

MINUTES_RIGHT = """\
3. The garden committee
asked for two new benches
and a water tap near the
east gate. Approved.

4. Any other business:
the autumn fair will take
place on 12 November in
the parish hall.

The meeting closed at
nine in the evening."""

MULTI = [
    ("English", "The quick brown fox jumps over the lazy dog."),
    ("Deutsch", "Zwölf Boxkämpfer jagen Viktor quer über den Sylter Deich."),
    ("Français", "Portez ce vieux whisky au juge blond qui fume."),
    ("Русский", "Съешь же ещё этих мягких французских булок, да выпей чаю."),
    ("Ελληνικά", "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία."),
]


def scanned(img: Image.Image, skew: float, seed: int) -> Image.Image:
    """Make a clean rendering look scanned: grey paper, blur, speckle, a slight skew."""
    rng = random.Random(seed)
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    img = img.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=238)
    w, h = img.size
    for _ in range(w * h // 400):
        x, y = rng.randrange(w), rng.randrange(h)
        value = img.getpixel((x, y))
        assert isinstance(value, int)
        img.putpixel((x, y), max(0, value - rng.randrange(60, 160)))
    return img.point(lambda v: int(v * 0.93 + 8))


def page(width_in: float, height_in: float, dpi: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("L", (round(width_in * dpi), round(height_in * dpi)), 255)
    return img, ImageDraw.Draw(img)


def to_pdf(images: list[tuple[Image.Image, int, int]], path: Path) -> None:
    """One JPEG image per page, page size from the image's dpi; ``rotate`` sets /Rotate."""
    pdf = pikepdf.new()
    for img, dpi, rotate in images:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=55, optimize=True)
        stream = pikepdf.Stream(pdf, buf.getvalue())
        stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        stream.Width, stream.Height = img.size
        stream.ColorSpace, stream.BitsPerComponent = pikepdf.Name.DeviceGray, 8
        stream.Filter = pikepdf.Name.DCTDecode
        w, h = img.width * 72 / dpi, img.height * 72 / dpi
        content = f"q {w:.3f} 0 0 {h:.3f} 0 0 cm /Im0 Do Q".encode()
        pg = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, round(w, 3), round(h, 3)],
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=stream)),
            Contents=pikepdf.Stream(pdf, content),
        )
        if rotate:
            pg.Rotate = rotate
        pdf.pages.append(pikepdf.Page(pg))
    pdf.save(path, deterministic_id=True)
    print(f"{path.name}: {path.stat().st_size // 1024} KB, {len(images)} page(s)")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    dpi = 150
    # 1. A one-page letter, slightly skewed.
    img, draw = page(8.5, 11, dpi)
    draw.multiline_text((150, 180), LETTER, font=font(27), fill=0, spacing=14)
    to_pdf([(scanned(img, 0.8, 1), dpi, 0)], OUT / "letter.pdf")

    # 2. Two pages of minutes in two columns; the second was scanned sideways and has
    #    /Rotate 90 so that it displays upright.
    pages = []
    for n, rotate in ((1, 0), (2, 90)):
        img, draw = page(8.5, 11, dpi)
        draw.text((150, 120), f"Garden Society - page {n}", font=font(36, serif=False), fill=0)
        draw.multiline_text((150, 260), MINUTES_LEFT, font=font(25), fill=0, spacing=12)
        draw.multiline_text((660, 260), MINUTES_RIGHT, font=font(25), fill=0, spacing=12)
        img = scanned(img, -0.5, n)
        pages.append((img.rotate(90, expand=True) if rotate else img, dpi, rotate))
    to_pdf(pages, OUT / "minutes-two-columns.pdf")

    # 3. A half-letter page in several scripts.
    img, draw = page(8.5, 5.5, dpi)
    y = 100
    for label, text in MULTI:
        draw.text((110, y), f"{label}: {text}", font=font(22, serif=False), fill=0)
        y += 70
    to_pdf([(scanned(img, 0.3, 3), dpi, 0)], OUT / "multilingual.pdf")


if __name__ == "__main__":
    main()
