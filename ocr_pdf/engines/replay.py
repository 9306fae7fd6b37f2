"""Engine `replay`: the results saved by --ocr-json, served again with no service and no model."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from ocr_pdf.cache import pixel_digest
from ocr_pdf.engines.base import Engine, EngineConfig
from ocr_pdf.errors import ConfigurationError, OcrEngineError
from ocr_pdf.formats import document
from ocr_pdf.models import PageText


class ReplayEngine(Engine):
    """Answers each page image with the result saved for exactly that image (by the SHA-256 of
    its pixels), so a conversion is reproduced page for page, offline and for free."""

    name = "replay"

    def __init__(self, source: Path, config: EngineConfig | None = None) -> None:
        super().__init__(config)
        self.source = source
        saved = document.load(source)
        self.results = {p.digest: p.text for p in saved}
        self.dpis = {p.index: p.dpi for p in saved}

    @property
    def cache_id(self) -> str:
        return f"replay|{self.source.resolve()}"

    def saved_dpi(self, index: int) -> float | None:
        return self.dpis.get(index)

    def recognize(self, image: Image.Image) -> PageText:
        found = self.results.get(pixel_digest(image))
        if found is None:
            raise OcrEngineError(
                f"no saved result for this page in {self.source}; it was saved from another "
                "PDF, from other pages, or at another --dpi"
            )
        return found


def create(config: EngineConfig) -> ReplayEngine:
    if not config.source:
        raise ConfigurationError(
            "--engine replay needs --ocr-json FILE (a file written by --ocr-json)"
        )
    return ReplayEngine(Path(config.source), config)
