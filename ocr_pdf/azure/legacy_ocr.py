"""Azure AI Vision legacy OCR (`POST /vision/{version}/ocr`): the engine, the one parser of
its OcrResult, and the one writer of it (what `ocr-pdf serve` answers)."""

from __future__ import annotations

import math
from typing import Any

from ocr_pdf.azure import wire
from ocr_pdf.azure.apis import LEGACY_DEFAULT_VERSION, LEGACY_OCR, RETIRED
from ocr_pdf.azure.polling import AzureEngine, transport_for
from ocr_pdf.azure.transport import AzureTransport, json_body
from ocr_pdf.engines.base import EngineConfig
from ocr_pdf.errors import ConfigurationError, ServiceConfigurationError
from ocr_pdf.geometry import order_blocks, rotate_quad
from ocr_pdf.image.encoding import EncodedImage
from ocr_pdf.models import Line, PageText, Quad, Word

# The service's language enum (identical in v2.1 and v3.2); "unk" asks it to detect.
LANGUAGES = (
    "unk", "zh-Hans", "zh-Hant", "cs", "da", "nl", "en", "fi", "fr", "de", "el", "hu", "it",
    "ja", "ko", "nb", "pl", "pt", "ru", "es", "sv", "tr", "ar", "ro", "sr-Cyrl", "sr-Latn", "sk",
)  # fmt: skip

LIMITS = LEGACY_OCR.limits
MODEL_VERSION = "2021-04-01"
"""The model v3.2 answers name (``modelVersion``; earlier versions name none): the legacy OCR
model's latest, as in the recorded reference answers."""
# Where each corner of a box lies, by orientation, as the text's own (TL, TR, BR, BL), with the
# box's corners numbered 0 = (x, y), 1 = (x+w, y), 2 = (x+w, y+h), 3 = (x, y+h).
_CORNERS = {
    "up": (0, 1, 2, 3),
    "right": (1, 2, 3, 0),  # top of the text faces right: it reads downwards
    "down": (2, 3, 0, 1),
    "left": (3, 0, 1, 2),  # top faces left: it reads upwards
}


def _box(value: Any) -> tuple[float, float, float, float]:
    if not isinstance(value, str):
        raise wire.Malformed("unexpected /ocr response: boundingBox is not a string")
    parts = value.split(",")
    try:
        x, y, w, h = (float(p) for p in parts)
    except ValueError:
        raise wire.Malformed(
            f"unexpected /ocr response: boundingBox {value[:40]!r} is not 'x,y,w,h'"
        ) from None
    if not all(math.isfinite(v) for v in (x, y, w, h)) or w < 0 or h < 0:
        raise wire.Malformed(f"unexpected /ocr response: boundingBox {value[:40]!r} is not a box")
    return x, y, w, h


def parse_ocr_result(payload: Any, width: int, height: int) -> PageText:
    """Turn an ``OcrResult`` into a PageText in the pixels of the image that was sent
    (``width`` x ``height``, origin top-left, y down).

    Boxes are given in the image rotated clockwise about its centre by ``textAngle`` radians,
    so each corner is turned back by -textAngle. ``orientation`` says where the top of the text
    faces in that frame, which fixes which box corner is the text's own top-left. Regions come
    in service order; they are returned in reading order."""
    return _parse(payload, width, height)


@wire.describing("/ocr response")
def _parse(payload: Any, width: int, height: int) -> PageText:
    result = wire.as_dict(payload, "the body")
    angle_rad = result.get("textAngle")
    angle = 0.0 if angle_rad is None else math.degrees(wire.number(angle_rad, "textAngle"))
    orientation = wire.text(result.get("orientation") or "Up", "orientation")
    corners = _CORNERS.get(orientation.lower(), _CORNERS["up"])  # NotDetected: upright
    centre = (width / 2, height / 2)

    blocks: list[list[Line]] = []
    if not isinstance(result.get("regions"), list):
        # Every OcrResult has regions, empty on a blank page; without them it is not a result,
        # and reading it as a blank page would lose the page.
        raise wire.Malformed("regions is missing or not a list")
    for region in wire.as_list(result, "regions"):
        lines: list[Line] = []
        for line in wire.as_list(wire.as_dict(region, "a region"), "lines"):
            words: list[Word] = []
            for word in wire.as_list(wire.as_dict(line, "a line"), "words"):
                word = wire.as_dict(word, "a word")
                text = wire.text(word.get("text"), "a word's text")
                x, y, w, h = _box(word.get("boundingBox"))
                if not text.strip():
                    continue
                box = ((x, y), (x + w, y), (x + w, y + h), (x, y + h))
                quad: Quad = (box[corners[0]], box[corners[1]], box[corners[2]], box[corners[3]])
                words.append(Word(text.strip(), rotate_quad(quad, -angle, centre)))
            if words:
                lines.append(Line(tuple(words)))
        blocks.append(lines)
    language = result.get("language")
    return PageText(
        width=width,
        height=height,
        lines=order_blocks(blocks),
        angle=-angle,
        language=language if isinstance(language, str) else None,
    )


