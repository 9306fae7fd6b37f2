"""The bundled offline engine `local`: PaddleOCR's PP-OCRv6 models from RapidOCR's wheel, run
on onnxruntime (see :mod:`ocr_pdf.engines.ppocr` and :mod:`ocr_pdf.engines.textlines`): the
detector as an int8 copy built here once (:mod:`ocr_pdf.engines.int8`), the recognizer as the
wheel ships it (float), which reads real scans better than any int8 copy did."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
from PIL import Image

from ocr_pdf.engines import ppocr, textlines
from ocr_pdf.engines.base import Engine, EngineConfig
from ocr_pdf.engines.localmodels import (
    CLS_MODEL,
    DET_MODEL,
    INSTALL_HINT,
    PRECISION_ENV,
    PRECISIONS,
    REC_MODEL,
    choose_models,
    models_dir,
)
from ocr_pdf.engines.orientation import LineVote, turn_from_lines, unturn
from ocr_pdf.engines.scripts import foreign_letters, looks_unread
from ocr_pdf.errors import ConfigurationError, MissingDependencyError, OcrEngineError
from ocr_pdf.geometry import group_lines, resized
from ocr_pdf.models import Line, PageText, Quad, Word

log = logging.getLogger(__name__)
T = TypeVar("T")

# -l values this model reads, in the spellings users bring (ours, Azure's, Tesseract's).
LANGUAGES = {
    "unk", "en", "eng", "zh", "zh-hans", "zh-hant", "ch", "chi_sim", "chi_tra", "ja", "jpn",
    "de", "deu", "fr", "fra", "es", "spa", "it", "ita", "pt", "por", "nl", "nld", "da", "dan",
    "sv", "swe", "nb", "no", "nor", "fi", "fin", "pl", "pol", "cs", "ces", "sk", "slk", "hu",
    "hun", "ro", "ron", "tr", "tur", "hr", "hrv", "sl", "slv", "et", "est", "lv", "lav", "lt",
    "lit", "sr-latn", "id", "ind", "vi", "vie", "ca", "cat", "la", "lat",
}  # fmt: skip
CJK = {"zh", "zh-hans", "zh-hant", "ch", "chi_sim", "chi_tra", "ja", "jpn"}

# Detection runs on the page scaled so that its longer side is this many pixels. Measured on
# 300 dpi letter pages on 2 cores: detection at full resolution took 3.4 s, at 1280 px 0.8 s,
# at 1024 px 0.5 s, with the same error rate on 10-13 pt text.
DETECTION_SIDE = 1024
# Lines are cut out for reading from the page scaled to at most this (PaddleOCR's own bound):
# the recognizer scales every line to 48 pixels high anyway.
READ_SIDE = 2000
TEXT_SCORE = 0.5  # lines read with less mean confidence are dropped (PaddleOCR's default)
# A reading with fewer characters than one per this many line heights is not text: a table
# rule or a strip of paper read as "1" or "-" (letters are at most about one height wide, and
# spaced-out headings are cut into separate lines by the detector).
CHARACTER_SPAN = 6

# Lines whose crops the orientation classifier sees: the longest ones, which say the most.
PROBE_LINES = 24
# When the classifier's vote is close, this many lines are read both ways to decide.
CHECK_LINES = 4
# With no language given, this many lines spread over the page are read with the whole
# character set first: when none holds a letter of another script than Latin, the rest of
# the page is read with the Latin-only classifier.
SAMPLE_LINES = 6


class RapidOcrEngine(Engine):
    """PaddleOCR's models (as RapidOCR ships them) on onnxruntime, word-level results, any
    orientation.

    Pages are detected on their own threads, ``default_jobs`` at once (one per core); their
    lines are read on one pool of a thread per core shared by all pages, each line on one
    onnxruntime thread (spread over two, it cost 35% more CPU: the layers are too small to
    split well). The pool keeps every core reading while fewer pages than cores are left (a
    one-page document, the last of an odd number), the readings the same as one by one.
    With fewer pages at once (``EngineConfig.workers``, from -j), detection gets more threads.

    Pages whose text is sideways or upside down are found before recognition (see
    :func:`ocr_pdf.engines.orientation.turn_from_lines`): the 0/180 classifier is only asked
    about the page as a whole, never allowed to flip single lines (which, per line, misread
    whole upright lines as upside down). Hence ``upright_only`` is False: the registry's
    :class:`~ocr_pdf.engines.orientation.OrientationCorrected`, which reads a turned page up
    to five times, is not needed around it."""

    name = "local"
    render_dpi = None  # the scan's own resolution: recognition rescales every crop anyway
    upright_only = False  # turned pages are found before reading (see above)

    def __init__(
        self, threads: int = 0, precision: str | None = None, config: EngineConfig | None = None
    ) -> None:
        super().__init__(config)
        models = models_dir()
        missing = [m for m in (DET_MODEL, REC_MODEL, CLS_MODEL) if not (models / m).is_file()]
        if missing:
            # RapidOCR would fetch a missing model from the internet; we never do.
            raise MissingDependencyError(
                f"RapidOCR's wheel at {models} lacks {', '.join(missing)}; ocr-pdf never "
                f"downloads models: reinstall with {INSTALL_HINT}"
            )
        precision = precision or os.environ.get(PRECISION_ENV) or PRECISIONS[0]
        if precision not in PRECISIONS:
            raise ConfigurationError(
                f"{PRECISION_ENV}={precision!r}: use one of {', '.join(PRECISIONS)}"
            )
        try:
            ppocr.runtime()
        except ImportError as exc:
            raise MissingDependencyError(
                f"the local engine cannot load onnxruntime ({exc}); {INSTALL_HINT}"
            ) from None
        cores = os.cpu_count() or 1
        workers = min(self.config.workers or cores, cores)
        threads = threads or max(1, cores // workers)
        self.default_jobs = max(1, cores // threads)
        det, rec, latin, self.precision = choose_models(models, precision)
        self._detector = ppocr.Detector(det, threads)
        self._full = ppocr.Recognizer(rec, 1)  # one thread a line: the pool spreads the lines
        self._latin = ppocr.Recognizer(latin, 1) if latin else None
        self._pool: ThreadPoolExecutor | None = None  # the line pool, made on first use
        self._latin_columns = self._full.columns_of(self._latin.characters if self._latin else [])
        self._script = _script(self.config.language) if self._latin else False
        self._cls_path, self._threads, self._cores = models / CLS_MODEL, threads, cores
        self._classifier: ppocr.Classifier | None = None
        self._lock = threading.Lock()  # the classifier and the line pool, each made once
        # The derived models are named by a digest of their source and recipe: a new wheel, a
        # new recipe or the float fallback each make a new id, so cached pages never mix them.
        self._cache_id = (
            f"local|{det.name}|{rec.name}|{latin.name if latin else '-'}|{DETECTION_SIDE}"
            f"|{READ_SIDE}|turns-by-lines|pad {ppocr.MIN_WIDTH}|ink-checked|script {self._script}"
        )
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
        pixels = np.asarray(image.convert("L" if image.mode in ("1", "L", "P") else "RGB"))
        try:
            # As PaddleOCR does, a page larger than READ_SIDE is scaled to sides of multiples
            # of 32 (the recognizer is sensitive to the scale of faint text: keep its own).
            page = textlines.fit(pixels, READ_SIDE, 32) if max(pixels.shape) > READ_SIDE else pixels
            height, width = page.shape[:2]
            cuts = self._lines(page)
            turn = self._turn(cuts) if cuts else 0
            if turn:
                log.info("page text is turned: reading it turned %d degrees clockwise", turn)
                cuts = self._lines(np.ascontiguousarray(np.rot90(page, -turn // 90)))
            text = PageText(page.shape[1], page.shape[0], group_lines(self._read(cuts)))
        except OcrEngineError:
            raise
        except Exception as exc:  # onnxruntime and OpenCV raise bare exceptions on odd inputs
            raise OcrEngineError(f"the local engine failed: {exc}") from None
        if turn:
            text = unturn(text, turn, width, height)
        return resized(text, image.width, image.height)

    def _lines(self, page: np.ndarray) -> list[textlines.Cut]:
        """The page's text lines, cut out for reading, in reading order; none on a page
        without ink, and none where a line would be blank paper."""
        if not textlines.page_has_ink(page):
            return []
        self.reads += 1
        probability = self._detector(textlines.fit(page, DETECTION_SIDE, 32))
        quads = textlines.find_lines(probability, page.shape[1], page.shape[0])
        cuts = (textlines.cut_line(page, quad) for quad in quads)
        return [cut for cut in cuts if textlines.line_has_ink(cut.pixels)]

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _on_pool(
        self, job: Callable[[int], T], lines: list[int], cuts: list[textlines.Cut]
    ) -> dict[int, T]:
        """``job(i)`` for each of ``lines`` on the line pool, the widest first (so that no core
        is left alone with a long line at the end)."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._cores, thread_name_prefix="local-lines")
            pool = self._pool
        order = sorted(lines, key=lambda i: -cuts[i].pixels.shape[1])
        return dict(zip(order, pool.map(job, order), strict=True))

    def _read(self, cuts: list[textlines.Cut]) -> list[Line]:
        """Each line's words, read with the Latin-only classifier when the language is a Latin
        one or the sampled lines say so."""
        readings: dict[int, ppocr.Reading] = {}
        latin = self._script
        if latin is None and cuts:
            sample = sorted({round(i) for i in np.linspace(0, len(cuts) - 1, SAMPLE_LINES)})
            probs = self._on_pool(lambda i: self._full.probabilities(cuts[i].pixels), sample, cuts)
            read = {i: self._full.decode(p, cuts[i].pixels) for i, p in probs.items()}
            latin = not any(foreign_letters(r.text) for r in read.values())
            readings = read
            if latin and self._latin is not None:
                for i, p in probs.items():  # the same scores, among the Latin characters only
                    kept = p[:, self._latin_columns]
                    kept /= kept.sum(axis=1, keepdims=True)
                    readings[i] = self._latin.decode(kept, cuts[i].pixels)
        reader = self._latin if latin and self._latin is not None else self._full
        rest = [i for i in range(len(cuts)) if i not in readings]
        readings.update(self._on_pool(lambda i: reader.read(cuts[i].pixels), rest, cuts))
        lines = []
        for i, cut in enumerate(cuts):
            reading = readings[i]
            if reading.confidence >= TEXT_SCORE and reading.pieces and _plausible(reading, cut):
                lines.append(Line(tuple(_word(piece, cut.quad) for piece in reading.pieces)))
        return lines

    def _turn(self, cuts: list[textlines.Cut]) -> int:
        """The clockwise turn (0, 90, 180 or 270) that sets the page's text upright."""
        sizes = [_sides(cut.box) for cut in cuts]
        order = sorted(range(len(cuts)), key=lambda i: -max(sizes[i]))[:PROBE_LINES]
        height, width = ppocr.CLS_SIZE
        fitted = [textlines.scale_to_height(cuts[i].pixels, height, width) for i in order]
        flipped = self._upside_down(fitted)
        votes = [LineVote(*sizes[i], p) for i, p in zip(order, flipped, strict=True)]
        turn, sure = turn_from_lines(votes)
        return turn if sure else self._check([cuts[i].pixels for i in order[:CHECK_LINES]], turn)

    def _upside_down(self, lines: list[np.ndarray]) -> list[float]:
        with self._lock:
            if self._classifier is None:
                self._classifier = ppocr.Classifier(self._cls_path, self._threads)
        return self._classifier(lines)

    def _check(self, flat: list[np.ndarray], turn: int) -> int:
        """Settle a close vote: read the longest lines laid flat as the vote says and turned
        half round, and keep the turn whose reading is the more confident."""
        half_round = [np.ascontiguousarray(np.rot90(c, 2)) for c in flat]
        # Flat crops read upright for a turn of 0 (wide lines) or 270 (tall ones).
        upright, flipped = (flat, half_round) if turn in (0, 270) else (half_round, flat)
        as_voted = sum(_weight(self._full.read(c)) for c in upright)
        other = sum(_weight(self._full.read(c)) for c in flipped)
        return turn if as_voted >= other else (turn + 180) % 360


