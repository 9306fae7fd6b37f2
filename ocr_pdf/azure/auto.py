"""Engine `azure`, the default with an Azure endpoint: Image Analysis 4.0, else legacy OCR."""

from __future__ import annotations

import logging
import threading

from ocr_pdf.azure import image_analysis, legacy_ocr
from ocr_pdf.azure.apis import IMAGE_ANALYSIS, LEGACY_OCR
from ocr_pdf.azure.polling import AzureEngine
from ocr_pdf.engines.base import EngineConfig
from ocr_pdf.errors import ServiceConfigurationError
from ocr_pdf.image.encoding import EncodedImage, ImageLimits
from ocr_pdf.models import PageText
from ocr_pdf.shared_state import Budget

log = logging.getLogger(__name__)


class AzureAutoEngine(AzureEngine):
    """Image Analysis 4.0 (`azure-vision`): the current Read model, one synchronous call per
    page (Read 3.2 needs a POST and at least one poll, each counted against the rate limit),
    word polygons with confidences, supported until 25 Sep 2028. Image Analysis 4.0 is not
    offered in every region: when the endpoint answers 404 (or 405/501) for it, the run
    switches to the legacy OCR API v3.2 (`azure-ocr`), which every Computer Vision resource
    serves."""

    name = "azure"

    def __init__(self, config: EngineConfig) -> None:
        self.engine: AzureEngine = image_analysis.create(config)
        super().__init__(self.engine.transport, config)
        self.settled = False
        self.lock = threading.Lock()
        self._earlier_calls = 0  # made by an engine given up on (4.0 before the fallback)
        self._budget: Budget | None = None

    @property
    def cache_id(self) -> str:
        c = self.config
        return f"azure|{c.endpoint}|{c.model_version}|{c.language}"

    @property
    def calls(self) -> int:
        return self._earlier_calls + self.engine.calls

    def bill_to(self, budget: Budget | None) -> None:
        with self.lock:
            self._budget = budget
            self.engine.bill_to(budget)

    @property
    def accepts(self) -> ImageLimits:  # type: ignore[override]
        # What both APIs take: a page sent to 4.0 can go to the legacy API unchanged.
        return IMAGE_ANALYSIS.limits.within(LEGACY_OCR.limits)

    def recognize_encoded(self, image: EncodedImage) -> PageText:
        engine = self.engine
        try:
            page = engine.recognize_encoded(image)
        except ServiceConfigurationError as err:
            if self.settled or err.status not in (404, 405, 501):
                raise
            with self.lock:
                if self.engine is engine:
                    log.warning(
                        "Image Analysis 4.0 is not offered at %s (HTTP 404); using the legacy "
                        "OCR API v3.2 instead",
                        self.config.endpoint,
                    )
                    self._earlier_calls += self.engine.calls
                    self.engine = legacy_ocr.create(self.config)
                    self.engine.bill_to(self._budget)
                    self.transport = self.engine.transport
                    self.settled = True
            return self.engine.recognize_encoded(image)
        self.settled = True
        return page


def create(config: EngineConfig) -> AzureAutoEngine:
    return AzureAutoEngine(config)
