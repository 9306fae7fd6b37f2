"""A loopback stand-in for Azure's OCR endpoints (legacy /ocr, Read 3.2, Image Analysis 4.0,
Document Intelligence prebuilt-read), for recording cassettes and fault tests. It is NOT Azure:
it follows the contract in docs/azure.md.

It cannot read text. Tests register the truth of the pages they generated (tests/pagegen.py);
the server recognises which page an uploaded image shows by its thumbnail and answers with
that page's words, laid out as the contract says the real service does:

* boxes are "x,y,w,h" integers in the image rotated clockwise about its centre by textAngle
  (radians), which is the angle that makes the text horizontal or vertical;
* orientation names where the top of the text faces after that rotation;
* regions come in service order, not reading order (here: reversed);
* errors use the v3.2 ``{"error": {...}}`` envelope, or the flat v2.x one on /vision/v2.*;
* limits: JPEG/PNG/GIF/BMP, under 4 MB, 50 to 4200 px per side.

Every response carries ``x-stand-in: ocr-pdf tests/standin.py (not Azure)`` so that cassettes
recorded against it say so."""

from __future__ import annotations

import contextlib
import io
import json
import math
import socket
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from PIL import Image, ImageChops, ImageStat

from tests.pagegen import TruthPage, thumbnail

HELD_AT_MOST = 300.0
"""Seconds a held request waits for its release at most (a test that forgot it)."""
STAND_IN_HEADER = ("x-stand-in", "ocr-pdf tests/standin.py (not Azure)")
LANGUAGES = {
    "unk", "zh-Hans", "zh-Hant", "cs", "da", "nl", "en", "fi", "fr", "de", "el", "hu", "it",
    "ja", "ko", "nb", "pl", "pt", "ru", "es", "sv", "tr", "ar", "ro", "sr-Cyrl", "sr-Latn", "sk",
}  # fmt: skip
VERSIONS = {"v2.0", "v2.1", "v3.0", "v3.1", "v3.2"}


