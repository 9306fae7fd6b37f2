"""The Document Intelligence work of `ocr-pdf serve`: a document converted by our own pipeline
(:func:`ocr_pdf.pipeline.convert`, with the served engine; the original pages kept byte for
byte) into its searchable PDF, and its pages written as an analyze result: what the engine
read on each page, and the text of pages that have their own (PDFium's, as a reader sees it).

Runs on the engine's thread, one document at a time; the document is written to a private
temporary folder for the conversion and removed with it."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ocr_pdf._page_selection import selection
from ocr_pdf.azure.document_intelligence import ResultPage, analyze_result
from ocr_pdf.engines import Engine
from ocr_pdf.errors import EncryptedPdfError, InputFileError
from ocr_pdf.formats import document
from ocr_pdf.models import PageText
from ocr_pdf.options import ConversionOptions
from ocr_pdf.pdf import pdfium
from ocr_pdf.pipeline import convert
from ocr_pdf.serve.documents import Document
from ocr_pdf.serve.replies import encode

log = logging.getLogger(__name__)

IMAGE_DPI = 300.0
"""The resolution an image that does not say its own is taken to have (its pages' size in the
searchable PDF; the engine reads it at its own pixels either way)."""
TEXT_SCALE = 100.0
"""Pixels per point the text a page already has is measured in (finer than any unit rounds)."""


@dataclass(frozen=True)
class Request:
    """What a client asked of one document: the model and API version it named, the 0-based
    ``pages`` to analyze, how offsets count (``index_type``), and whether it wants the
    searchable PDF."""

    model_id: str
    api_version: str
    pages: tuple[int, ...]
    index_type: str
    want_pdf: bool


@dataclass(frozen=True)
class Analysis:
    """The encoded ``analyzeResult``, and the searchable PDF (empty when not asked for)."""

    result: bytes
    pdf: bytes


@dataclass(frozen=True)
class Failure:
    """Why a document could not be analyzed: Document Intelligence's ``inner`` error code and
    our ``message``."""

    inner: str
    message: str


class _Served(Engine):
    """The served engine as the conversion's, reading rendered pages only (so that every
    reading is in pixels of the page as displayed), never closed by the conversion."""

    def __init__(self, engine: Engine) -> None:
        # The served engine may be any object with a name and recognize (a plug-in's, a
        # test's): what it does not say is the contract's default.
        super().__init__(getattr(engine, "config", None))
        self.engine = engine
        self.name = engine.name
        for part in ("default_jobs", "render_dpi", "upright_only"):
            setattr(self, part, getattr(engine, part, getattr(Engine, part)))

    def recognize(self, image: Image.Image) -> PageText:
        return self.engine.recognize(image)

    def review(self, text: PageText) -> str | None:
        review = getattr(self.engine, "review", None)
        return review(text) if review is not None else None


def page_spec(pages: tuple[int, ...]) -> str:
    """0-based page indexes as a 1-based selection of ranges (``1-3,7``)."""
    return selection(pages)


def _result_page(
    page: pdfium.Page, saved: document.SavedPage | None, frame: tuple[int, int] | None
) -> ResultPage:
    """Page ``page`` as Document Intelligence reports it: in inches for a PDF page, in pixels
    of its frame for an image; the engine's reading when it was read, else its own text."""
    width, height = page.geometry().display_size  # points
    if frame is None:
        unit, per_point = "inch", 1 / 72
    else:
        # img2pdf turns a frame by its EXIF orientation: its width is then the page's height
        turned = (frame[0] >= frame[1]) != (width >= height)
        unit, per_point = "pixel", (frame[1] if turned else frame[0]) / width
    size = (width * per_point, height * per_point)
    if saved is not None:
        text = saved.text
        return ResultPage(page.index + 1, text, unit, per_point * width / text.width, *size)
    return ResultPage(page.index + 1, page.words(TEXT_SCALE), unit, per_point / TEXT_SCALE, *size)


def analyze(engine: Engine, doc: Document, request: Request) -> Analysis | Failure:
    """Convert ``doc`` with ``engine`` and write what was read as ``request`` asks, or say
    why the document cannot be converted (a damaged or encrypted PDF PDFium opened)."""
    with tempfile.TemporaryDirectory(prefix="ocr-pdf-serve-") as folder:
        src = Path(folder, "input.img" if doc.is_image else "input.pdf")
        out, readings = Path(folder, "output.pdf"), Path(folder, "readings.json")
        src.write_bytes(doc.data)
        options = ConversionOptions(
            pages=page_spec(request.pages),
            cache=False,
            ocr_json=readings,
            image_dpi=IMAGE_DPI,
            invalidate_signatures=True,  # the client's copy, not its original, gets the layer
        )
        try:
            convert(src, out, options, engine=_Served(engine))
        except (InputFileError, EncryptedPdfError) as exc:
            return Failure("InvalidContent", str(exc).replace(str(src), "the document"))
        read = {p.index: p for p in document.load(readings)}
        pages = []
        with pdfium.Document(out) as converted:
            for index in request.pages:
                frame = doc.frames[index] if doc.is_image else None
                with converted.page(index) as page:
                    pages.append(_result_page(page, read.get(index), frame))
        result = analyze_result(pages, request.model_id, request.api_version, request.index_type)
        return Analysis(encode(result), out.read_bytes() if request.want_pdf else b"")
