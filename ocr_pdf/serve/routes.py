"""The APIs `ocr-pdf serve` answers, each as Azure does: legacy OCR, Read 3.2 (submit, then
poll) and Image Analysis 4.0 (features=read). Each request's image is taken in within the
server's bounds, queued for the engine, and written back in the API's wire format."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Protocol

from ocr_pdf.azure import image_analysis, legacy_ocr, read
from ocr_pdf.azure.apis import IMAGE_ANALYSIS, LEGACY_OCR, READ, Api
from ocr_pdf.engines.base import Engine
from ocr_pdf.models import PageText
from ocr_pdf.reading.page import read_page
from ocr_pdf.serve import images, language
from ocr_pdf.serve.exchange import TOO_BIG, TOO_SLOW, Exchange
from ocr_pdf.serve.limits import ServeLimits
from ocr_pdf.serve.operations import Operations
from ocr_pdf.serve.replies import (
    OPERATION_NOT_FOUND,
    Reply,
    encode,
    gateway_error,
    image_error,
    internal_error,
    json_reply,
    too_many_requests,
)
from ocr_pdf.serve.work import BodyMemory, WorkQueue

log = logging.getLogger(__name__)


class App(Protocol):
    """What the handlers use of the application they answer for
    (:class:`ocr_pdf.serve.app.ServeApp`, which routes requests to them)."""

    engine: Engine
    limits: ServeLimits
    allow_urls: bool
    jobs: dict[str, Future[Any]]
    work: WorkQueue
    body_memory: BodyMemory
    operations: Operations


Handler = Callable[[App, Exchange, str], Awaitable["Reply | None"]]
_LANGUAGES = {code.lower(): code for code in legacy_ocr.LANGUAGES}
TOO_LARGE = "Input image is too large. Refer to documentation for maximum file size."


@dataclass(frozen=True)
class Upload:
    """A request's image bytes, accepted; ``reserved`` bytes of the body budget are held for
    them until their job ends."""

    data: bytearray
    reserved: int


def _content_refusal(ex: Exchange, flat: bool) -> Reply | None:
    if ex.content_type == "application/json":
        return image_error(
            "InvalidImageUrl",
            "This local server reads image bytes only; send the image as "
            "application/octet-stream instead of a URL.",
            flat=flat,
        )
    if ex.content_type != "application/octet-stream" and not ex.content_type.startswith("image/"):
        return image_error(
            "InvalidImageFormat", "Unsupported media type; send the image bytes.", flat=flat
        )
    return None


def _size_refusal(app: App, ex: Exchange, api: Api, too_large: Reply) -> Reply | None:
    length = ex.content_length
    if length is None and not ex.chunked:
        return gateway_error(411, "Length Required: send the image with a Content-Length.")
    if length is not None and length > api.accepted_bytes:
        return too_large
    if length is not None and length > app.limits.max_body:
        return gateway_error(
            413, f"The image is larger than this server takes ({app.limits.max_body} bytes)."
        )
    return None


async def receive_body(
    app: App, ex: Exchange, api: Api, too_large: Reply, refusal: Reply | None = None
) -> Upload | Reply | None:
    """The request's body within every bound, held in the body budget until its job gives it
    back, or the refusal (None: the client left): ``too_large`` beyond what ``api`` takes,
    411, 413, 408 or 429 beyond this server's bounds, else ``refusal`` when given (a refusal
    of the request's headers)."""
    refusal = _size_refusal(app, ex, api, too_large) or refusal
    if refusal is not None:
        return await ex.finish(refusal)
    cap = min(api.accepted_bytes, app.limits.max_body)
    reserved = cap if ex.content_length is None else ex.content_length
    if app.work.full() or not app.body_memory.take(reserved):
        return await ex.finish(too_many_requests(app.work.seconds_per_page))
    body = await ex.read_body(cap, app.limits.body_timeout)
    if not isinstance(body, bytearray):
        app.body_memory.give(reserved)
        if body == TOO_BIG:
            too_big = cap == api.accepted_bytes
            reply = too_large if too_big else gateway_error(413, "The body is too large here.")
            return replace(reply, close=True)
        if body == TOO_SLOW:
            return gateway_error(408, "The request body did not arrive in time.", close=True)
        return None
    app.body_memory.give(reserved - len(body))
    return Upload(body, len(body))


async def _receive_image(app: App, ex: Exchange, api: Api, flat: bool) -> Upload | Reply | None:
    """The request's image within every bound, or the refusal (None: the client left)."""
    too_large = image_error("InvalidImageSize", TOO_LARGE, flat=flat)
    upload = await receive_body(app, ex, api, too_large, _content_refusal(ex, flat))
    if not isinstance(upload, Upload):
        return upload
    found = await asyncio.to_thread(images.check, upload.data, api, app.limits.max_pixels)
    if found is not None:
        app.body_memory.give(upload.reserved)
        return image_error(found.code, found.message, flat=flat)
    return upload


def _recognize(app: App, data: bytearray) -> PageText | None:
    """Runs on the engine's thread: the page read from ``data`` as a conversion reads it (a
    page that reads empty read again, the words fitted to their ink, as Azure's boxes hug
    the words), None if it does not decode."""
    image = images.decode(data)
    return None if image is None else read_page(app.engine, image, None, "")[0]


