"""Engine `azure`, the default with an Azure endpoint: Image Analysis 4.0, else legacy OCR."""

from __future__ import annotations

import logging
import threading

from PIL import Image

from ocr_pdf.engines import EngineConfig, OcrEngine, azure_ocr, azure_vision
from ocr_pdf.errors import ServiceConfigurationError
from ocr_pdf.models import PageText

log = logging.getLogger(__name__)


class AzureAutoEngine:
    """Image Analysis 4.0 (`azure-vision`): the current Read model, one synchronous call per
    page (Read 3.2 needs a POST and at least one poll, each counted against the rate limit),
    word polygons with confidences, supported until 25 Sep 2028. Image Analysis 4.0 is not
    offered in every region: when the endpoint answers 404 (or 405/501) for it, the run
    switches to the legacy OCR API v3.2 (`azure-ocr`), which every Computer Vision resource
    serves."""

    name = "azure"
    default_jobs = 6
    render_dpi = 300.0

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.engine: OcrEngine = azure_vision.create(config)
        self.transport = getattr(self.engine, "transport", None)
        self.cache_id = f"azure|{config.endpoint}|{config.model_version}|{config.language}"
        self.settled = False
        self.lock = threading.Lock()

    def recognize(self, image: Image.Image) -> PageText:
        engine = self.engine
        try:
            page = engine.recognize(image)
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
                    self.engine = azure_ocr.create(self.config)
                    self.transport = getattr(self.engine, "transport", None)
                    self.settled = True
            return self.engine.recognize(image)
        self.settled = True
        return page


def create(config: EngineConfig) -> AzureAutoEngine:
    return AzureAutoEngine(config)
