"""Our page model as JSON (stdlib only), read and written: the OCR cache, --ocr-json files and
the replay engine.

Format (version 1): ``{"format": "ocr-pdf/page", "version": 1, "width": px, "height": px,
"angle": deg|null, "language": str|null, "lines": [[{"text", "quad": [[x,y]*4],
"confidence"}...]...]}`` with quads in the pixels of the image the engine saw (origin top-left,
y down, corners in the text's own order)."""

from __future__ import annotations

import math
from typing import Any

from ocr_pdf.errors import BadPageData
from ocr_pdf.models import Line, PageText, Word

FORMAT = "ocr-pdf/page"
VERSION = 1


def page_to_dict(page: PageText) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "width": page.width,
        "height": page.height,
        "angle": page.angle,
        "language": page.language,
        "lines": [
            [
                {
                    "text": w.text,
                    "quad": [[round(x, 2), round(y, 2)] for x, y in w.quad],
                    "confidence": w.confidence,
                }
                for w in line.words
            ]
            for line in page.lines
        ],
    }


def _num(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BadPageData("a number is missing or not finite")
    return float(value)


def page_from_dict(data: Any) -> PageText:
    """The inverse of :func:`page_to_dict`; anything else raises BadPageData."""
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
        raise BadPageData(f"not an {FORMAT} v{VERSION} record")
    lines = []
    raw_lines = data.get("lines")
    if not isinstance(raw_lines, list):
        raise BadPageData("lines is not a list")
    for raw in raw_lines:
        if not isinstance(raw, list):
            raise BadPageData("a line is not a list")
        words = []
        for w in raw:
            if not isinstance(w, dict) or not isinstance(w.get("text"), str):
                raise BadPageData("a word has no text")
            quad = w.get("quad")
            if not isinstance(quad, list) or len(quad) != 4:
                raise BadPageData("a word's quad is not 4 points")
            points = []
            for p in quad:
                if not isinstance(p, list) or len(p) != 2:
                    raise BadPageData("a quad point is not [x, y]")
                points.append((_num(p[0]), _num(p[1])))
            conf = w.get("confidence")
            words.append(
                Word(
                    w["text"],
                    (points[0], points[1], points[2], points[3]),
                    None if conf is None else _num(conf),
                )
            )
        lines.append(Line(tuple(words)))
    angle, language = data.get("angle"), data.get("language")
    return PageText(
        int(_num(data.get("width"))),
        int(_num(data.get("height"))),
        tuple(lines),
        None if angle is None else _num(angle),
        language if isinstance(language, str) else None,
    )