def _answer_job(app: App, data: bytearray, write: Callable[[PageText], Any], flat: bool) -> Reply:
    try:
        page = _recognize(app, data)
        if page is None:
            return image_error("InvalidImageFormat", "Input data is not a valid image.", flat=flat)
        return Reply(200, encode(write(page)))
    except Exception as exc:  # the engine's failure: one line in the log, Azure's 500
        log.warning("the engine failed on a request: %s", exc)
        return internal_error()


def _read_job(app: App, op: str, data: bytearray) -> None:
    app.operations.update(op, "running")
    try:
        page = _recognize(app, data)
    except Exception as exc:  # the engine's failure becomes the operation's
        log.warning("read operation %s failed: %s", op, exc)
        page = None
    if page is None:
        app.operations.update(op, "failed")
    else:
        app.operations.update(op, "succeeded", encode(read.read_result(page)))


async def _answer_now(
    app: App, ex: Exchange, upload: Upload, write: Callable[[PageText], Any], flat: bool
) -> Reply | None:
    """Queue the image, wait for its answer; a client that leaves takes its job with it."""
    future = app.work.submit(partial(_answer_job, app, upload.data, write, flat))
    if future is None:
        app.body_memory.give(upload.reserved)
        return too_many_requests(app.work.seconds_per_page)
    future.add_done_callback(lambda _: app.body_memory.give(upload.reserved))
    # Not read within max_wait: 429 now rather than a client's timeout later.
    reply = await ex.wait_for(future, app.work.cancel, app.limits.max_wait)
    if reply == TOO_SLOW:
        return too_many_requests(app.work.seconds_per_page)
    answer: Reply | None = reply
    return answer


async def legacy(app: App, ex: Exchange, version: str) -> Reply | None:
    """``POST /vision/{version}/ocr``: the OcrResult, with the language asked for or the one
    detected (``language=unk``), and on v3.2 the model that read it."""
    flat = version.startswith("v2")
    asked = _LANGUAGES.get(ex.query.get("language", "unk").lower())
    if asked is None:
        return await ex.finish(
            image_error(
                "NotSupportedLanguage", "The requested language is not supported.", flat=flat
            )
        )
    upload = await _receive_image(app, ex, LEGACY_OCR, flat)
    if not isinstance(upload, Upload):
        return upload
    model = legacy_ocr.MODEL_VERSION if version == "v3.2" else None

    def write(page: PageText) -> Any:
        found = asked if asked != "unk" else page.language or language.detect(page.text)
        return legacy_ocr.ocr_result(page, found, model_version=model)

    return await _answer_now(app, ex, upload, write, flat)


async def read_analyze(app: App, ex: Exchange, _: str) -> Reply | None:
    """``POST /vision/v3.2/read/analyze``: 202 and where to poll, on this server's address."""
    upload = await _receive_image(app, ex, READ, False)
    if not isinstance(upload, Upload):
        return upload
    op = app.operations.create()
    future = app.work.submit(partial(_read_job, app, op, upload.data))
    if future is None:
        app.operations.discard(op)
        app.body_memory.give(upload.reserved)
        return too_many_requests(app.work.seconds_per_page)
    future.add_done_callback(lambda _: app.body_memory.give(upload.reserved))
    return Reply(202, headers=(("Operation-Location", f"{ex.origin()}{READ.results}{op}"),))


async def read_results(app: App, ex: Exchange, op: str) -> Reply | None:
    """``GET .../read/analyzeResults/{id}``."""
    body = app.operations.body(op)
    return await ex.finish(OPERATION_NOT_FOUND if body is None else Reply(200, body))


async def analyze(app: App, ex: Exchange, _: str) -> Reply | None:
    """``POST /computervision/imageanalysis:analyze?features=read``."""
    if "read" not in ex.query.get("features", "").split(","):
        return await ex.finish(
            json_reply(
                400,
                {
                    "error": {
                        "code": "InvalidRequest",
                        "message": "This local server supports only features=read.",
                    }
                },
            )
        )
    upload = await _receive_image(app, ex, IMAGE_ANALYSIS, False)
    if not isinstance(upload, Upload):
        return upload
    return await _answer_now(app, ex, upload, image_analysis.image_analysis_result, False)


def route(path: str) -> tuple[tuple[str, ...], Handler, str] | None:
    """The methods a path takes, its handler and the handler's argument; None: no such path."""
    path = path.rstrip("/")
    segments = path.strip("/").split("/")
    if len(segments) == 3 and segments[0] == "vision" and segments[2] == "ocr":
        return (("POST",), legacy, segments[1]) if segments[1] in LEGACY_OCR.versions else None
    if path == READ.path:
        return ("POST",), read_analyze, ""
    if path.startswith(READ.results) and "/" not in path[len(READ.results) :]:
        return ("GET",), read_results, path[len(READ.results) :]
    if path == IMAGE_ANALYSIS.path:
        return ("POST",), analyze, ""
    return None
