"""The scan itself: a page that is one JPEG (or PNG-predicted Flate image) drawn and nothing
else is sent to an Azure engine as stored, and its words land on their ink whatever the image's
placement (rotated or flipped in storage, offset, scaled, cropped, on a /Rotate page). Pages
that hold anything else, or whose image the API would not take, are rendered.

Each page here is built from an upright canvas drawn by tests/pagegen.py, stored turned or
flipped, and drawn back upright by the `cm` we write: the truth is each word's quad on the
canvas, mapped forward to the stored image (what the stand-in answers from) and to user space
(what the assertions check), independently of ocr_pdf's geometry."""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from ocr_pdf.cli import main
from tests import checks
from tests.conftest import FAKE_KEY
from tests.pagegen import (
    Block,
    PageSpec,
    Pt,
    TruthPage,
    TruthWord,
    _draw,
    make_page,
    thumbnail,
    two_columns,
)
from tests.standin import StandIn

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])

DPI = 200
# Columns with a clear gutter (at size 30 the first lines would touch across it).
CANVAS = PageSpec("canvas", two_columns(size=24), width_in=4.5, height_in=3.2, dpi=DPI)


@dataclass(frozen=True)
class Storage:
    """How the canvas is stored: a Pillow transpose (or none), and the map from canvas
    coordinates normalised to [0, 1] (x right, y down) to the stored image's."""

    transpose: Image.Transpose | None
    to_stored: Callable[[float, float], Pt]


STORAGES = {
    "upright": Storage(None, lambda s, t: (s, t)),
    "turned90": Storage(Image.Transpose.ROTATE_270, lambda s, t: (1 - t, s)),  # clockwise
    "turned180": Storage(Image.Transpose.ROTATE_180, lambda s, t: (1 - s, 1 - t)),
    "mirrored": Storage(Image.Transpose.FLIP_LEFT_RIGHT, lambda s, t: (1 - s, t)),
    "flipped": Storage(Image.Transpose.FLIP_TOP_BOTTOM, lambda s, t: (s, 1 - t)),
}


@dataclass(frozen=True)
class Placement:
    storage: str = "upright"
    scale: float = 1.0  # points per canvas pixel, times 72 / DPI
    offset: Pt = (0.0, 0.0)  # where the canvas's bottom-left corner lands (points)
    crop: tuple[float, float, float, float] | None = None  # CropBox, fractions of the canvas
    rotate: int = 0  # the page's /Rotate; the content is laid out to show upright anyway


def _solve(storage: Storage) -> tuple[float, float, float, float, float, float]:
    """The affine map from image space (u, 1 - v of the stored image) to canvas coordinates
    (s, 1 - t): solved from three points, so that no ocr_pdf geometry is involved."""
    inverse: dict[Pt, Pt] = {}
    for s, t in ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0)):
        u, v = storage.to_stored(s, t)
        inverse[(u, 1 - v)] = (s, 1 - t)
    (p0, q0), (p1, q1), (p2, q2) = inverse.keys()
    (x0, y0), (x1, y1), (x2, y2) = inverse.values()
    det = (p1 - p0) * (q2 - q0) - (p2 - p0) * (q1 - q0)
    a = ((x1 - x0) * (q2 - q0) - (x2 - x0) * (q1 - q0)) / det
    c = ((x2 - x0) * (p1 - p0) - (x1 - x0) * (p2 - p0)) / det
    b = ((y1 - y0) * (q2 - q0) - (y2 - y0) * (q1 - q0)) / det
    d = ((y2 - y0) * (p1 - p0) - (y1 - y0) * (p2 - p0)) / det
    return a, b, c, d, x0 - a * p0 - c * q0, y0 - b * p0 - d * q0


