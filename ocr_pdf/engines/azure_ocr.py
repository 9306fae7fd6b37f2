"""Azure AI Vision legacy OCR (`POST /vision/{version}/ocr`): the request and its one parser."""

from __future__ import annotations

import math
from typing import Any

from PIL import Image

from ocr_pdf.engines import EngineConfig, wire
from ocr_pdf.engines.azure_common import transport_for
from ocr_pdf.engines.http import AzureTransport, json_body
from ocr_pdf.errors import ConfigurationError, ServiceConfigurationError
from ocr_pdf.geometry import order_blocks, rescale, rotate_quad
from ocr_pdf.imaging import ImageLimits, encode_for_limits
from ocr_pdf.models import Line, PageText, Quad, Word

API_VERSIONS = ("v3.2", "v3.1", "v2.1", "v2.0")
DEFAULT_API_VERSION = "v3.2"
RETIRED_VERSIONS = {"v2.0": "13 Sep 2026", "v2.1": "13 Sep 2026", "v3.1": "13 Sep 2026"}

# The service's language enum (identical in v2.1 and v3.2); "unk" asks it to detect.
LANGUAGES = (
    "unk", "zh-Hans", "zh-Hant", "cs", "da", "nl", "en", "fi", "fr", "de", "el", "hu", "it",
    "ja", "ko", "nb", "pl", "pt", "ru", "es", "sv", "tr", "ar", "ro", "sr-Cyrl", "sr-Latn", "sk",
)  # fmt: skip

# 50..4200 px per side and under 4 MB (CONTRACT.md); 10 MP is the stricter figure some
# revisions of the docs give, so we honour it too.
LIMITS = ImageLimits(min_side=50, max_side=4200, max_bytes=4_000_000, max_pixels=10_000_000)

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
    try:
        return _parse(payload, width, height)
    except wire.Malformed as err:
        raise wire.Malformed(f"unexpected /ocr response: {err}") from None


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


class AzureOcrEngine:
    """Azure's legacy OCR endpoint, one synchronous call per page image."""

    name = "azure-ocr"
    default_jobs = 6  # calls wait on the network, not on our CPU
    render_dpi = 300.0

    def __init__(self, transport: AzureTransport, api_version: str, language: str) -> None:
        self.transport = transport
        self.api_version = api_version
        self.language = language
        self.cache_id = f"azure-ocr|{transport.endpoint}|{api_version}|{language}"

    def recognize(self, image: Image.Image) -> PageText:
        sent = encode_for_limits(image, LIMITS)
        path = f"/vision/{self.api_version}/ocr"
        try:
            response = self.transport.request(
                "POST",
                self.transport.url(path),
                expect_json=True,
                params={"language": self.language, "detectOrientation": "true"},
                data=sent.data,
                headers={"Content-Type": "application/octet-stream"},
            )
        except ServiceConfigurationError as err:
            retired = RETIRED_VERSIONS.get(self.api_version)
            if retired and err.status in (404, 410):
                raise ServiceConfigurationError(
                    f"API version {self.api_version} is gone (Microsoft retired it on {retired}); "
                    f"use --api-version {DEFAULT_API_VERSION}",
                    status=err.status,
                    code=err.code,
                    request_id=err.request_id,
                ) from None
            raise
        page = parse_ocr_result(json_body(response, path), sent.width, sent.height)
        return rescale(page, 1 / sent.scale, image.width, image.height)


def create(config: EngineConfig) -> AzureOcrEngine:
    """Factory for the registry: validates the settings before any page is rendered."""
    version = config.api_version or DEFAULT_API_VERSION
    if version not in API_VERSIONS:
        raise ConfigurationError(
            f"unknown --api-version {version!r} for azure-ocr; "
            f"choose one of {', '.join(API_VERSIONS)}"
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
    return AzureOcrEngine(transport_for(config, "azure-ocr"), version, language)
