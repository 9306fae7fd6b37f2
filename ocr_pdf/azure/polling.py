"""What the Azure engines share: building the transport from settings, and submit-and-poll for
the asynchronous APIs (Read 3.2, Document Intelligence)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from PIL import Image

from ocr_pdf.azure import envelope
from ocr_pdf.azure.apis import Api
from ocr_pdf.azure.credentials import on_loopback
from ocr_pdf.azure.transport import AzureTransport, json_body
from ocr_pdf.engines.base import Engine, EngineConfig, OperationNotes
from ocr_pdf.errors import (
    ConfigurationError,
    OperationFailedError,
    OperationLostError,
    ServiceConfigurationError,
    ServiceResponseError,
    ServiceUnavailableError,
)
from ocr_pdf.geometry import rescale
from ocr_pdf.image.encoding import EncodedImage, ImageLimits, encode_for_limits
from ocr_pdf.models import PageText
from ocr_pdf.reading.resolution import SERVICE_DPI
from ocr_pdf.shared_state import Budget

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

POLL_INTERVAL = 1.0
"""Seconds between polls of an asynchronous operation when the service names no wait (the
docs advise 1 to 2 s; every poll counts toward the rate limit)."""
POLL_DEADLINE = 120.0
"""Seconds an operation may take, polls included, before we give up on it."""

_AZURE_HOST_SUFFIXES = (".cognitive.microsoft.com", ".cognitiveservices.azure.com", ".azure.com")


def transport_for(config: EngineConfig, engine: str) -> AzureTransport:
    """The transport to the configured endpoint, or a ConfigurationError naming what is missing."""
    if not config.endpoint:
        raise ConfigurationError(
            f"{engine} needs an endpoint: set AZURE_VISION_ENDPOINT or pass --endpoint "
            "(https://<resource>.cognitiveservices.azure.com)"
        )
    if not config.key and not on_loopback(config.endpoint):
        # On loopback (`ocr-pdf serve` without OCR_PDF_SERVE_KEY) no key is needed; a server
        # there that wants one answers 401, which names AZURE_VISION_KEY.
        raise ConfigurationError(
            f"{engine} needs a key: set AZURE_VISION_KEY to one of your resource's keys"
        )
    return AzureTransport(
        config.endpoint,
        config.key,
        timeout=config.timeout,
        rate=config.rate,
    )


class AzureEngine(Engine):
    """An engine that reads pages through an Azure API: 300 dpi renders, pages read six at
    a time (calls wait on the network, not on our CPU), the transport's calls counted and
    charged to the run's budget (:class:`ocr_pdf.engines.base.Billed`). A page image is fitted
    to the API's limits; a scan's own image that already fits is sent as it is
    (``accepts``)."""

    default_jobs = 6
    render_dpi = SERVICE_DPI
    requests_per_page = 1
    api: Api

    def __init__(self, transport: AzureTransport, config: EngineConfig | None = None) -> None:
        super().__init__(config)
        self.transport = transport

    @property
    def accepts(self) -> ImageLimits:  # type: ignore[override]
        return self.api.limits

    def recognize(self, image: Image.Image) -> PageText:
        sent = encode_for_limits(image, self.accepts)
        page = self.recognize_encoded(sent)
        return rescale(page, 1 / sent.scale, image.width, image.height)

    @property
    def calls(self) -> int:
        return self.transport.calls

    def bill_to(self, budget: Budget | None) -> None:
        """Charge ``budget`` for every request that sends a page (:class:`Billed`)."""
        self.transport.budget = budget

    def close(self) -> None:
        self.transport.session.close()


def same_service(url: str, endpoint: str) -> bool:
    """Whether we may send our key to ``url``: the endpoint's own host, or an Azure host over
    https (Read returned regional hosts such as westus.api.cognitive.microsoft.com)."""
    target, own = urlsplit(url), urlsplit(endpoint)
    try:
        # Another port of the same host is another server (a loopback endpoint's neighbour).
        defaults = {"http": 80, "https": 443}
        same_port = (target.port or defaults.get(target.scheme)) == (
            own.port or defaults.get(own.scheme)
        )
    except ValueError:
        return False
    if (target.scheme, target.hostname) == (own.scheme, own.hostname) and same_port:
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
        if not same_service(location, self.transport.endpoint):
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
            response = self._poll(url, what)
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
                    request_id=envelope.request_id(response.headers, body),
                )
            if status not in ("notstarted", "running"):
                raise ServiceResponseError(f"{what}: unexpected operation status {status!r}")
            header = (response.headers.get("Retry-After") or "").strip()
            wait = float(header) if header.isdigit() else POLL_INTERVAL
            if time.monotonic() + wait > deadline:
                raise ServiceUnavailableError(
                    f"{what}: the operation did not finish within {POLL_DEADLINE:.0f} s"
                )
            self.transport.sleep(wait)

    def _poll(self, url: str, what: str) -> requests.Response:
        """One poll. A 404 or 410 here is not a wrong endpoint (the submission to it was
        accepted): the service lost the operation, having restarted or expired it."""
        try:
            return self.transport.request("GET", url, expect_json=True)
        except ServiceConfigurationError as err:
            if err.status not in (404, 410):
                raise
            raise OperationLostError(
                f"{what}: the service lost the operation (HTTP {err.status} when polling it; "
                "it may have restarted)",
                status=err.status,
                code=err.code,
                request_id=err.request_id,
            ) from None


class PollingEngine(AzureEngine):
    """An Azure engine that submits a page image and polls for the result (Read 3.2, Document
    Intelligence). Subclasses set the API, its name in messages and its parser."""

    default_jobs = 16  # a page waits between polls, holding its worker
    requests_per_page = 2  # a submit and at least one poll
    what = ""  # the API's name in messages
    api: Api

    def __init__(
        self, transport: AzureTransport, params: dict[str, str], config: EngineConfig | None = None
    ) -> None:
        super().__init__(transport, config)
        self.operations = AsyncOperations(transport)
        self.params = params

    @property
    def cache_id(self) -> str:
        return f"{self.name}|{self.transport.endpoint}|{sorted(self.params.items())}"

    def content_type(self, sent: EncodedImage) -> str:
        return "application/octet-stream"

    def parse(self, body: Any, width: int, height: int) -> PageText:
        raise NotImplementedError

    def recognize_encoded(self, image: EncodedImage) -> PageText:
        return self.parse(self._analyze(image, None), image.width, image.height)

    def recognize_resuming(self, image: EncodedImage, notes: OperationNotes) -> PageText:
        return self.parse(self._analyze(image, notes), image.width, image.height)

    def _analyze(self, sent: EncodedImage, notes: OperationNotes | None) -> Any:
        """The succeeded operation's body: the one ``notes`` holds if the service still has
        it (a run killed while polling paid for it already), else a new one, noted as soon
        as it is submitted. An operation the service lost is submitted once more (the page is
        paid for twice at most); lost again, the page fails."""
        earlier = notes.pending() if notes is not None else None
        if earlier is not None and same_service(earlier, self.transport.endpoint):
            try:
                return self.operations.wait(earlier, self.what)
            except (OperationLostError, OperationFailedError, ServiceUnavailableError) as gone:
                log.info("%s (an operation submitted before); submitting the page again", gone)
        try:
            return self.operations.wait(self._submit(sent, notes), self.what)
        except OperationLostError as lost:
            log.info("%s; submitting the page again", lost)
        return self.operations.wait(self._submit(sent, notes), self.what)

    def _submit(self, sent: EncodedImage, notes: OperationNotes | None) -> str:
        kind = self.content_type(sent)
        url = self.operations.submit(self.api.path, self.params, sent.data, kind)
        if notes is not None:
            notes.note(url)
        return url
