"""Pages rendered for a service on threads: the same images, in page order, as rendered one at
a time, each with its render kept for fitting; and a conversion in a process that may not start
processes of its own (a daemonic one, as Celery's default prefork pool runs every task in)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from PIL import Image

from ocr_pdf import make_searchable
from ocr_pdf.azure.legacy_ocr import LIMITS
from ocr_pdf.engines import Engine, choose_dpi
from ocr_pdf.models import PageText
from ocr_pdf.options import ConversionOptions
from ocr_pdf.pdf import pdfium
from ocr_pdf.reading.cache import pixel_digest
from ocr_pdf.reading.rendering import page_images
from ocr_pdf.steps.inputs import open_input
from tests import checks
from tests.conftest import FAKE_KEY
from tests.pagegen import Block, PageSpec, make_pdf
from tests.standin import StandIn


class Encoded(Engine):
    """An engine that takes encoded images (as a service does) and is never asked to read."""

    name = "encoded"
    accepts = LIMITS

    def recognize(self, image: Image.Image) -> PageText:
        raise AssertionError("not called")


def pages(count: int) -> list[PageSpec]:
    """Pages of different sizes and resolutions, each with its own line."""
    return [
        PageSpec(f"r{i}", (Block(30, 30 + 7 * i, (f"render {i} of {count}",)),),
                 width_in=3 + i % 3, height_in=2 + i % 2, dpi=100 + 50 * (i % 3))
        for i in range(count)
    ]  # fmt: skip


def test_threads_render_what_one_thread_renders(tmp_path: Path) -> None:
    data, _ = make_pdf(pages(7))
    src = tmp_path / "in.pdf"
    src.write_bytes(data)
    options = ConversionOptions.from_kwargs(ocr_json=tmp_path / "x.json")  # pages are hashed
    with open_input(src) as source:
        made = list(page_images(source, list(range(7)), Encoded(), None, options))
    alone = []
    with pdfium.Document(src) as doc:
        for i in range(7):
            with doc.page(i) as page:
                alone.append(page.render(choose_dpi(None, page.native_dpi())))
    assert [p.page.index for p in made] == list(range(7))
    assert [p.page.digest for p in made] == [pixel_digest(image) for image in alone]
    for p, image in zip(made, alone, strict=True):
        assert p.pixels is not None and p.pixels.tobytes() == image.tobytes()
        assert (p.page.width, p.page.height) == image.size


def _convert(src: Path, out: Path, endpoint: str) -> None:
    """The child's side: a daemonic process converting as a Celery pool process does."""
    make_searchable(src, out, engine="azure-ocr", endpoint=endpoint, dpi=100, cache=False)


def test_a_daemonic_process_converts_pages_it_must_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, truths = make_pdf(pages(4))  # Flate scans: not sent as stored, rendered
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(data)
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    with StandIn(key=FAKE_KEY, pages=truths) as standin:
        child = multiprocessing.get_context("spawn").Process(
            target=_convert, args=(src, out, standin.endpoint), daemon=True
        )
        child.start()
        child.join(120)
    assert child.exitcode == 0
    for i, truth in enumerate(truths):
        assert checks.page_text(out, i) == checks.expected_text(truth)
        assert all(p.centres_inside for p in checks.word_placements(out, i, truth))
