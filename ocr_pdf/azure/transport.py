"""requests: the one HTTP transport of the Azure engines (pooling, retries, timeouts, errors)."""

from __future__ import annotations

import json
import logging
import random
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
from ocr_pdf.azure import envelope
from ocr_pdf.azure.credentials import (
    check_endpoint,
    check_key,
    describe_origin,
    on_loopback,
    origin,
)
from ocr_pdf.azure.envelope import parse_error
from ocr_pdf.azure.ratelimit import MAX_RETRY_WAIT, Limiter, Sleep, limiter_for
from ocr_pdf.costs import Budget
from ocr_pdf.errors import (
    IncompleteAnswerError,
    RateLimitError,
    ServiceConfigurationError,
    ServiceError,
    ServiceResponseError,
    ServiceUnavailableError,
)

log = logging.getLogger(__name__)

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

_default_sleep: Sleep = time.sleep


def set_default_sleep(sleep: Sleep) -> Sleep:
    """Make ``sleep`` do every wait (retries, rate limit, polling) of transports created from
    now on, and return the previous one. The pytest plugin skips waits on replay with it."""
    global _default_sleep
    previous, _default_sleep = _default_sleep, sleep
    return previous


class _Retry(Retry):
    """urllib3 retries for connection errors, 5xx and 429s that carry Retry-After.

    A 429 without the header is left to :meth:`AzureTransport.request`, which reads the wait
    from the message: urllib3 drains the body before it sleeps, so it cannot. urllib3 makes
    new Retry objects as it goes; the transport binds ``limiter`` and ``sleep`` in a subclass
    so that every one of them carries both."""

    limiter: Limiter | None = None
    budget: Budget | None = None
    wait: Sleep = staticmethod(time.sleep)

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        super().sleep(response)
        # The request goes again: it waits its turn, and costs a call unless it is a poll or
        # repeats a 429 (not billed).
        last = self.history[-1] if self.history else None
        if self.budget and last and last.method != "GET" and last.status != 429:
            self.budget.charge()
        if self.limiter is not None:
            self.limiter.acquire()

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code == 429 and not has_retry_after:
            return False
        return super().is_retry(method, status_code, has_retry_after)

    def sleep_for_retry(self, response: BaseHTTPResponse) -> bool:
        # Read the header ourselves: recent urllib3 silently caps Retry-After at 6 hours, which
        # would hide the day-long wait of a spent monthly quota.
        header = (response.headers.get("Retry-After") or "").strip()
        wait = float(header) if header.isdigit() else self.get_retry_after(response)
        if wait is not None and wait > MAX_RETRY_WAIT:
            raise RateLimitError(
                f"rate limit: the service asks to wait {wait:.0f} s, more than the "
                f"{MAX_RETRY_WAIT:.0f} s we wait; the quota may be exhausted, try again later",
                status=429,
            )
        if wait and self.limiter is not None:
            self.limiter.pause(wait)
        if wait:
            self.wait(wait)
            return True
        return False

    def _sleep_backoff(self) -> None:
        backoff = self.get_backoff_time()
        if backoff > 0:
            self.wait(backoff)


class _KeyGuardingSession(requests.Session):
    """A session that follows a redirect only within the origin the request was sent to.

    requests strips only ``Authorization`` when a redirect changes host; our key travels in
    ``Ocp-Apim-Subscription-Key`` and a 307/308 would resend the page image too, so a redirect
    elsewhere is refused before anything is sent there."""

    def rebuild_auth(self, prepared_request: Any, response: requests.Response) -> None:
        source, target = response.request.url or "", prepared_request.url or ""
        if origin(source) != origin(target):
            raise ServiceConfigurationError(
                f"{urlsplit(source).path}: the service redirected the request to "
                f"{describe_origin(target)}, another host than {describe_origin(source)}; not "
                "following it, so that neither the key nor the page goes there: check --endpoint",
                status=response.status_code,
            )
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]


