"""make_searchable(): the order of the steps, from input PDF to searchable output PDF."""

from __future__ import annotations

import json
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

from ocr_pdf import graft, inkfit, pdf, rescue, textlayer
from ocr_pdf.cache import OcrCache, cache_key, open_cache, pixel_digest
from ocr_pdf.engines import EngineConfig, OcrEngine, default_jobs, get_engine, render_dpi
from ocr_pdf.errors import (
    BadArgumentsError,
    DigitalSignatureError,
    ExitCode,
    FileAccessError,
    OcrPdfError,
    PagesFailedError,
)
from ocr_pdf.geometry import dominant_angle
from ocr_pdf.models import Line, PageGeometry, PageText, Word, apply
from ocr_pdf.pages import parse_pages
from ocr_pdf.serialize import page_to_dict

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageResult:
    """What happened to one page (``number`` is 1-based).

    ``status``: ``"ocr"`` when the page got a text layer (read now, or ``from_cache``),
    ``"has-text"`` when it already had text and was left alone (see ``mode``), ``"skipped"``
    when it was not among the selected pages. ``text`` is what the layer holds (lines joined by
    newlines); ``seconds`` is wall time in the OCR call; ``turned`` is how many degrees
    clockwise --rotate-pages turned the page."""

    number: int
    status: str
    words: int = 0
    text: str = ""
    seconds: float = 0.0
    turned: int = 0
    from_cache: bool = False


@dataclass(frozen=True)
class ConversionResult:
    """The outcome of one conversion: output path, one PageResult per page in page order,
    total wall time in seconds, bytes the text layers added, HTTP calls made."""

    output: Path
    pages: tuple[PageResult, ...]
    seconds: float
    bytes_added: int
    calls: int = 0

    @property
    def pages_ocred(self) -> int:
        return sum(p.status == "ocr" for p in self.pages)

    @property
    def pages_from_cache(self) -> int:
        return sum(p.from_cache for p in self.pages)


ProgressCallback = Callable[[int, int], None]
"""Called with (pages done, pages to do): once with 0 before the first page, then after each
selected page is OCRed or found to have text already."""


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


