"""Azure AI Vision Image Analysis 4.0 (`imageanalysis:analyze?features=read`): the engine,
the one parser of its readResult, and the one writer of it (what `ocr-pdf serve` answers)."""

from __future__ import annotations

from typing import Any

from ocr_pdf.azure import wire
from ocr_pdf.azure.apis import IMAGE_ANALYSIS
from ocr_pdf.azure.polling import AzureEngine, transport_for
from ocr_pdf.azure.transport import AzureTransport, json_body
from ocr_pdf.engines.base import EngineConfig
from ocr_pdf.geometry import group_lines
from ocr_pdf.image.encoding import EncodedImage
from ocr_pdf.models import Line, PageText, Quad, Word

PATH = IMAGE_ANALYSIS.path
API_VERSION = IMAGE_ANALYSIS.versions[0]
MODEL_VERSION = "2023-10-01"
"""The model `serve` says it ran."""


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


@wire.describing("Image Analysis result")
def parse_image_analysis(payload: Any, width: int, height: int) -> PageText:
    """An ImageAnalysisResult's ``readResult`` as a PageText in pixels of the image sent.

    Zero, one or several blocks; words carry 4-point polygons clockwise from the text's own
    top-left, and a confidence. The service reports no page angle. Lines are put in reading
    order, since blocks say nothing about columns."""
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


class AzureVisionEngine(AzureEngine):
    """Image Analysis 4.0 with the read feature: one synchronous call per page image."""

    name = "azure-vision"
    api = IMAGE_ANALYSIS

    def __init__(
        self, transport: AzureTransport, params: dict[str, str], config: EngineConfig | None = None
    ) -> None:
        super().__init__(transport, config)
        self.params = params

    @property
    def cache_id(self) -> str:
        return f"azure-vision|{self.transport.endpoint}|{sorted(self.params.items())}"

    def recognize_encoded(self, image: EncodedImage) -> PageText:
        response = self.transport.request(
            "POST",
            self.transport.url(PATH),
            expect_json=True,
            params=self.params,
            data=image.data,
            headers={"Content-Type": "application/octet-stream"},
        )
        return parse_image_analysis(json_body(response, PATH), image.width, image.height)


def create(config: EngineConfig) -> AzureVisionEngine:
    params = {"api-version": API_VERSION, "features": "read"}
    if config.model_version:
        params["model-version"] = config.model_version
    return AzureVisionEngine(transport_for(config, "azure-vision"), params, config)


def image_analysis_result(page: PageText) -> dict[str, Any]:
    """An Image Analysis 4.0 ImageAnalysisResult with the read feature: one block, 4-point
    polygons clockwise from the text's own top-left."""

    def polygon(q: Quad) -> list[dict[str, int]]:
        return [{"x": round(x), "y": round(y)} for x, y in q]

    lines = [
        {
            "text": line.text,
            "boundingPolygon": polygon(wire.line_quad(line)),
            "words": [
                {
                    "text": w.text,
                    "boundingPolygon": polygon(w.quad),
                    "confidence": wire.word_confidence(w.confidence),
                }
                for w in line.words
            ],
        }
        for line in page.lines
        if line.words
    ]
    return {
        "modelVersion": MODEL_VERSION,
        "metadata": {"width": page.width, "height": page.height},
        "readResult": {"blocks": [{"lines": lines}] if lines else []},
    }
