"""requests: the one HTTP transport of the Azure engines (pooling, retries, timeouts, errors)."""

from __future__ import annotations

import ipaddress
import json
import logging
import random
import re
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from ocr_pdf import __version__
from ocr_pdf.errors import (
    AuthenticationError,
    ConfigurationError,
    OperationFailedError,
    RateLimitError,
    ServiceConfigurationError,
    ServiceError,
    ServiceResponseError,
    ServiceUnavailableError,
)

log = logging.getLogger(__name__)


def _sleep(seconds: float) -> None:
    """Every wait of the transport goes through here (the pytest plugin skips them on replay)."""
    time.sleep(seconds)


MAX_RETRY_WAIT = 120.0
"""Longest single wait (seconds) we accept from a 429. Longer asks, such as the 86400 s a
spent monthly quota names, fail at once instead of hanging a batch for a day."""

BACKOFF_FACTOR = 0.5
"""Exponential backoff base in seconds (urllib3's backoff_factor), used when the service names
no wait."""
BACKOFF_CAP = 30.0
"""Longest backoff between two tries, in seconds."""

RATE_LIMIT_RETRIES = 6
"""How many 429s without a Retry-After header we ride out per call before giving up."""

BROKEN_ANSWER_RETRIES = 2
"""How many more times we ask when an answer is cut off mid-body or is not JSON."""

MAX_RESPONSE_BYTES = 50_000_000
"""Largest answer body we read. The densest page's Read result is a few MB."""

_WAIT_IN_MESSAGE = re.compile(r"(?:retry after|try again in)\s+(\d+(?:\.\d+)?)\s*second", re.I)


def parse_rate(text: str) -> tuple[int, float]:
    """``"10/s"``, ``"20/min"``, ``"1000/h"`` as (calls, seconds)."""
    count, _, unit = text.replace(" ", "").partition("/")
    seconds = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "hour": 3600.0}
    try:
        calls = int(count)
    except ValueError:
        calls = 0
    if calls < 1 or unit.lower() not in seconds:
        raise ConfigurationError(f"--rate {text!r}: use calls per s, min or h, e.g. 10/s or 20/min")
    return calls, seconds[unit.lower()]


class RateLimiter:
    """One limit for every thread of a run: calls are spaced evenly, ``per / calls`` seconds
    apart plus a 5% margin (requests reach the service with jitter; at exactly the limit a
    sliding window sees one too many now and then), and a 429 pauses everyone, not just the
    worker that met it."""

    MARGIN = 1.05

    def __init__(self, calls: int, per: float) -> None:
        self.interval = per / calls * self.MARGIN
        self._next = 0.0
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Block until this thread may send one request."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next, self._paused_until)
            self._next = slot + self.interval
        if slot > now:
            _sleep(slot - now)

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)


