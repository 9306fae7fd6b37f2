"""``ocr-pdf serve``: a local HTTP server that answers like Azure AI Vision's OCR endpoints,
backed by a local engine, so that scripts written against Azure run unchanged, offline, free.

Served: ``POST /vision/{v2.0,v2.1,v3.0,v3.1,v3.2}/ocr``, ``POST /vision/v3.2/read/analyze``
with ``GET .../read/analyzeResults/{id}``, and ``POST /computervision/imageanalysis:analyze``
(features=read). Image bytes only (application/octet-stream or image/*): this server fetches
no URLs. Limits (ocr_pdf.azure.apis) and error bodies as Azure's (docs/azure.md). With a key
configured,
requests must carry it in ``Ocp-Apim-Subscription-Key``, as Azure's do."""

from __future__ import annotations

import hmac
import io
import json
import logging
import threading
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from PIL import Image, UnidentifiedImageError

from ocr_pdf import __version__
from ocr_pdf.azure import apis, image_analysis, legacy_ocr, read
from ocr_pdf.azure.envelope import error_body
from ocr_pdf.engines import Engine

log = logging.getLogger(__name__)

LEGACY_VERSIONS = apis.LEGACY_OCR.versions
READ_PATH = apis.READ.path
RESULTS_PREFIX = apis.READ.results
VISION_PATH = apis.IMAGE_ANALYSIS.path
KEPT_OPERATIONS = 1000
"""Read results kept for polling (the oldest are dropped first); Azure keeps them 48 hours."""


APIS = {api.name: api for api in (apis.LEGACY_OCR, apis.READ, apis.IMAGE_ANALYSIS)}
DENIED = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide "
    "a valid key for an active subscription and use a correct regional API endpoint for your "
    "resource."
)


class _Refusal(Exception):
    """An answer other than success: HTTP status and Azure's error body."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class AzureCompatibleServer(ThreadingHTTPServer):
    """The server. ``engine`` reads every image (one at a time: local engines already use
    every core); ``key``, when set, is required on every request."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], engine: Engine, key: str | None = None) -> None:
        super().__init__(address, _Handler)
        self.engine = engine
        self.key = key
        self.engine_lock = threading.Lock()
        self.operations: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.operations_lock = threading.Lock()
        self.workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ocr-pdf-read")

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{host}:{port}"

    def recognize(self, image: Image.Image) -> Any:
        with self.engine_lock:
            return self.engine.recognize(image.convert("L"))

    def start_read(self, image: Image.Image) -> str:
        op = str(uuid.uuid4())
        with self.operations_lock:
            self.operations[op] = {"status": "notStarted", "created": _now()}
            while len(self.operations) > KEPT_OPERATIONS:
                self.operations.popitem(last=False)
        self.workers.submit(self._run_read, op, image)
        return op

    def _run_read(self, op: str, image: Image.Image) -> None:
        self._update(op, status="running")
        try:
            result = read.read_result(self.recognize(image))
        except Exception as exc:  # the engine's failure becomes the operation's
            log.warning("read operation %s failed: %s", op, exc)
            self._update(op, status="failed")
        else:
            self._update(op, status="succeeded", result=result)

    def _update(self, op: str, **fields: Any) -> None:
        with self.operations_lock:
            if op in self.operations:
                self.operations[op].update(fields, updated=_now())

    def operation(self, op: str) -> dict[str, Any] | None:
        with self.operations_lock:
            found = self.operations.get(op)
            return dict(found) if found else None

    def server_close(self) -> None:
        self.workers.shutdown(wait=False, cancel_futures=True)
        super().server_close()


