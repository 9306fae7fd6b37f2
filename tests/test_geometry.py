"""End to end through each Azure engine (cassettes): the text layer lands on the printed words on
upright, rotated, offset, skewed, sideways, upside-down and non-Latin pages, and the original
pages are untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ocr_pdf.cli import main
from tests import checks
from tests.conftest import Service
from tests.pagegen import geometry_specs, make_pdf

SPECS = {s.name: s for s in geometry_specs()}


AZURE_ENGINES = ["azure-ocr", "azure-read", "azure-vision", "azure-di"]


def convert(
    service: Service, tmp_path: Path, pdf_bytes: bytes, *extra: str, engine: str = "azure-ocr"
) -> tuple[int, Path, Path]:
    src, out = tmp_path / "scan.pdf", tmp_path / "out.pdf"
    src.write_bytes(pdf_bytes)
    rc = main(
        [
            str(src),
            str(out),
            "--engine",
            engine,
            "--endpoint",
            service.endpoint,
            "--dpi",
            "150",
            "-q",
            *extra,
        ]
    )
    return rc, src, out


@pytest.mark.vcr
@pytest.mark.azure
@pytest.mark.parametrize("engine", AZURE_ENGINES)
@pytest.mark.parametrize("name", list(SPECS))
def test_words_land_on_their_ink(
    name: str, engine: str, service: Service, tmp_path: Path, fast_retries: None
) -> None:
    data, truths = make_pdf([SPECS[name]])
    service.register(truths)
    before = hashlib.sha256(data).hexdigest()
    rc, src, out = convert(service, tmp_path, data, engine=engine)
    assert rc == 0
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before, "the input was modified"

    truth = truths[0]
    if SPECS[name].skew:
        # Skewed lines are written axis-aligned word by word (see textlayer.SNAP_DEGREES), so an
        # extractor may break a line between two words: the words and their order must hold.
        assert checks.page_text(out, 0).split() == checks.expected_text(truth).split()
    else:
        assert checks.page_text(out, 0) == checks.expected_text(truth)
    poppler = checks.pdftotext(out, 0)
    if poppler is not None:  # poppler-utils installed: every word comes out whole
        assert [w for w in checks.expected_text(truth).split() if w not in poppler.split()] == []
    placements = checks.word_placements(out, 0, truth)
    off = [p.word.text for p in placements if not p.centres_inside]
    assert not off, f"characters off their word: {off}"
    # Boxes span the line's height while truth boxes hug each word's ink, so IoU is not 1;
    # a wrong rotation or origin gives IoU near 0.
    assert min(p.iou for p in placements) > 0.35
    assert sum(p.iou for p in placements) / len(placements) > 0.6

    assert checks.render(out, 0) == checks.render(src, 0), "the page looks different"
    checks.original_streams_kept(src, out)
    assert out.stat().st_size - src.stat().st_size < 6000


@pytest.mark.vcr
@pytest.mark.azure
def test_mixed_sizes_and_page_selection(service: Service, tmp_path: Path) -> None:
    specs = [
        SPECS["upright"],
        SPECS["rotate90"],
        SPECS["upright"].__class__(
            **{**SPECS["upright"].__dict__, "name": "tall", "width_in": 3.0, "height_in": 6.0}
        ),
        SPECS["offset-boxes"],
    ]
    data, truths = make_pdf(specs)
    service.register(truths)
    rc, src, out = convert(service, tmp_path, data, "--pages", "2-3")
    assert rc == 0
    assert checks.page_text(out, 0) == ""
    assert checks.page_text(out, 3) == ""
    for i in (1, 2):
        assert checks.page_text(out, i) == checks.expected_text(truths[i])
        assert all(p.centres_inside for p in checks.word_placements(out, i, truths[i]))
    for i in range(4):
        assert checks.render(out, i) == checks.render(src, i)
    checks.original_streams_kept(src, out)
