"""requests: the one HTTP transport of the Azure engines (pooling, retries, timeouts, errors).

Every call is one loop around one request, under one retry policy (:class:`Retries`): each
kind of trouble has its own bound, and all of them together one more (``RETRIES``, whose
product docs/azure.md states). What carries the requests is a requests adapter: the network's
by default, or one given (:func:`set_default_adapter`; the pytest plugin answers from a
cassette that way), as httpx's transports are given."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import BaseAdapter, HTTPAdapter

from ocr_pdf._version import __version__
from ocr_pdf.azure import envelope
from ocr_pdf.azure.credentials import KeyGuardingSession, check_endpoint, check_key, on_loopback
from ocr_pdf.azure.envelope import parse_error
from ocr_pdf.azure.ratelimit import MAX_RETRY_WAIT, Sleep, limiter_for
from ocr_pdf.errors import (
    IncompleteAnswerError,
    OcrPdfError,
    RateLimitError,
    ServiceError,
    ServiceResponseError,
    ServiceUnavailableError,
)
from ocr_pdf.shared_state import Budget

log = logging.getLogger(__name__)

BACKOFF_FACTOR = 0.5
"""Exponential backoff base in seconds, used when the service names no wait: the n-th retry
of a call waits BACKOFF_FACTOR * 2**(n-1), at most BACKOFF_CAP."""
BACKOFF_CAP = 30.0
"""Longest backoff between two tries, in seconds."""

RETRIES = {
    "connect": 3,  # no connection made (refused, unreachable, connect timeout)
    "read": 2,  # sent, and no answer came (read timeout, connection dropped)
    "broken": 2,  # an answer cut off mid-body, or a 2xx that is not the JSON it must be
    "status": 4,  # HTTP 500, 502, 503, 504
    "throttled": 6,  # HTTP 429 (the wait it names, or a backoff with jitter)
    "total": 10,  # all of the above together, for one call
}
"""How many times one call is tried again, by kind of trouble: at most 1 + 10 requests per call
(the kinds' own bounds add up to 17; the total caps them)."""

RETRIED_STATUSES = frozenset({500, 502, 503, 504})

MAX_RESPONSE_BYTES = 50_000_000
"""Largest answer body we read. The densest page's Read result is a few MB."""

_default_sleep: Sleep = time.sleep


_answering: BaseAdapter | None = None


class _Routed(BaseAdapter):
    """A transport's own adapter when it is given none: the network (a pool of connections
    with no retries down there, the transport's loop being the one retry policy), or the
    adapter set with :func:`set_default_adapter` while one is, looked up at each send."""

    def __init__(self) -> None:
        super().__init__()
        self.network = HTTPAdapter(max_retries=0, pool_connections=4, pool_maxsize=16)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        return (_answering or self.network).send(request, *args, **kwargs)

    def close(self) -> None:
        self.network.close()


def set_default_sleep(sleep: Sleep) -> Sleep:
    """Make ``sleep`` do every wait (retries, rate limit, polling) of transports created from
    now on, and return the previous one. The pytest plugin skips waits on replay with it."""
    global _default_sleep
    previous, _default_sleep = _default_sleep, sleep
    return previous


def set_default_adapter(adapter: BaseAdapter | None) -> BaseAdapter | None:
    """Send the requests of every transport that was given no adapter of its own through
    ``adapter`` (a requests adapter: ``send(request, ...)`` returns the response) from now on,
    or through the network again (None); return the previous one. Retries, limits, budgets
    and errors stay the transport's. The pytest plugin answers from a cassette this way."""
    global _answering
    previous, _answering = _answering, adapter
    return previous


@dataclass(frozen=True)
class Trouble:
    """What went wrong with one try: its ``kind`` (a key of RETRIES), the ``wait`` the service
    named (None: back off), and the ``error`` to raise if it is not tried again."""

    kind: str
    error: OcrPdfError
    wait: float | None = None


class Retries:
    """The retry policy of one call: whether a trouble of a kind is tried again (within its
    kind's bound and the total), and after how long."""

    def __init__(self) -> None:
        self.done: dict[str, int] = dict.fromkeys(RETRIES, 0)

    def next_wait(self, trouble: Trouble) -> float | None:
        """Seconds to wait before trying again, or None when the bounds are spent."""
        kind = trouble.kind
        if self.done[kind] >= RETRIES[kind] or self.done["total"] >= RETRIES["total"]:
            return None
        self.done[kind] += 1
        self.done["total"] += 1
        if trouble.wait is not None:
            return trouble.wait
        backoff = min(BACKOFF_FACTOR * 2.0 ** (self.done[kind] - 1), BACKOFF_CAP)
        if kind == "throttled":  # spread the callers a 429 turned back together
            backoff *= 0.5 + random.random() / 2
        return backoff


class AzureTransport:
    """One pooled ``requests.Session`` to one Azure endpoint, authenticated by key header
    (no key only for an endpoint on loopback, such as ``ocr-pdf serve``).

    Every call has a timeout; connection errors, timeouts, broken answers, 5xx and 429 are
    tried again within RETRIES; every failure becomes one of our :class:`ServiceError`
    subclasses carrying the status, the service's error code and request id, and never the
    key. Every wait (retries, rate limit, polling) goes through ``sleep`` (default: see
    :func:`set_default_sleep`). Each request waits for a slot of the ``rate``
    (:func:`limiter_for`), and each that sends a page is charged to ``budget`` first, save the
    repeat of a 429. ``adapter`` carries the requests (default: see
    :func:`set_default_adapter`)."""

    def __init__(
        self,
        endpoint: str,
        key: str | None,
        *,
        timeout: float = 60.0,
        rate: str | None = None,
        sleep: Sleep | None = None,
        budget: Budget | None = None,
        adapter: BaseAdapter | None = None,
    ) -> None:
        self.endpoint = check_endpoint(endpoint)
        key = check_key(key or "") if key or not on_loopback(endpoint) else None
        self.timeout = timeout
        self.sleep: Sleep = sleep or _default_sleep
        self.limiter = limiter_for(self.endpoint, rate, self.sleep)
        self.budget = budget
        self.session = KeyGuardingSession()
        adapter = adapter or _Routed()
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers.update({"User-Agent": f"ocr-pdf/{__version__}"})
        if key is not None:  # None only on loopback: see polling.transport_for
            self.session.headers["Ocp-Apim-Subscription-Key"] = key
        self.calls = 0  # HTTP requests answered, retries included
        self._count = threading.Lock()

    def url(self, path: str) -> str:
        return self.endpoint + path

    def request(
        self, method: str, url: str, *, expect_json: bool = False, **kwargs: Any
    ) -> requests.Response:
        """Send, ride out what RETRIES allows, and return a 2xx response (with JSON when
        ``expect_json``) or raise a ServiceError. A body over MAX_RESPONSE_BYTES is refused
        without being read."""
        where = urlsplit(url).path
        kwargs.setdefault("timeout", (min(10.0, self.timeout), self.timeout))
        retries = Retries()
        throttled = False
        while True:
            # A page sent is billable, save the repeat of a 429 (not billed); a poll is not.
            if self.budget is not None and method.upper() != "GET" and not throttled:
                self.budget.charge()
            if self.limiter is not None:
                self.limiter.acquire()
            outcome = self._try(method, url, where, expect_json, **kwargs)
            if isinstance(outcome, requests.Response):
                return outcome
            wait = retries.next_wait(outcome)
            if wait is None:
                raise outcome.error
            throttled = outcome.kind == "throttled"
            if self.limiter is not None and (throttled or outcome.wait is not None):
                self.limiter.pause(wait)  # everyone waits, then this call goes first
            log.info("%s: %s; trying again in %.1f s", where, outcome.error, wait)
            self.sleep(wait)

    def _try(
        self, method: str, url: str, where: str, expect_json: bool, **kwargs: Any
    ) -> requests.Response | Trouble:
        """One request, its body read: the response if it is an answer to keep, the Trouble
        if it is worth another try; any other failure raised as ours."""
        try:
            response = self.session.request(method, url, stream=True, **kwargs)
        except requests.exceptions.RequestException as exc:
            return self._unanswered(exc, where)
        with self._count:
            self.calls += 1
        broken = RETRIES["broken"] + 1
        try:
            _load_body(response, where)
        except IncompleteAnswerError as cut:
            return Trouble("broken", _broken(where, str(cut), broken))
        status = response.status_code
        if status == 429 or status in RETRIED_STATUSES:
            return self._refusal(response, where)
        if status >= 400:
            raise self._error(response)
        if expect_json and not _is_json(response):
            problem = f"HTTP {status} with a body that is not JSON ({len(response.content)} bytes)"
            return Trouble("broken", _broken(where, problem, broken))
        return response

    def _refusal(self, response: requests.Response, where: str) -> Trouble:
        """A 429 or a 5xx, and the wait it names (its Retry-After header, or for a 429 its
        message): longer than MAX_RETRY_WAIT is given up at once."""
        error = self._error(response)
        wait = envelope.retry_after(response.headers)
        if wait is not None and wait > MAX_RETRY_WAIT:
            raise RateLimitError(
                f"rate limit: the service asks to wait {wait:.0f} s, more than the "
                f"{MAX_RETRY_WAIT:.0f} s we wait; the quota may be exhausted, try again later",
                status=response.status_code,
            )
        if response.status_code != 429:
            return Trouble("status", error, wait)
        if wait is None:
            wait = envelope.named_wait(parse_error(response)[1])
        if wait is not None and wait > MAX_RETRY_WAIT:
            raise error  # a spent quota names a day: failing now beats hanging a batch
        return Trouble("throttled", error, wait)

    def _unanswered(self, exc: requests.exceptions.RequestException, where: str) -> Trouble:
        """A request that got no answer: a Trouble (connect or read) or, for anything else
        requests refuses (a bad URL), ServiceUnavailableError at once."""
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return Trouble("connect", self._timed_out(where))
        if isinstance(exc, requests.exceptions.Timeout):  # a read timeout
            return Trouble("read", self._timed_out(where))
        if not isinstance(exc, requests.exceptions.ConnectionError):
            raise ServiceUnavailableError(f"{where}: {envelope.short(str(exc))}") from None
        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", reason)
        # NewConnectionError (refused) subclasses ConnectTimeoutError in urllib3 2.
        refused = isinstance(reason, urllib3.exceptions.NewConnectionError)
        if isinstance(reason, urllib3.exceptions.TimeoutError) and not refused:
            return Trouble("read", self._timed_out(where))
        text = envelope.short(str(exc.args[0]) if exc.args else exc.__class__.__name__)
        unreachable = ServiceUnavailableError(
            f"cannot reach {self.endpoint}: {text}; check --endpoint and the network"
        )
        return Trouble("connect" if refused else "read", unreachable)

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


def _broken(where: str, problem: str, times: int) -> ServiceResponseError:
    return ServiceResponseError(f"{where}: the service answered {problem}, {times} times")


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
