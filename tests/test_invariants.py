"""Geometry invariants, for any page and any box (hypothesis): a point anywhere on the page
image maps inside the page's visible area, and every character of a word read anywhere on the
image ends up on the visible page, whatever the page's boxes and /Rotate."""

from __future__ import annotations

import math
from pathlib import Path

import pikepdf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from ocr_pdf import PageText, make_searchable
from ocr_pdf.models import Line, PageGeometry, Word, apply
from tests import checks

rotations = st.sampled_from([0, 90, 180, 270])


@st.composite
def geometries(draw: st.DrawFn) -> PageGeometry:
    """A MediaBox anywhere in user space, a CropBox inside it, any /Rotate."""
    x0 = draw(st.floats(-2000, 2000))
    y0 = draw(st.floats(-2000, 2000))
    w = draw(st.floats(72, 3000))
    h = draw(st.floats(72, 3000))
    left, bottom = draw(st.floats(0, 0.3)), draw(st.floats(0, 0.3))
    right, top = draw(st.floats(0, 0.3)), draw(st.floats(0, 0.3))
    crop = (x0 + left * w, y0 + bottom * h, x0 + w - right * w, y0 + h - top * h)
    return PageGeometry((x0, y0, x0 + w, y0 + h), crop, draw(rotations))


@given(geometries(), st.integers(50, 5000), st.integers(50, 5000), st.floats(0, 1), st.floats(0, 1))
def test_any_image_point_lands_on_the_visible_page(
    geometry: PageGeometry, width: int, height: int, u: float, v: float
) -> None:
    x, y = apply(geometry.image_to_user(width, height), (u * width, v * height))
    cx0, cy0, cx1, cy1 = geometry.cropbox
    eps = 1e-6 * max(1.0, abs(cx0), abs(cx1), abs(cy0), abs(cy1))
    assert cx0 - eps <= x <= cx1 + eps and cy0 - eps <= y <= cy1 + eps


class Given:
    """An engine that 'reads' the words it is given, at quads in [0, 1] of the image."""

    name = "given"

    def __init__(self, words: list[tuple[str, tuple[tuple[float, float], ...]]]) -> None:
        self.words = words

    def recognize(self, image: Image.Image) -> PageText:
        w, h = image.size
        lines = tuple(
            Line((Word(text, tuple((x * w, y * h) for x, y in quad)),))  # type: ignore[arg-type]
            for text, quad in self.words
        )
        return PageText(w, h, lines)


@st.composite
def quads(draw: st.DrawFn) -> tuple[tuple[float, float], ...]:
    """A word's box anywhere inside the image, at any angle, clockwise from its top-left."""
    cx, cy = draw(st.floats(0.2, 0.8)), draw(st.floats(0.2, 0.8))
    half_w, half_h = draw(st.floats(0.02, 0.15)), draw(st.floats(0.01, 0.05))
    a = math.radians(draw(st.floats(0, 360)))
    ca, sa = math.cos(a), math.sin(a)
    corners = [(-half_w, -half_h), (half_w, -half_h), (half_w, half_h), (-half_w, half_h)]
    return tuple((cx + x * ca - y * sa, cy + x * sa + y * ca) for x, y in corners)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(geometries(), st.lists(quads(), min_size=1, max_size=4))
def test_every_character_lands_on_the_visible_page(
    tmp_path: Path, geometry: PageGeometry, boxes_read: list[tuple[tuple[float, float], ...]]
) -> None:
    # Different letters in each word: PDFium drops a character drawn twice at one place.
    words = [(("ab", "Wo", "12", "éç")[i], quad) for i, quad in enumerate(boxes_read)]
    doc = pikepdf.new()
    doc.add_blank_page(page_size=(10, 10))
    page = doc.pages[0]
    page.obj.MediaBox = pikepdf.Array(geometry.mediabox)
    page.obj.CropBox = pikepdf.Array(geometry.cropbox)
    page.obj.Rotate = geometry.rotation
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    doc.save(src)
    make_searchable(src, out, engine=Given(words), dpi=40, cache=False, mode="force")
    boxes = checks.char_boxes(out, 0)
    assert len(boxes) == sum(len(t) for t, _ in words)
    cx0, cy0, cx1, cy1 = geometry.cropbox
    slack = 1.0  # points: PDFium's boxes are rounded to floats
    for _, (left, bottom, right, top) in boxes:
        mx, my = (left + right) / 2, (bottom + top) / 2
        assert cx0 - slack <= mx <= cx1 + slack and cy0 - slack <= my <= cy1 + slack
