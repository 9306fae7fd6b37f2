"""An OCRmyPDF (17+) plugin that gives OCRmyPDF our engines: Azure AI Vision (any of our
azure-* engines) and the bundled offline one, while OCRmyPDF keeps doing what it does
(deskew, PDF/A, optimisation).

Load it with ``ocrmypdf --plugin ocr_pdf.ocrmypdf_plugin ...`` (our default engine: Azure when
AZURE_VISION_ENDPOINT is set, else local), or, since it is registered in OCRmyPDF's
``ocrmypdf`` entry-point group, just pass ``--ocr-pdf-engine NAME``; without either, OCRmyPDF
keeps its own engine. All three of OCRmyPDF's engine paths are implemented: the OcrElement
model (``generate_ocr``, used by its default renderer), hOCR, and a text-only PDF for
``--pdf-renderer sandwich``, which is our own text layer. Results go through our OCR cache.
Each page is read once: OCRmyPDF's orientation and deskew questions are answered from the
reading of the first image it shows us of the page, and its OCR gets that reading carried
onto the turned and deskewed image (:mod:`ocr_pdf.reading.straighten`)."""

from __future__ import annotations

import argparse
import functools
import logging
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

from ocr_pdf._ocrmypdf_pages import Pages
from ocr_pdf._version import __version__
from ocr_pdf.engines import EngineConfig, default_engine_name, get_engine
from ocr_pdf.errors import ExitCode, OcrPdfError
from ocr_pdf.formats.text import hocr, textangle
from ocr_pdf.models import PageText, quad_bounds
from ocr_pdf.options import ConversionOptions
from ocr_pdf.reading import straighten
from ocr_pdf.reading.page import ImageReader, ImageReading
from ocr_pdf.steps.assembly import layer_pdf

log = logging.getLogger(__name__)

MODULE = __name__
# OCRmyPDF (Tesseract) language codes and what Azure calls them; -l with one of these is
# passed to Azure, anything else lets the service detect the language.
AZURE_LANGUAGES = {
    "eng": "en", "deu": "de", "fra": "fr", "spa": "es", "ita": "it", "por": "pt", "nld": "nl",
    "dan": "da", "fin": "fi", "swe": "sv", "nor": "nb", "pol": "pl", "ces": "cs", "slk": "sk",
    "hun": "hu", "ron": "ro", "tur": "tr", "ell": "el", "rus": "ru", "ara": "ar",
    "chi_sim": "zh-Hans", "chi_tra": "zh-Hant", "jpn": "ja", "kor": "ko",
}  # fmt: skip

BEYOND_LATIN = (None, "zh-Hans", "zh-Hant", "ja")  # languages local reads more than Latin in

_readers: dict[tuple[str, str | None, str | None], ImageReader] = {}
_readers_lock = threading.Lock()


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
        try:
            return default_engine_name(_options(options).engine_config())
        except OcrPdfError as err:
            raise as_ocrmypdf_error(err) from None
    return None


def _options(options: Any) -> ConversionOptions:
    """Our options from OCRmyPDF's: the engine, its language (``-l eng`` is Azure's ``en``)
    and endpoint."""
    languages = list(getattr(options, "languages", None) or [])
    language = None
    if len(languages) == 1:
        language = AZURE_LANGUAGES.get(languages[0], languages[0])
    endpoint = getattr(options, "ocr_pdf_endpoint", None)
    return ConversionOptions(settings=EngineConfig(language, endpoint))


def _reader(options: Any) -> ImageReader:
    """This run's engine reading through our OCR cache: one engine per process and setting
    (one model in memory, one HTTP pool), built by the library from its name."""
    config = _options(options).engine_config()
    name = _selected(options)  # None: the library's default engine
    key = (name or "", config.endpoint, config.language)
    with _readers_lock:
        if key not in _readers:
            try:
                _readers[key] = ImageReader(get_engine(name, config))
            except OcrPdfError as err:
                raise as_ocrmypdf_error(err) from None
            if _readers[key].engine.name == "local" and config.language not in BEYOND_LATIN:
                log.info(
                    "ocr-pdf: the local engine reads -l %s as Latin-script text only; for "
                    "Chinese or Japanese pages pass their language (chi_sim, jpn) or two "
                    "languages (eng+chi_sim) to let it find the script (paperless-ngx: "
                    "PAPERLESS_OCR_LANGUAGE)",
                    "+".join(getattr(options, "languages", None) or [config.language]),
                )
        return _readers[key]


def _read(image: Image.Image, options: Any) -> ImageReading:
    """Our engine's reading of a page image, through our OCR cache."""
    try:
        return _reader(options).read(image)
    except OcrPdfError as err:
        raise as_ocrmypdf_error(err) from None


_pages = Pages(_read)


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
        return f"ocr-pdf {__version__} ({_selected(options)})"

    def __str__(self) -> str:
        return f"ocr-pdf {__version__}"

    @staticmethod
    def languages(options: Any) -> set[str]:
        return set(AZURE_LANGUAGES) | {"osd", "equ"}

    @staticmethod
    def get_orientation(input_file: Path, options: Any) -> OrientationConfidence:
        """The quarter turn of the page's text, from our reading of this first image of the
        page (which the OCR that follows reuses: no second reading)."""
        page = _pages.first(input_file, options)
        found = straighten.orientation(page.reading.text)
        threshold = float(getattr(options, "rotate_pages_threshold", 0.0))
        if found.facing and found.confidence >= threshold:
            # OCRmyPDF renders the page turned back upright from now on.
            page.turn = (360 - found.facing) % 360
        return OrientationConfidence(angle=found.facing, confidence=found.confidence)

    @staticmethod
    def get_deskew(input_file: Path, options: Any) -> float:
        """How far to turn the page counter-clockwise (OCRmyPDF's convention: Pillow's
        ``Image.rotate``) to level its lines: their skew clockwise, from our reading."""
        page = _pages.first(input_file, options)
        page.rotate = page.skew
        return page.rotate

    @staticmethod
    def supports_generate_ocr() -> bool:
        return True

    @staticmethod
    def generate_ocr(
        input_file: Path, options: Any, page_number: int = 0
    ) -> tuple[OcrElement, str]:
        text, dpi = _pages.last(input_file, options)
        return page_tree(text, dpi, page_number), text.text

    @staticmethod
    def generate_hocr(input_file: Path, output_hocr: Path, output_text: Path, options: Any) -> None:
        text, _ = _pages.last(input_file, options)
        output_hocr.write_text(hocr(text), encoding="utf-8")
        output_text.write_text(text.text, encoding="utf-8")

    @staticmethod
    def generate_pdf(input_file: Path, output_pdf: Path, output_text: Path, options: Any) -> None:
        """A text-only page the size of the image, with our own text layer on it."""
        text, dpi = _pages.last(input_file, options)
        output_pdf.write_bytes(layer_pdf(text, dpi))
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
