"""Azure AI Vision Read 3.2 (`/vision/v3.2/read/analyze`, then polling): request and parser."""

from __future__ import annotations

from typing import Any

from ocr_pdf.engines import EngineConfig, wire
from ocr_pdf.engines.azure_common import PollingEngine, transport_for
from ocr_pdf.errors import ConfigurationError
from ocr_pdf.geometry import group_lines
from ocr_pdf.imaging import ImageLimits
from ocr_pdf.models import Line, PageText, Word

PATH = "/vision/v3.2/read/analyze"
# 50..10000 px per side; 4 MB is the free tier's limit (paid: 500 MB): a page fits either way.
LIMITS = ImageLimits(min_side=50, max_side=10000, max_bytes=4_000_000)
READING_ORDERS = ("basic", "natural")


def parse_read_result(payload: Any, width: int, height: int) -> PageText:
    """A succeeded ``ReadOperationResult`` as a PageText in pixels of the ``width`` x
    ``height`` image that was sent. Word boxes are quads on the original image, clockwise from
    the text's own top-left, used as they are (scaled if the service measured in other units
    than that image's pixels). ``angle`` is degrees clockwise. Lines are put in reading order."""
    try:
        body = wire.as_dict(payload, "the body")
        result = wire.as_dict(body.get("analyzeResult"), "analyzeResult")
        pages = wire.as_list(result, "readResults")
        if not pages:
            # One image sent is one page answered, blank or not: none means a broken result,
            # and a blank page in its place would lose the page.
            raise wire.Malformed("readResults is missing or empty")
        page = wire.as_dict(pages[0], "readResults[0]")
        sx = width / wire.number(page.get("width", width), "width") if page.get("width") else 1.0
        sy = (
            height / wire.number(page.get("height", height), "height")
            if page.get("height")
            else 1.0
        )
        lines = []
        for line in wire.as_list(page, "lines"):
            line = wire.as_dict(line, "a line")
            words = []
            for word in wire.as_list(line, "words"):
                word = wire.as_dict(word, "a word")
                text = wire.text(word.get("text"), "a word's text").strip()
                if text:
                    quad = wire.quad8(word.get("boundingBox"), "a word's boundingBox", sx, sy)
                    words.append(Word(text, quad, wire.confidence(word.get("confidence"))))
            if words:
                lines.append(Line(tuple(words)))
        angle = page.get("angle")
        language = page.get("language")
        return PageText(
            width,
            height,
            group_lines(lines),
            wire.number(angle, "angle") if angle is not None else None,
            language if isinstance(language, str) else None,
        )
    except wire.Malformed as err:
        raise wire.Malformed(f"unexpected Read result: {err}") from None


class AzureReadEngine(PollingEngine):
    """Read 3.2: one POST per page image, then polls until the operation ends."""

    name = "azure-read"
    what = "Read"
    path = PATH
    limits = LIMITS

    def parse(self, body: Any, width: int, height: int) -> PageText:
        return parse_read_result(body, width, height)


def create(config: EngineConfig) -> AzureReadEngine:
    params: dict[str, str] = {}
    if config.language and config.language.lower() != "unk":
        params["language"] = config.language  # else Read detects, per line
    if config.model_version:
        params["model-version"] = config.model_version
    if config.reading_order:
        if config.reading_order not in READING_ORDERS:
            raise ConfigurationError(
                f"--reading-order {config.reading_order!r}: use basic or natural"
            )
        params["readingOrder"] = config.reading_order
    return AzureReadEngine(transport_for(config, "azure-read"), params)