@dataclass
class Fault:
    """A canned reply served instead of the next OCR answer."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to sit on the request first (for timeouts)
    reset: bool = False  # send the headers and half the body, then drop the connection


@dataclass
class StandIn:
    key: str = "stand-in-key"
    pages: list[TruthPage] = field(default_factory=list)
    retired: set[str] = field(default_factory=set)
    faults: deque[Fault | None] = field(default_factory=deque)  # None: answer normally
    calls: list[dict[str, Any]] = field(default_factory=list)
    running_polls: int = 1  # "running" answers before an operation succeeds
    fail_operations: bool = False  # operations end with status "failed"
    # Legacy /ocr puts every line of the page in one region, listed top to bottom: the lines
    # of side-by-side columns interleave (the service's regions are blocks of its choosing).
    one_region: bool = False
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    latency: float = 0.0  # seconds each answer takes
    limit: tuple[int, float] | None = None  # at most (calls, per seconds), else 429
    rejected: int = 0
    arrivals: list[float] = field(default_factory=list)  # monotonic time of every request
    # POSTs after the first ``hold_after`` are held, unanswered, until ``released`` is set: a
    # test that stops a run mid-page waits for that request, not for a span of time.
    hold_after: int | None = None
    released: threading.Event = field(default_factory=threading.Event)
    delivered: Counter[str] = field(default_factory=Counter)  # page name -> results served
    submitted: Counter[str] = field(default_factory=Counter)  # page name -> Read/DI operations

    def __post_init__(self) -> None:
        standin = self
        self._lock = threading.Lock()
        self._window: list[float] = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def finish(self) -> None:
                # After a deliberate reset (or a client that gave up) the final flush fails;
                # that is the point, not an error to print.
                with contextlib.suppress(OSError):
                    super().finish()

            def do_GET(self) -> None:
                self._answer(*standin.handle_get(self.path, dict(self.headers)))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                self._answer(*standin.handle(self.path, dict(self.headers), body))

            def _answer(
                self, status: int, payload: Any, headers: dict[str, str], reset: bool = False
            ) -> None:
                if isinstance(payload, bytes):  # a fault's raw body, e.g. broken JSON
                    data = payload
                else:
                    data = json.dumps(payload).encode() if payload is not None else b""
                self.send_response(status)
                self.send_header(*STAND_IN_HEADER)
                self.send_header("apim-request-id", str(uuid.uuid4()))
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                # The client may have given up (timeout tests): nothing to tell it then.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    if reset:  # half the promised body, then the connection goes away
                        self.wfile.write(data[: len(data) // 2])
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.close_connection = True
                        return
                    self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> StandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()

    # -- the contract -------------------------------------------------------------------

    def _error(
        self, version: str, status: int, code: str, message: str
    ) -> tuple[int, Any, dict[str, str]]:
        if version.startswith("v2"):
            return status, {"code": code, "message": message, "requestId": str(uuid.uuid4())}, {}
        outer = "InvalidArgument" if status == 400 else "InvalidRequest"
        return (
            status,
            {
                "error": {
                    "code": outer,
                    "innererror": {"code": code, "message": message},
                    "message": message,
                }
            },
            {},
        )

    def _throttle(self) -> tuple[int, Any, dict[str, str]] | None:
        """Latency, then the rate limit over a sliding window, as a 429 naming the wait the
        way Computer Vision does ("Try again in N seconds"), without Retry-After."""
        if self.latency:
            time.sleep(self.latency)
        if self.limit is None:
            return None
        calls, per = self.limit
        with self._lock:
            now = time.monotonic()
            self._window = [t for t in self._window if t > now - per]
            if len(self._window) >= calls:
                self.rejected += 1
                wait = max(1, math.ceil(self._window[0] + per - now))
                message = f"Rate limit is exceeded. Try again in {wait} seconds."
                return 429, {"error": {"code": "429", "message": message}}, {}
            self._window.append(now)
        return None

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self.faults.popleft() if self.faults else None

    def _delivered(self, image: Image.Image) -> None:
        """Count a real result served for the page ``image`` shows (faults replace results)."""
        self._count(self.delivered, image)

    def _count(self, counter: Counter[str], image: Image.Image) -> None:
        match = self._match(image)
        if match is not None:
            with self._lock:
                counter[match[0].spec.name] += 1

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[Any, ...]:
        """(status, body, headers[, reset]) for one POST."""
        self.arrivals.append(time.monotonic())
        throttled = self._throttle()
        if throttled:
            return throttled
        parts = urlsplit(path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.calls.append({"path": parts.path, "query": query, "bytes": len(body)})
        if self.hold_after is not None and len(self.calls) > self.hold_after:
            self.released.wait(HELD_AT_MOST)
        if headers.get("Ocp-Apim-Subscription-Key") != self.key:
            return (
                401,
                {
                    "error": {
                        "code": "401",
                        "message": "Access denied due to invalid "
                        "subscription key or wrong API endpoint. Make sure to provide a valid key "
                        "for an active subscription and use a correct regional API endpoint for "
                        "your resource.",
                    }
                },
                {},
            )
        kind = _route(parts.path)
        legacy = kind is not None and kind not in ("read", "vision", "di")
        if kind is None or kind in self.retired or (legacy and kind not in VERSIONS):
            return 404, {"error": {"code": "404", "message": "Resource not found"}}, {}
        version = kind if legacy and kind else "v3.2"
        fault = self._next_fault()
        if fault is not None:
            if fault.delay:
                threading.Event().wait(fault.delay)
            return fault.status, fault.body, fault.headers, fault.reset
        language = query.get("language", "unk")
        if language not in LANGUAGES:
            return self._error(
                version, 400, "NotSupportedLanguage", "The provided language is not supported."
            )
        content_type = headers.get("Content-Type", "")
        accepted = ("octet-stream", "image/") if kind == "di" else ("octet-stream",)
        if not any(a in content_type for a in accepted):
            return self._error(version, 400, "InvalidImageUrl", "Image URL is badly formatted.")
        if len(body) >= 4 * 1024 * 1024:
            return self._error(
                version,
                400,
                "InvalidImageSize",
                "Input image is too large. Refer to documentation for maximum file size.",
            )
        try:
            image = Image.open(io.BytesIO(body))
            image.load()
        except Exception:
            return self._error(
                version, 400, "InvalidImageFormat", "Input data is not a valid image."
            )
        if image.format not in ("JPEG", "PNG", "GIF", "BMP"):
            return self._error(
                version, 400, "InvalidImageFormat", "Input data is not a valid image."
            )
        w, h = image.size
        if min(w, h) < 50 or max(w, h) > 4200:
            return self._error(
                version,
                400,
                "InvalidImageSize",
                "Image must be at least 50 pixels in width and height and at most 4200 pixels.",
            )
        if kind in ("read", "di"):
            op = str(uuid.uuid4())
            self.operations[op] = {"kind": kind, "image": image, "polls": 0}
            self._count(self.submitted, image)  # what Azure bills for an operation
            where = (
                f"/vision/v3.2/read/analyzeResults/{op}"
                if kind == "read"
                else f"/documentintelligence/documentModels/prebuilt-read/analyzeResults/{op}"
                "?api-version=2024-11-30"
            )
            return 202, None, {"Operation-Location": self.endpoint + where}
        self._delivered(image)
        if kind == "vision":
            return 200, self.image_analysis(image), {}
        return 200, self.recognise(image), {}

    def handle_get(self, path: str, headers: dict[str, str]) -> tuple[Any, ...]:
        self.arrivals.append(time.monotonic())
        throttled = self._throttle()
        if throttled:
            return throttled
        parts = urlsplit(path)
        self.calls.append({"path": parts.path, "query": {}, "bytes": 0})
        if headers.get("Ocp-Apim-Subscription-Key") != self.key:
            message = "Access denied due to invalid subscription key or wrong API endpoint."
            return 401, {"error": {"code": "401", "message": message}}, {}
        fault = self._next_fault()
        if fault is not None:
            if fault.delay:
                threading.Event().wait(fault.delay)
            return fault.status, fault.body, fault.headers, fault.reset
        op = self.operations.get(parts.path.rstrip("/").rsplit("/", 1)[-1])
        if op is None:
            return 404, {"error": {"code": "NotFound", "message": "Operation not found."}}, {}
        op["polls"] += 1
        stamp = {
            "createdDateTime": "2026-11-24T00:00:00Z",
            "lastUpdatedDateTime": "2026-11-24T00:00:01Z",
        }
        if op["polls"] <= self.running_polls:
            return 200, {"status": "running", **stamp}, {}
        if self.fail_operations:
            error = {"code": "InternalServerError", "message": "The analysis failed."}
            extra = {"error": error} if op["kind"] == "di" else {}
            return 200, {"status": "failed", **stamp, **extra}, {}
        result = self.read(op["image"]) if op["kind"] == "read" else self.analyze(op["image"])
        self._delivered(op["image"])
        return 200, {"status": "succeeded", **stamp, "analyzeResult": result}, {}

    def _words(self, image: Image.Image) -> tuple[list[list[list[Any]]], float]:
        """The matched page's blocks -> lines -> (text, quad in the image's pixels, corners in
        the text's own order), in service order (blocks reversed), and the text's baseline
        angle in degrees clockwise."""
        match = self._match(image)
        if match is None:
            return [], 0.0
        page, w, h = match
        blocks = [
            [[(wd.text, [(x * w, y * h) for x, y in wd.display_quad]) for wd in ln] for ln in b]
            for b in reversed(page.blocks)
        ]
        sx = sy = 0.0
        for word in page.words:
            (ax, ay), (bx, by) = word.display_quad[3], word.display_quad[2]
            a = math.atan2((by - ay) * h, (bx - ax) * w)
            sx, sy = sx + math.cos(a), sy + math.sin(a)
        return blocks, math.degrees(math.atan2(sy, sx))

    @staticmethod
    def _line_quad(line: list[Any]) -> list[tuple[float, float]]:
        return [line[0][1][0], line[-1][1][1], line[-1][1][2], line[0][1][3]]

    def read(self, image: Image.Image) -> dict[str, Any]:
        """A Read 3.2 analyzeResult: 8-number quads on the original image, text's own order."""
        blocks, angle = self._words(image)

        def box(q: list[tuple[float, float]]) -> list[int]:
            return [round(v) for p in q for v in p]

        lines = [
            {
                "boundingBox": box(self._line_quad(ln)),
                "text": " ".join(t for t, _ in ln),
                "words": [{"boundingBox": box(q), "text": t, "confidence": 0.987} for t, q in ln],
            }
            for block in blocks
            for ln in block
        ]
        page = {
            "page": 1,
            "angle": round(angle, 4),
            "width": image.width,
            "height": image.height,
            "unit": "pixel",
            "lines": lines,
        }
        return {"version": "3.2.0", "modelVersion": "2022-04-30", "readResults": [page]}

    def image_analysis(self, image: Image.Image) -> dict[str, Any]:
        """An Image Analysis 4.0 result with the read feature: one block, 4-point polygons."""
        blocks, _ = self._words(image)

        def poly(q: list[tuple[float, float]]) -> list[dict[str, int]]:
            return [{"x": round(x), "y": round(y)} for x, y in q]

        lines = [
            {
                "text": " ".join(t for t, _ in ln),
                "boundingPolygon": poly(self._line_quad(ln)),
                "words": [
                    {"text": t, "boundingPolygon": poly(q), "confidence": 0.993} for t, q in ln
                ],
            }
            for block in blocks
            for ln in block
        ]
        return {
            "modelVersion": "2023-10-01",
            "metadata": {"width": image.width, "height": image.height},
            "readResult": {"blocks": [{"lines": lines}] if lines else []},
        }

    def analyze(self, image: Image.Image) -> dict[str, Any]:
        """A Document Intelligence prebuilt-read analyzeResult: words with spans into content."""
        blocks, angle = self._words(image)
        content = ""
        words: list[dict[str, Any]] = []
        lines: list[dict[str, Any]] = []
        for block in blocks:
            for ln in block:
                if content:
                    content += "\n"
                start = len(content)
                for i, (t, q) in enumerate(ln):
                    if i:
                        content += " "
                    words.append(
                        {
                            "content": t,
                            "polygon": [round(v, 1) for p in q for v in p],
                            "confidence": 0.995,
                            "span": {"offset": len(content), "length": len(t)},
                        }
                    )
                    content += t
                lines.append(
                    {
                        "content": content[start:],
                        "polygon": [round(v, 1) for p in self._line_quad(ln) for v in p],
                        "spans": [{"offset": start, "length": len(content) - start}],
                    }
                )
        page = {
            "pageNumber": 1,
            "angle": round(angle, 4),
            "width": image.width,
            "height": image.height,
            "unit": "pixel",
            "words": words,
            "lines": lines,
            "spans": [{"offset": 0, "length": len(content)}],
        }
        return {
            "apiVersion": "2024-11-30",
            "modelId": "prebuilt-read",
            "stringIndexType": "textElements",
            "content": content,
            "pages": [page],
        }

    def _match(self, image: Image.Image) -> tuple[TruthPage, int, int] | None:
        """The registered page the image shows, and the width and height of the part of the
        image it covers: a client may pad a small image at the right and bottom."""
        best, best_score = None, float("inf")
        # Each crop's thumbnail once, and the difference in C: with hundreds of pages
        # registered, a Python loop per page starved the threads timing the rate limit.
        thumbs: dict[tuple[int, int], Image.Image] = {}
        for page in self.pages:
            pw, ph = page.display_size
            w = min(image.width, round(image.height * pw / ph))
            h = min(image.height, round(image.width * ph / pw))
            if (w, h) not in thumbs:
                thumbs[w, h] = _grey(thumbnail(image.crop((0, 0, w, h))))
            difference = ImageChops.difference(thumbs[w, h], _grey(page.thumbnail))
            score = ImageStat.Stat(difference).sum[0] / len(page.thumbnail)
            if score < best_score:
                best, best_score = (page, w, h), score
        return best if best_score < 12 else None

    def recognise(self, image: Image.Image) -> dict[str, Any]:
        match = self._match(image)
        if match is None or not match[0].words:
            return {"language": "unk", "orientation": "NotDetected", "regions": []}
        page, w, h = match
        cx, cy = image.width / 2, image.height / 2
        # Baseline direction of the page's text, clockwise degrees on the y-down image.
        sx = sy = 0.0
        for word in page.words:
            (ax, ay), (bx, by) = word.display_quad[3], word.display_quad[2]
            a = math.atan2((by - ay) * h, (bx - ax) * w)
            sx, sy = sx + math.cos(a), sy + math.sin(a)
        phi = math.degrees(math.atan2(sy, sx))
        quarter = round(phi / 90)
        angle = quarter * 90 - phi  # rotating the image clockwise by this makes text axis-aligned
        orientation = {0: "Up", 1: "Right", 2: "Down", 3: "Left"}[quarter % 4]

        def box(words: list[Any]) -> str:
            pts = [
                _rot((x * w, y * h), angle, (cx, cy)) for wd in words for x, y in wd.display_quad
            ]
            x0, y0 = math.floor(min(p[0] for p in pts)), math.floor(min(p[1] for p in pts))
            x1, y1 = math.ceil(max(p[0] for p in pts)), math.ceil(max(p[1] for p in pts))
            return f"{x0},{y0},{x1 - x0},{y1 - y0}"

        regions: list[dict[str, Any]] = []
        for block in reversed(page.blocks):  # service order is not reading order
            lines = [
                {
                    "boundingBox": box(ln),
                    "words": [{"boundingBox": box([wd]), "text": wd.text} for wd in ln],
                }
                for ln in block
            ]
            regions.append({"boundingBox": box([wd for ln in block for wd in ln]), "lines": lines})
        if self.one_region:

            def top(line: dict[str, Any]) -> tuple[int, int]:
                x, y = (int(v) for v in line["boundingBox"].split(",")[:2])
                return y, x

            everything = [wd for b in page.blocks for ln in b for wd in ln]
            lines = sorted((ln for r in regions for ln in r["lines"]), key=top)
            regions = [{"boundingBox": box(everything), "lines": lines}]
        return {
            "language": "en",
            "textAngle": math.radians(angle),
            "orientation": orientation,
            "regions": regions,
        }