class _Retry(Retry):
    """urllib3 retries for connection errors, 5xx and 429s that carry Retry-After.

    A 429 without the header is left to :meth:`AzureTransport.request`, which reads the wait
    from the message: urllib3 drains the body before it sleeps, so it cannot."""

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code == 429 and not has_retry_after:
            return False
        return super().is_retry(method, status_code, has_retry_after)

    def sleep_for_retry(self, response: BaseHTTPResponse) -> bool:
        # Read the header ourselves: recent urllib3 silently caps Retry-After at 6 hours, which
        # would hide the day-long wait of a spent monthly quota.
        header = (response.headers.get("Retry-After") or "").strip()
        wait = float(header) if header.isdigit() else self.get_retry_after(response)
        limiter = getattr(self, "limiter", None)
        if wait and isinstance(limiter, RateLimiter) and wait <= MAX_RETRY_WAIT:
            limiter.pause(wait)
        if wait is not None and wait > MAX_RETRY_WAIT:
            raise RateLimitError(
                f"rate limit: the service asks to wait {wait:.0f} s, more than the "
                f"{MAX_RETRY_WAIT:.0f} s we wait; the quota may be exhausted, try again later",
                status=429,
            )
        if wait:
            _sleep(wait)
            return True
        return False

    def _sleep_backoff(self) -> None:
        backoff = self.get_backoff_time()
        if backoff > 0:
            _sleep(backoff)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(endpoint: str) -> str:
    """Validate an endpoint URL and return it without a trailing slash.

    Plain http is refused except on loopback (a local stand-in server): the key must never
    cross a network in clear text."""
    parts = urlsplit(endpoint.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(
            f"endpoint {endpoint!r} is not a URL; it looks like "
            "https://<resource>.cognitiveservices.azure.com"
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            f"endpoint {endpoint!r} uses plain http; use https (http is allowed on loopback only)"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"endpoint {endpoint!r} must not have a query or fragment")
    return endpoint.strip().rstrip("/")


def check_key(key: str) -> str:
    """The key, or a ConfigurationError if it cannot be one. Azure keys are letters and
    digits; a space, tab, line break or other character outside visible ASCII means the key
    was set with quotes or a stray newline. The message never repeats the key, whole or in
    part (requests would echo it in its own error)."""
    if not key or any(not 0x21 <= ord(ch) <= 0x7E for ch in key):
        raise ConfigurationError(
            f"the Azure key ({len(key)} characters) contains spaces, line breaks or other "
            "characters no key has: set AZURE_VISION_KEY (or AZURE_VISION_KEY_FILE, "
            "AZURE_DI_KEY) to the key alone, without quotes or a trailing newline"
        )
    return key


def _request_id(response: requests.Response, body: Any) -> str | None:
    for header in ("apim-request-id", "x-ms-request-id", "request-id", "x-request-id"):
        value = response.headers.get(header)
        if value:
            return str(value)
    if isinstance(body, dict) and isinstance(body.get("requestId"), str):
        return str(body["requestId"])
    return None


def parse_error(response: requests.Response) -> tuple[str | None, str, str | None]:
    """(code, message, request id) from an Azure error reply, whichever envelope it uses:
    ``{"error": {code, message, innererror?}}`` (v3.2, 4.0, gateway) or flat
    ``{code, message, requestId}`` (v2.x). The inner code is the more specific one."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    code: str | None = response.headers.get("x-ms-error-code")
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
        message = (response.text or response.reason or "").strip()[:200]
    return code, " ".join(message.split()), _request_id(response, body)


def _origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL, the port made explicit."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


class _LeavingHost(Exception):
    """A redirect would take the request (its key header and its page image) to another
    scheme, host or port than the one it was sent to."""

    def __init__(self, source: str, target: str) -> None:
        super().__init__(target)
        self.source = source
        self.target = target


class _KeyGuardingSession(requests.Session):
    """A session that follows a redirect only within the origin the request was sent to.

    requests strips only ``Authorization`` when a redirect changes host; our key travels in
    ``Ocp-Apim-Subscription-Key`` and a 307/308 would resend the page image too, so a redirect
    elsewhere is refused before anything is sent there."""

    def rebuild_auth(self, prepared_request: Any, response: requests.Response) -> None:
        source = response.request.url or ""
        target = prepared_request.url or ""
        if _origin(source) != _origin(target):
            raise _LeavingHost(source, target)
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]


class AzureTransport:
    """One pooled ``requests.Session`` to one Azure endpoint, authenticated by key header.

    Every call has a timeout; connection errors, 5xx and 429 are retried a bounded number of
    times; every failure becomes one of our :class:`ServiceError` subclasses carrying the status,
    the service's error code and request id, and never the key."""

    def __init__(
        self, endpoint: str, key: str, *, timeout: float = 60.0, rate: str | None = None
    ) -> None:
        self.endpoint = check_endpoint(endpoint)
        key = check_key(key)
        self.timeout = timeout
        self.limiter = RateLimiter(*parse_rate(rate)) if rate else None
        self.session = _KeyGuardingSession()
        # urllib3 makes new Retry objects as it goes; a subclass carries the limiter along.
        bound = type("_BoundRetry", (_Retry,), {"limiter": self.limiter})
        retry = bound(
            total=8,
            connect=3,
            read=2,
            status=4,
            other=0,
            backoff_factor=BACKOFF_FACTOR,
            backoff_max=BACKOFF_CAP,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=None,  # POSTs to OCR endpoints are safe to repeat
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=16)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers.update(
            {"Ocp-Apim-Subscription-Key": key, "User-Agent": f"ocr-pdf/{__version__}"}
        )
        self.calls = 0  # HTTP requests sent, retries included
        self._count = threading.Lock()

    def url(self, path: str) -> str:
        return self.endpoint + path

    def request(
        self, method: str, url: str, *, expect_json: bool = False, **kwargs: Any
    ) -> requests.Response:
        """Send, ride out 429s, and return a 2xx response or raise a ServiceError.

        An answer cut off mid-body (connection reset) is asked for again, up to
        BROKEN_ANSWER_RETRIES times; so is a 2xx whose body is not JSON when ``expect_json``
        (a truncated or garbled answer is worth nothing, and asking again is what any person
        would do). A body over MAX_RESPONSE_BYTES is refused without being read."""
        where = urlsplit(url).path
        for attempt in range(BROKEN_ANSWER_RETRIES + 1):
            try:
                response = self._send(method, url, where, **kwargs)
            except _BrokenAnswer as broken:
                problem = str(broken)
            else:
                if response.status_code >= 400:
                    raise self._error(response)
                if not expect_json or _is_json(response):
                    return response
                problem = (
                    f"HTTP {response.status_code} with a body that is not JSON "
                    f"({len(response.content)} bytes)"
                )
            if attempt < BROKEN_ANSWER_RETRIES:
                log.info("%s: broken answer (%s); asking again", where, problem)
                _sleep(min(BACKOFF_FACTOR * 2.0**attempt, BACKOFF_CAP))
        raise ServiceResponseError(
            f"{where}: the service answered {problem}, {BROKEN_ANSWER_RETRIES + 1} times"
        )

    def _send(self, method: str, url: str, where: str, **kwargs: Any) -> requests.Response:
        """One request with urllib3's retries and our 429 handling; the body is read here."""
        kwargs.setdefault("timeout", (min(10.0, self.timeout), self.timeout))
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            if self.limiter is not None:
                self.limiter.acquire()
            try:
                response = self.session.request(method, url, stream=True, **kwargs)
            except _LeavingHost as leaving:
                raise ServiceConfigurationError(
                    f"{where}: the service redirected the request to "
                    f"{_describe_origin(leaving.target)}, another host than "
                    f"{_describe_origin(leaving.source)}; not following it, so that neither the "
                    "key nor the page goes there: check --endpoint"
                ) from None
            except requests.exceptions.RetryError as exc:
                raise ServiceUnavailableError(
                    f"{where}: the service kept failing after retries ({exc.__class__.__name__})"
                ) from None
            except requests.exceptions.ConnectionError as exc:
                reason = getattr(exc.args[0], "reason", None) if exc.args else None
                # NewConnectionError (refused) subclasses ConnectTimeoutError in urllib3 2.
                timed_out = isinstance(reason, urllib3.exceptions.TimeoutError) and not isinstance(
                    reason, urllib3.exceptions.NewConnectionError
                )
                if timed_out or isinstance(exc, requests.exceptions.ConnectTimeout):
                    raise self._timed_out(where) from None
                reason = str(exc.args[0]) if exc.args else exc.__class__.__name__
                raise ServiceUnavailableError(
                    f"cannot reach {self.endpoint}: {_short(reason)}; check --endpoint and the "
                    "network"
                ) from None
            except requests.exceptions.Timeout:  # a read timeout on the last try
                raise self._timed_out(where) from None
            except requests.exceptions.RequestException as exc:
                raise ServiceUnavailableError(f"{where}: {_short(str(exc))}") from None
            retries = getattr(getattr(response.raw, "retries", None), "history", ())
            with self._count:
                self.calls += 1 + len(retries)
            _load_body(response, where)
            if response.status_code != 429 or attempt == RATE_LIMIT_RETRIES:
                break
            message = parse_error(response)[1]
            wait = _named_wait(message)
            if wait is None:
                wait = min(BACKOFF_FACTOR * 2.0**attempt, BACKOFF_CAP) * (0.5 + random.random() / 2)
            if wait > MAX_RETRY_WAIT:
                break
            log.info("rate limited on %s; waiting %.1f s (%s)", where, wait, message)
            if self.limiter is not None:
                self.limiter.pause(wait)  # everyone waits, then this call goes first
            _sleep(wait)
        return response

    def _timed_out(self, where: str) -> ServiceUnavailableError:
        return ServiceUnavailableError(
            f"{where}: no answer within {self.timeout:g} s (timeout), retries included; "
            "try again later or raise --timeout"
        )

    def _error(self, response: requests.Response) -> ServiceError:
        code, message, request_id = parse_error(response)
        status = response.status_code
        suffix = f" (HTTP {status}" + (f", code {code}" if code else "")
        suffix += f", request id {request_id})" if request_id else ")"
        kw: dict[str, Any] = {"status": status, "code": code, "request_id": request_id}
        if status in (401, 403):
            return AuthenticationError(
                f"access denied by {self.endpoint}: {message}; check AZURE_VISION_KEY and "
                f"that the key belongs to this endpoint{suffix}",
                **kw,
            )
        if status in (404, 405, 410, 501):
            return ServiceConfigurationError(
                f"{urlsplit(response.url).path} not found on {self.endpoint}: {message}; check "
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
            wait = _named_wait(message)
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


POLL_INTERVAL = 1.0
"""Seconds between polls of an asynchronous operation when the service names no wait (the
docs advise 1 to 2 s; every poll counts toward the rate limit)."""
POLL_DEADLINE = 120.0
"""Seconds an operation may take, polls included, before we give up on it."""

_AZURE_HOST_SUFFIXES = (".cognitive.microsoft.com", ".cognitiveservices.azure.com", ".azure.com")


def _same_service(url: str, endpoint: str) -> bool:
    """Whether we may send our key to ``url``: the endpoint's own host, or an Azure host over
    https (Read returned regional hosts such as westus.api.cognitive.microsoft.com)."""
    target, own = urlsplit(url), urlsplit(endpoint)
    if (target.scheme, target.hostname) == (own.scheme, own.hostname):
        return True
    host = target.hostname or ""
    return target.scheme == "https" and host.endswith(_AZURE_HOST_SUFFIXES)


class AsyncOperations:
    """Submit-and-poll, shared by the Read and Document Intelligence engines."""

    def __init__(self, transport: AzureTransport) -> None:
        self.transport = transport

    def submit(self, path: str, params: dict[str, str], data: bytes, content_type: str) -> str:
        """POST, expect 202 with Operation-Location, return that URL as given."""
        response = self.transport.request(
            "POST",
            self.transport.url(path),
            params=params,
            data=data,
            headers={"Content-Type": content_type},
        )
        location = response.headers.get("Operation-Location")
        if response.status_code != 202 or not location:
            raise ServiceResponseError(
                f"{path}: expected 202 with an Operation-Location header, got HTTP "
                f"{response.status_code}",
                status=response.status_code,
            )
        if not _same_service(location, self.transport.endpoint):
            raise ServiceResponseError(
                f"{path}: the service asked us to poll {urlsplit(location).hostname}, which is "
                "neither the endpoint nor an Azure host; not sending the key there"
            )
        return location

    def wait(self, url: str, what: str) -> dict[str, Any]:
        """Poll ``url`` until the operation succeeds; return its body. Retry-After on a poll
        sets the next wait; the whole operation is bounded by POLL_DEADLINE."""
        deadline = time.monotonic() + POLL_DEADLINE
        while True:
            response = self.transport.request("GET", url, expect_json=True)
            body = json_body(response, what)
            status = str(body.get("status", "")).lower() if isinstance(body, dict) else ""
            if status == "succeeded":
                return dict(body)
            if status == "failed":
                error = body.get("error") or (body.get("analyzeResult") or {}).get("error")
                detail = error.get("message") if isinstance(error, dict) else None
                raise OperationFailedError(
                    f"{what}: the service could not read the page (operation failed"
                    + (f": {detail})" if detail else ")"),
                    code=error.get("code") if isinstance(error, dict) else None,
                    request_id=_request_id(response, body),
                )
            if status not in ("notstarted", "running"):
                raise ServiceResponseError(f"{what}: unexpected operation status {status!r}")
            header = (response.headers.get("Retry-After") or "").strip()
            wait = float(header) if header.isdigit() else POLL_INTERVAL
            if time.monotonic() + wait > deadline:
                raise ServiceUnavailableError(
                    f"{what}: the operation did not finish within {POLL_DEADLINE:.0f} s"
                )
            _sleep(wait)


class _BrokenAnswer(Exception):
    """The answer's body was cut off (connection reset or timeout mid-body)."""


def _load_body(response: requests.Response, where: str) -> None:
    """Read the whole body now, refusing more than MAX_RESPONSE_BYTES, so that a reset
    mid-body surfaces here (as _BrokenAnswer, which is retried) and a runaway answer cannot
    fill memory."""
    declared = (response.headers.get("Content-Length") or "").strip()
    if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        response.close()
        raise _oversized(where, int(declared))
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(256 * 1024):
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                response.close()
                raise _oversized(where, size)
            chunks.append(chunk)
    except (
        requests.exceptions.ChunkedEncodingError,
        requests.exceptions.ConnectionError,
        requests.exceptions.ContentDecodingError,
    ) as exc:
        response.close()
        raise _BrokenAnswer(f"HTTP {response.status_code}, cut off mid-body") from exc
    # requests keeps a streamed body here once read; .json(), .text and .content use it.
    response._content = b"".join(chunks)


def _oversized(where: str, size: int) -> ServiceResponseError:
    return ServiceResponseError(
        f"{where}: the answer is {size / 1e6:.0f} MB or more, over the "
        f"{MAX_RESPONSE_BYTES / 1e6:.0f} MB an OCR result can sensibly be; not reading it"
    )


def _is_json(response: requests.Response) -> bool:
    try:
        response.json()
    except (ValueError, json.JSONDecodeError):
        return False
    return True


def json_body(response: requests.Response, what: str) -> Any:
    """The decoded JSON of a 2xx reply, or ServiceResponseError naming ``what`` it should be."""
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        raise ServiceResponseError(
            f"{what}: the service answered HTTP {response.status_code} with a body that is not "
            f"JSON ({len(response.content)} bytes)",
            status=response.status_code,
            request_id=_request_id(response, None),
        ) from None


def _describe_origin(url: str) -> str:
    scheme, host, port = _origin(url)
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


def _named_wait(message: str) -> float | None:
    m = _WAIT_IN_MESSAGE.search(message)
    return float(m.group(1)) if m else None


def _short(text: str) -> str:
    """Connection errors from urllib3 are long nested reprs; keep the most telling tail."""
    text = " ".join(text.split())
    m = re.search(r"\[Errno [^\]]+\] [^')\"]+|Connection refused|Connection reset[^')\"]*", text)
    return m.group(0) if m else text[:160]
