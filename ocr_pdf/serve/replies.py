"""The answers `ocr-pdf serve` gives: a status, a JSON body and headers; every refusal with
Azure's error envelope (:func:`ocr_pdf.azure.envelope.error_body`), never an HTML page."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from ocr_pdf.azure.envelope import error_body

DENIED = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide "
    "a valid key for an active subscription and use a correct regional API endpoint for your "
    "resource."
)


@dataclass(frozen=True)
class Reply:
    """One HTTP answer. ``body`` is the encoded JSON (empty for none), or bytes of another
    ``content_type``; ``close`` asks for the connection to be closed after it (a body we did
    not read, a client too slow to trust)."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    close: bool = False
    content_type: str = "application/json; charset=utf-8"


def encode(body: Any) -> bytes:
    """JSON as Azure sends it: UTF-8, non-ASCII characters as they are."""
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def json_reply(status: int, body: Any, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    return Reply(status, encode(body), headers)


def gateway_error(
    status: int, message: str, headers: tuple[tuple[str, str], ...] = (), close: bool = False
) -> Reply:
    """A refusal as Azure's gateway words it: ``{"error": {"code": "<status>", "message"}}``."""
    return Reply(status, encode(error_body(str(status), message, inner=False)), headers, close)


def image_error(code: str, message: str, *, flat: bool, status: int = 400) -> Reply:
    """A refusal of the request's image as the API words it (flat on v2.x)."""
    return Reply(status, encode(error_body(code, message, flat=flat)))


def too_many_requests(wait: float) -> Reply:
    """429 with the wait in ``Retry-After`` and in the message, worded as Azure words it (our
    own engines and Azure's SDKs read either)."""
    seconds = max(1, math.ceil(wait))
    return gateway_error(
        429,
        f"Rate limit is exceeded. Try again in {seconds} seconds.",
        (("Retry-After", str(seconds)),),
    )


def internal_error() -> Reply:
    return Reply(500, encode(error_body("InternalServerError", "An internal error has occurred.")))


NOT_FOUND = gateway_error(404, "Resource not found")
DENIED_REPLY = gateway_error(401, DENIED)
OPERATION_NOT_FOUND = Reply(
    404, encode(error_body("NotFound", "Operation not found or expired.", inner=False))
)


def method_not_allowed(allowed: tuple[str, ...]) -> Reply:
    return gateway_error(
        405, "The method is not allowed for this resource.", (("Allow", ", ".join(allowed)),)
    )