def _grey(thumb: bytes) -> Image.Image:
    side = math.isqrt(len(thumb))
    return Image.frombytes("L", (side, side), thumb)


def _route(path: str) -> str | None:
    """Which API a POST path belongs to: a legacy OCR version, read, vision or di."""
    segments = path.strip("/").split("/")
    if len(segments) == 3 and segments[0] == "vision" and segments[2] == "ocr":
        return segments[1]
    return {
        "/vision/v3.2/read/analyze": "read",
        "/computervision/imageanalysis:analyze": "vision",
        "/documentintelligence/documentModels/prebuilt-read:analyze": "di",
    }.get(path.rstrip("/"))


def _rot(p: tuple[float, float], deg: float, c: tuple[float, float]) -> tuple[float, float]:
    a = math.radians(deg)
    dx, dy = p[0] - c[0], p[1] - c[1]
    return (c[0] + dx * math.cos(a) - dy * math.sin(a), c[1] + dx * math.sin(a) + dy * math.cos(a))


def _normalised(quad: Any, w: float, h: float) -> Any:
    """A quad in pixels of a ``w`` x ``h`` image, as fractions of its size."""
    a, b, c, d = ((x / w, y / h) for x, y in quad)
    return (a, b, c, d)


def truth_from_reading(name: str, image: Image.Image, reading: Any) -> TruthPage:
    """A page the stand-in can answer for, made from another engine's reading (a PageText) of
    ``image``: how cassettes for real scans (the samples) are recorded without Azure."""
    from tests.pagegen import PageSpec, TruthWord

    w, h = image.size
    page = TruthPage(PageSpec(name, ()), display_size=(w, h), thumbnail=thumbnail(image))
    page.blocks = [
        [
            [TruthWord(word.text, _normalised(word.quad, w, h), word.quad) for word in line.words]
            for line in reading.lines
        ]
    ]
    return page
