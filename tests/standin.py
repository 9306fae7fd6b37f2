"""A loopback stand-in for Azure AI Vision's legacy OCR endpoint, for recording cassettes and
fault tests. It is NOT Azure: it follows ../shared/azure-reference/CONTRACT.md.

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
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from PIL import Image

from tests.pagegen import TruthPage, thumbnail

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


@dataclass
class StandIn:
    key: str = "stand-in-key"
    pages: list[TruthPage] = field(default_factory=list)
    retired: set[str] = field(default_factory=set)
    faults: deque[Fault] = field(default_factory=deque)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, payload, headers = standin.handle(self.path, dict(self.headers), body)
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
                    self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> StandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
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

    def handle(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        parts = urlsplit(path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.calls.append({"path": parts.path, "query": query, "bytes": len(body)})
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
        segments = parts.path.strip("/").split("/")
        if (
            len(segments) != 3
            or segments[0] != "vision"
            or segments[2] != "ocr"
            or segments[1] not in VERSIONS
            or segments[1] in self.retired
        ):
            return 404, {"error": {"code": "404", "message": "Resource not found"}}, {}
        version = segments[1]
        if self.faults:
            fault = self.faults.popleft()
            if fault.delay:
                threading.Event().wait(fault.delay)
            return fault.status, fault.body, fault.headers
        language = query.get("language", "unk")
        if language not in LANGUAGES:
            return self._error(
                version, 400, "NotSupportedLanguage", "The provided language is not supported."
            )
        if "octet-stream" not in headers.get("Content-Type", ""):
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
        return 200, self.recognise(image), {}

    def _match(self, image: Image.Image) -> tuple[TruthPage, int, int] | None:
        """The registered page the image shows, and the width and height of the part of the
        image it covers: a client may pad a small image at the right and bottom."""
        best, best_score = None, float("inf")
        for page in self.pages:
            pw, ph = page.display_size
            w = min(image.width, round(image.height * pw / ph))
            h = min(image.height, round(image.width * ph / pw))
            thumb = thumbnail(image.crop((0, 0, w, h)))
            score = sum(abs(a - b) for a, b in zip(thumb, page.thumbnail, strict=True)) / len(thumb)
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

        regions = []
        for block in reversed(page.blocks):  # service order is not reading order
            lines = [
                {
                    "boundingBox": box(ln),
                    "words": [{"boundingBox": box([wd]), "text": wd.text} for wd in ln],
                }
                for ln in block
            ]
            regions.append({"boundingBox": box([wd for ln in block for wd in ln]), "lines": lines})
        return {
            "language": "en",
            "textAngle": math.radians(angle),
            "orientation": orientation,
            "regions": regions,
        }


def _rot(p: tuple[float, float], deg: float, c: tuple[float, float]) -> tuple[float, float]:
    a = math.radians(deg)
    dx, dy = p[0] - c[0], p[1] - c[1]
    return (c[0] + dx * math.cos(a) - dy * math.sin(a), c[1] + dx * math.sin(a) + dy * math.cos(a))