def scan_page(
    pdf: pikepdf.Pdf, placement: Placement, encoding: str = "jpeg"
) -> tuple[TruthPage, TruthPage]:
    """Append a page showing CANVAS upright through ``placement``; return the truths the
    stand-in answers from, with user-space quads: of the stored image (the scan sent as it
    is) and of the page as displayed (a render)."""
    canvas, blocks = _draw(CANVAS)
    storage = STORAGES[placement.storage]
    # FLIP_LEFT_RIGHT is 0: test for None, not truth.
    stored = canvas if storage.transpose is None else canvas.transpose(storage.transpose)
    cw, ch = canvas.size
    k = 72 / DPI * placement.scale
    width, height = cw * k, ch * k
    ox, oy = placement.offset

    def to_user(p: Pt) -> Pt:  # canvas pixels to user space, for the upright display
        return (ox + p[0] * k, oy + height - p[1] * k)

    def to_stored(p: Pt) -> Pt:
        return storage.to_stored(p[0] / cw, p[1] / ch)

    a, b, c, d, e, f = _solve(storage)
    # image space -> canvas (s, 1 - t) -> user: scale by the canvas size in points.
    matrix = [a * width, b * height, c * width, d * height, ox + e * width, oy + f * height]
    truth = TruthPage(PageSpec(f"scan-{placement}", ()), display_size=stored.size)
    truth.thumbnail = thumbnail(stored)
    shown = TruthPage(PageSpec(f"shown-{placement}", ()), display_size=canvas.size)
    shown.thumbnail = thumbnail(canvas)
    for kept, on_image in ((truth, to_stored), (shown, lambda p: (p[0] / cw, p[1] / ch))):
        for lines in blocks:
            kept.blocks.append(
                [
                    [
                        TruthWord(
                            text,
                            tuple(on_image(p) for p in quad),  # type: ignore[arg-type]
                            tuple(to_user(p) for p in quad),  # type: ignore[arg-type]
                        )
                        for text, quad in words
                    ]
                    for words in lines
                ]
            )
    image = _embedded(pdf, stored, encoding)
    numbers = " ".join(f"{v:.6f}" for v in matrix)
    box = [ox, oy, ox + width, oy + height]
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=box,
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)),
        Contents=pikepdf.Stream(pdf, f"q {numbers} cm /Im0 Do Q\n".encode()),
    )
    if placement.crop:
        x0, y0, x1, y1 = placement.crop
        page.CropBox = [ox + x0 * width, oy + y0 * height, ox + x1 * width, oy + y1 * height]
    if placement.rotate:
        page.Rotate = placement.rotate
    pdf.pages.append(pikepdf.Page(page))
    return truth, shown


def _embedded(pdf: pikepdf.Pdf, image: Image.Image, encoding: str) -> pikepdf.Stream:
    if encoding == "jpeg":
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=92)
        stream = pikepdf.Stream(pdf, buf.getvalue())
        stream.Filter = pikepdf.Name.DCTDecode
    else:  # PNG's own IDAT data: Flate with PNG predictors
        buf = io.BytesIO()
        image.save(buf, "PNG", compress_level=6)
        stream = pikepdf.Stream(pdf, _idat(buf.getvalue()))
        stream.Filter = pikepdf.Name.FlateDecode
        stream.DecodeParms = pikepdf.Dictionary(
            Predictor=15, Colors=1, BitsPerComponent=8, Columns=image.width
        )
    stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    stream.Width, stream.Height = image.size
    stream.ColorSpace, stream.BitsPerComponent = pikepdf.Name.DeviceGray, 8
    return stream


def _idat(png: bytes) -> bytes:
    data, at = b"", 8
    while at < len(png):
        length = int.from_bytes(png[at : at + 4], "big")
        kind = png[at + 4 : at + 8]
        if kind == b"IDAT":
            data += png[at + 8 : at + 8 + length]
        at += 12 + length
    assert zlib.decompress(data)  # a whole zlib stream
    return data


def endpoint(standin: StandIn) -> list[str]:
    return ["--endpoint", standin.endpoint]


def _convert(
    tmp_path: Path, pdf: pikepdf.Pdf, truths: list[TruthPage], engine: str = "azure-ocr"
) -> tuple[Path, Path, StandIn]:
    src, out = tmp_path / "scan.pdf", tmp_path / "out.pdf"
    pdf.save(src)
    with StandIn(key=FAKE_KEY, pages=truths) as standin:
        code = main(
            [str(src), str(out), "--engine", engine, "--no-cache", "-q", *endpoint(standin)]
        )
    assert code == 0
    return src, out, standin


