"""Engine `replay`: the results saved by --ocr-json, served again with no service and no model."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from ocr_pdf.cache import pixel_digest
from ocr_pdf.engines import EngineConfig
from ocr_pdf.errors import ConfigurationError, InputFileError, OcrEngineError
from ocr_pdf.models import PageText
from ocr_pdf.serialize import BadPageData, page_from_dict


class ReplayEngine:
    """Answers each page image with the result saved for exactly that image (by the SHA-256 of
    its pixels), so a conversion is reproduced page for page, offline and for free."""

    name = "replay"
    default_jobs = 1

    def __init__(self, source: Path) -> None:
        self.source = source
        try:
            record = json.loads(source.read_text(encoding="utf-8"))
            pages = record["pages"] if record.get("format") == "ocr-pdf/document" else None
            if not isinstance(pages, list):
                raise BadPageData("not an ocr-pdf/document file")
            self.results = {p["image"]["sha256"]: page_from_dict(p["result"]) for p in pages}
            self.dpis = {int(p["number"]) - 1: float(p["dpi"]) for p in pages}
        except FileNotFoundError:
            raise InputFileError(f"{source}: no such file (the --ocr-json to replay)") from None
        except (OSError, ValueError, KeyError, TypeError, BadPageData) as exc:
            raise InputFileError(
                f"{source}: not a file written by --ocr-json ({exc.__class__.__name__}: {exc})"
            ) from None
        self.cache_id = f"replay|{source.resolve()}"

    def page_dpi(self, index: int) -> float | None:
        """The resolution page ``index`` (0-based) was rendered at when it was saved."""
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
    return ReplayEngine(Path(config.source))
