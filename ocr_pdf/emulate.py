"""Azure's wire formats, written: a PageText as the legacy ``/ocr`` OcrResult, a Read 3.2
ReadResult and an Image Analysis 4.0 readResult, plus Azure's error bodies. This is what
``ocr-pdf serve`` answers with; the engines' parsers read the same formats back (the tests
check the round trip). Coordinates follow ../shared/azure-reference/CONTRACT.md."""

from __future__ import annotations

import math
import uuid
from typing import Any

from ocr_pdf.geometry import dominant_angle, rotate_quad
from ocr_pdf.models import Line, PageText, Quad, quad_bounds

READ_MODEL_VERSION = "2022-04-30"
VISION_MODEL_VERSION = "2023-10-01"
_ORIENTATIONS = ("Up", "Right", "Down", "Left")  # where the top of the text faces


def _text_direction(page: PageText) -> float:
    """Clockwise degrees of the page's baselines (0: upright, 90: reads downwards)."""
    return dominant_angle(page.words) if page.words else 0.0


def _line_quad(line: Line) -> Quad:
    """A line's quad: from its first word's left edge to its last word's right edge."""
    first, last = line.words[0].quad, line.words[-1].quad
    return (first[0], last[1], last[2], first[3])


def _turned_bounds(
    quads: list[Quad], degrees: float, centre: tuple[float, float]
) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of ``quads`` once turned clockwise by ``degrees``."""
    xs: list[float] = []
    ys: list[float] = []
    for q in quads:
        x0, y0, x1, y1 = quad_bounds(rotate_quad(q, degrees, centre))
        xs += [x0, x1]
        ys += [y0, y1]
    return min(xs), min(ys), max(xs), max(ys)


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
        here = _turned_bounds([w.quad for w in line.words], -direction, centre)
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


def ocr_result(page: PageText, language: str = "unk") -> dict[str, Any]:
    """The legacy ``/ocr`` OcrResult for ``page``.

    ``orientation`` is the quarter turn nearest to the text direction and ``textAngle`` the
    remaining skew in radians, such that rotating the image clockwise by textAngle about its
    centre makes the text axis-aligned; boxes are ``"x,y,w,h"`` integers in that rotated image,
    as the service gives them. Regions are cut from the lines in reading order (see
    :func:`_blocks`)."""
    direction = _text_direction(page)
    quarter = round(direction / 90) % 4
    skew = ((quarter * 90 - direction + 180) % 360) - 180  # in (-45, 45]
    centre = (page.width / 2, page.height / 2)

    def box(quads: list[Quad]) -> str:
        x0, y0, x1, y1 = _turned_bounds(quads, skew, centre)
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
    result: dict[str, Any] = {
        "language": page.language or language,
        "orientation": _ORIENTATIONS[quarter] if page.words else "NotDetected",
        "regions": regions,
    }
    if page.words:
        result["textAngle"] = math.radians(skew)
    return result


def _points(q: Quad) -> list[float]:
    return [round(v, 1) for p in q for v in p]


def read_result(page: PageText) -> dict[str, Any]:
    """A Read 3.2 ``analyzeResult`` for one image: 8-number quads on the original image,
    clockwise from the text's own top-left; ``angle`` is the text direction in degrees
    clockwise in [-180, 180)."""
    direction = _text_direction(page)
    lines = [
        {
            "boundingBox": _points(_line_quad(line)),
            "text": line.text,
            "appearance": {"style": {"name": "other", "confidence": 1.0}},
            "words": [
                {
                    "boundingBox": _points(w.quad),
                    "text": w.text,
                    "confidence": round(w.confidence if w.confidence is not None else 1.0, 3),
                }
                for w in line.words
            ],
        }
        for line in page.lines
        if line.words
    ]
    return {
        "version": "3.2.0",
        "modelVersion": READ_MODEL_VERSION,
        "readResults": [
            {
                "page": 1,
                "angle": round(((direction + 180) % 360) - 180, 4),
                "width": page.width,
                "height": page.height,
                "unit": "pixel",
                "lines": lines,
            }
        ],
    }


def image_analysis_result(page: PageText) -> dict[str, Any]:
    """An Image Analysis 4.0 ImageAnalysisResult with the read feature: one block, 4-point
    polygons clockwise from the text's own top-left."""

    def polygon(q: Quad) -> list[dict[str, int]]:
        return [{"x": round(x), "y": round(y)} for x, y in q]

    lines = [
        {
            "text": line.text,
            "boundingPolygon": polygon(_line_quad(line)),
            "words": [
                {
                    "text": w.text,
                    "boundingPolygon": polygon(w.quad),
                    "confidence": round(w.confidence if w.confidence is not None else 1.0, 3),
                }
                for w in line.words
            ],
        }
        for line in page.lines
        if line.words
    ]
    return {
        "modelVersion": VISION_MODEL_VERSION,
        "metadata": {"width": page.width, "height": page.height},
        "readResult": {"blocks": [{"lines": lines}] if lines else []},
    }


def error_body(code: str, message: str, *, flat: bool = False, inner: bool = True) -> Any:
    """Azure's error envelope: v3.2 and later ``{"error": {code, message, innererror}}`` with
    the generic outer code, or the flat v2.x ``{code, message, requestId}``."""
    if flat:
        return {"code": code, "message": message, "requestId": str(uuid.uuid4())}
    if not inner:
        return {"error": {"code": code, "message": message}}
    outer = "InternalServerError" if code == "InternalServerError" else "InvalidArgument"
    return {
        "error": {
            "code": outer,
            "innererror": {"code": code, "message": message},
            "message": message,
        }
    }
