"""make_searchable(): the order of the steps, from input PDF to searchable output PDF."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from PIL import Image

from ocr_pdf import graft, pdf, textlayer
from ocr_pdf.engines import EngineConfig, OcrEngine, default_jobs, get_engine, render_dpi
from ocr_pdf.errors import BadArgumentsError, FileAccessError, OcrPdfError
from ocr_pdf.geometry import dominant_angle
from ocr_pdf.models import Line, PageGeometry, PageText, Word, apply
from ocr_pdf.pages import parse_pages

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageResult:
    """What happened to one page (``number`` is 1-based). ``status`` is ``"ocr"`` when the page
    got a text layer from the engine, ``"skipped"`` when it was copied untouched (not selected).
    ``text`` is what the layer holds, lines separated by newlines; ``seconds`` is wall time
    spent in the OCR call. ``turned`` is how many degrees clockwise --rotate-pages turned the
    page to set its text upright (0 when it did not)."""

    number: int
    status: str
    words: int = 0
    text: str = ""
    seconds: float = 0.0
    turned: int = 0


@dataclass(frozen=True)
class ConversionResult:
    """The outcome of one conversion: output path, one PageResult per page in page order,
    total wall time in seconds and bytes the text layers added to the file."""

    output: Path
    pages: tuple[PageResult, ...]
    seconds: float
    bytes_added: int

    @property
    def pages_ocred(self) -> int:
        return sum(p.status == "ocr" for p in self.pages)


ProgressCallback = Callable[[int, int], None]
"""Called with (pages done, pages to do) after each page is OCRed."""


@contextmanager
def _temporary_output(output: Path) -> Iterator[tuple[BinaryIO, Path]]:
    """A temporary file beside ``output`` (so that the final rename is atomic), removed if the
    run fails. Made first thing, so that an unwritable output fails before any paid call."""
    folder = output.parent
    if not folder.is_dir():
        raise FileAccessError(f"{output}: the folder {folder} does not exist")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".ocr-pdf.tmp", dir=folder)
    except OSError as exc:
        raise FileAccessError(f"{output}: cannot write in {folder} ({exc.strerror})") from None
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as stream:
            yield stream, tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _publish(tmp: Path, output: Path) -> None:
    """Give the finished file normal permissions (mkstemp makes it private), move it in place."""
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, output)
    except OSError as exc:
        raise FileAccessError(f"{output}: cannot write ({exc.strerror})") from None


def _to_layer_page(
    text: PageText, geometry: PageGeometry, width: int, height: int, rotation: int
) -> textlayer.LayerPage:
    """Move a page's words from the pixels of its ``width`` x ``height`` image to points
    relative to the page's MediaBox origin."""
    m = geometry.image_to_user(width, height)
    ox, oy, x1, y1 = geometry.mediabox
    lines = []
    for line in text.lines:
        words = []
        for w in line.words:
            pts = [apply(m, p) for p in w.quad]
            a, b, c, d = ((x - ox, y - oy) for x, y in pts)
            words.append(Word(w.text, (a, b, c, d), w.confidence))
        lines.append(Line(tuple(words)))
    return textlayer.LayerPage(x1 - ox, y1 - oy, tuple(lines), rotation)


def _read(engine: OcrEngine, image: Image.Image) -> tuple[PageText, float]:
    """Run the engine on one page image (in a worker thread) and time it."""
    started = time.monotonic()
    return engine.recognize(image), time.monotonic() - started


def _upright_turn(text: PageText) -> int:
    """Clockwise degrees that would turn the page so that its text reads upright (0, 90, 180
    or 270), from the direction most of its words run in."""
    if not text.words:
        return 0
    quarter = round(dominant_angle(text.words) / 90) % 4
    return (360 - 90 * quarter) % 360