PLACEMENTS = {
    "upright": Placement(),
    "turned90-in-storage": Placement("turned90"),
    "turned180-in-storage": Placement("turned180"),
    "offset": Placement(offset=(137.5, -61.25)),
    "scaled": Placement(scale=0.75),
    "cropped": Placement(crop=(0.0, 0.3, 1.0, 1.0)),
    "rotate90-page": Placement("turned90", rotate=90),
    "everything": Placement("turned180", scale=0.8, offset=(20, 30), crop=(0.0, 0.0, 1.0, 0.8)),
}


@pytest.mark.parametrize("encoding", ["jpeg", "png"])
@pytest.mark.parametrize("name", list(PLACEMENTS))
def test_the_scan_is_sent_as_stored_and_words_land_on_their_ink(
    name: str, encoding: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    placement = PLACEMENTS[name]
    pdf = pikepdf.new()
    truth, _ = scan_page(pdf, placement, encoding)
    image = next(iter(pdf.pages[0].get_images().values()))
    stored = image.read_raw_bytes()
    src, out, standin = _convert(tmp_path, pdf, [truth])
    # What was sent is the scan's own bytes: as stored, or a PNG around the same IDAT data
    # (signature 8 bytes, IHDR 25, the IDAT chunk's 12, IEND 12).
    assert len(standin.calls) == 1
    png_wrapping = 0 if encoding == "jpeg" else 8 + 25 + 12 + 12
    assert standin.calls[0]["bytes"] == len(stored) + png_wrapping
    visible = _visible(truth, placement)
    placements = checks.word_placements(out, 0, visible)
    assert placements, "no word in the layer"
    assert all(p.centres_inside for p in placements), [p.word.text for p in placements]
    assert min(p.iou for p in placements) > 0.35
    assert checks.render(out, 0) == checks.render(src, 0)
    checks.original_streams_kept(src, out)


def _visible(truth: TruthPage, placement: Placement) -> TruthPage:
    """The truth less the words a CropBox hides (their centre outside it)."""
    if not placement.crop:
        return truth
    x0, y0, x1, y1 = placement.crop
    k = 72 / DPI * placement.scale
    canvas_w, canvas_h = CANVAS.width_in * DPI * k, CANVAS.height_in * DPI * k
    ox, oy = placement.offset
    left, right = ox + x0 * canvas_w, ox + x1 * canvas_w
    bottom, top = oy + y0 * canvas_h, oy + y1 * canvas_h
    kept = TruthPage(truth.spec, display_size=truth.display_size, thumbnail=truth.thumbnail)
    for block in truth.blocks:
        lines = []
        for line in block:
            words = [
                w
                for w in line
                if left <= sum(x for x, _ in w.user_quad) / 4 <= right
                and bottom <= sum(y for _, y in w.user_quad) / 4 <= top
            ]
            if words:
                lines.append(words)
        if lines:
            kept.blocks.append(lines)
    return kept


def _with(pdf: pikepdf.Pdf, change: str) -> None:
    """Spoil the one page so that it is no longer one plain image and nothing else."""
    page = pdf.pages[0]
    image = page.obj.Resources.XObject.Im0
    if change == "vector-text":
        extra = b"BT /F1 8 Tf 5 5 Td (stamp) Tj ET\n"
        page.obj.Resources.Font = pikepdf.Dictionary(
            F1=pikepdf.Dictionary(
                Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
            )
        )
        page.contents_add(pikepdf.Stream(pdf, extra))
    elif change == "annotation":
        page.obj.Annots = pdf.make_indirect(
            pikepdf.Array(
                [
                    pikepdf.Dictionary(
                        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Square, Rect=[10, 10, 40, 40]
                    )
                ]
            )
        )
    elif change == "soft-mask":
        samples = int(image.Width) * int(image.Height)
        mask = pikepdf.Stream(pdf, zlib.compress(b"\xff" * samples))
        mask.Type, mask.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        mask.Width, mask.Height, mask.BitsPerComponent = image.Width, image.Height, 8
        mask.ColorSpace, mask.Filter = pikepdf.Name.DeviceGray, pikepdf.Name.FlateDecode
        image.SMask = mask
    elif change == "two-images":
        page.contents_add(pikepdf.Stream(pdf, b"q 10 0 0 10 0 0 cm /Im0 Do Q\n"))
    elif change == "decode-array":
        image.Decode = pikepdf.Array([1, 0])


@pytest.mark.parametrize(
    "change", ["vector-text", "annotation", "soft-mask", "two-images", "decode-array"]
)
def test_a_page_with_more_than_its_scan_is_rendered(
    change: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    pdf = pikepdf.new()
    _, shown = scan_page(pdf, Placement())
    stored = next(iter(pdf.pages[0].get_images().values())).read_raw_bytes()
    _with(pdf, change)
    src, out, standin = _convert(tmp_path, pdf, [shown])
    assert len(standin.calls) == 1 and standin.calls[0]["bytes"] != len(stored)
    assert checks.render(out, 0) == checks.render(src, 0)


@pytest.mark.parametrize("storage", ["mirrored", "flipped"])
def test_a_scan_stored_mirrored_is_rendered(
    storage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sent as stored it would read as mirror writing; the render reads as displayed."""
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    pdf = pikepdf.new()
    _, shown = scan_page(pdf, Placement(storage))
    stored = next(iter(pdf.pages[0].get_images().values())).read_raw_bytes()
    src, out, standin = _convert(tmp_path, pdf, [shown])
    assert len(standin.calls) == 1 and standin.calls[0]["bytes"] != len(stored)
    placements = checks.word_placements(out, 0, shown)
    assert all(p.centres_inside for p in placements)
    assert checks.render(out, 0) == checks.render(src, 0)


@pytest.mark.parametrize("reason", ["too-coarse", "too-large"])
def test_a_scan_the_api_would_not_take_is_rendered(
    reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    spec = (
        PageSpec("coarse", (Block(20, 20, ("Invoice number 4471",), size=14),), 4, 1, dpi=100)
        if reason == "too-coarse"
        else PageSpec("large", (Block(60, 60, ("Invoice number 4471",), size=90),), 22, 3, 220)
    )
    pdf = pikepdf.new()
    truth = make_page(spec, pdf)  # stored as Flate without a predictor: re-store as a JPEG
    image = pdf.pages[0].obj.Resources.XObject.Im0
    pixels = Image.frombytes("L", (int(image.Width), int(image.Height)), image.read_bytes())
    buf = io.BytesIO()
    pixels.save(buf, "JPEG", quality=92)
    image.write(buf.getvalue(), filter=pikepdf.Name.DCTDecode)
    _, out, standin = _convert(tmp_path, pdf, [truth])
    assert standin.calls and all(c["bytes"] != len(buf.getvalue()) for c in standin.calls)
    assert "Invoice" in checks.page_text(out, 0)


def test_replay_reproduces_a_conversion_that_sent_scans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    pdf = pikepdf.new()
    truths = [scan_page(pdf, Placement("turned90"))[0], scan_page(pdf, Placement(scale=0.9))[0]]
    src, out = tmp_path / "scan.pdf", tmp_path / "out.pdf"
    pdf.save(src)
    saved = tmp_path / "run.json"
    with StandIn(key=FAKE_KEY, pages=truths) as standin:
        code = main(
            [
                str(src),
                str(out),
                "--engine",
                "azure-ocr",
                "--ocr-json",
                str(saved),
                "-q",
                *endpoint(standin),
            ]
        )
    assert code == 0
    again = tmp_path / "again.pdf"
    code = main([str(src), str(again), "--engine", "replay", "--ocr-json", str(saved), "-q"])
    assert code == 0
    for page in (0, 1):
        assert checks.page_text(again, page) == checks.page_text(out, page)
