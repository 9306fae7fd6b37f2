"""An OCRmyPDF (17+) plugin that gives OCRmyPDF our engines: Azure AI Vision (any of our
azure-* engines) and the bundled offline one, while OCRmyPDF keeps doing what it does
(deskew, PDF/A, optimisation).

Load it with ``ocrmypdf --plugin ocr_pdf.ocrmypdf_plugin ...`` (our default engine: Azure when
AZURE_VISION_ENDPOINT is set, else local), or, since it is registered in OCRmyPDF's
``ocrmypdf`` entry-point group, just pass ``--ocr-pdf-engine NAME``; without either, OCRmyPDF
keeps its own engine. All three of OCRmyPDF's engine paths are implemented: the OcrElement
model (``generate_ocr``, used by its default renderer), hOCR, and a text-only PDF for
``--pdf-renderer sandwich``, which is our own text layer. Results go through our OCR cache."""

from __future__ import annotations

import argparse
import functools
import re
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ocrmypdf import exceptions, hookimpl
from ocrmypdf.exceptions import ExitCodeException
from ocrmypdf.models.ocr_element import BoundingBox, OcrClass, OcrElement
from ocrmypdf.pluginspec import OcrEngine, OrientationConfidence
from PIL import Image

from ocr_pdf import __version__, textlayer
from ocr_pdf.assembly import to_layer_page
from ocr_pdf.cache import cache_key, open_cache, pixel_digest
from ocr_pdf.engines import Engine, EngineConfig, default_engine_name, get_engine
from ocr_pdf.errors import ExitCode, OcrPdfError
from ocr_pdf.formats.text import hocr, textangle
from ocr_pdf.geometry import dominant_angle
from ocr_pdf.models import PageGeometry, PageText, quad_bounds
from ocr_pdf.options import ConversionOptions
from ocr_pdf.qpdf import graft
from ocr_pdf.reading import read_page

MODULE = __name__
# OCRmyPDF (Tesseract) language codes and what Azure calls them; -l with one of these is
# passed to Azure, anything else lets the service detect the language.
AZURE_LANGUAGES = {
    "eng": "en", "deu": "de", "fra": "fr", "spa": "es", "ita": "it", "por": "pt", "nld": "nl",
    "dan": "da", "fin": "fi", "swe": "sv", "nor": "nb", "pol": "pl", "ces": "cs", "slk": "sk",
    "hun": "hu", "ron": "ro", "tur": "tr", "ell": "el", "rus": "ru", "ara": "ar",
    "chi_sim": "zh-Hans", "chi_tra": "zh-Hant", "jpn": "ja", "kor": "ko",
}  # fmt: skip

_engines: dict[tuple[str, str | None, str | None], Engine] = {}
_engines_lock = threading.Lock()


# OCRmyPDF prints an error as "ClassName: message": its own class for each of our exit codes
# (the same numbering) where it has one that means the same thing.
_OCRMYPDF_ERRORS: dict[int, type[ExitCodeException]] = {
    ExitCode.bad_args: exceptions.BadArgsError,
    ExitCode.input_file: exceptions.InputFileError,
    ExitCode.missing_dependency: exceptions.MissingDependencyError,
    ExitCode.file_access_error: exceptions.OutputFileAccessError,
    ExitCode.encrypted_pdf: exceptions.EncryptedPdfError,
}


@functools.cache
def _named(name: str) -> type[ExitCodeException]:
    """An ExitCodeException that OCRmyPDF prints as ``name: ...`` (ours: ConfigurationError,
    ServiceError, ...), where it has no class of its own for the exit code."""
    return type(name, (ExitCodeException,), {"__module__": __name__})


def as_ocrmypdf_error(err: OcrPdfError) -> ExitCodeException:
    """One of our errors as OCRmyPDF reports it, with our exit code, and with our option names
    as OCRmyPDF spells them (``--ocr-pdf-endpoint``, not ``--endpoint``)."""
    message = re.sub(r"(?<![\w-])--endpoint\b", "--ocr-pdf-endpoint", str(err))
    kind = _OCRMYPDF_ERRORS.get(err.exit_code) or _named(type(err).__name__)
    error = kind(f"ocr-pdf: {message}")
    error.exit_code = err.exit_code  # type: ignore[assignment]
    return error


def _selected(options: Any) -> str | None:
    """Our engine's name if this run should use us, else None (OCRmyPDF's own engine)."""
    name = getattr(options, "ocr_pdf_engine", None)
    if name:
        return str(name)
    plugins = [str(p) for p in (getattr(options, "plugins", None) or [])]
    if any(p == MODULE or p.endswith("ocrmypdf_plugin.py") for p in plugins):
        return default_engine_name(_options(options, None).engine_config())
    return None


def _options(options: Any, engine: str | None) -> ConversionOptions:
    """Our options from OCRmyPDF's: the engine, its language (``-l eng`` is Azure's ``en``)
    and endpoint."""
    languages = list(getattr(options, "languages", None) or [])
    language = None
    if len(languages) == 1:
        language = AZURE_LANGUAGES.get(languages[0], languages[0])
    endpoint = getattr(options, "ocr_pdf_endpoint", None)
    return ConversionOptions(engine=engine, settings=EngineConfig(language, endpoint))


def _engine(options: Any) -> Engine:
    name = _selected(options) or "local"
    ours = _options(options, name)
    config = ours.engine_config()
    key = (name, config.endpoint, config.language)
    with _engines_lock:  # one engine (one model in memory, one HTTP pool) per process
        if key not in _engines:
            try:
                _engines[key] = get_engine(name, config)
            except OcrPdfError as err:
                raise as_ocrmypdf_error(err) from None
        return _engines[key]


