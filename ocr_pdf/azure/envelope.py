"""Azure's error envelopes, read (what the transport makes of a refusal) and written (what
`ocr-pdf serve` answers with): ``{"error": {code, message, innererror?}}`` on v3.2, 4.0 and
the gateway, the flat ``{code, message, requestId}`` on v2.x (stdlib only)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

REQUEST_ID_HEADERS = ("apim-request-id", "x-ms-request-id", "request-id", "x-request-id")


def request_id(headers: Mapping[str, str], body: Any) -> str | None:
    """The id the service gave a request: from its headers, else the body's ``requestId``."""
    for header in REQUEST_ID_HEADERS:
        value = headers.get(header)
        if value:
            return str(value)
    if isinstance(body, dict) and isinstance(body.get("requestId"), str):
        return str(body["requestId"])
    return None


def read_error(body: Any, headers: Mapping[str, str], text: str) -> tuple[str | None, str]:
    """(code, message) from an error reply's decoded JSON ``body`` (None when it was not
    JSON), whichever envelope it uses; the inner code is the more specific one. ``text`` (the
    raw body, or the reason phrase) stands in for a missing message."""
    code: str | None = headers.get("x-ms-error-code")
    message = ""
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        err = body if isinstance(body, dict) else {}
    if isinstance(err.get("message"), str):
        message = err["message"]
    if err.get("code") is not None:
        code = str(err["code"])
    inner = err.get("innererror")
    if isinstance(inner, dict) and inner.get("code") is not None:
        code = str(inner["code"])
        if isinstance(inner.get("message"), str) and not message:
            message = inner["message"]
    if not message:
        message = text.strip()[:200]
    return code, " ".join(message.split())


def error_body(code: str, message: str, *, flat: bool = False, inner: bool = True) -> Any:
    """Azure's error envelope: v3.2 and later ``{"error": {code, message, innererror}}`` with
    the generic outer code, or the flat v2.x ``{code, message, requestId}``."""
    if flat:
        return {"code": code, "message": message, "requestId": str(uuid.uuid4())}
    if not inner:
        return {"error": {"code": code, "message": message}}
    outer = "InternalServerError" if code == "InternalServerError" else "InvalidArgument"
    return {
        "error": {
            "code": outer,
            "innererror": {"code": code, "message": message},
            "message": message,
        }
    }