def to_layer_page(
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


def read_page(
    engine: OcrEngine, image: Image.Image, store: OcrCache | None, key: str
) -> tuple[PageText, float, bool]:
    """(reading, seconds, from cache): the cached result under ``key``, or the engine's
    reading, timed and cached at once. The pipeline calls it in worker threads, so that a run
    killed at any moment has kept every page it paid for.

    The cache keeps the engine's own answer (read again if it found no words on a page that
    shows print, see :mod:`ocr_pdf.rescue`); the words are fitted to their ink
    (:func:`ocr_pdf.inkfit.refine`) on the way out, so that a better fit reaches pages read
    earlier without paying for them again."""
    cached = store.get(key) if store is not None else None
    if cached is not None:
        return inkfit.refine(cached, image), 0.0, True
    started = time.monotonic()
    text = rescue.recognize(engine, image)
    elapsed = time.monotonic() - started
    if store is not None:
        store.put(key, text)
    return inkfit.refine(text, image), elapsed, False


def _upright_turn(text: PageText) -> int:
    """Clockwise degrees that would turn the page so that its text reads upright (0, 90, 180
    or 270), from the direction most of its words run in."""
    if not text.words:
        return 0
    quarter = round(dominant_angle(text.words) / 90) % 4
    return (360 - 90 * quarter) % 360


GIVE_UP_AFTER = 3
"""Pages in a row that may fail (after each one's own retries) before a run stops sending the
service more pages: by then it is down or refusing us, and every further call is wasted."""

MODES = ("skip", "force", "redo")
VISIBLE_TEXT_THRESHOLD = 50
"""A page with at least this many visible characters is born-digital (or was already made
searchable some other way): left alone. Fewer (a stamp, a header line on a scan) and the page
is OCRed like any scan."""


def _needs_ocr(doc: pdf.Document, index: int, mode: str) -> tuple[bool, bool]:
    """(OCR this page?, remove an earlier invisible layer first?) for ``mode``."""
    if mode == "force":
        return True, False
    visible, invisible = doc.text_chars(index)
    if mode == "redo":
        return visible < VISIBLE_TEXT_THRESHOLD, invisible > 0
    return invisible == 0 and visible < VISIBLE_TEXT_THRESHOLD, False


def page_dpi(engine: OcrEngine, doc: pdf.Document, index: int, dpi: float | None) -> float:
    """The resolution page ``index`` is rendered at for ``engine``: the one a replayed result
    was read at, else ``dpi``, else the engine's choice given the scan's own resolution."""
    replayed = getattr(engine, "page_dpi", None)
    at = (replayed(index) if callable(replayed) else None) or dpi
    return float(at or render_dpi(engine, doc.native_dpi(index)))


def engine_id(engine: OcrEngine) -> str:
    """What identifies ``engine`` and its settings in cache keys."""
    cache_id = getattr(engine, "cache_id", None)
    kind = type(engine)
    return cache_id if isinstance(cache_id, str) else f"{kind.__module__}.{kind.__qualname__}"


def make_searchable(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str] | None = None,
    *,
    engine: str | OcrEngine | None = None,
    language: str | None = None,
    endpoint: str | None = None,
    api_version: str | None = None,
    model_version: str | None = None,
    reading_order: str | None = None,
    rate: str | None = None,
    dpi: float | None = None,
    pages: str | None = None,
    jobs: int | None = None,
    mode: str = "skip",
    rotate_pages: bool = False,
    cache: bool | str | os.PathLike[str] = True,
    sidecar: str | os.PathLike[str] | None = None,
    ocr_json: str | os.PathLike[str] | None = None,
    in_place: bool = False,
    invalidate_signatures: bool = False,
    source: str | os.PathLike[str] | None = None,
    timeout: float = 60.0,
    progress: ProgressCallback | None = None,
) -> ConversionResult:
    """Write a copy of ``input_path`` to ``output_path`` with an invisible text layer on the
    selected pages (``pages`` like ``"1-3,7"``; None = all). The original page content is kept
    byte for byte; other pages are copied untouched. The input is never modified (unless
    ``in_place``, which replaces it atomically), and the output appears only when complete.

    ``engine`` is an engine name (``"azure"``, ``"azure-ocr"``, ``"local"``, ``"tesseract"``,
    ...; None picks the default: Azure when an endpoint is configured, else ``local`` when
    installed) or a ready OcrEngine. ``dpi`` is the rendering resolution (None: 300 for Azure,
    the scan's own for local engines). ``endpoint``/``api_version``/``language``/
    ``model_version``/``reading_order`` override the environment (AZURE_VISION_ENDPOINT; the key
    is read from AZURE_VISION_KEY). ``jobs`` pages are read at once (None = the engine's
    default); all PDF work stays on this thread. ``rate`` (``"10/s"``, ``"20/min"``) caps the
    calls to an Azure service, polls included, across all workers.

    ``mode``: ``"skip"`` leaves pages that already have text alone (so a second run changes
    nothing and calls nothing), ``"force"`` reads every page, ``"redo"`` removes an earlier
    invisible text layer (ours or another tool's) and reads the page again. ``cache``: True for
    the default folder, a folder, or False; results are keyed by the page's exact pixels and the
    engine's settings, so a re-run pays for no page twice. ``sidecar`` receives the text (pages
    separated by form feeds), ``ocr_json`` the page results in our JSON format (which
    ``engine="replay"`` with ``source`` reads back to reproduce the conversion). With
    ``rotate_pages``, pages whose text is sideways or upside down are turned upright by their
    /Rotate. A digitally signed input is refused (DigitalSignatureError) unless
    ``invalidate_signatures``, since any change to its pages breaks the signature. Raises
    OcrPdfError subclasses; each carries the exit code the CLI uses."""
    started = time.monotonic()
    src = Path(input_path)
    if in_place:
        dst = src
    elif output_path is None:
        raise BadArgumentsError("an output path is needed (or in_place=True)")
    else:
        dst = Path(output_path)
    if dpi is not None and (dpi < 30 or dpi > 1200):
        raise BadArgumentsError(f"--dpi {dpi:g} is out of range (30 to 1200)")
    if jobs is not None and jobs < 1:
        raise BadArgumentsError(f"--jobs {jobs} must be at least 1")
    if mode not in MODES:
        raise BadArgumentsError(f"mode {mode!r}: use one of {', '.join(MODES)}")
    if not in_place and (
        src.resolve() == dst.resolve() or (dst.exists() and src.exists() and dst.samefile(src))
    ):
        raise BadArgumentsError(f"{dst}: the output must not be the input file (or use --in-place)")
    store = open_cache(cache)
    with ExitStack() as stack:
        pdf.check_header(src)
        # qpdf first: it tells an encrypted, page-less or signed file from a damaged one.
        original = stack.enter_context(graft.open_original(src))
        if graft.is_signed(original) and not invalidate_signatures:
            raise DigitalSignatureError(
                f"{src}: the PDF is digitally signed, and adding a text layer invalidates the "
                "signature; pass --invalidate-digital-signatures to do it anyway"
            )
        claim = graft.claimed_pdfa(original)
        if claim:
            log.info(
                "%s claims PDF/A-%s; the claim is kept: the original is unchanged and the text "
                "layer adds only an embedded font and invisible text",
                src,
                claim,
            )
        doc = stack.enter_context(pdf.Document(src))
        repaired = graft.repairs(original)
        if repaired:  # said once both libraries could read the file, else the error says it all
            log.warning("%s: the PDF is damaged; repaired it (%s)", src, repaired)
        selected = parse_pages(pages, len(doc)) if pages else list(range(len(doc)))
        out, tmp = stack.enter_context(_temporary_output(dst))
        if isinstance(engine, str) or engine is None:
            config = EngineConfig.from_environment(
                language=language,
                endpoint=endpoint,
                api_version=api_version,
                model_version=model_version,
                reading_order=reading_order,
                rate=rate,
                source=str(source) if source is not None else None,
                timeout=timeout,
            )
            engine = get_engine(engine, config)
        identity = engine_id(engine)
        workers = jobs or default_jobs(engine)
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=workers))
        stack.callback(pool.shutdown, cancel_futures=True)
        results: dict[int, PageResult] = {}
        texts: dict[int, PageText] = {}  # kept only for --ocr-json
        rendered: dict[int, tuple[float, str]] = {}  # page -> (dpi, pixel hash), for --ocr-json
        layers = textlayer.LayerWriter()
        placements: list[graft.Placement] = []
        failed: dict[int, OcrPdfError] = {}
        failing_in_a_row = 0
        stripped = False  # an earlier text layer was removed (--redo-ocr)
        in_flight: deque[tuple[int, PageGeometry, tuple[int, int], Future[Any]]] = deque()

        def collect() -> None:
            nonlocal failing_in_a_row
            index, geometry, (width, height), future = in_flight.popleft()
            try:
                text, elapsed, cached = future.result()
            except OcrPdfError as err:
                if err.exit_code != ExitCode.ocr_engine_error:
                    raise err.with_context(f"page {index + 1}") from None
                # The service failed on this page after its retries. Go on with the others
                # (each is cached as it is read) and name the failed pages at the end, unless
                # the service seems down: then stop sending it pages.
                failed[index] = err
                failing_in_a_row += 1
                log.info("page %d failed: %s", index + 1, err)
                return
            failing_in_a_row = 0
            turn = _upright_turn(text) if rotate_pages else 0
            rotation = (geometry.rotation + turn) % 360
            if text.words:
                layer = layers.add(to_layer_page(text, geometry, width, height, rotation))
                placements.append(graft.Placement(index, layer, geometry.mediabox[:2], rotation))
            if ocr_json is not None:
                texts[index] = text
            results[index] = PageResult(
                index + 1, "ocr", len(text.words), text.text, elapsed, turn, cached
            )
            log.info(
                "page %d: %d words in %.2f s%s",
                index + 1,
                len(text.words),
                elapsed,
                " (cached)" if cached else "",
            )
            if progress:
                progress(len(results), len(selected))

        if progress:
            progress(0, len(selected))  # start the clock of a progress display
        for index in selected:
            if failing_in_a_row >= GIVE_UP_AFTER:
                break
            wanted, strip = _needs_ocr(doc, index, mode)
            if not wanted:
                results[index] = PageResult(index + 1, "has-text")
                if progress:
                    progress(len(results), len(selected))
                continue
            if strip:
                stripped |= graft.remove_ocr_layers(original, index)
            geometry = doc.geometry(index)
            at = page_dpi(engine, doc, index, dpi)
            image = doc.render(index, at)
            pixels = pixel_digest(image) if store is not None or ocr_json is not None else ""
            if ocr_json is not None:
                rendered[index] = (at, pixels)
            key = cache_key(pixels, identity) if store is not None else ""
            future = pool.submit(read_page, engine, image, store, key)
            in_flight.append((index, geometry, image.size, future))
            del image  # the worker holds the only reference: freed once read
            # Two pages more than there are workers are in flight: pages render here while the
            # workers read, and memory holds at most workers + 2 page images.
            if len(in_flight) >= workers + 2:
                collect()
        if failing_in_a_row >= GIVE_UP_AFTER:
            # Pages still waiting for a worker are not sent either (they count as not tried).
            for entry in list(in_flight):
                if entry[3].cancel():
                    in_flight.remove(entry)
        while in_flight:
            collect()
        if failed:
            raise _pages_failed(failed, results, selected, store is not None)
        # In place with nothing to add, the file is left exactly as it was (no new bytes, no
        # new modification time): a consume hook or sync tool sees no change.
        unchanged = in_place and not placements and not stripped
        if not unchanged:
            graft.graft(original, layers.finish(), placements, out)
        out.close()
        if not unchanged:
            pdf.check_output(tmp, len(doc))
        page_results = tuple(results.get(i, PageResult(i + 1, "skipped")) for i in range(len(doc)))
        if sidecar is not None:
            _write_sidecar(Path(sidecar), doc, page_results)
        if ocr_json is not None:
            _write_json(Path(ocr_json), texts, rendered)
        if unchanged:
            tmp.unlink()
        else:
            _publish(tmp, dst)
        transport = getattr(engine, "transport", None)
        calls = getattr(transport, "calls", 0)
    return ConversionResult(
        output=dst,
        pages=page_results,
        seconds=time.monotonic() - started,
        bytes_added=dst.stat().st_size - src.stat().st_size if not in_place else 0,
        calls=calls if isinstance(calls, int) else 0,
    )


