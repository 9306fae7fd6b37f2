"""`ocr-pdf preview`: one page drawn with the words the OCR found, reusing the cache."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from ocr_pdf import Engine, Line, PageText, Word, make_searchable, preview
from ocr_pdf.cli import main
from ocr_pdf.errors import ExitCode
from ocr_pdf.image.encoding import EncodedImage, ImageLimits
from ocr_pdf.models import quad_from_box
from tests import hostile
from tests.pagegen import Block, PageSpec, make_pdf
from tests.test_local_engines import has_local

SPEC = PageSpec("p", (Block(60, 80, ("Preview this page",)),), width_in=4, height_in=2)
OTHER = PageSpec("q", (Block(60, 120, ("Another page here",)),), width_in=4, height_in=2)


@has_local
def test_preview_draws_boxes_on_the_words_and_reuses_the_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, truths = make_pdf([OTHER, SPEC])
    src = tmp_path / "scan.pdf"
    src.write_bytes(data)
    png = tmp_path / "preview.png"
    assert main(["preview", str(src), "--page", "2", "-o", str(png), "--engine", "local"]) == 0
    assert "page 2, 3 words (read now)" in capsys.readouterr().err
    drawn = Image.open(png).convert("RGB")
    # Box outlines in the preview's red sit around each word the page generator drew.
    width, height = (drawn.width - preview.GAP) // 2, drawn.height  # the page's own panel
    for word in truths[1].words:
        xs = [x * width for x, _ in word.display_quad]
        ys = [y * height for _, y in word.display_quad]
        near: list[tuple[int, int, int]] = [
            drawn.getpixel((round(x), round(y)))  # type: ignore[misc]
            for x in range(int(min(xs)) - 6, int(max(xs)) + 6, 2)
            for y in (min(ys) - 4, max(ys) + 4)
            if 0 <= x < width and 0 <= y < height
        ]
        assert any(r > 180 and g < 80 and b < 120 for r, g, b in near), word.text
    # A conversion afterwards finds page 2 in the cache; a second preview costs nothing.
    assert main([str(src), str(tmp_path / "out.pdf"), "--engine", "local"]) == 0
    assert "(1 from cache)" in capsys.readouterr().err
    assert main(["preview", str(src), "--page", "2", "-o", str(png), "--engine", "local"]) == 0
    assert "(from the cache)" in capsys.readouterr().err


def test_preview_of_a_page_that_is_not_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = make_pdf([SPEC])
    src = tmp_path / "scan.pdf"
    src.write_bytes(data)
    rc = main(["preview", str(src), "--page", "3", "-o", str(tmp_path / "p.png")])
    err = capsys.readouterr().err
    assert (
        rc == ExitCode.bad_args
        and err.strip() == f"ocr-pdf: error: --page 3: {src} has pages 1 to 1"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scan.pdf"]


@has_local
def test_preview_of_a_page_with_nothing_visible(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = make_pdf([SPEC])
    with pikepdf.open(io.BytesIO(data)) as doc:
        doc.pages[0].obj.CropBox = pikepdf.Array([900, 900, 950, 950])  # beside the page
        doc.save(tmp_path / "scan.pdf")
    src = tmp_path / "scan.pdf"
    rc = main(["preview", str(src), "--page", "1", "-o", str(tmp_path / "p.png"), "-q"])
    err = capsys.readouterr().err
    assert rc == ExitCode.input_file, err
    assert err.strip() == f"ocr-pdf: error: --page 1: nothing of it is visible in {src}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scan.pdf"]


def test_preview_refuses_a_decompression_bomb(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = make_pdf([SPEC])
    src = tmp_path / "scan.pdf"
    src.write_bytes(hostile.content_bomb_pdf(data))
    rc = main(["preview", str(src), "--page", "1", "-o", str(tmp_path / "p.png"), "-q"])
    err = capsys.readouterr().err
    assert rc == ExitCode.input_file, err
    assert err.count("\n") == 1 and "decompression bomb" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scan.pdf"]


class Shrinking(Engine):
    """A service-like engine that takes encoded images of at most 300 px a side: a render
    is scaled down to be sent. It reads one word in the middle of what it is sent."""

    name = "shrinking"
    accepts = ImageLimits(50, 300, 10_000_000)

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[int, int]] = []

    def recognize_encoded(self, image: EncodedImage) -> PageText:
        self.sent.append((image.width, image.height))
        w, h = image.width, image.height
        word = Word("middle", quad_from_box(w * 0.4, h * 0.45, w * 0.2, h * 0.1), 0.9)
        return PageText(w, h, (Line((word,)),))


def test_preview_of_a_page_a_service_read_scaled_down_comes_from_the_cache(
    tmp_path: Path,
) -> None:
    """The reading of a render fitted to a service's limits is kept in the render's frame:
    a preview finds the conversion's (no second call) and draws it on the page as rendered."""
    data, _ = make_pdf([SPEC])
    src = tmp_path / "scan.pdf"
    src.write_bytes(data)
    engine, cache = Shrinking(), tmp_path / "cache"
    make_searchable(src, tmp_path / "out.pdf", engine=engine, cache=cache, dpi=150)
    png = tmp_path / "preview.png"
    text, cached = preview.preview(src, png, 1, engine=engine, cache=cache, dpi=150)
    assert engine.sent == [(300, 150)] and cached  # read once, for the conversion
    assert (text.width, text.height) == (600, 300)  # the render's pixels, 4 x 2 in at 150 dpi
    assert Image.open(png).size == (600 * 2 + preview.GAP, 300)
