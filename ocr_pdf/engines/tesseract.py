"""Engine `tesseract`: Tesseract read through its TSV output, in this process when tesserocr
is installed (:mod:`ocr_pdf.engines.tessapi`), else the system program, one process a page."""

from __future__ import annotations

import csv
import io
import logging
import os
import shutil
import subprocess
from functools import lru_cache

from PIL import Image

from ocr_pdf.engines import tessapi
from ocr_pdf.engines.base import Engine, EngineConfig
from ocr_pdf.errors import MissingDependencyError, OcrEngineError
from ocr_pdf.geometry import box_skew, engine_order, rescale, rotate_quad
from ocr_pdf.image import ink
from ocr_pdf.models import Line, PageText, Word, quad_from_box

log = logging.getLogger(__name__)

INSTALL_HINT = "install Tesseract (Debian/Ubuntu: apt-get install tesseract-ocr)"
TIMEOUT = 300  # seconds per page: a hung tesseract must not hang a batch
MAX_SIDE = 32000  # pixels; tesseract's own limit is 32767
BLOCK_PSM = 6  # page segmentation mode "a single uniform block of text"
DESKEW = 3.0
"""Skew (degrees) from which a page is read a second time, straightened: tesseract's layout
analysis drops lines of pages skewed further (a generated page at 4 degrees: 90 words of 144
read, 144 straightened). Pages less skewed, most scans, are read once."""

# -l values in the spellings users bring (ISO 639-1 and Azure's) mapped to Tesseract's.
LANGUAGE_CODES = {
    "unk": "eng", "en": "eng", "de": "deu", "fr": "fra", "es": "spa", "it": "ita",
    "pt": "por", "nl": "nld", "da": "dan", "sv": "swe", "nb": "nor", "no": "nor", "fi": "fin",
    "pl": "pol", "cs": "ces", "sk": "slk", "hu": "hun", "ro": "ron", "tr": "tur", "el": "ell",
    "ru": "rus", "uk": "ukr", "bg": "bul", "sr-cyrl": "srp", "sr-latn": "srp_latn",
    "ar": "ara", "he": "heb", "ja": "jpn", "ko": "kor", "zh": "chi_sim", "zh-hans": "chi_sim",
    "zh-hant": "chi_tra",
}  # fmt: skip


def tesseract_languages(language: str | None) -> str:
    """Tesseract's -l argument for a user's -l value: ``eng``, ``deu+eng``, ``ru``, ``zh-Hans``."""
    parts = (language or "unk").replace(",", "+").split("+")
    return "+".join(LANGUAGE_CODES.get(p.strip().lower(), p.strip()) for p in parts if p.strip())


@lru_cache(maxsize=4)
def installed_languages(exe: str) -> frozenset[str]:
    done = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, check=False)
    lines = (done.stdout or done.stderr).splitlines()
    return frozenset(ln.strip() for ln in lines[1:] if ln.strip())


@lru_cache(maxsize=4)
def tessdata(exe: str) -> str:
    """The folder the program reads its language data from (as ``--list-langs`` names it:
    ``List of available languages in "/usr/share/tesseract-ocr/5/tessdata/" (3):``)."""
    done = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, check=False)
    first = ((done.stdout or done.stderr).splitlines() or [""])[0]
    return first.split('"')[1] if first.count('"') >= 2 else ""


@lru_cache(maxsize=4)
def _version(exe: str) -> str:
    done = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    lines = (done.stdout or done.stderr).splitlines()
    return lines[0].strip() if lines else "unknown"


def parse_tsv(tsv: str, width: int, height: int) -> PageText:
    """Tesseract's TSV (level 5 rows are words, in block/paragraph/line order) as a PageText in
    pixels of the image it read. Confidences go from 0..100 to 0..1."""
    lines: dict[tuple[int, int, int, int], list[Word]] = {}
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") != "5":
            continue
        text = (row.get("text") or "").strip()
        if not text:
            continue
        try:
            left, top = float(row["left"]), float(row["top"])
            w, h = float(row["width"]), float(row["height"])
            conf = float(row["conf"])
            key = (
                int(row["page_num"]),
                int(row["block_num"]),
                int(row["par_num"]),
                int(row["line_num"]),
            )
        except (KeyError, TypeError, ValueError):
            raise OcrEngineError("tesseract wrote a TSV row we cannot read") from None
        word = Word(text, quad_from_box(left, top, w, h), max(conf, 0.0) / 100)
        lines.setdefault(key, []).append(word)
    # Tesseract's block and paragraph order is kept where the geometry agrees with it (its
    # layout analysis knows captions, drop caps and columns of unequal width); where its lines
    # run across a gutter between columns, the order is rebuilt from the geometry.
    return PageText(width, height, engine_order([Line(tuple(ws)) for ws in lines.values()]))


