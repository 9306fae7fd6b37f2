"""Unusual and hostile input PDFs, through the command as a user runs it: no pages, a broken
cross-reference table, bilevel scans in CCITT G4 and JBIG2, a document full of forms,
annotations, links, bookmarks and metadata, a signed one, a PDF/A one, pages 200 inches long.
(Empty, non-PDF, truncated and encrypted files are in test_errors.py.)"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Name

from ocr_pdf import Engine, EngineConfig, PageText, get_engine, make_searchable
from ocr_pdf.cli import main
from ocr_pdf.errors import ExitCode
from ocr_pdf.models import Line, Word, quad_from_box
from ocr_pdf.pdf import pdfium
from tests import checks, hostile
from tests.conftest import ROOT
from tests.pagegen import Block, PageSpec, make_pdf
from tests.test_errors import assert_clean_failure, digest
from tests.test_local_engines import has_local

SPECS = [
    PageSpec(f"p{i}", (Block(40, 60, (f"Quarterly report {i + 1}", "Revenue grew")),), 5, 3)
    for i in range(2)
]


@pytest.fixture(scope="module")
def scan() -> bytes:
    return make_pdf(SPECS)[0]


def ocr(src: Path, out: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    rc = main([str(src), str(out), "--engine", "local", "--dpi", "150", *args])
    return rc, capsys.readouterr().err


def test_no_pages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = hostile.write(tmp_path, "empty-doc.pdf", hostile.no_pages_pdf())
    rc, err = ocr(src, tmp_path / "out.pdf", capsys)
    assert_clean_failure(rc, err, ExitCode.input_file, tmp_path, digest(src), "has no pages")


@has_local
def test_broken_xref_is_repaired_with_a_warning(
    scan: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = hostile.write(tmp_path, "broken.pdf", hostile.broken_xref_pdf(scan))
    before = digest(src)
    out = tmp_path / "out.pdf"
    rc, err = ocr(src, out, capsys)
    assert rc == 0, err
    warning, summary = err.splitlines()  # one warning line, then the usual summary
    assert "broken.pdf: the PDF is damaged; repaired it" in warning, err
    assert "2 page(s) OCRed" in summary
    assert digest(src) == before
    with pikepdf.open(out) as fixed:
        assert fixed.get_warnings() == []  # the output's own xref is sound
    for i in range(2):
        assert f"Quarterly report {i + 1}" in checks.page_text(out, i)


@has_local
@pytest.mark.parametrize("codec", ["ccitt", "jbig2"])
def test_bilevel_scans(codec: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = hostile.ccitt_pdf() if codec == "ccitt" else hostile.jbig2_pdf()
    src = hostile.write(tmp_path, f"{codec}.pdf", data)
    out = tmp_path / "out.pdf"
    rc, err = ocr(src, out, capsys, "-q")
    assert rc == 0, err
    assert checks.page_text(out, 0).split() == list(hostile.WORDS)
    assert checks.render(out, 0) == checks.render(src, 0)
    checks.original_streams_kept(src, out)  # the G4 / JBIG2 image bytes included
    with pikepdf.open(out) as done:
        (image,) = done.pages[0].get_images().values()
        assert image.Filter == (Name.CCITTFaxDecode if codec == "ccitt" else Name.JBIG2Decode)


def _outline(doc: pikepdf.Pdf) -> list[tuple[str, int]]:
    pages = {p.objgen: i for i, p in enumerate(doc.pages)}
    found: list[tuple[str, int]] = []
    with doc.open_outline() as outline:
        todo = list(outline.root)
        while todo:
            item = todo.pop(0)
            found.append((item.title, pages[item.destination[0].objgen]))
            todo.extend(item.children)
    return found


def _everything(path: Path) -> dict[str, object]:
    with pikepdf.open(path) as doc:
        first = doc.pages[0]
        pages = {p.objgen: i for i, p in enumerate(doc.pages)}
        annots = []
        for a in first.obj.Annots:
            target = a.get(Name.A, {}).get(Name.URI) or a.get(Name.Dest)
            if isinstance(target, pikepdf.Array):
                target = pages[target[0].objgen]
            annots.append((str(a.Subtype), str(a.get(Name.Contents, "")), str(target)))
        meta = doc.open_metadata()
        return {
            "annots": annots,
            "fields": [(str(f.T), str(f.V)) for f in doc.Root.AcroForm.Fields],
            "outline": _outline(doc),
            "info": {str(k): str(v) for k, v in doc.docinfo.items() if k != "/ModDate"},
            "xmp": (meta.get("dc:title"), meta.get("dc:creator")),
            "labels": repr(doc.Root.PageLabels),
            "attachments": {k: v.get_file().read_bytes() for k, v in doc.attachments.items()},
        }


@has_local
def test_forms_annotations_links_bookmarks_metadata_survive(
    scan: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = hostile.write(tmp_path, "rich.pdf", hostile.rich_pdf(scan))
    out = tmp_path / "out.pdf"
    rc, err = ocr(src, out, capsys)
    assert rc == 0, err
    kept = _everything(out)
    assert kept == _everything(src)
    assert kept["fields"] == [("customer", "ACME Corp")]
    assert ("/Link", "", "https://example.org/invoice/4711") in kept["annots"]  # type: ignore[operator]
    assert kept["outline"] == [("Chapter 1", 0), ("Section 1.1", 1)]
    assert "Quarterly report 1" in checks.page_text(out, 0)
    checks.original_streams_kept(src, out)


@has_local
def test_signed_pdf_is_refused_unless_asked(
    scan: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = hostile.write(tmp_path, "signed.pdf", hostile.signed_pdf(scan))
    out = tmp_path / "out.pdf"
    rc, err = ocr(src, out, capsys)
    assert_clean_failure(
        rc, err, ExitCode.input_file, tmp_path, digest(src), "digitally signed",
        "--invalidate-digital-signatures",
    )  # fmt: skip
    rc, err = ocr(src, out, capsys, "--invalidate-digital-signatures", "-q")
    assert rc == 0, err
    assert "Quarterly report 2" in checks.page_text(out, 1)


@has_local
def test_pdfa_claim_is_kept_and_the_layer_is_archive_safe(
    scan: bytes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    src = hostile.write(tmp_path, "archive.pdf", hostile.pdfa_pdf(scan))
    out = tmp_path / "out.pdf"
    with caplog.at_level(logging.INFO, logger="ocr_pdf"):
        rc, err = ocr(src, out, capsys, "-v")
    assert rc == 0, err
    assert "claims PDF/A-2B; the claim is kept" in err
    with pikepdf.open(src) as a, pikepdf.open(out) as b:
        assert b.pdf_version == a.pdf_version
        assert b.open_metadata().get("pdfaid:part") == "2"
        assert b.Root.OutputIntents[0].DestOutputProfile.read_bytes() == (
            a.Root.OutputIntents[0].DestOutputProfile.read_bytes()
        )
        assert not b.is_encrypted
        for page in b.pages:
            for xobject in page.Resources.XObject.values():
                if xobject.Subtype != Name.Form:
                    continue
                assert Name.Group not in xobject  # no transparency group
                for font in xobject.Resources.Font.values():
                    # Every font the layer uses is embedded: PDF/A's first rule for fonts.
                    descendants = font.get(Name.DescendantFonts, [font])
                    descriptor = descendants[0].FontDescriptor
                    assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


class Middle:
    """Reads one word across the middle of any page, and notes the image sizes it is given."""

    name = "middle"

    def __init__(self) -> None:
        self.sizes: list[tuple[int, int]] = []

    def recognize(self, image: object) -> PageText:
        w, h = image.size  # type: ignore[attr-defined]
        self.sizes.append((w, h))
        word = Word("middle", quad_from_box(w * 0.45, h * 0.4, w * 0.1, h * 0.2), 0.9)
        return PageText(w, h, (Line((word,)),))


def test_pages_200_inches_long(tmp_path: Path) -> None:
    doc = pikepdf.new()
    doc.add_blank_page(page_size=(14400, 144))  # 200 x 2 inches: the largest a PDF allows
    doc.add_blank_page(page_size=(14400, 14400))  # 200 x 200 inches
    src = tmp_path / "banner.pdf"
    doc.save(src)
    out = tmp_path / "out.pdf"
    engine = Middle()
    make_searchable(src, out, engine=engine, dpi=300, cache=False)
    # Rendered below the pixel ceiling instead of at 60000 x 60000 pixels.
    assert all(w * h <= pdfium.MAX_RENDER_PIXELS for w, h in engine.sizes), engine.sizes
    assert abs(engine.sizes[0][0] - 60000) <= 1  # the strip fits at full resolution
    for index, (width, height) in enumerate([(14400, 144), (14400, 14400)]):
        boxes = checks.char_boxes(out, index)
        assert "".join(c for c, _ in boxes) == "middle"
        xs = [(b[0] + b[2]) / 2 for _, b in boxes]
        ys = [(b[1] + b[3]) / 2 for _, b in boxes]
        assert 0.44 * width < min(xs) and max(xs) < 0.56 * width
        assert 0.35 * height < min(ys) and max(ys) < 0.65 * height


@pytest.mark.skipif(__import__("shutil").which("tesseract") is None, reason="no tesseract")
def test_tesseract_reads_a_strip_wider_than_it_can_take(tmp_path: Path) -> None:
    spec = PageSpec("strip", (Block(30, 40, ("Banner text far left",)),), 120, 0.6, dpi=300)
    data, _ = make_pdf([spec])  # 36000 pixels wide: over tesseract's 32767
    src = tmp_path / "strip.pdf"
    src.write_bytes(data)
    out = tmp_path / "out.pdf"
    assert main([str(src), str(out), "--engine", "tesseract", "-q"]) == 0
    assert "Banner" in checks.page_text(out, 0)
    assert hashlib.sha256(src.read_bytes()).digest() == hashlib.sha256(data).digest()


BOX_TEXT = ("Odd page boxes", "words on their ink")
BOX_SPEC = PageSpec("boxes", (Block(60, 60, BOX_TEXT),), 5, 3)
"""A 5 x 3 inch scan (360 x 216 pt) drawn at the origin of user space."""

ODD_BOXES: dict[str, tuple[list[float], list[float] | None, int]] = {
    # name: (MediaBox, CropBox or None, /Rotate), corners in the order the file gives them
    "inverted MediaBox": ([360, 216, 0, 0], None, 0),
    "inverted MediaBox, turned": ([360, 216, 0, 0], None, 90),
    "zero-area MediaBox": ([0, 0, 0, 0], None, 0),  # viewers show a US Letter page
    "zero-width MediaBox": ([50, 0, 50, 216], None, 0),
    "MediaBox below the origin": ([-200, -100, 360, 216], None, 0),
    "CropBox partly outside": ([0, 0, 360, 216], [20, 10, 500, 400], 0),
    "CropBox inverted": ([0, 0, 360, 216], [340, 200, 15, 5], 270),
    "both inverted": ([360, 216, -20, -30], [350, 210, 10, 5], 180),
    # Only on the page tree's root, which PDFium's box getters do not look at.
    "inherited MediaBox": ([-100, -50, 400, 300], None, 0),
}


def _with_boxes(
    data: bytes, media: list[float], crop: list[float] | None, rotate: int, inherit: bool
) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as doc:
        page = doc.pages[0].obj
        if inherit:
            del page[Name.MediaBox]
            doc.Root.Pages.MediaBox = pikepdf.Array(media)
        else:
            page.MediaBox = pikepdf.Array(media)
        if crop is not None:
            page.CropBox = pikepdf.Array(crop)
        if rotate:
            page.Rotate = rotate
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()


@pytest.fixture(scope="module")
def local_engine() -> Iterator[Engine]:
    """One RapidOCR for the module's conversions: its models load once."""
    engine = get_engine("local", EngineConfig())
    yield engine
    engine.close()