def _pages_failed(
    failed: dict[int, OcrPdfError],
    results: dict[int, PageResult],
    selected: list[int],
    cached: bool,
) -> PagesFailedError:
    """One line naming every failed page, the first error, what was not tried and what a
    re-run will cost."""
    numbers = tuple(i + 1 for i in sorted(failed))
    first = numbers[0]
    detail = str(failed[first - 1])
    if len(numbers) == 1:
        message = f"page {first}: {detail}"
    else:
        message = f"pages {_ranges(numbers)} failed (page {first}: {detail})"
    not_tried = tuple(i + 1 for i in selected if i not in failed and i not in results)
    if not_tried:
        message += (
            f"; stopped after {GIVE_UP_AFTER} pages in a row failed, pages "
            f"{_ranges(not_tried)} not tried"
        )
    read = sum(r.status == "ocr" for r in results.values())
    if read and cached:
        message += f"; the {read} pages read are cached: run the same command again to finish"
    return PagesFailedError(
        message,
        pages=numbers,
        not_tried=not_tried,
        errors={i + 1: e for i, e in failed.items()},
    )


def _ranges(numbers: tuple[int, ...]) -> str:
    """1, 2, 3, 5 as "1-3, 5"."""
    parts: list[str] = []
    start = prev = numbers[0]
    for n in (*numbers[1:], None):
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(parts)


