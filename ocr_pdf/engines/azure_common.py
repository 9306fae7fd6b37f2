"""What the Azure engines share: checking settings, building the transport, rescaling results."""

from __future__ import annotations

from typing import Any

from PIL import Image

from ocr_pdf.engines import EngineConfig
from ocr_pdf.engines.http import AsyncOperations, AzureTransport
from ocr_pdf.errors import ConfigurationError
from ocr_pdf.geometry import rescale
from ocr_pdf.imaging import EncodedImage, ImageLimits, encode_for_limits
from ocr_pdf.models import PageText


def transport_for(config: EngineConfig, engine: str) -> AzureTransport:
    """The transport to the configured endpoint, or a ConfigurationError naming what is missing."""
    if not config.endpoint:
        raise ConfigurationError(
            f"{engine} needs an endpoint: set AZURE_VISION_ENDPOINT or pass --endpoint "
            "(https://<resource>.cognitiveservices.azure.com)"
        )
    if not config.key:
        raise ConfigurationError(
            f"{engine} needs a key: set AZURE_VISION_KEY to one of your resource's keys"
        )
    return AzureTransport(config.endpoint, config.key, timeout=config.timeout, rate=config.rate)


class PollingEngine:
    """An Azure engine that submits a page image and polls for the result (Read 3.2, Document
    Intelligence). Subclasses set the API's path, limits, content type, parser and name."""

    name = ""
    what = ""  # the API's name in messages
    path = ""
    limits: ImageLimits
    default_jobs = 16  # a page waits between polls, holding its worker
    render_dpi = 300.0

    def __init__(self, transport: AzureTransport, params: dict[str, str]) -> None:
        self.transport = transport
        self.operations = AsyncOperations(transport)
        self.params = params
        self.cache_id = f"{self.name}|{transport.endpoint}|{sorted(params.items())}"

    def content_type(self, sent: EncodedImage) -> str:
        return "application/octet-stream"

    def parse(self, body: Any, width: int, height: int) -> PageText:
        raise NotImplementedError

    def recognize(self, image: Image.Image) -> PageText:
        sent = encode_for_limits(image, self.limits)
        url = self.operations.submit(self.path, self.params, sent.data, self.content_type(sent))
        page = self.parse(self.operations.wait(url, self.what), sent.width, sent.height)
        return rescale(page, 1 / sent.scale, image.width, image.height)