class TesseractEngine(Engine):
    """Tesseract's API in this process when tesserocr is installed (``in_process``: see
    :mod:`ocr_pdf.engines.tessapi`), else one ``tesseract`` process per page image, PNG on
    stdin, TSV on stdout.

    OMP_THREAD_LIMIT=1 on every call: Tesseract's own OpenMP threads fight each other and our
    page-level parallelism (measured here: 6 to 13 times faster on 2 cores)."""

    name = "tesseract"
    render_dpi = None  # the scan's own resolution, as OCRmyPDF does: upsampling only costs time
    upright_only = True  # turned pages: see ocr_pdf.engines.orientation

    def __init__(
        self, exe: str, languages: str, psm: int = 3, config: EngineConfig | None = None
    ) -> None:
        super().__init__(config)
        self.exe = exe
        self.languages = languages
        self.psm = psm
        self.default_jobs = os.cpu_count() or 1
        folder = tessdata(exe) if tessapi.available() else ""
        self.in_process = tessapi.InProcess(folder, languages, TIMEOUT) if folder else None

    @property
    def cache_id(self) -> str:
        # "+6": a page that shows print but reads empty is read again as one block; "deskew":
        # a skewed page is read again straightened.
        version = tessapi.version() if self.in_process else _version(self.exe)
        return f"tesseract|{version}|{self.languages}|psm{self.psm}+6|deskew{DESKEW:g}"

    def close(self) -> None:
        if self.in_process is not None:
            self.in_process.close()

    def recognize(self, image: Image.Image) -> PageText:
        # Tesseract refuses images over 32767 pixels a side (a 200-inch strip at 300 dpi).
        factor = min(1.0, MAX_SIDE / max(image.size))
        if factor < 1.0:
            size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
            page = self.recognize(image.resize(size, Image.Resampling.LANCZOS))
            return rescale(page, 1 / factor, image.width, image.height)
        page = self._read_page(image)
        skew = box_skew(page.lines)
        if skew is None or abs(skew) < DESKEW:
            return page
        # Read again straightened; the words' quads are turned back onto the image given.
        again = self._read_page(image.rotate(skew, Image.Resampling.BICUBIC, fillcolor="white"))
        log.info("tesseract: page skewed %.1f degrees read again straightened", skew)
        if _weight(again) <= _weight(page):
            return page
        centre = (image.width / 2, image.height / 2)
        lines = tuple(
            Line(tuple(Word(w.text, rotate_quad(w.quad, skew, centre), w.confidence) for w in ws))
            for ws in (ln.words for ln in again.lines)
        )
        return PageText(image.width, image.height, lines)

    def _read_page(self, image: Image.Image) -> PageText:
        page = self._read(image, self.psm)
        if page.words or self.psm == BLOCK_PSM or ink.text_box(image) is None:
            return page
        # Its page layout analysis gave up ("Empty page!!") on a page that shows print: a clean,
        # slightly skewed page on light grey paper does it. Read as one block, it reads.
        again = self._read(image, BLOCK_PSM)
        log.info(
            "tesseract --psm %d found no words on a page that shows print; --psm %d found %d",
            self.psm,
            BLOCK_PSM,
            len(again.words),
        )
        return again

    def _read(self, image: Image.Image, psm: int) -> PageText:
        if self.in_process is not None:
            tsv = self.in_process.tsv(image, psm)
            return parse_tsv(tsv, image.width, image.height)
        buf = io.BytesIO()
        image.save(buf, "PNG", compress_level=1)
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        cmd = [self.exe, "stdin", "stdout", "-l", self.languages, "--psm", str(psm), "tsv"]
        try:
            done = subprocess.run(
                cmd,
                input=buf.getvalue(),
                capture_output=True,
                env=env,
                timeout=TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise OcrEngineError(f"tesseract took more than {TIMEOUT} s on a page") from None
        except OSError as exc:
            raise MissingDependencyError(f"cannot run {self.exe} ({exc}); {INSTALL_HINT}") from None
        if done.returncode != 0:
            err = done.stderr.decode(errors="replace").strip().splitlines()
            raise OcrEngineError(f"tesseract failed: {err[-1] if err else done.returncode}")
        return parse_tsv(done.stdout.decode("utf-8", errors="replace"), image.width, image.height)


def _weight(page: PageText) -> float:
    """How much a reading read: its characters, each counted by its word's confidence."""
    return sum(len(w.text) * (w.confidence or 0.0) for w in page.words)


def create(config: EngineConfig) -> TesseractEngine:
    exe = shutil.which("tesseract")
    if exe is None:
        raise MissingDependencyError(
            f"--engine tesseract needs the tesseract program: {INSTALL_HINT}"
        )
    languages = tesseract_languages(config.language)
    have = installed_languages(exe)
    missing = [lang for lang in languages.split("+") if lang not in have]
    if missing:
        packages = " ".join(f"tesseract-ocr-{m.replace('_', '-').lower()}" for m in missing)
        raise MissingDependencyError(
            f"Tesseract has no language data for {', '.join(missing)}; install it (Debian: "
            f"apt-get install {packages}); installed: {', '.join(sorted(have)) or 'none'}"
        )
    return TesseractEngine(exe, languages, config=config)
