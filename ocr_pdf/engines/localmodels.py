"""Which models the local engine runs: the files it takes from RapidOCR's wheel (never
downloaded), the copies derived from them here (:mod:`ocr_pdf.engines.int8`), and the
precision chosen (``OCR_PDF_LOCAL_PRECISION``)."""

from __future__ import annotations

import logging
import time
from importlib import util as importlib_util
from pathlib import Path

from ocr_pdf.errors import MissingDependencyError

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install '.[local]' in a checkout of ocr-pdf ('ocr-pdf[local]' from an index)"

# The wheel's multilingual PP-OCRv6 models: detection, and recognition of CJK and Latin scripts
# (its character set has no Cyrillic, Greek-only or Arabic support worth the name), and the
# small 0/180 line classifier that only the orientation check uses.
DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"
CLS_MODEL = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"

PRECISIONS = ("int8-detector", "float", "int8")
PRECISION_ENV = "OCR_PDF_LOCAL_PRECISION"
"""The models run: ``int8-detector`` (the default: an int8 detector, the float recognizer),
``float`` (the wheel's float models as they are) or ``int8`` (both int8: faster, but it loses
words on real scans; for comparison)."""
FIRST_RUN_SECONDS = {"int8-detector": 20, "int8": 60}
"""About how long building the derived models takes on two cores (measured: 15 s of CPU for
the int8 detector, 30 s more for the int8 recognizer, under a second for the Latin copy)."""


def models_dir() -> Path:
    spec = importlib_util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(
            f"the local engine needs RapidOCR's models: {INSTALL_HINT} (or choose --engine "
            "tesseract)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def choose_models(models: Path, precision: str) -> tuple[Path, Path, Path | None, str]:
    """(detector, recognizer, Latin-only recognizer or None, precision actually used): the
    derived copies when they can be had (built on first use, which is said once, with how
    long it takes), else the wheel's float models."""
    det, rec = models / DET_MODEL, models / REC_MODEL
    try:
        from ocr_pdf.engines import int8

        started = time.monotonic()
        said: list[bool] = []

        def announce(folder: Path) -> None:
            if not said:
                said.append(True)
                log.warning(
                    "preparing the local engine's models for this machine (once, about %d s; "
                    "kept in %s)",
                    FIRST_RUN_SECONDS.get(precision, 5),
                    folder,
                )

        if precision != "float":
            det = int8.int8_model(det, "det", announce=announce)
        if precision == "int8":
            rec = int8.int8_model(rec, "rec", announce=announce)
        latin = int8.latin_model(rec, announce=announce)
        if said:
            log.warning("the local engine's models are ready (%.0f s)", time.monotonic() - started)
        return det, rec, latin, precision
    except (OSError, MissingDependencyError) as exc:
        # A read-only cache folder or a missing onnx package costs speed, never the run.
        log.warning("the local engine runs its slower float models: %s", exc)
        return models / DET_MODEL, models / REC_MODEL, None, "float"