class _Handler(BaseHTTPRequestHandler):
    server: AzureCompatibleServer
    server_version = f"ocr-pdf/{__version__}"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)

    # -- routing --------------------------------------------------------------------------

    def do_POST(self) -> None:
        self._respond(self._post)

    def do_GET(self) -> None:
        self._respond(self._get)

    def _respond(self, action: Any) -> None:
        try:
            self._check_key()
            status, body, headers = action(urlsplit(self.path))
        except _Refusal as refusal:
            status, body, headers = refusal.status, refusal.body, {}
        except Exception as exc:  # never a traceback to the client; one line in the log
            log.warning("internal error on %s: %s", self.path, exc)
            status = 500
            body = error_body("InternalServerError", "An internal error has occurred.")
            headers = {}
        self._send(status, body, headers)

    def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else b""
        self.send_response(status)
        self.send_header("apim-request-id", str(uuid.uuid4()))
        self.send_header("Content-Length", str(len(data)))
        if data:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _check_key(self) -> None:
        expected = self.server.key
        given = self.headers.get("Ocp-Apim-Subscription-Key") or ""
        if expected and not hmac.compare_digest(given.encode(), expected.encode()):
            self._drain()
            raise _Refusal(401, error_body("401", DENIED, inner=False))

    def _drain(self) -> None:
        """Read a refused request's body (up to 4 MB) so the client sees our answer, not a
        reset connection."""
        length = int(self.headers.get("Content-Length") or 0)
        if 0 < length <= 4 * 1024 * 1024:
            self.rfile.read(length)
        elif length:
            self.close_connection = True

    def _post(self, url: Any) -> tuple[int, Any, dict[str, str]]:
        path = url.path.rstrip("/")
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        segments = path.strip("/").split("/")
        if len(segments) == 3 and segments[0] == "vision" and segments[2] == "ocr":
            version = segments[1]
            if version not in LEGACY_VERSIONS:
                self._drain()
                raise _not_found()
            flat = version.startswith("v2")
            image = self._image("ocr", flat)
            page = self.server.recognize(image)
            return 200, legacy_ocr.ocr_result(page, query.get("language", "unk")), {}
        if path == READ_PATH:
            image = self._image("read", False)
            op = self.server.start_read(image)
            host = self.headers.get("Host") or self.server.url.split("//", 1)[1]
            return 202, None, {"Operation-Location": f"http://{host}{RESULTS_PREFIX}{op}"}
        if path == VISION_PATH:
            if "read" not in query.get("features", "").split(","):
                self._drain()
                raise _Refusal(
                    400,
                    error_body(
                        "InvalidRequest",
                        "This local server supports only features=read.",
                        inner=False,
                    ),
                )
            image = self._image("vision", False)
            return 200, image_analysis.image_analysis_result(self.server.recognize(image)), {}
        self._drain()
        raise _not_found()

    def _get(self, url: Any) -> tuple[int, Any, dict[str, str]]:
        if not url.path.startswith(RESULTS_PREFIX):
            raise _not_found()
        found = self.server.operation(url.path[len(RESULTS_PREFIX) :].strip("/"))
        if found is None:
            raise _Refusal(
                404,
                error_body("NotFound", "Operation not found or expired.", inner=False),
            )
        body: dict[str, Any] = {
            "status": found["status"],
            "createdDateTime": found["created"],
            "lastUpdatedDateTime": found.get("updated", found["created"]),
        }
        if found["status"] == "succeeded":
            body["analyzeResult"] = found["result"]
        return 200, body, {}

    # -- the image ------------------------------------------------------------------------

    def _image(self, kind: str, flat: bool) -> Image.Image:
        """The request's image, or the refusal Azure gives for it."""
        api = APIS[kind]
        limits = api.limits

        def refuse(code: str, message: str) -> _Refusal:
            return _Refusal(400, error_body(code, message, flat=flat))

        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        length_header = self.headers.get("Content-Length")
        if not length_header or not length_header.isdigit():
            self.close_connection = True
            raise refuse("InvalidImageSize", "The request has no Content-Length.")
        length = int(length_header)
        if length > api.accepted_bytes:
            self.close_connection = True  # not reading it: the connection cannot be reused
            raise refuse(
                "InvalidImageSize",
                "Input image is too large. Refer to documentation for maximum file size.",
            )
        data = self.rfile.read(length)
        if content_type == "application/json":
            raise refuse(
                "InvalidImageUrl",
                "This local server reads image bytes only; send the image as "
                "application/octet-stream instead of a URL.",
            )
        if content_type != "application/octet-stream" and not content_type.startswith("image/"):
            raise refuse("InvalidImageFormat", "Unsupported media type; send the image bytes.")
        if not data:
            raise refuse("InvalidImageSize", "The image is empty.")
        try:
            image = Image.open(io.BytesIO(data))
            fmt = image.format or ""
            image.load()
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            raise refuse("InvalidImageFormat", "Input data is not a valid image.") from None
        if fmt not in limits.formats:
            hint = (
                " PDF input is not supported by this local server." if data[:5] == b"%PDF-" else ""
            )
            raise refuse("InvalidImageFormat", f"Input data is not a valid image.{hint}")
        w, h = image.size
        if not limits.fits(w, h):
            raise refuse(
                "InvalidImageSize",
                f"Image must be at least {limits.min_side} pixels in width and height and at "
                f"most {limits.max_side} pixels.",
            )
        return image


def _not_found() -> _Refusal:
    return _Refusal(404, error_body("404", "Resource not found", inner=False))


def make_server(
    engine: Engine, host: str = "127.0.0.1", port: int = 5000, key: str | None = None
) -> AzureCompatibleServer:
    """A ready server (``port`` 0 picks a free one); call ``serve_forever()`` on it."""
    return AzureCompatibleServer((host, port), engine, key)
