"""The bundled offline engine `local`: RapidOCR with the models that ship inside its wheel."""

from __future__ import annotations

import logging
import os
import threading
from importlib import util as importlib_util
from pathlib import Path
from typing import Any

from PIL import Image

from ocr_pdf.engines.base import Engine, EngineConfig
from ocr_pdf.engines.orientation import TRANSPOSE, LineVote, score, turn_from_lines, unturn
from ocr_pdf.errors import ConfigurationError, MissingDependencyError, OcrEngineError
from ocr_pdf.geometry import group_lines
from ocr_pdf.models import Line, PageText, Quad, Word

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install '.[local]' in a checkout of ocr-pdf ('ocr-pdf[local]' from an index)"

# The wheel's multilingual PP-OCRv6 models: detection, and recognition of CJK and Latin scripts
# (its character set has no Cyrillic, Greek-only or Arabic support worth the name), and the
# small 0/180 line classifier that only the orientation check uses.
DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"
CLS_MODEL = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"

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

# Lines are recognised one at a time: batches are padded to their widest line, and on one
# thread a batch of 6 cost 10% more CPU per line than single lines (batches of 32: 20% more).
REC_BATCH = 1

# Lines whose crops the orientation classifier sees: the longest ones, which say the most.
PROBE_LINES = 24
# When the classifier's vote is close, this many lines are read both ways to decide.
CHECK_LINES = 4

PRECISIONS = ("int8", "float")
PRECISION_ENV = "OCR_PDF_LOCAL_PRECISION"
"""Set to "float" to run the wheel's float models as they are (slower; for comparison)."""


