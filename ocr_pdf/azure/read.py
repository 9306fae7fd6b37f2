"""Azure AI Vision Read 3.2 (`/vision/v3.2/read/analyze`, then polling): the engine, the one
parser of its ReadOperationResult, and the one writer of it (what `ocr-pdf serve` answers)."""

from __future__ import annotations

from typing import Any

from ocr_pdf.azure import wire
from ocr_pdf.azure.apis import READ
from ocr_pdf.azure.polling import PollingEngine, transport_for
from ocr_pdf.engines.base import EngineConfig
from ocr_pdf.errors import ConfigurationError
from ocr_pdf.models import Line, PageText, Word

READING_ORDERS = ("basic", "natural")
MODEL_VERSION = "2022-04-30"
"""The Read model `serve` says it ran (the GA model of Read 3.2)."""


@wire.describing("Read result")
def parse_read_result(payload: Any, width: int, height: int) -> PageText:
    """A succeeded ``ReadOperationResult`` as a PageText in pixels of the ``width`` x
    ``height`` image that was sent. Word boxes are quads on the original image, clockwise from
    the text's own top-left, used as they are (scaled if the service measured in other units
    than that image's pixels). ``angle`` is degrees clockwise. Lines are put in reading order."""
    body = wire.as_dict(payload, "the body")
    page = wire.first_page(wire.as_dict(body.get("analyzeResult"), "analyzeResult"), "readResults")
    sx, sy = wire.scale_to(page, width, height)
    lines = []
    for line in wire.as_list(page, "lines"):
        words = []
        for word in wire.as_list(wire.as_dict(line, "a line"), "words"):
            word = wire.as_dict(word, "a word")
            text = wire.text(word.get("text"), "a word's text").strip()
            if text:
                quad = wire.quad8(word.get("boundingBox"), "a word's boundingBox", sx, sy)
                words.append(Word(text, quad, wire.confidence(word.get("confidence"))))
        if words:
            lines.append(Line(tuple(words)))
    return wire.page_text(page, width, height, lines)


class AzureReadEngine(PollingEngine):
    """Read 3.2: one POST per page image, then polls until the operation ends."""

    name = "azure-read"
    what = "Read"
    api = READ

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
    return AzureReadEngine(transport_for(config, "azure-read"), params, config)


def read_result(page: PageText) -> dict[str, Any]:
    """A Read 3.2 ``analyzeResult`` for one image: 8-number quads on the original image,
    clockwise from the text's own top-left; ``angle`` is the text direction in degrees
    clockwise in [-180, 180)."""

    def points(q: tuple[tuple[float, float], ...]) -> list[float]:
        return [round(v, 1) for p in q for v in p]

    direction = wire.text_direction(page)
    lines = [
        {
            "boundingBox": points(wire.line_quad(line)),
            "text": line.text,
            "appearance": {"style": {"name": "other", "confidence": 1.0}},
            "words": [
                {
                    "boundingBox": points(w.quad),
                    "text": w.text,
                    "confidence": wire.word_confidence(w.confidence),
                }
                for w in line.words
            ],
        }
        for line in page.lines
        if line.words
    ]
    result: dict[str, Any] = {
        "page": 1,
        "angle": round(((direction + 180) % 360) - 180, 4),
        "width": page.width,
        "height": page.height,
        "unit": "pixel",
        "lines": lines,
    }
    if page.language:
        result["language"] = page.language
    return {"version": "3.2.0", "modelVersion": MODEL_VERSION, "readResults": [result]}
