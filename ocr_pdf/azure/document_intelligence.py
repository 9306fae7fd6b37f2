"""Azure Document Intelligence `prebuilt-read` (API 2024-11-30): the engine and the one
parser of its analyze result (`serve` does not offer this API, so there is no writer)."""

from __future__ import annotations

import os
from typing import Any

from ocr_pdf.azure import wire
from ocr_pdf.azure.apis import DOCUMENT_INTELLIGENCE
from ocr_pdf.azure.polling import PollingEngine, transport_for
from ocr_pdf.engines.base import EngineConfig
from ocr_pdf.imaging import EncodedImage
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
