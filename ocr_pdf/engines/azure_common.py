"""What the Azure engines share: checking settings, building the transport, rescaling results."""

from __future__ import annotations

from ocr_pdf.engines import EngineConfig
from ocr_pdf.engines.http import AzureTransport
from ocr_pdf.errors import ConfigurationError
from ocr_pdf.geometry import scale_quad
from ocr_pdf.models import Line, PageText, Word


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


def rescale(page: PageText, factor: float, width: int, height: int) -> PageText:
    """A PageText measured on a scaled copy of an image, expressed on the original image."""
    lines = tuple(
        Line(
            tuple(Word(w.text, scale_quad(w.quad, factor, factor), w.confidence) for w in ln.words)
        )
        for ln in page.lines
    )
    return PageText(width, height, lines, page.angle, page.language)
