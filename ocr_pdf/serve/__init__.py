"""``ocr-pdf serve``: a local HTTP server that answers like Azure AI Vision's OCR endpoints,
backed by a local engine, so that scripts written against Azure run unchanged, offline, free.

Served: ``POST /vision/{v2.0,v2.1,v3.0,v3.1,v3.2}/ocr``, ``POST /vision/v3.2/read/analyze``
with ``GET .../read/analyzeResults/{id}``, ``POST /computervision/imageanalysis:analyze``
(features=read), and Document Intelligence (``prebuilt-read``, ``prebuilt-layout``: analyze,
poll, the searchable PDF, delete) for PDFs, TIFFs and images. Image bytes only for the Vision
APIs; Document Intelligence also takes JSON ``base64Source`` (``urlSource`` only when the
operator allows it). Azure's limits (:mod:`ocr_pdf.azure.apis`) and error bodies; the
server's own bounds (queue, memory, time) in :mod:`ocr_pdf.serve.limits`. With a key
configured, requests must carry it in ``Ocp-Apim-Subscription-Key``, as Azure's do.

Modules: ``server`` (socket and Hypercorn), ``app`` (checks and routing), ``routes`` (the
Vision APIs), ``document_routes`` (Document Intelligence), ``documents`` (its request's
document), ``analysis`` (its conversion and result), ``exchange`` (one request over ASGI),
``images`` (header checks, decoding), ``work`` (the engine's queue), ``operations`` (Read and
Document Intelligence results), ``language`` (detection), ``replies``, ``limits``. Needs the
``serve`` extra (Hypercorn, py3langid)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ocr_pdf.serve.limits import ServeLimits

if TYPE_CHECKING:
    from ocr_pdf.serve.server import AzureCompatibleServer, make_server

__all__ = ["AzureCompatibleServer", "ServeLimits", "make_server"]


def __getattr__(name: str) -> Any:
    # The server (Hypercorn, the language model) is imported when asked for, not by every
    # `ocr-pdf` run whose parser only needs the limits' defaults.
    if name in ("AzureCompatibleServer", "make_server"):
        from ocr_pdf.serve import server

        return getattr(server, name)
    raise AttributeError(name)