def _script(language: str | None) -> bool | None:
    """True when every language asked for is written in Latin script, False when one is
    Chinese or Japanese, None when the page must tell (``unk``)."""
    parts = {p.strip() for p in (language or "unk").lower().replace(",", "+").split("+")}
    if parts & CJK:
        return False
    return None if "unk" in parts or not parts - {""} else True


def _plausible(reading: ppocr.Reading, cut: textlines.Cut) -> bool:
    """Whether a line's reading has characters enough for its length (see CHARACTER_SPAN)."""
    characters = sum(not ch.isspace() for ch in reading.text)
    height, width = cut.pixels.shape[:2]
    return bool(characters * CHARACTER_SPAN * height >= width)


def _weight(reading: ppocr.Reading) -> float:
    return reading.confidence * len(reading.text)


def _sides(quad: np.ndarray) -> tuple[float, float]:
    """(width, height) of a box: its top side's length and its left side's."""
    return float(np.linalg.norm(quad[0] - quad[1])), float(np.linalg.norm(quad[0] - quad[3]))


def _word(piece: ppocr.Piece, quad: np.ndarray) -> Word:
    """A word lying from ``piece.start`` to ``piece.end`` (fractions) along the line ``quad``
    (the line's own top-left, top-right, bottom-right, bottom-left)."""
    tl, tr, br, bl = (np.asarray(p, float) for p in quad)

    def at(a: np.ndarray, b: np.ndarray, f: float) -> tuple[float, float]:
        x, y = a + (b - a) * f
        return float(x), float(y)

    corners: Quad = (
        at(tl, tr, piece.start),
        at(tl, tr, piece.end),
        at(bl, br, piece.end),
        at(bl, br, piece.start),
    )
    return Word(piece.text, corners, piece.confidence)


def create(config: EngineConfig) -> RapidOcrEngine:
    # -l eng+deu (Tesseract's and OCRmyPDF's spelling) asks for several: each must be one the
    # model reads, which all share one model.
    parts = (config.language or "unk").lower().replace(",", "+").split("+")
    unread = [part for part in parts if part.strip() and part.strip() not in LANGUAGES]
    if unread:
        asked = f" (in -l {config.language})" if len(parts) > 1 else ""
        raise ConfigurationError(
            f"the local engine's model does not read language {unread[0]!r}{asked}: it reads "
            "Latin-script languages, Chinese and Japanese; use --engine tesseract -l ... or Azure"
        )
    return RapidOcrEngine(config=config)
