"""Engine `replay`: the results saved by --ocr-json, served again with no service and no model."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from ocr_pdf.engines.base import Engine, EngineConfig
from ocr_pdf.errors import ConfigurationError, OcrEngineError
from ocr_pdf.formats import document
from ocr_pdf.image.encoding import EncodedImage, ImageLimits
from ocr_pdf.models import PageText
from ocr_pdf.reading.cache import bytes_digest, pixel_digest


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
        self.from_scan = {p.index: p.from_scan for p in saved}
        if any(self.from_scan.values()):
            # Pages read from their scan's own image are matched by its bytes, whatever they
            # are: any format and size is taken, the saved results say which page is which.
            self.accepts = ImageLimits(1, 1 << 30, 1 << 62, formats=frozenset({"JPEG", "PNG"}))

    @property
    def cache_id(self) -> str:
        return f"replay|{self.source.resolve()}"

    def saved_dpi(self, index: int) -> float | None:
        return None if self.from_scan.get(index) else self.dpis.get(index)

    def saved_as_image(self, index: int) -> bool | None:
        return self.from_scan.get(index)

    def recognize_encoded(self, image: EncodedImage) -> PageText:
        return self._saved(bytes_digest(image.data))

    def recognize(self, image: Image.Image) -> PageText:
        return self._saved(pixel_digest(image))

    def _saved(self, digest: str) -> PageText:
        found = self.results.get(digest)
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
