"""Azure Document Intelligence `prebuilt-read` (API 2024-11-30): the engine, the one parser of
its analyze result, and the one writer of it (what `ocr-pdf serve` answers)."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from typing import Any

from ocr_pdf.azure import wire
from ocr_pdf.azure.apis import DOCUMENT_INTELLIGENCE
from ocr_pdf.azure.polling import PollingEngine, transport_for
from ocr_pdf.engines.base import EngineConfig
from ocr_pdf.image.encoding import EncodedImage
from ocr_pdf.models import Line, PageText, Word


def _offset(span: Any) -> int | None:
    if isinstance(span, dict) and isinstance(span.get("offset"), int):
        return int(span["offset"])
    return None


@wire.describing("Document Intelligence result")
def parse_analyze_result(payload: Any, width: int, height: int) -> PageText:
    """A succeeded analyze operation of ``prebuilt-read`` as a PageText in pixels of the image
    sent. Words (``content``, 8-number ``polygon``, ``confidence``) are grouped into the lines
    whose spans hold their offsets; a word in no line becomes a line of its own."""
    body = wire.as_dict(payload, "the body")
    page = wire.first_page(wire.as_dict(body.get("analyzeResult"), "analyzeResult"), "pages")
    sx, sy = wire.scale_to(page, width, height)
    ranges: list[tuple[int, int, int]] = []  # (start, end, line index)
    for n, line in enumerate(wire.as_list(page, "lines")):
        for span in wire.as_list(wire.as_dict(line, "a line"), "spans"):
            start = _offset(span)
            length = span.get("length") if isinstance(span, dict) else None
            if start is not None and isinstance(length, int):
                ranges.append((start, start + length, n))
    grouped: dict[int, list[Word]] = {}
    loose: list[Line] = []
    for word in wire.as_list(page, "words"):
        word = wire.as_dict(word, "a word")
        text = wire.text(word.get("content"), "a word's content").strip()
        if not text:
            continue
        quad = wire.quad8(word.get("polygon"), "a word's polygon", sx, sy)
        w = Word(text, quad, wire.confidence(word.get("confidence")))
        at = _offset(word.get("span"))
        owner = next((n for s, e, n in ranges if at is not None and s <= at < e), None)
        if owner is None:
            loose.append(Line((w,)))
        else:
            grouped.setdefault(owner, []).append(w)
    lines = [Line(tuple(ws)) for _, ws in sorted(grouped.items())] + loose
    return wire.page_text(page, width, height, lines)


class AzureDocumentIntelligenceEngine(PollingEngine):
    """prebuilt-read on each page image: submit (as JPEG or PNG), poll, parse."""

    name = "azure-di"
    what = "Document Intelligence"
    api = DOCUMENT_INTELLIGENCE

    def content_type(self, sent: EncodedImage) -> str:
        return sent.content_type

    def parse(self, body: Any, width: int, height: int) -> PageText:
        return parse_analyze_result(body, width, height)


def create(config: EngineConfig) -> AzureDocumentIntelligenceEngine:
    """Document Intelligence is often a resource of its own: AZURE_DI_ENDPOINT and AZURE_DI_KEY
    take precedence over the Vision settings (a multi-service resource serves both)."""
    endpoint = os.environ.get("AZURE_DI_ENDPOINT") or config.endpoint
    key = os.environ.get("AZURE_DI_KEY") or config.key
    if config.endpoint and config.endpoint != os.environ.get("AZURE_VISION_ENDPOINT"):
        endpoint = config.endpoint  # --endpoint on the command line wins
    params = {"api-version": DOCUMENT_INTELLIGENCE.versions[0]}
    if config.language and config.language.lower() != "unk":
        params["locale"] = config.language
    settings = EngineConfig(endpoint=endpoint, key=key, timeout=config.timeout, rate=config.rate)
    return AzureDocumentIntelligenceEngine(transport_for(settings, "azure-di"), params, config)


# -- writing ---------------------------------------------------------------------------------

INDEX_TYPES = ("textElements", "unicodeCodePoint", "utf16CodeUnit")
"""How offsets and lengths into ``content`` count (``stringIndexType``; textElements is the
service's default: user-perceived characters)."""
CONTENT_FORMAT_SINCE = "2023-10-31"
"""The first API version whose result says its ``contentFormat``."""


@dataclass(frozen=True)
class ResultPage:
    """One page of an analyze result: its 1-based ``number``, what was read on it (``text``,
    in pixels of the image read, origin top-left, y down), the page's ``unit`` (``inch`` for
    PDF pages, ``pixel`` for images) per pixel of that image (``per_pixel``), and its
    ``width`` and ``height`` in that unit (as displayed: an image read is rounded to whole
    pixels)."""

    number: int
    text: PageText
    unit: str
    per_pixel: float
    width: float
    height: float


def _offsets(content: str, index_type: str) -> list[int]:
    """For each code point index of ``content`` (and its end), the offset ``index_type``
    counts there. textElements counts grapheme clusters, approximated as code points that are
    not combining marks, joiners or variation selectors."""
    out, at = [], 0
    for ch in content:
        out.append(at)
        if index_type == "utf16CodeUnit":
            at += 2 if ord(ch) > 0xFFFF else 1
        elif index_type == "unicodeCodePoint" or not (
            unicodedata.combining(ch)
            or ch in "\u200c\u200d"
            or 0xFE00 <= ord(ch) <= 0xFE0F
            or 0xE0100 <= ord(ch) <= 0xE01EF
        ):
            at += 1
    out.append(at)
    return out


def _polygon(quad: tuple[tuple[float, float], ...], scale: float, unit: str) -> list[float]:
    digits = 4 if unit == "inch" else 1
    return [round(v * scale, digits) for point in quad for v in point]


def analyze_result(
    pages: list[ResultPage], model_id: str, api_version: str, index_type: str = "textElements"
) -> dict[str, Any]:
    """The ``analyzeResult`` of a succeeded operation: ``content`` holds every page's lines,
    one per text line (pages in order, joined by a line break); each page has its words
    (``content``, 8-number ``polygon`` clockwise from the text's own top-left in the page's
    unit, ``confidence``, ``span`` into ``content``), its lines (``content``, ``polygon``,
    ``spans``), its text ``angle`` (degrees clockwise), size and unit."""
    texts: list[str] = []
    spans: list[tuple[ResultPage, list[tuple[int, list[int]]]]] = []  # page: (line, word starts)
    at = 0
    for page in pages:
        placed = []
        for line in page.text.lines:
            text, cursor, starts = line.text, 0, []
            for word in line.words:
                found = text.find(word.text, cursor)
                starts.append(at + (found if found >= 0 else cursor))
                cursor = (found if found >= 0 else cursor) + len(word.text)
            placed.append((at, starts))
            texts.append(text)
            at += len(text) + 1
        spans.append((page, placed))
    content = "\n".join(texts)
    units = _offsets(content, index_type)

    def span(start: int, length: int) -> dict[str, int]:
        end = min(start + length, len(content))
        return {"offset": units[start], "length": units[end] - units[start]}

    written = []
    for page, placed in spans:
        words, lines = [], []
        scale, unit = page.per_pixel, page.unit
        for line, (start, starts) in zip(page.text.lines, placed, strict=True):
            lines.append(
                {
                    "content": line.text,
                    "polygon": _polygon(wire.line_quad(line), scale, unit),
                    "spans": [span(start, len(line.text))],
                }
            )
            words += [
                {
                    "content": w.text,
                    "polygon": _polygon(w.quad, scale, unit),
                    "confidence": wire.word_confidence(w.confidence),
                    "span": span(s, len(w.text)),
                }
                for w, s in zip(line.words, starts, strict=True)
            ]
        first = placed[0][0] if placed else min(at, len(content))
        end = placed[-1][0] + len(page.text.lines[-1].text) if placed else first
        written.append(
            {
                "pageNumber": page.number,
                "angle": round(((wire.text_direction(page.text) + 180) % 360) - 180, 4),
                "width": round(page.width, 4),
                "height": round(page.height, 4),
                "unit": unit,
                "words": words,
                "lines": lines,
                "spans": [span(first, end - first)],
            }
        )
    result: dict[str, Any] = {
        "apiVersion": api_version,
        "modelId": model_id,
        "stringIndexType": index_type,
        "content": content,
        "pages": written,
        "styles": [],
    }
    if api_version >= CONTENT_FORMAT_SINCE:
        result["contentFormat"] = "text"
    return result


_TOP = {
    "InvalidRequest": (400, "Invalid request."),
    "InvalidArgument": (400, "Invalid argument."),
    "Forbidden": (403, "Access forbidden due to policy or other configuration."),
    "NotFound": (404, "Resource not found."),
    "Conflict": (409, "The request couldn't be completed due to a conflict."),
    "UnsupportedMediaType": (415, "Request content type isn't supported."),
    "InternalServerError": (500, "An unexpected error occurred."),
}
_INNER = {
    "InvalidContent": "InvalidRequest",
    "InvalidContentDimensions": "InvalidRequest",
    "InvalidContentLength": "InvalidRequest",
    "ContentSourceNotAccessible": "InvalidRequest",
    "ContentSourceTimeout": "InvalidRequest",
    "UnsupportedContent": "InvalidRequest",
    "OperationNotCancellable": "InvalidRequest",
    "InvalidContentSourceFormat": "InvalidArgument",
    "InvalidParameter": "InvalidArgument",
    "ParameterMissing": "InvalidArgument",
    "OutboundAccessForbidden": "Forbidden",
    "ModelNotFound": "NotFound",
    "OperationNotFound": "NotFound",
    "Unknown": "InternalServerError",
}
MESSAGES = {
    "InvalidContent": "The file is corrupted or format is unsupported. Refer to documentation "
    "for the list of supported formats.",
    "InvalidContentDimensions": "The input image dimensions are out of range. Refer to "
    "documentation for supported image dimensions.",
    "InvalidContentLength": "The input image is too large. Refer to documentation for the "
    "maximum file size.",
    "ModelNotFound": "The requested model wasn't found. It's deleted or still building.",
    "OperationNotFound": "The requested operation wasn't found. The identifier is invalid or "
    "the operation has expired.",
    "OutboundAccessForbidden": "The request contains a disallowed domain name or violates the "
    "current access control policy.",
    "Unknown": "Unknown error.",
}
"""Document Intelligence's own wording of its inner errors (its error guide, v3.0 to v4.0)."""


def error(inner: str, message: str | None = None) -> tuple[int, dict[str, Any]]:
    """The HTTP status and body Document Intelligence answers an ``inner`` error with: the
    top-level code and message its error guide pairs with it, and ``message`` (default: the
    guide's own) in ``innererror``. A top-level code given as ``inner`` has no innererror."""
    if inner in _TOP:
        status, text = _TOP[inner]
        return status, {"error": {"code": inner, "message": message or text}}
    top = _INNER.get(inner, "InvalidRequest")
    status, text = _TOP[top]
    detail = {"code": inner, "message": message or MESSAGES.get(inner, text)}
    return status, {"error": {"code": top, "message": text, "innererror": detail}}
