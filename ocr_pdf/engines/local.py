"""The bundled offline engine `local`: RapidOCR with the models that ship inside its wheel."""

from __future__ import annotations

import logging
import os
from importlib import util as importlib_util
from pathlib import Path
from typing import Any

from PIL import Image

from ocr_pdf.engines.base import Engine, EngineConfig
from ocr_pdf.errors import ConfigurationError, MissingDependencyError, OcrEngineError
from ocr_pdf.geometry import group_lines
from ocr_pdf.models import Line, PageText, Quad, Word

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install '.[local]' in a checkout of ocr-pdf ('ocr-pdf[local]' from an index)"

# The wheel's multilingual PP-OCRv6 models: detection, and recognition of CJK and Latin scripts
# (its character set has no Cyrillic, Greek-only or Arabic support worth the name).
DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"

# -l values this model reads, in the spellings users bring (ours, Azure's, Tesseract's).
LANGUAGES = {
    "unk", "en", "eng", "zh", "zh-hans", "zh-hant", "ch", "chi_sim", "chi_tra", "ja", "jpn",
    "de", "deu", "fr", "fra", "es", "spa", "it", "ita", "pt", "por", "nl", "nld", "da", "dan",
    "sv", "swe", "nb", "no", "nor", "fi", "fin", "pl", "pol", "cs", "ces", "sk", "slk", "hu",
    "hun", "ro", "ron", "tr", "tur", "hr", "hrv", "sl", "slv", "et", "est", "lv", "lav", "lt",
    "lit", "sr-latn", "id", "ind", "vi", "vie", "ca", "cat", "la", "lat",
}  # fmt: skip

# Detection runs on the page scaled so that its longer side is this many pixels; recognition
# still reads the crops at full resolution. Measured on 300 dpi letter pages on 2 cores:
# detection at full resolution took 3.4 s, at 1280 px 0.8 s, at 1024 px 0.5 s, with the same
# error rate on 10-13 pt text (recognition, ~1.3 s for 300 words, is then the larger part).
DETECTION_SIDE = 1024


def _models_dir() -> Path:
    spec = importlib_util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(
            f"the local engine needs RapidOCR: {INSTALL_HINT} (or choose --engine tesseract)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


class RapidOcrEngine(Engine):
    """RapidOCR (PaddleOCR models on onnxruntime), word-level results.

    Its text-direction classifier stays off: with it on, whole upright lines were misread as
    upside down and dropped. The engine declares itself ``upright_only``, so pages whose text
    is sideways or upside down are handled by :mod:`ocr_pdf.engines.orientation` around it."""

    name = "local"
    default_jobs = 1  # onnxruntime already spreads one page over every core
    render_dpi = None  # the scan's own resolution: recognition rescales every crop anyway
    upright_only = True

    def __init__(self, threads: int = 0, config: EngineConfig | None = None) -> None:
        super().__init__(config)
        models = _models_dir()
        missing = [m for m in (DET_MODEL, REC_MODEL) if not (models / m).is_file()]
        if missing:
            # RapidOCR would fetch a missing model from the internet; we never do.
            raise MissingDependencyError(
                f"RapidOCR's wheel at {models} lacks {', '.join(missing)}; ocr-pdf never "
                f"downloads models: reinstall with {INSTALL_HINT}"
            )
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:
            raise MissingDependencyError(
                f"the local engine cannot load RapidOCR ({exc}); {INSTALL_HINT}"
            ) from None
        threads = threads or os.cpu_count() or 1
        from importlib.metadata import version

        self._cache_id = (
            f"local|rapidocr {version('rapidocr')}|{DET_MODEL}|{REC_MODEL}|{DETECTION_SIDE}"
        )
        self._ocr = RapidOCR(
            params={
                "Global.use_cls": False,
                "Global.log_level": "error",
                "Global.return_word_box": True,
                "Det.model_path": str(models / DET_MODEL),
                "Rec.model_path": str(models / REC_MODEL),
                "Det.limit_type": "max",
                "Det.limit_side_len": DETECTION_SIDE,
                "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )

    @property
    def cache_id(self) -> str:
        return self._cache_id

    def recognize(self, image: Image.Image) -> PageText:
        import numpy as np

        rgb = image.convert("RGB")
        try:
            result: Any = self._ocr(np.asarray(rgb), use_cls=False, return_word_box=True)
        except Exception as exc:  # RapidOCR raises bare exceptions on odd inputs
            raise OcrEngineError(f"the local engine failed: {exc}") from None
        return PageText(image.width, image.height, group_lines(parse_word_results(result)))

    def review(self, text: PageText) -> str | None:
        if looks_unread(text):
            return (
                "reads mostly as short, unsure fragments: if its text is Cyrillic, Greek, "
                "Arabic, Hebrew, Korean or another script the local engine does not read, use "
                "--engine tesseract -l rus (ell, ara, heb, kor, ...) or an Azure engine"
            )
        return None


def looks_unread(page: PageText) -> bool:
    """Whether most lines read as fragments: every word of two letters or fewer, read with
    little confidence. That is what the model makes of a script it was not trained on (a
    Russian line comes out as ":" or ","), and never what it makes of text it reads."""
    lines = [ln for ln in page.lines if ln.words]
    if len(lines) < 2:
        return False

    def fragment(line: Line) -> bool:
        confidences = [w.confidence or 0.0 for w in line.words]
        short = all(sum(ch.isalnum() for ch in w.text) <= 2 for w in line.words)
        return short and sum(confidences) / len(confidences) < 0.9

    fragments = sum(fragment(ln) for ln in lines)
    return fragments >= 2 and fragments >= 0.2 * len(lines)


def parse_word_results(result: Any) -> list[Line]:
    """RapidOCR's ``word_results`` as our lines, in pixels of the image it read.

    Each line is a sequence of ``(text, score, box)`` with ``box`` four ``[x, y]`` corners. A
    page with no text comes back as ``(('', 1.0, None),)`` (rapidocr 3.x): a line whose box is
    missing, or whose shape is anything else, holds no word."""
    lines: list[Line] = []
    for line in getattr(result, "word_results", None) or ():
        words = []
        for entry in line or ():
            if not isinstance(entry, (tuple, list)) or len(entry) != 3:
                continue
            text, score, box = entry
            if not str(text).strip() or box is None or len(box) != 4:
                continue
            (ax, ay), (bx, by), (cx, cy), (dx, dy) = (tuple(map(float, p)) for p in box)
            quad: Quad = ((ax, ay), (bx, by), (cx, cy), (dx, dy))
            words.append(Word(str(text).strip(), quad, float(score)))
        if words:
            lines.append(Line(tuple(words)))
    return lines


def create(config: EngineConfig) -> RapidOcrEngine:
    # -l eng+deu (Tesseract's and OCRmyPDF's spelling) asks for several: each must be one the
    # model reads, which all share one model.
    parts = (config.language or "unk").lower().replace(",", "+").split("+")
    unread = [part for part in parts if part.strip() and part.strip() not in LANGUAGES]
    if unread:
        raise ConfigurationError(
            f"the local engine's model does not read language {unread[0]!r} of "
            f"{config.language!r} (it reads Latin-script languages, Chinese and Japanese); use "
            "--engine tesseract -l ... or Azure"
        )
    return RapidOcrEngine(config=config)
