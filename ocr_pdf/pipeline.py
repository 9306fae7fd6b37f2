"""make_searchable(): the order of the steps, from input PDF to searchable output PDF.

A conversion reads top to bottom as :func:`convert`: open and check the input once, plan the
pages, render and read them, assemble their text layers, graft the layers onto the original
pages, write the other outputs, publish."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocr_pdf import files, graft, pdf, textlayer
from ocr_pdf.cache import PageStore, cache_key, open_cache, pixel_digest
from ocr_pdf.engines import as_engine, get_engine, render_dpi
from ocr_pdf.engines.base import Engine
from ocr_pdf.errors import BadArgumentsError
from ocr_pdf.formats import document, text
from ocr_pdf.geometry import dominant_angle
from ocr_pdf.inputs import Source, open_input
from ocr_pdf.models import Line, PageGeometry, PageText, Word, apply
from ocr_pdf.options import ConversionOptions, Mode
from ocr_pdf.pages import parse_pages
from ocr_pdf.reading import GiveUpPolicy, PageImage, PageReader, Reading, RenderedPage
from ocr_pdf.results import ConversionResult, PageResult, ProgressCallback

log = logging.getLogger(__name__)

__all__ = ["ConversionOptions", "convert", "make_searchable"]

VISIBLE_TEXT_THRESHOLD = 50
"""A page with at least this many visible characters is born-digital (or was already made
searchable some other way): left alone. Fewer (a stamp, a header line on a scan) and the page
is OCRed like any scan."""


def make_searchable(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str] | None = None,
    *,
    progress: ProgressCallback | None = None,
    **options: Any,
) -> ConversionResult:
    """Write a copy of ``input_path`` to ``output_path`` with an invisible text layer on the
    selected pages. The original page content is kept byte for byte; other pages are copied
    untouched. The input is never modified (unless ``in_place=True``, which replaces it
    atomically), and the output appears only when complete.

    ``options`` are the fields of :class:`ConversionOptions` (``engine``, ``pages="1-3,7"``,
    ``mode="redo"``, ``dpi``, ``jobs``, ``rate="10/s"``, ``cache``, ``sidecar``, ``ocr_json``,
    ``in_place``, ...). ``progress`` is called with (pages done, pages to do). Raises
    OcrPdfError subclasses; each carries the exit code the CLI uses."""
    return convert(input_path, output_path, ConversionOptions.from_kwargs(**options), progress)


def convert(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str] | None,
    options: ConversionOptions,
    progress: ProgressCallback | None = None,
) -> ConversionResult:
    """The conversion :func:`make_searchable` describes, with its options made already."""
    started = time.monotonic()
    src = Path(input_path)
    dst = _destination(src, output_path, options)
    # Every output checked before the first paid call, not found unwritable after the last.
    files.check_targets((dst, ""), (options.sidecar, "--sidecar"), (options.ocr_json, "--ocr-json"))
    store = open_cache(options.cache)
    with ExitStack() as stack:
        signed_ok = options.invalidate_signatures
        source = stack.enter_context(open_input(src, invalidate_signatures=signed_ok))
        plan = plan_pages(source, options)
        out, tmp = stack.enter_context(files.temporary_beside(dst))
        handle = stack.enter_context(EngineHandle(options))
        assembly = Assembly(options, len(source))
        assembly.start(plan, progress)
        if plan.to_read:
            read_pages(source, plan, handle.engine, store, options, assembly, progress)
        stripped = any(graft.remove_ocr_layers(source.original, i) for i in plan.to_strip)
        # In place with nothing to add, the file is left exactly as it was (no new bytes, no
        # new modification time): a consume hook or sync tool sees no change.
        unchanged = options.in_place and not assembly.placements and not stripped
        if not unchanged:
            graft.graft(source.original, assembly.layers.finish(), assembly.placements, out)
        out.close()
        if not unchanged:
            pdf.check_output(tmp, len(source))
        page_results = assembly.results()
        staged = stack.enter_context(files.Staged())  # published with the PDF, or not at all
        write_side_outputs(source, assembly, page_results, options, staged)
        if unchanged:
            tmp.unlink()
        else:
            files.publish(tmp, dst, like=src if options.in_place else None)
        staged.publish()
        calls = handle.calls
    return ConversionResult(
        output=dst,
        pages=page_results,
        seconds=time.monotonic() - started,
        bytes_added=dst.stat().st_size - src.stat().st_size if not options.in_place else 0,
        calls=calls,
    )


def _destination(
    src: Path, output_path: str | os.PathLike[str] | None, options: ConversionOptions
) -> Path:
    if options.in_place:
        return src
    if output_path is None:
        raise BadArgumentsError("an output path is needed (or in_place=True)")
    dst = Path(output_path)
    if src.resolve() == dst.resolve() or (dst.exists() and src.exists() and dst.samefile(src)):
        raise BadArgumentsError(f"{dst}: the output must not be the input file (or use --in-place)")
    return dst


@dataclass(frozen=True)
class Plan:
    """Which pages (0-based) are read, which already have text, which have an earlier
    invisible layer to remove first; pages in none were not selected."""

    to_read: list[int]
    has_text: list[int]
    to_strip: list[int]

    @property
    def selected(self) -> int:
        return len(self.to_read) + len(self.has_text)


def plan_pages(source: Source, options: ConversionOptions) -> Plan:
    """Decide, page by page, what the conversion does (see :class:`Mode`)."""
    count = len(source)
    selected = parse_pages(options.pages, count) if options.pages else range(count)
    to_read: list[int] = []
    has_text: list[int] = []
    to_strip: list[int] = []
    for index in selected:
        if options.mode is Mode.FORCE:
            to_read.append(index)
            continue
        with source.doc.page(index) as page:
            visible, invisible = page.text_chars()
        born_digital = visible >= VISIBLE_TEXT_THRESHOLD
        if options.mode is Mode.REDO:
            (has_text if born_digital else to_read).append(index)
            if invisible and not born_digital:
                to_strip.append(index)
        elif invisible or born_digital:
            has_text.append(index)
        else:
            to_read.append(index)
    return Plan(to_read, has_text, to_strip)


def read_pages(
    source: Source,
    plan: Plan,
    engine: Engine,
    store: PageStore | None,
    options: ConversionOptions,
    assembly: Assembly,
    progress: ProgressCallback | None,
) -> None:
    """Render and read the planned pages, each reading assembled as it arrives; raise the
    error naming every page that failed, once the others are read (and cached)."""
    reader = PageReader(engine, store, options.jobs or engine.default_jobs, GiveUpPolicy())
    for reading in reader.read(render_pages(source.doc, plan.to_read, engine, store, options)):
        assembly.add(reading, progress)
    failure = reader.failure(plan.to_read, cached=store is not None)
    if failure is not None:
        raise failure


class EngineHandle:
    """The run's engine, made only when the first page needs reading: a run over pages that
    all have text already loads no model and opens no connection. Closed at the end if the
    run made it."""

    def __init__(self, options: ConversionOptions) -> None:
        self.options = options
        self._engine: Engine | None = None

    def __enter__(self) -> EngineHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._engine is not None and not isinstance(self.options.engine, Engine):
            self._engine.close()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            chosen = self.options.engine
            config = self.options.engine_config()
            if chosen is None or isinstance(chosen, str):
                self._engine = get_engine(chosen, config)
            else:
                self._engine = as_engine(chosen, config)
        return self._engine

    @property
    def calls(self) -> int:
        return self._engine.calls if self._engine is not None else 0


def render_pages(
    doc: pdf.Document,
    indexes: list[int],
    engine: Engine,
    store: PageStore | None,
    options: ConversionOptions,
) -> Iterator[PageImage]:
    """Each page to read as the image its engine gets, rendered as displayed at the engine's
    resolution, one page load each, on this thread (PDFium is not thread-safe)."""
    keep_digest = store is not None or options.ocr_json is not None
    for index in indexes:
        with doc.page(index) as page:
            geometry = page.geometry()
            if not geometry.visible:  # as PDFium and poppler show it: nothing to read
                log.warning(
                    "page %d: its CropBox lies outside its MediaBox, so nothing of it "
                    "is visible; not read",
                    index + 1,
                )
                continue
            dpi = engine.saved_dpi(index) or options.dpi or render_dpi(engine, page.native_dpi())
            image = page.render(dpi)
        digest = pixel_digest(image) if keep_digest else ""
        key = cache_key(digest, engine.cache_id) if store is not None else ""
        rendered = RenderedPage(index, geometry, image.width, image.height, float(dpi), digest, key)
        yield PageImage(rendered, image)


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
            a, b, c, d = ((x - ox, y - oy) for x, y in (apply(m, p) for p in w.quad))
            words.append(Word(w.text, (a, b, c, d), w.confidence))
        lines.append(Line(tuple(words)))
    return textlayer.LayerPage(x1 - ox, y1 - oy, tuple(lines), rotation)


def upright_turn(text: PageText) -> int:
    """Clockwise degrees that would turn the page so that its text reads upright (0, 90, 180
    or 270), from the direction most of its words run in."""
    if not text.words:
        return 0
    quarter = round(dominant_angle(text.words) / 90) % 4
    return (360 - 90 * quarter) % 360


class Assembly:
    """The text layers of the pages read, written page by page as readings arrive (a long
    document never holds every page's words), with where each goes and what each page got."""

    def __init__(self, options: ConversionOptions, page_count: int) -> None:
        self.rotate = options.rotate_pages
        self.keep_saved = options.ocr_json is not None
        self.page_count = page_count
        self.layers = textlayer.LayerWriter()
        self.placements: list[graft.Placement] = []
        self._results: dict[int, PageResult] = {}
        self.saved: list[document.SavedPage] = []  # only for --ocr-json
        self._selected = 0

    def start(self, plan: Plan, progress: ProgressCallback | None) -> None:
        self._selected = plan.selected
        if progress:
            progress(0, self._selected)  # start the clock of a progress display
        for index in plan.has_text:
            self._results[index] = PageResult(index + 1, "has-text")
            if progress:
                progress(len(self._results), self._selected)

    def add(self, reading: Reading, progress: ProgressCallback | None) -> None:
        page, text = reading.page, reading.text
        turn = upright_turn(text) if self.rotate else 0
        rotation = (page.geometry.rotation + turn) % 360
        if text.words:
            layer = self.layers.add(
                to_layer_page(text, page.geometry, page.width, page.height, rotation)
            )
            self.placements.append(
                graft.Placement(page.index, layer, page.geometry.mediabox[:2], rotation)
            )
        if self.keep_saved:
            self.saved.append(document.SavedPage(page.index, page.dpi, page.digest, text))
        self._results[page.index] = PageResult(
            page.index + 1,
            "ocr",
            len(text.words),
            text.text,
            reading.seconds,
            turn,
            reading.from_cache,
        )
        if progress:
            progress(len(self._results), self._selected)

    def results(self) -> tuple[PageResult, ...]:
        return tuple(
            self._results.get(i, PageResult(i + 1, "skipped")) for i in range(self.page_count)
        )


def write_side_outputs(
    source: Source,
    assembly: Assembly,
    results: tuple[PageResult, ...],
    options: ConversionOptions,
    staged: files.Staged,
) -> None:
    """The sidecar (what we read, or for a page left alone the text it already had) and the
    --ocr-json document, written to ``staged`` to be published with the PDF."""
    if options.sidecar is not None:
        pages = [
            r.text if r.status == "ocr" else source.doc.page_text(r.number - 1) for r in results
        ]
        staged.write(options.sidecar, text.sidecar(pages))
    if options.ocr_json is not None:
        staged.write(options.ocr_json, document.dumps(assembly.saved))