def write_atomically(path: Path, data: bytes) -> None:
    """``data`` at ``path`` via a temporary file and a rename: complete or absent."""
    name = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(name, path)
    except OSError as exc:
        if name is not None:
            Path(name).unlink(missing_ok=True)
        raise FileAccessError(f"{path}: cannot write ({exc.strerror})") from None


def _write_sidecar(path: Path, doc: pdf.Document, results: tuple[PageResult, ...]) -> None:
    """The document's text, one page after another separated by form feeds: what we read, or
    for a page left alone, the text it already had."""
    parts = [r.text if r.status == "ocr" else doc.page_text(r.number - 1) for r in results]
    write_atomically(path, ("\f".join(parts) + "\n").encode("utf-8"))


def _write_json(
    path: Path, texts: dict[int, PageText], rendered: dict[int, tuple[float, str]]
) -> None:
    """Each OCRed page's result with the resolution it was rendered at and the SHA-256 of the
    rendered pixels, which is what `--engine replay` matches pages by."""
    record = {
        "format": "ocr-pdf/document",
        "version": 1,
        "pages": [
            {
                "number": i + 1,
                "dpi": rendered[i][0],
                "image": {
                    "width": texts[i].width,
                    "height": texts[i].height,
                    "sha256": rendered[i][1],
                },
                "result": page_to_dict(texts[i]),
            }
            for i in sorted(texts)
        ],
    }
    write_atomically(path, json.dumps(record, ensure_ascii=False).encode("utf-8"))