class AzureOcrEngine(AzureEngine):
    """Azure's legacy OCR endpoint, one synchronous call per page image."""

    name = "azure-ocr"
    api = LEGACY_OCR

    def __init__(
        self,
        transport: AzureTransport,
        api_version: str,
        language: str,
        config: EngineConfig | None = None,
    ) -> None:
        super().__init__(transport, config)
        self.api_version = api_version
        self.language = language

    @property
    def cache_id(self) -> str:
        return f"azure-ocr|{self.transport.endpoint}|{self.api_version}|{self.language}"

    def recognize_encoded(self, image: EncodedImage) -> PageText:
        path = LEGACY_OCR.path.format(version=self.api_version)
        try:
            response = self.transport.request(
                "POST",
                self.transport.url(path),
                expect_json=True,
                params={"language": self.language, "detectOrientation": "true"},
                data=image.data,
                headers={"Content-Type": "application/octet-stream"},
            )
        except ServiceConfigurationError as err:
            retired = RETIRED.get(self.api_version)
            if retired and err.status in (404, 410):
                raise ServiceConfigurationError(
                    f"API version {self.api_version} is gone (Microsoft retired it on {retired}); "
                    f"use --api-version {LEGACY_DEFAULT_VERSION}",
                    status=err.status,
                    code=err.code,
                    request_id=err.request_id,
                ) from None
            raise
        return parse_ocr_result(json_body(response, path), image.width, image.height)


def create(config: EngineConfig) -> AzureOcrEngine:
    """Factory for the registry: validates the settings before any page is rendered."""
    version = config.api_version or LEGACY_DEFAULT_VERSION
    if version not in LEGACY_OCR.versions:
        raise ConfigurationError(
            f"unknown --api-version {version!r} for azure-ocr; "
            f"choose one of {', '.join(LEGACY_OCR.versions)}"
        )
    language = config.language or "unk"
    if language not in LANGUAGES:
        matches = [lang for lang in LANGUAGES if lang.lower() == language.lower()]
        if not matches:
            raise ConfigurationError(
                f"language {language!r} is not supported by azure-ocr; use one of "
                f"{', '.join(LANGUAGES)}"
            )
        language = matches[0]
    return AzureOcrEngine(transport_for(config, "azure-ocr"), version, language, config)


# -- writing (what `ocr-pdf serve` answers) --------------------------------------------------

_ORIENTATIONS = ("Up", "Right", "Down", "Left")  # where the top of the text faces


def _blocks(page: PageText, direction: float) -> list[list[Line]]:
    """The page's lines (in reading order) cut into regions, as the service groups them: a
    new region starts where the next line is not just below the last one (a new column, or a
    gap of more than a line). Measured with the text turned upright."""
    centre = (page.width / 2, page.height / 2)
    blocks: list[list[Line]] = []
    previous: tuple[float, float, float, float] | None = None
    for line in page.lines:
        if not line.words:
            continue
        here = wire.turned_bounds([w.quad for w in line.words], -direction, centre)
        if previous is None or not _continues(previous, here):
            blocks.append([])
        blocks[-1].append(line)
        previous = here
    return blocks


def _continues(above: tuple[float, ...], below: tuple[float, ...]) -> bool:
    height = max(above[3] - above[1], 1.0)
    below_it = above[1] + height / 2 < below[1] < above[3] + 1.5 * height
    overlapping = min(above[2], below[2]) > max(above[0], below[0])
    return below_it and overlapping


def ocr_result(
    page: PageText, language: str = "unk", model_version: str | None = None
) -> dict[str, Any]:
    """The legacy ``/ocr`` OcrResult for ``page``.

    ``orientation`` is the quarter turn nearest to the text direction and ``textAngle`` the
    remaining skew in radians, such that rotating the image clockwise by textAngle about its
    centre makes the text axis-aligned; boxes are ``"x,y,w,h"`` integers in that rotated image,
    as the service gives them. Regions are cut from the lines in reading order (see
    :func:`_blocks`). Keys in the service's order; ``modelVersion`` (v3.2) when given."""
    direction = wire.text_direction(page)
    quarter = round(direction / 90) % 4
    skew = ((quarter * 90 - direction + 180) % 360) - 180  # in (-45, 45]
    centre = (page.width / 2, page.height / 2)

    def box(quads: list[Quad]) -> str:
        x0, y0, x1, y1 = wire.turned_bounds(quads, skew, centre)
        left, top = math.floor(x0), math.floor(y0)
        return f"{left},{top},{math.ceil(x1) - left},{math.ceil(y1) - top}"

    regions = [
        {
            "boundingBox": box([w.quad for line in block for w in line.words]),
            "lines": [
                {
                    "boundingBox": box([w.quad for w in line.words]),
                    "words": [{"boundingBox": box([w.quad]), "text": w.text} for w in line.words],
                }
                for line in block
            ],
        }
        for block in _blocks(page, direction)
    ]
    result: dict[str, Any] = {"language": page.language or language}
    if page.words:
        result["textAngle"] = math.radians(skew)
    result["orientation"] = _ORIENTATIONS[quarter] if page.words else "NotDetected"
    result["regions"] = regions
    if model_version:
        result["modelVersion"] = model_version
    return result