@has_local
@pytest.mark.parametrize(
    "case",
    # A turned page makes RapidOCR try every orientation: several seconds.
    [pytest.param(c, marks=pytest.mark.slow) if ODD_BOXES[c][2] else c for c in ODD_BOXES],
)
def test_odd_page_boxes_put_words_on_their_ink(
    case: str, tmp_path: Path, local_engine: Engine
) -> None:
    """Boxes are read as viewers read them (corners in any order, the CropBox intersected
    with the MediaBox, an empty MediaBox taken as US Letter): each word lands on its ink."""
    data, (truth,) = make_pdf([BOX_SPEC])
    boxes = _with_boxes(data, *ODD_BOXES[case], inherit=case.startswith("inherited"))
    src = hostile.write(tmp_path, "boxes.pdf", boxes)
    before = digest(src)
    out = tmp_path / "out.pdf"
    result = make_searchable(src, out, engine=local_engine, dpi=150, cache=False)
    assert result.pages[0].status == "ocr"
    assert digest(src) == before
    # The words read (in some order: a page turned by /Rotate reads sideways), on their ink.
    text = checks.page_text(out, 0)
    got, expected = ("".join(sorted("".join(t.split()))) for t in (text, " ".join(BOX_TEXT)))
    assert checks.cer(got, expected) < 0.1, text
    assert checks.share_on_words(out, 0, truth) > 0.95
    assert checks.render(out, 0) == checks.render(src, 0)