def make_searchable(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    engine: str | OcrEngine | None = None,
    language: str | None = None,
    endpoint: str | None = None,
    api_version: str | None = None,
    model_version: str | None = None,
    reading_order: str | None = None,
    dpi: float | None = None,
    pages: str | None = None,
    jobs: int | None = None,
    rotate_pages: bool = False,
    timeout: float = 60.0,
    progress: ProgressCallback | None = None,
) -> ConversionResult:
    """Write a copy of ``input_path`` to ``output_path`` with an invisible text layer on the
    selected pages (``pages`` like ``"1-3,7"``; None = all). The original page content is kept
    byte for byte; other pages are copied untouched. The input is never modified, and the
    output appears only when complete (atomic rename).

    ``engine`` is an engine name (``"azure-ocr"``, ``"local"``, ``"tesseract"``; None picks
    the default: Azure when an endpoint is configured, else ``local`` when installed) or a ready
    OcrEngine. ``dpi`` is the rendering resolution (None: 300 for Azure, the scan's own for
    local engines). ``endpoint``/``api_version``/``language`` override the environment
    (AZURE_VISION_ENDPOINT; the key is read from AZURE_VISION_KEY). ``jobs`` pages are read at
    once (None = the engine's default); all PDF work stays on this thread. With
    ``rotate_pages``, pages whose text is sideways or upside down are turned upright by their
    /Rotate (their content is untouched).
    Raises OcrPdfError subclasses; each carries the exit code the CLI uses."""
    started = time.monotonic()
    src, dst = Path(input_path), Path(output_path)
    if dpi is not None and (dpi < 30 or dpi > 1200):
        raise BadArgumentsError(f"--dpi {dpi:g} is out of range (30 to 1200)")
    if jobs is not None and jobs < 1:
        raise BadArgumentsError(f"--jobs {jobs} must be at least 1")
    if src.resolve() == dst.resolve() or (dst.exists() and src.exists() and dst.samefile(src)):
        raise BadArgumentsError(f"{dst}: the output must not be the input file")
    with ExitStack() as stack:
        doc = stack.enter_context(pdf.Document(src))
        original = stack.enter_context(graft.open_original(src))
        selected = parse_pages(pages, len(doc)) if pages else list(range(len(doc)))
        out, tmp = stack.enter_context(_temporary_output(dst))
        if isinstance(engine, str) or engine is None:
            config = EngineConfig.from_environment(
                language=language,
                endpoint=endpoint,
                api_version=api_version,
                model_version=model_version,
                reading_order=reading_order,
                timeout=timeout,
            )
            engine = get_engine(engine, config)
        workers = jobs or default_jobs(engine)
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=workers))
        stack.callback(pool.shutdown, cancel_futures=True)
        results: dict[int, PageResult] = {}
        layers: list[textlayer.LayerPage] = []
        placements: list[graft.Placement] = []
        in_flight: deque[tuple[int, PageGeometry, tuple[int, int], Future[Any]]] = deque()

        def collect() -> None:
            index, geometry, (width, height), future = in_flight.popleft()
            try:
                text, elapsed = future.result()
            except OcrPdfError as err:
                raise err.with_context(f"page {index + 1}") from None
            turn = _upright_turn(text) if rotate_pages else 0
            rotation = (geometry.rotation + turn) % 360
            if text.words:
                placements.append(
                    graft.Placement(index, len(layers), geometry.mediabox[:2], rotation)
                )
                layers.append(_to_layer_page(text, geometry, width, height, rotation))
            results[index] = PageResult(index + 1, "ocr", len(text.words), text.text, elapsed, turn)
            log.info("page %d: %d words in %.2f s", index + 1, len(text.words), elapsed)
            if progress:
                progress(len(results), len(selected))

        for index in selected:
            geometry = doc.geometry(index)
            image = doc.render(index, dpi or render_dpi(engine, doc.native_dpi(index)))
            in_flight.append((index, geometry, image.size, pool.submit(_read, engine, image)))
            del image  # the worker holds the only reference: freed once read
            # One page more than there are workers is in flight: the next page renders here
            # while the workers read, and memory holds at most workers + 1 page images.
            if len(in_flight) > workers:
                collect()
        while in_flight:
            collect()
        graft.graft(original, textlayer.build_layers(layers), placements, out)
        out.close()
        pdf.check_output(tmp, len(doc))
        _publish(tmp, dst)
        page_results = tuple(results.get(i, PageResult(i + 1, "skipped")) for i in range(len(doc)))
    return ConversionResult(
        output=dst,
        pages=page_results,
        seconds=time.monotonic() - started,
        bytes_added=dst.stat().st_size - src.stat().st_size,
    )