class AzureTransport:
    """One pooled ``requests.Session`` to one Azure endpoint, authenticated by key header
    (no key only for an endpoint on loopback, such as ``ocr-pdf serve``).

    Every call has a timeout; connection errors, 5xx and 429 are retried a bounded number of
    times; every failure becomes one of our :class:`ServiceError` subclasses carrying the status,
    the service's error code and request id, and never the key. Every wait (retries, rate
    limit, polling) goes through ``sleep`` (default: see :func:`set_default_sleep`). Each
    request waits for a slot of the ``rate`` (:func:`limiter_for`), and each that sends a page
    is charged to ``budget`` first, save the repeat of a 429."""

    def __init__(
        self,
        endpoint: str,
        key: str | None,
        *,
        timeout: float = 60.0,
        rate: str | None = None,
        sleep: Sleep | None = None,
        budget: Budget | None = None,
    ) -> None:
        self.endpoint = check_endpoint(endpoint)
        key = check_key(key or "") if key or not on_loopback(endpoint) else None
        self.timeout = timeout
        self.sleep: Sleep = sleep or _default_sleep
        self.limiter = limiter_for(self.endpoint, rate, self.sleep)
        self.budget = budget
        self.session = _KeyGuardingSession()
        policy = {"limiter": self.limiter, "budget": budget, "wait": staticmethod(self.sleep)}
        bound = type("_BoundRetry", (_Retry,), policy)
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
        self.session.headers.update({"User-Agent": f"ocr-pdf/{__version__}"})
        if key is not None:  # None only on loopback: see polling.transport_for
            self.session.headers["Ocp-Apim-Subscription-Key"] = key
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
            except IncompleteAnswerError as broken:
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
                self.sleep(min(BACKOFF_FACTOR * 2.0**attempt, BACKOFF_CAP))
        raise ServiceResponseError(
            f"{where}: the service answered {problem}, {BROKEN_ANSWER_RETRIES + 1} times"
        )

    def _send(self, method: str, url: str, where: str, **kwargs: Any) -> requests.Response:
        """One request with urllib3's retries and our 429 handling; the body is read here."""
        kwargs.setdefault("timeout", (min(10.0, self.timeout), self.timeout))
        if self.budget is not None and method.upper() != "GET":
            self.budget.charge()  # a page is sent: billable (a poll is not, nor a 429 below)
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            if self.limiter is not None:
                self.limiter.acquire()
            response = self._exchange(method, url, where, **kwargs)
            if response.status_code != 429 or attempt == RATE_LIMIT_RETRIES:
                break
            message = parse_error(response)[1]
            wait = envelope.named_wait(message)
            if wait is None:
                wait = min(BACKOFF_FACTOR * 2.0**attempt, BACKOFF_CAP) * (0.5 + random.random() / 2)
            if wait > MAX_RETRY_WAIT:
                break
            log.info("rate limited on %s; waiting %.1f s (%s)", where, wait, message)
            if self.limiter is not None:
                self.limiter.pause(wait)  # everyone waits, then this call goes first
            self.sleep(wait)
        return response

    def _exchange(self, method: str, url: str, where: str, **kwargs: Any) -> requests.Response:
        """One call through the session (urllib3 retrying underneath), its body read, every
        requests exception turned into ours."""
        try:
            response = self.session.request(method, url, stream=True, **kwargs)
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
            reason = envelope.short(str(exc.args[0]) if exc.args else exc.__class__.__name__)
            raise ServiceUnavailableError(
                f"cannot reach {self.endpoint}: {reason}; check --endpoint and the network"
            ) from None
        except requests.exceptions.Timeout:  # a read timeout on the last try
            raise self._timed_out(where) from None
        except requests.exceptions.RequestException as exc:
            raise ServiceUnavailableError(f"{where}: {envelope.short(str(exc))}") from None
        retries = getattr(getattr(response.raw, "retries", None), "history", ())
        with self._count:
            self.calls += 1 + len(retries)
        _load_body(response, where)
        return response

    def _timed_out(self, where: str) -> ServiceUnavailableError:
        return ServiceUnavailableError(
            f"{where}: no answer within {self.timeout:g} s (timeout), retries included; "
            "try again later or raise --timeout"
        )

    def _error(self, response: requests.Response) -> ServiceError:
        code, message, request_id = parse_error(response)
        return envelope.error_for(
            response.status_code,
            code,
            message,
            request_id,
            endpoint=self.endpoint,
            path=urlsplit(response.url).path,
        )


def _load_body(response: requests.Response, where: str) -> None:
    """Read the whole body now, refusing more than MAX_RESPONSE_BYTES, so that a reset
    mid-body surfaces here (as IncompleteAnswerError, which is retried) and a runaway answer
    cannot fill memory."""
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
    ):
        response.close()
        raise IncompleteAnswerError(f"HTTP {response.status_code}, cut off mid-body") from None
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
            request_id=envelope.request_id(response.headers, None),
        ) from None