def _models_dir() -> Path:
    spec = importlib_util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(
            f"the local engine needs RapidOCR: {INSTALL_HINT} (or choose --engine tesseract)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def _choose_models(models: Path, precision: str) -> tuple[Path, Path, str]:
    """(detection model, recognition model, precision actually used): the int8 copies when
    they can be had (built on first use), else the wheel's float models."""
    det, rec = models / DET_MODEL, models / REC_MODEL
    if precision != "int8":
        return det, rec, "float"
    from ocr_pdf.engines import int8

    try:
        return int8.int8_model(det, "det"), int8.int8_model(rec, "rec"), "int8"
    except (OSError, MissingDependencyError) as exc:
        # A read-only cache folder or a missing onnx package costs speed, never the run.
        log.warning("the local engine runs its slower float models: %s", exc)
        return det, rec, "float"


class RapidOcrEngine(Engine):
    """RapidOCR (PaddleOCR models on onnxruntime), word-level results, any orientation.

    Each page is read on one thread and ``default_jobs`` pages at once (one per core): on two
    cores, onnxruntime spreading one page over both threads cost 35% more CPU per page than
    one thread per page, since these models' layers are too small to split well.

    Pages whose text is sideways or upside down are found before recognition (see
    :func:`ocr_pdf.engines.orientation.turn_from_lines`): RapidOCR's text-direction
    classifier is only asked about the page as a whole, never allowed to flip single lines
    (which, per line, misread whole upright lines as upside down). Hence ``upright_only`` is
    False: the registry's :class:`~ocr_pdf.engines.orientation.OrientationCorrected`, which
    reads a turned page up to five times, is not needed around it."""

    name = "local"
    render_dpi = None  # the scan's own resolution: recognition rescales every crop anyway
    upright_only = False  # turned pages are found before reading (see above)

    def __init__(
        self, threads: int = 1, precision: str | None = None, config: EngineConfig | None = None
    ) -> None:
        super().__init__(config)
        models = _models_dir()
        missing = [m for m in (DET_MODEL, REC_MODEL, CLS_MODEL) if not (models / m).is_file()]
        if missing:
            # RapidOCR would fetch a missing model from the internet; we never do.
            raise MissingDependencyError(
                f"RapidOCR's wheel at {models} lacks {', '.join(missing)}; ocr-pdf never "
                f"downloads models: reinstall with {INSTALL_HINT}"
            )
        precision = precision or os.environ.get(PRECISION_ENV) or "int8"
        if precision not in PRECISIONS:
            raise ConfigurationError(
                f"{PRECISION_ENV}={precision!r}: use one of {', '.join(PRECISIONS)}"
            )
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:
            raise MissingDependencyError(
                f"the local engine cannot load RapidOCR ({exc}); {INSTALL_HINT}"
            ) from None
        from importlib.metadata import version

        det, rec, self.precision = _choose_models(models, precision)
        cores = os.cpu_count() or 1
        self.default_jobs = max(1, cores // max(1, threads))
        # The int8 files are named by a digest of their source and recipe: a new wheel, a new
        # recipe or the float fallback each make a new id, so cached pages never mix them.
        self._cache_id = (
            f"local|rapidocr {version('rapidocr')}|{det.name}|{rec.name}|{DETECTION_SIDE}"
            "|turns-by-lines"
        )
        self._ocr = RapidOCR(
            params={
                "Global.use_cls": False,
                "Global.log_level": "error",
                "Global.return_word_box": True,
                "Det.model_path": str(det),
                "Rec.model_path": str(rec),
                "Det.limit_type": "max",
                "Det.limit_side_len": DETECTION_SIDE,
                "Rec.rec_batch_num": REC_BATCH,
                "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )
        self._cls_path = models / CLS_MODEL
        self._cls: Any = None
        self._cls_lock = threading.Lock()
        self._threads = threads
        self.reads = 0  # detections run: one per upright page, two per turned page

    @property
    def cache_id(self) -> str:
        return self._cache_id

    def review(self, text: PageText) -> str | None:
        if looks_unread(text):
            return (
                "reads mostly as short, unsure fragments: if its text is Cyrillic, Greek, "
                "Arabic, Hebrew, Korean or another script the local engine does not read, use "
                "--engine tesseract -l rus (ell, ara, heb, kor, ...) or an Azure engine"
            )
        return None

    def recognize(self, image: Image.Image) -> PageText:
        import numpy as np

        pixels = np.asarray(image.convert("RGB"))
        try:
            found = self._detect(pixels)
            if found is None:
                return PageText(image.width, image.height)
            turn, sure = turn_from_lines(self._votes(found[2], found[3]))
            if not sure:
                turn = self._check(found[2], found[3], turn)
            if turn:
                log.info("page text is turned: reading it turned %d degrees clockwise", turn)
                turned = image.transpose(TRANSPOSE[turn])
                again = self._detect(np.asarray(turned.convert("RGB")))
                if again is None:
                    return PageText(image.width, image.height)
                page = self._read(np.asarray(turned.convert("RGB")), *again)
                return unturn(page, turn, image.width, image.height)
            return self._read(pixels, *found)
        except OcrEngineError:
            raise
        except Exception as exc:  # RapidOCR raises bare exceptions on odd inputs
            raise OcrEngineError(f"the local engine failed: {exc}") from None

    def _detect(self, pixels: Any) -> tuple[Any, dict[str, Any], list[Any], Any] | None:
        """(scaled image, RapidOCR's record of the scaling, line crops, detection) of an RGB
        array, or None when it holds no text."""
        from rapidocr.main import RapidOCRError

        self.reads += 1
        scaled, record = self._ocr.preprocess_img(pixels)
        try:
            crops, detection = self._ocr.detect_and_crop(scaled, record)
        except RapidOCRError:  # "The text detection result is empty"
            return None
        return scaled, record, crops, detection

    def _read(
        self, pixels: Any, scaled: Any, record: dict[str, Any], crops: list[Any], detection: Any
    ) -> PageText:
        """Recognise the detected lines and express the words on ``pixels``."""
        from rapidocr.ch_ppocr_cls import TextClsOutput

        height, width = pixels.shape[:2]
        recognized = self._ocr.recognize_txt(crops)
        result = self._ocr.build_final_output(
            pixels, detection, TextClsOutput(), recognized, crops, record
        )
        return PageText(width, height, group_lines(parse_word_results(result)))

    def _votes(self, crops: list[Any], detection: Any) -> list[LineVote]:
        """Each detected line's box and its crop's probability of being upside down (asked of
        the classifier for the PROBE_LINES longest lines; the others do not vote)."""
        import numpy as np

        boxes = detection.boxes
        sizes = [
            (float(np.linalg.norm(b[0] - b[1])), float(np.linalg.norm(b[0] - b[3]))) for b in boxes
        ]
        order = sorted(range(len(sizes)), key=lambda i: -max(sizes[i]))[:PROBE_LINES]
        flipped = self._upside_down([crops[i] for i in order])
        return [LineVote(*sizes[i], float(p)) for i, p in zip(order, flipped, strict=True)]

    def _upside_down(self, crops: list[Any]) -> list[float]:
        """The classifier's probability that each (flat) line crop is upside down."""
        import cv2
        import numpy as np

        if not crops:
            return []
        session = self._classifier()
        batch = np.zeros((len(crops), 3, 48, 192), np.float32)
        for i, crop in enumerate(crops):
            h, w = crop.shape[:2]
            width = min(192, max(1, int(np.ceil(48 * w / max(h, 1)))))
            resized = cv2.resize(crop, (width, 48)).astype(np.float32)
            batch[i, :, :, :width] = (resized.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
        probs = session.run(None, {session.get_inputs()[0].name: batch})[0]
        return [float(p[1]) for p in probs]

    def _classifier(self) -> Any:
        with self._cls_lock:
            if self._cls is None:
                import onnxruntime

                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = self._threads
                options.inter_op_num_threads = 1
                options.log_severity_level = 3
                self._cls = onnxruntime.InferenceSession(
                    str(self._cls_path), options, providers=["CPUExecutionProvider"]
                )
            return self._cls

    def _check(self, crops: list[Any], detection: Any, turn: int) -> int:
        """Settle a close vote: read the CHECK_LINES longest lines laid flat as the vote says
        and turned half round, and keep the turn whose reading is the more confident."""
        import numpy as np

        boxes = detection.boxes
        order = sorted(
            range(len(crops)), key=lambda i: -float(np.linalg.norm(boxes[i][0] - boxes[i][1]))
        )[:CHECK_LINES]
        flat = [crops[i] for i in order]
        half_round = [np.rot90(c, 2) for c in flat]
        # Flat crops read upright for a turn of 0 (wide lines) or 270 (tall ones).
        upright, flipped = (flat, half_round) if turn in (0, 270) else (half_round, flat)
        as_voted = score(_sample_page(self._ocr.recognize_txt(upright)))
        other = score(_sample_page(self._ocr.recognize_txt(flipped)))
        return turn if as_voted >= other else (turn + 180) % 360


def _sample_page(recognized: Any) -> PageText:
    words = [
        Word(str(text), ((0, 0), (1, 0), (1, 1), (0, 1)), float(conf))
        for text, conf in zip(recognized.txts or (), recognized.scores or (), strict=False)
        if str(text).strip()
    ]
    return PageText(1, 1, (Line(tuple(words)),) if words else ())


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
