"""Document Intelligence as `ocr-pdf serve` answers it: ``POST {prefix}/documentModels/{model}
:analyze`` (``prebuilt-read``, ``prebuilt-layout``), then ``GET .../analyzeResults/{id}``
polled until it ends, ``GET .../analyzeResults/{id}/pdf`` for the searchable PDF
(``output=pdf``) and ``DELETE .../analyzeResults/{id}``; under ``/documentintelligence``
(2024-11-30) and ``/formrecognizer`` (2023-07-31, 2022-08-31), with its error bodies.

A document is as many pages of work for the engine's queue as it has pages to analyze."""

from __future__ import annotations

import asyncio
import logging
import math
import re
from functools import partial

from ocr_pdf.azure import document_intelligence as di
from ocr_pdf.azure.apis import DOCUMENT_INTELLIGENCE, DOCUMENT_VERSIONS
from ocr_pdf.serve import analysis, documents
from ocr_pdf.serve.exchange import Exchange
from ocr_pdf.serve.images import Refusal
from ocr_pdf.serve.replies import NOT_FOUND, Reply, encode, too_many_requests
from ocr_pdf.serve.routes import App, Handler, Upload, receive_body

log = logging.getLogger(__name__)

MODELS = ("prebuilt-read", "prebuilt-layout")
PDF_VERSION = "2024-11-30"
"""The first (and only) API version with the searchable PDF; prebuilt-read only."""
_PAGES = re.compile(r"^\s*\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*\s*$")
_PATH = re.compile(
    r"^/(documentintelligence|formrecognizer)/documentModels/([^/:]+)"
    r"(?::analyze|/analyzeResults/([^/]+)(/pdf)?)$"
)
LONGEST_POLL_WAIT = 10
"""Most seconds a Retry-After asks a client to wait before its next poll."""


def failure(inner: str, message: str | None = None) -> Reply:
    status, body = di.error(inner, message)
    return Reply(status, encode(body))


def route(path: str) -> tuple[tuple[str, ...], Handler, str] | None:
    """The methods a Document Intelligence path takes, its handler and the path itself."""
    m = _PATH.match(path.rstrip("/"))
    if m is None:
        return None
    if m.group(3) is None:
        return ("POST",), analyze, path
    if m.group(4):
        return ("GET",), result_pdf, path
    return ("GET", "DELETE"), result, path


def _parts(ex: Exchange, path: str) -> tuple[str, str, str, str | None] | Reply:
    """(prefix, model, api-version, operation id) of a request, or its refusal."""
    m = _PATH.match(path.rstrip("/"))
    assert m is not None  # route() matched it
    prefix, model, op = m.group(1), m.group(2), m.group(3)
    version = ex.query.get("api-version", "")
    if version not in DOCUMENT_VERSIONS[prefix]:
        return NOT_FOUND  # as the gateway answers a version it does not serve
    if model not in MODELS:
        return failure("ModelNotFound")
    return prefix, model, version, op


def _retry_after(app: App, op: str) -> tuple[tuple[str, str], ...]:
    future = app.jobs.get(op)
    if future is None:
        return ()
    wait = math.ceil(app.work.seconds_left(future))
    return (("Retry-After", str(max(1, min(wait, LONGEST_POLL_WAIT)))),)


def _selected(spec: str, pages: int) -> list[int] | None:
    """0-based indexes of the pages of ``spec`` (``1-3,5``) that a document of ``pages`` pages
    has; None when ``spec`` is not a selection."""
    if not _PAGES.match(spec):
        return None
    chosen: set[int] = set()
    for part in spec.replace(" ", "").split(","):
        first, _, last = part.partition("-")
        low, high = int(first), int(last or first)
        if low < 1 or high < low:
            return None
        chosen.update(range(low - 1, min(high, pages)))
    return sorted(chosen)


def _request(
    ex: Exchange, model: str, version: str, pages: int, most: int
) -> analysis.Request | Reply:
    """What the query asks of a document of ``pages`` pages (at most ``most`` analyzed, the
    first ones, as Azure analyzes at most 2000), or the refusal."""
    spec = ex.query.get("pages") or f"1-{pages}"
    wanted = _selected(spec, pages)
    if not wanted:
        why = "not a page selection" if wanted is None else f"the document has {pages} page(s)"
        return failure("InvalidParameter", f"The parameter pages is invalid: {why}.")
    index_type = ex.query.get("stringIndexType") or "textElements"
    if index_type not in di.INDEX_TYPES:
        why = f"The parameter stringIndexType is invalid: {index_type}."
        return failure("InvalidParameter", why)
    outputs = [o.strip().lower() for o in ex.query.get("output", "").split(",") if o.strip()]
    if any(o != "pdf" for o in outputs) or (
        outputs and (model != "prebuilt-read" or version != PDF_VERSION)
    ):
        return failure(
            "InvalidParameter",
            "The parameter output is invalid: only prebuilt-read at api-version "
            f"{PDF_VERSION} gives output=pdf here.",
        )
    return analysis.Request(model, version, tuple(wanted[:most]), index_type, bool(outputs))