def _read(input_file: Path, options: Any) -> tuple[PageText, float]:
    """Our engine's reading of a page image OCRmyPDF rendered, via the cache; and its dpi."""
    engine = _engine(options)
    with Image.open(input_file) as opened:
        dpi = float((opened.info.get("dpi") or (300, 300))[0]) or 300.0
        image = opened.convert("L")
    key = cache_key(pixel_digest(image), engine.cache_id)
    try:
        text, _, _ = read_page(engine, image, open_cache(True), key)
    except OcrPdfError as err:
        raise as_ocrmypdf_error(err) from None
    return text, dpi


def _box(points: Any) -> BoundingBox:
    x0, y0, x1, y1 = quad_bounds(points)
    return BoundingBox(left=max(0.0, x0), top=max(0.0, y0), right=max(0.0, x1), bottom=max(0.0, y1))


def page_tree(text: PageText, dpi: float, page_number: int) -> OcrElement:
    """Our reading as OCRmyPDF's OcrElement tree: page, lines, words, with each line's
    direction as a quarter-turn ``textangle`` (hOCR's counter-clockwise degrees)."""
    page = OcrElement(
        ocr_class=OcrClass.PAGE,
        bbox=BoundingBox(left=0, top=0, right=text.width, bottom=text.height),
        dpi=dpi,
        page_number=page_number,
    )
    for line in text.lines:
        if not line.words:
            continue
        corners = [p for w in line.words for p in w.quad]
        element = OcrElement(
            ocr_class=OcrClass.LINE,
            bbox=_box(corners),
            textangle=float(textangle(line)),
            text=line.text,
        )
        for word in line.words:
            element.children.append(
                OcrElement(
                    ocr_class=OcrClass.WORD,
                    bbox=_box(word.quad),
                    text=word.text,
                    confidence=word.confidence,
                )
            )
        page.children.append(element)
    return page


class OcrPdfEngine(OcrEngine):
    """OCRmyPDF's view of our engines."""

    @staticmethod
    def version() -> str:
        return __version__

    @staticmethod
    def creator_tag(options: Any) -> str:
        return f"ocr-pdf {__version__} ({_selected(options) or 'local'})"

    def __str__(self) -> str:
        return f"ocr-pdf {__version__}"

    @staticmethod
    def languages(options: Any) -> set[str]:
        return set(AZURE_LANGUAGES) | {"osd", "equ"}

    @staticmethod
    def get_orientation(input_file: Path, options: Any) -> OrientationConfidence:
        """The quarter turn that makes the page's text upright (the reading is cached, so the
        OCR that follows costs nothing more)."""
        text, _ = _read(input_file, options)
        if len(text.words) < 3:
            return OrientationConfidence(angle=0, confidence=0.0)
        quarter = round(dominant_angle(text.words) / 90) % 4
        return OrientationConfidence(angle=(90 * quarter) % 360, confidence=30.0)

    @staticmethod
    def get_deskew(input_file: Path, options: Any) -> float:
        text, _ = _read(input_file, options)
        if not text.words:
            return 0.0
        skew = dominant_angle(text.words)
        skew -= 90 * round(skew / 90)
        return -skew  # OCRmyPDF turns the page counter-clockwise by this

    @staticmethod
    def supports_generate_ocr() -> bool:
        return True

    @staticmethod
    def generate_ocr(
        input_file: Path, options: Any, page_number: int = 0
    ) -> tuple[OcrElement, str]:
        text, dpi = _read(input_file, options)
        return page_tree(text, dpi, page_number), text.text

    @staticmethod
    def generate_hocr(input_file: Path, output_hocr: Path, output_text: Path, options: Any) -> None:
        text, _ = _read(input_file, options)
        output_hocr.write_text(hocr(text), encoding="utf-8")
        output_text.write_text(text.text, encoding="utf-8")

    @staticmethod
    def generate_pdf(input_file: Path, output_pdf: Path, output_text: Path, options: Any) -> None:
        """A text-only page the size of the image, with our own text layer on it."""
        text, dpi = _read(input_file, options)
        width_pt, height_pt = text.width * 72 / dpi, text.height * 72 / dpi
        box = (0.0, 0.0, width_pt, height_pt)
        geometry = PageGeometry(box, box, 0)
        layer = to_layer_page(text, geometry, geometry.image_to_user(text.width, text.height), 0)
        writer = textlayer.LayerWriter()
        writer.add(layer)
        output_pdf.write_bytes(graft.standalone_layer(writer.finish()))
        output_text.write_text(text.text, encoding="utf-8")


@hookimpl
def add_options(parser: argparse.ArgumentParser) -> None:
    if "--ocr-pdf-engine" in parser._option_string_actions:
        return  # loaded twice (entry point and --plugin): the options are there already
    group = parser.add_argument_group(
        "ocr-pdf", "OCR with ocr-pdf's engines (the Azure key comes from AZURE_VISION_KEY)"
    )
    group.add_argument(
        "--ocr-pdf-engine",
        metavar="NAME",
        help="read pages with this ocr-pdf engine: local, azure, azure-read, azure-vision, "
        "azure-ocr, azure-di, tesseract",
    )
    group.add_argument(
        "--ocr-pdf-endpoint", metavar="URL", help="Azure endpoint (default: $AZURE_VISION_ENDPOINT)"
    )


@hookimpl
def get_ocr_engine(options: Any) -> OcrEngine | None:
    return OcrPdfEngine() if _selected(options) else None


# What OCRmyPDF's entry-point group registers. Not this module itself: pluggy refuses to
# register one object twice, and a user may also pass --plugin ocr_pdf.ocrmypdf_plugin.
entry_point = SimpleNamespace(add_options=add_options, get_ocr_engine=get_ocr_engine)