@has_local
def test_a_crop_box_outside_the_media_box_shows_nothing_and_is_not_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """PDFium and poppler show nothing of such a page: it is left as it is, said in one line,
    and the other pages are read."""
    data, truths = make_pdf([BOX_SPEC, BOX_SPEC])
    with pikepdf.open(io.BytesIO(data)) as doc:
        doc.pages[1].obj.CropBox = pikepdf.Array([400, 300, 500, 400])  # beside the page
        buffer = io.BytesIO()
        doc.save(buffer)
    src = hostile.write(tmp_path, "cropped-away.pdf", buffer.getvalue())
    out = tmp_path / "out.pdf"
    rc, err = ocr(src, out, capsys)
    assert rc == 0, err
    warning, summary = err.splitlines()
    assert "page 2" in warning and "CropBox" in warning and "not read" in warning, err
    assert "1 page(s) OCRed" in summary and "1 not selected" in summary, err
    assert checks.share_on_words(out, 0, truths[0]) > 0.95
    assert checks.page_text(out, 1) == ""
    checks.original_streams_kept(src, out)


# -- decompression bombs, and the original's streams kept as they are ------------------------


def test_compressed_xmp_and_every_other_stream_are_kept_as_they_are(
    scan: bytes, tmp_path: Path
) -> None:
    src = hostile.write(tmp_path, "xmp.pdf", hostile.compressed_xmp_pdf(scan))
    out = tmp_path / "out.pdf"
    make_searchable(src, out, engine=Middle(), cache=False)
    with pikepdf.open(src) as before, pikepdf.open(out) as after:
        kept, original = after.Root.Metadata, before.Root.Metadata
        assert repr(kept.Filter) == repr(original.Filter) == repr(pikepdf.Array([Name.FlateDecode]))
        assert kept.read_raw_bytes() == original.read_raw_bytes()  # not written decoded
        assert kept.Type == Name.Metadata and kept.Subtype == Name.XML
        assert after.open_metadata().get("dc:title") == "Invoice 4711"
    checks.every_stream_kept(src, out)
    assert "middle" in checks.page_text(out, 1)


