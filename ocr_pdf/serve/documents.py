"""The document of a Document Intelligence request to `ocr-pdf serve`: taken from the body as
it is (with its content type) or from JSON (``base64Source``; ``urlSource`` fetched only when
the operator allows it), and its kind and pages found from its header before any work is
queued: a PDF (its pages counted), or a JPEG, PNG, BMP or TIFF (every frame a page), refused
as Document Intelligence refuses what it does not take."""

from __future__ import annotations

import base64
import binascii
import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from ocr_pdf.azure.apis import DOCUMENT_INTELLIGENCE
from ocr_pdf.errors import EncryptedPdfError, InputFileError
from ocr_pdf.pdf import pdfium_checks
from ocr_pdf.serve import images
from ocr_pdf.serve.images import Refusal

CONTENT_TYPES = frozenset(
    {
        "application/octet-stream",
        "application/pdf",
        "image/jpeg",
        "image/jpg",
        "image/png",
        "image/tiff",
        "image/bmp",
        "image/heif",
        "application/json",
    }
)
"""The content types Document Intelligence takes a document in (the Office and HTML ones
aside: this server reads PDFs and images only)."""


@dataclass(frozen=True)
class Document:
    """A document accepted for analysis: its bytes, its page count, and for an image the
    (width, height) in pixels of each frame (empty for a PDF)."""

    data: bytes
    pages: int
    frames: tuple[tuple[int, int], ...] = ()

    @property
    def is_image(self) -> bool:
        return bool(self.frames)


@dataclass(frozen=True)
class UrlSource:
    """A request that names its document by URL."""

    url: str


def source(body: bytes | bytearray, content_type: str) -> bytes | UrlSource | Refusal:
    """The document the body carries: its bytes as they are, or decoded from JSON's
    ``base64Source``; a UrlSource for ``urlSource``."""
    if content_type != "application/json":
        return bytes(body)
    try:
        request = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return Refusal("InvalidContentSourceFormat", "Invalid content source: not JSON.")
    if not isinstance(request, dict):
        return Refusal("InvalidContentSourceFormat", "Invalid content source: not an object.")
    given = [k for k in ("urlSource", "base64Source") if request.get(k) is not None]
    if len(given) != 1:
        return Refusal(
            "InvalidContentSourceFormat",
            "Invalid content source: give exactly one of urlSource and base64Source.",
        )
    value = request[given[0]]
    if not isinstance(value, str):
        return Refusal("InvalidContentSourceFormat", f"Invalid content source: {given[0]}.")
    if given[0] == "urlSource":
        return UrlSource(value)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return Refusal(
            "InvalidContentSourceFormat", "Invalid content source: base64Source is not Base64."
        )


def check(data: bytes, max_pixels: int) -> Document | Refusal:
    """The document in ``data`` (a PDF, or an image of the formats Document Intelligence
    takes, every TIFF frame a page), or the refusal; reads headers only."""
    if not data:
        return Refusal("InvalidContent", "The file is empty.")
    if b"%PDF-" in data[:1024]:
        try:
            return Document(data, pdfium_checks.page_count(data))
        except EncryptedPdfError:
            return Refusal("InvalidContent", "The PDF is protected by a password.")
        except InputFileError:
            return Refusal("InvalidContent", "")
    found = images.frames(data, DOCUMENT_INTELLIGENCE, max_pixels)
    if isinstance(found, Refusal):
        return found
    return Document(data, len(found), tuple(found))


def fetch(url: str, cap: int, timeout: float) -> bytes | Refusal:
    """The document at ``url`` (http or https only, at most ``cap`` bytes, within
    ``timeout`` seconds for each read), or the refusal Document Intelligence gives for a
    source it cannot reach."""
    if not url.lower().startswith(("http://", "https://")):
        return Refusal("InvalidContentSourceFormat", "Invalid content source: use http or https.")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            data = answer.read(cap + 1)
    except TimeoutError:
        return Refusal("ContentSourceTimeout", "Timeout while receiving the file from client.")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Refusal("ContentSourceNotAccessible", f"Content isn't accessible: {reason}")
    if len(data) > cap:
        return Refusal("InvalidContentLength", "")
    return bytes(data)
