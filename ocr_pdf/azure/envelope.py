"""Azure's error envelopes, read (what the transport makes of a refusal: our exception, its
message and the wait a 429 names) and written (what `ocr-pdf serve` answers with):
``{"error": {code, message, innererror?}}`` on v3.2, 4.0 and the gateway, the flat
``{code, message, requestId}`` on v2.x (stdlib only)."""

from __future__ import annotations

import email.utils
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any

from ocr_pdf.azure.ratelimit import MAX_RETRY_WAIT
from ocr_pdf.errors import (
    AuthenticationError,
    RateLimitError,
    ServiceConfigurationError,
    ServiceError,
    ServiceUnavailableError,
)

_WAIT_IN_MESSAGE = re.compile(r"(?:retry after|try again in)\s+(\d+(?:\.\d+)?)\s*second", re.I)

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


def parse_error(response: Any) -> tuple[str | None, str, str | None]:
    """(code, message, request id) of an error reply (a ``requests.Response``)."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    code, message = read_error(body, response.headers, response.text or response.reason)
    return code, message, request_id(response.headers, body)


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


def named_wait(message: str) -> float | None:
    """The wait in seconds a 429's message names ("retry after 55 seconds"), if any."""
    m = _WAIT_IN_MESSAGE.search(message)
    return float(m.group(1)) if m else None


def retry_after(headers: Mapping[str, str]) -> float | None:
    """The wait a Retry-After header names, in seconds (a number, or an HTTP date). Read here:
    urllib3 silently caps it at 6 hours, which would hide the day a spent quota names."""
    header = (headers.get("Retry-After") or "").strip()
    if not header:
        return None
    if header.replace(".", "", 1).isdigit():
        return float(header)
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def short(text: str) -> str:
    """Connection errors from urllib3 are long nested reprs; keep the most telling tail."""
    text = " ".join(text.split())
    m = re.search(r"\[Errno [^\]]+\] [^')\"]+|Connection refused|Connection reset[^')\"]*", text)
    return m.group(0) if m else text[:160]


def error_for(
    status: int,
    code: str | None,
    message: str,
    request_id: str | None,
    *,
    endpoint: str,
    path: str,
) -> ServiceError:
    """Our exception for an error reply of ``status`` from ``endpoint`` (to a request for
    ``path``), saying what to do about it; it carries status, code and request id, never
    the key."""
    suffix = f" (HTTP {status}" + (f", code {code}" if code else "")
    suffix += f", request id {request_id})" if request_id else ")"
    kw: dict[str, Any] = {"status": status, "code": code, "request_id": request_id}
    if status in (401, 403):
        return AuthenticationError(
            f"access denied by {endpoint}: {message}; check AZURE_VISION_KEY and "
            f"that the key belongs to this endpoint{suffix}",
            **kw,
        )
    if status in (404, 405, 410, 501):
        return ServiceConfigurationError(
            f"{path} not found on {endpoint}: {message}; check "
            f"--endpoint (https://<resource>.cognitiveservices.azure.com){suffix}",
            **kw,
        )
    if status == 400 and code == "NotSupportedLanguage":
        return ServiceConfigurationError(
            f"the service does not support this language: {message}; pass another -l, or "
            f"-l unk to let it detect the language{suffix}",
            **kw,
        )
    if status == 429:
        wait = named_wait(message)
        hint = (
            f"the service asks to wait {wait:.0f} s; the quota may be exhausted"
            if wait and wait > MAX_RETRY_WAIT
            else "still rate limited after retries"
        )
        return RateLimitError(f"rate limit: {hint}: {message}{suffix}", **kw)
    if status >= 500:
        return ServiceUnavailableError(
            f"service error after retries: {message}; try again later{suffix}", **kw
        )
    return ServiceError(f"request refused: {message}{suffix}", **kw)