async def _document(app: App, ex: Exchange, upload: Upload) -> documents.Document | Reply:
    """The request's document (fetched when it names a URL and the operator allows it)."""
    found = await asyncio.to_thread(documents.source, upload.data, ex.content_type)
    if isinstance(found, documents.UrlSource):
        if not app.allow_urls:
            return failure(
                "OutboundAccessForbidden",
                di.MESSAGES["OutboundAccessForbidden"] + " This server reads no urlSource "
                "unless started with --allow-url-source; send the document as base64Source.",
            )
        cap = min(DOCUMENT_INTELLIGENCE.accepted_bytes, app.limits.max_body)
        if not app.body_memory.take(cap):
            return too_many_requests(app.work.seconds_per_page)
        try:
            found = await asyncio.to_thread(
                documents.fetch, found.url, cap, app.limits.body_timeout
            )
        finally:
            app.body_memory.give(cap)
    if isinstance(found, Refusal):
        return failure(found.code, found.message or None)
    checked = await asyncio.to_thread(documents.check, found, app.limits.max_pixels)
    if isinstance(checked, Refusal):
        return failure(checked.code, checked.message or None)
    return checked


def _content_refusal(ex: Exchange) -> Reply | None:
    if ex.content_type not in documents.CONTENT_TYPES:
        return failure("UnsupportedMediaType")
    return None


async def _accept(
    app: App, ex: Exchange, upload: Upload, model: str, version: str
) -> tuple[documents.Document, analysis.Request] | Reply:
    doc = await _document(app, ex, upload)
    if isinstance(doc, Reply):
        return doc
    request = _request(ex, model, version, doc.pages, app.limits.max_pages)
    return request if isinstance(request, Reply) else (doc, request)


async def analyze(app: App, ex: Exchange, path: str) -> Reply | None:
    """``POST .../documentModels/{model}:analyze``: 202 and where to poll, or the refusal.
    The body's bytes stay in the body budget until the document's job ends."""
    parts = _parts(ex, path)
    if isinstance(parts, Reply):
        return await ex.finish(parts)
    prefix, model, version, _ = parts
    too_large = failure("InvalidContentLength")
    upload = await receive_body(app, ex, DOCUMENT_INTELLIGENCE, too_large, _content_refusal(ex))
    if not isinstance(upload, Upload):
        return upload
    reserved = upload.reserved
    try:
        accepted = await _accept(app, ex, upload, model, version)
    except BaseException:
        app.body_memory.give(reserved)
        raise
    del upload  # the document holds the bytes now
    if isinstance(accepted, Reply):
        app.body_memory.give(reserved)
        return accepted
    doc, request = accepted
    op = app.operations.create(f"{prefix}/{model}")
    future = app.work.submit(partial(_job, app, op, doc, request), len(request.pages))
    if future is None:
        app.operations.discard(op)
        app.body_memory.give(reserved)
        return too_many_requests(app.work.seconds_per_page)
    app.jobs[op] = future

    def done(_: object) -> None:
        app.jobs.pop(op, None)
        app.body_memory.give(reserved)

    future.add_done_callback(done)
    where = f"{ex.origin()}/{prefix}/documentModels/{model}/analyzeResults/{op}"
    headers = (("Operation-Location", f"{where}?api-version={version}"), *_retry_after(app, op))
    return Reply(202, headers=headers)


def _job(app: App, op: str, doc: documents.Document, request: analysis.Request) -> None:
    app.operations.update(op, "running")
    try:
        done = analysis.analyze(app.engine, doc, request)
    except Exception as exc:  # the engine's failure or ours: the operation's, in one line
        log.warning("document operation %s failed: %s", op, exc)
        app.operations.update(op, "failed", error=encode(di.error("Unknown")[1]["error"]))
        return
    if isinstance(done, analysis.Failure):
        log.info("document operation %s failed: %s", op, done.message)
        error = di.error(done.inner, done.message)[1]["error"]
        app.operations.update(op, "failed", error=encode(error))
    else:
        app.operations.update(op, "succeeded", done.result, done.pdf)


def _operation(app: App, ex: Exchange, path: str) -> tuple[str, str, str] | Reply:
    """(id, kind, status) of the operation a results path names, or the refusal."""
    parts = _parts(ex, path)
    if isinstance(parts, Reply):
        return parts
    prefix, model, _, op = parts
    assert op is not None
    kind = f"{prefix}/{model}"
    status = app.operations.status(op, kind)
    return failure("OperationNotFound") if status is None else (op, kind, status)


async def result(app: App, ex: Exchange, path: str) -> Reply | None:
    """``GET .../analyzeResults/{id}`` (the operation) or ``DELETE`` it."""
    found = _operation(app, ex, path)
    if isinstance(found, Reply):
        return await ex.finish(found)
    op, kind, _ = found
    if ex.method == "DELETE":
        return await ex.finish(_delete(app, op, kind))
    body = app.operations.body(op, kind)
    if body is None:
        return await ex.finish(failure("OperationNotFound"))
    return await ex.finish(Reply(200, body, _retry_after(app, op)))


def _delete(app: App, op: str, kind: str) -> Reply:
    future = app.jobs.get(op)
    if future is not None and not app.work.cancel(future):
        return failure("Conflict")  # being read now: it can be deleted once it ends
    app.operations.discard(op)
    return Reply(204)


async def result_pdf(app: App, ex: Exchange, path: str) -> Reply | None:
    """``GET .../analyzeResults/{id}/pdf``: the searchable PDF of a succeeded operation that
    asked for it (``output=pdf``)."""
    found = _operation(app, ex, path)
    if isinstance(found, Reply):
        return await ex.finish(found)
    op, kind, status = found
    data = app.operations.pdf(op, kind)
    if data is None:
        why = (
            "it was not asked for with output=pdf"
            if status == "succeeded"
            else f"the operation has not succeeded (status {status})"
        )
        return await ex.finish(failure("OperationNotFound", f"No searchable PDF here: {why}."))
    return await ex.finish(Reply(200, data, content_type="application/pdf"))
