"""Azure AI Vision Image Analysis 4.0 (`imageanalysis:analyze?features=read`): request, parser."""

from __future__ import annotations

from typing import Any

from PIL import Image

from ocr_pdf.engines import EngineConfig, wire
from ocr_pdf.engines.azure_common import transport_for
from ocr_pdf.engines.http import AzureTransport, json_body
from ocr_pdf.geometry import group_lines, rescale
from ocr_pdf.imaging import ImageLimits, encode_for_limits
from ocr_pdf.models import Line, PageText, Quad, Word

PATH = "/computervision/imageanalysis:analyze"
API_VERSION = "2023-10-01"
# Over 50x50 and under 16000x16000 px, under 20 MB.
LIMITS = ImageLimits(min_side=51, max_side=15999, max_bytes=20_000_000)


def _polygon(value: Any, what: str, sx: float, sy: float) -> Quad:
    if not isinstance(value, list) or len(value) != 4:
        raise wire.Malformed(f"{what} is not 4 points")
    a, b, c, d = (
        (
            wire.number(wire.as_dict(p, what).get("x"), what) * sx,
            wire.number(wire.as_dict(p, what).get("y"), what) * sy,
        )
        for p in value
    )
    return (a, b, c, d)


def parse_image_analysis(payload: Any, width: int, height: int) -> PageText:
    """An ImageAnalysisResult's ``readResult`` as a PageText in pixels of the image sent.

    Zero, one or several blocks; words carry 4-point polygons clockwise from the text's own
    top-left, and a confidence. The service reports no page angle. Lines are put in reading
    order, since blocks say nothing about columns."""
    try:
        body = wire.as_dict(payload, "the body")
        meta = body.get("metadata")
        sx = sy = 1.0
        if isinstance(meta, dict) and meta.get("width") and meta.get("height"):
            sx = width / wire.number(meta["width"], "metadata.width")
            sy = height / wire.number(meta["height"], "metadata.height")
        read = body.get("readResult")
        if read is None:
            # No text is answered without readResult, but always with the model and metadata;
            # a body with neither is not a result, and taking it for a blank page loses a page.
            if "modelVersion" not in body and "metadata" not in body:
                raise wire.Malformed("no readResult, modelVersion or metadata")
            return PageText(width, height)
        lines = []
        for block in wire.as_list(wire.as_dict(read, "readResult"), "blocks"):
            for line in wire.as_list(wire.as_dict(block, "a block"), "lines"):
                words = []
                for word in wire.as_list(wire.as_dict(line, "a line"), "words"):
                    word = wire.as_dict(word, "a word")
                    text = wire.text(word.get("text"), "a word's text").strip()
                    if text:
                        quad = _polygon(word.get("boundingPolygon"), "boundingPolygon", sx, sy)
                        words.append(Word(text, quad, wire.confidence(word.get("confidence"))))
                if words:
                    lines.append(Line(tuple(words)))
        return PageText(width, height, group_lines(lines))
    except wire.Malformed as err:
        raise wire.Malformed(f"unexpected Image Analysis result: {err}") from None


class AzureVisionEngine:
    """Image Analysis 4.0 with the read feature: one synchronous call per page image."""

    name = "azure-vision"
    default_jobs = 6
    render_dpi = 300.0

    def __init__(self, transport: AzureTransport, params: dict[str, str]) -> None:
        self.transport = transport
        self.params = params
        self.cache_id = f"azure-vision|{transport.endpoint}|{sorted(params.items())}"

    def recognize(self, image: Image.Image) -> PageText:
        sent = encode_for_limits(image, LIMITS)
        response = self.transport.request(
            "POST",
            self.transport.url(PATH),
            expect_json=True,
            params=self.params,
            data=sent.data,
            headers={"Content-Type": "application/octet-stream"},
        )
        page = parse_image_analysis(json_body(response, PATH), sent.width, sent.height)
        return rescale(page, 1 / sent.scale, image.width, image.height)


def create(config: EngineConfig) -> AzureVisionEngine:
    params = {"api-version": API_VERSION, "features": "read"}
    if config.model_version:
        params["model-version"] = config.model_version
    return AzureVisionEngine(transport_for(config, "azure-vision"), params)