BOMBS = {
    "XMP metadata": (hostile.metadata_bomb_pdf, "XMP metadata decodes to more than"),
    "a content stream": (hostile.content_bomb_pdf, "page 1 decodes to more than"),
    "a form XObject": (hostile.form_bomb_pdf, "page 2 decodes to more than"),
    "an object stream": (lambda _: hostile.object_stream_bomb_pdf(), "object and cross-ref"),
    "a form drawn 200 times": (hostile.repeated_form_pdf, "page 2 decodes to more than"),
    "a form that draws itself": (hostile.self_drawing_form_pdf, "page 2 decodes to more than"),
}


def _children_cpu() -> float:
    """CPU seconds of the child processes that have ended so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.mark.parametrize("where", list(BOMBS))
@pytest.mark.slow
def test_decompression_bombs_are_refused_at_once_in_little_memory(
    where: str, scan: bytes, tmp_path: Path
) -> None:
    """A 2 KB stream that decodes to 1 GiB: exit 2 with one line in seconds of CPU, under an
    address-space limit of 1.5 GB (it took up to 137 s and 9.6 GB), nothing written. No
    service is called: the endpoint is a closed port."""
    make, needle = BOMBS[where]
    src = hostile.write(tmp_path, "bomb.pdf", make(scan))
    before = digest(src)
    env = {**os.environ, "AZURE_VISION_KEY": "stand-in-key", "PYTHONPATH": str(ROOT)}
    limit = 1_500_000_000

    def bounded() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    started = _children_cpu()
    done = subprocess.run(
        [sys.executable, "-m", "ocr_pdf", str(src), str(tmp_path / "out.pdf"),
         "--engine", "azure-ocr", "--endpoint", "http://127.0.0.1:9"],
        env=env, capture_output=True, text=True, timeout=120, preexec_fn=bounded,
    )  # fmt: skip
    cpu = _children_cpu() - started  # the run's own work, however busy the machine is
    assert done.returncode == ExitCode.input_file, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("ocr-pdf: error: ")
    assert needle in done.stderr and "decompression bomb" in done.stderr, done.stderr
    assert cpu < 20, cpu  # seconds of CPU; it was 137 s of decoding
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.pdf"]
    assert digest(src) == before


def test_a_form_drawn_a_few_times_is_fine(scan: bytes, tmp_path: Path) -> None:
    """A letterhead or stamp drawn several times: within the bound, converted as usual."""
    stamps = hostile.repeated_form_pdf(scan, times=5, lines=2000)
    src = hostile.write(tmp_path, "stamps.pdf", stamps)
    out = tmp_path / "out.pdf"
    result = make_searchable(src, out, engine=Middle(), cache=False, dpi=100)
    assert [p.status for p in result.pages] == ["ocr", "ocr"]
    assert "middle" in checks.page_text(out, 1)
    checks.every_stream_kept(src, out)
