"""make_searchable(): the order of the steps, from input PDF to searchable output PDF.

A conversion reads top to bottom as :func:`convert`: open and check the input once, plan the
pages, render and read them, assemble their text layers, graft the layers onto the original
pages, write the other outputs, publish."""

from __future__ import annotations

import logging
import os
import time
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ocr_pdf import costs, files, images, pdf
from ocr_pdf.assembly import Assembly
from ocr_pdf.cache import PageStore, open_cache
from ocr_pdf.costs import Budget
from ocr_pdf.engines import as_engine, get_engine
from ocr_pdf.engines.base import Engine
from ocr_pdf.errors import BadArgumentsError, BudgetExhaustedError
from ocr_pdf.formats import document, text
from ocr_pdf.inputs import Source, open_input
from ocr_pdf.options import ConversionOptions, Mode
from ocr_pdf.pages import parse_pages
from ocr_pdf.qpdf import graft
from ocr_pdf.reading import GiveUpPolicy, PageReader
from ocr_pdf.rendering import page_images
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
    given = Path(input_path)
    dst = _destination(given, output_path, options)
    # Every output checked before the first paid call, not found unwritable after the last.
    files.check_targets((dst, ""), (options.sidecar, "--sidecar"), (options.ocr_json, "--ocr-json"))
    store = open_cache(options.cache)
    with ExitStack() as stack:
        src = stack.enter_context(images.as_pdf(given, options.image_dpi))
        if options.in_place and src != given:
            raise BadArgumentsError(f"{given}: --in-place replaces PDFs; this is an image")
        signed_ok = options.invalidate_signatures
        source = stack.enter_context(open_input(src, invalidate_signatures=signed_ok))
        plan = plan_pages(source, options)
        costs.check_page_cap(src, len(plan.to_read), options.max_pages)
        handle = stack.enter_context(EngineHandle(options, costs.budget_for(options.budget)))
        if options.dry_run:
            return dry_run(source, plan, handle, store, dst)
        out, tmp = stack.enter_context(files.temporary_beside(dst))
        assembly = Assembly(options, len(source))
        assembly.start(plan.selected, plan.has_text, progress)
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
        added = dst.stat().st_size - src.stat().st_size if not options.in_place else 0
        calls = handle.calls
    return ConversionResult(
        output=dst,
        pages=page_results,
        seconds=time.monotonic() - started,
        bytes_added=added,
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
        with source.doc.page(index) as page:
            if not page.geometry().visible:  # as PDFium and poppler show it: nothing to read
                log.warning(
                    "page %d: its CropBox lies outside its MediaBox, so nothing of it is "
                    "visible; not read",
                    index + 1,
                )
                continue
            if options.mode is Mode.FORCE:
                to_read.append(index)
                continue
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
    reviewed = False
    assembly.prepare()
    try:
        for reading in reader.read(page_images(source, plan.to_read, engine, store, options)):
            assembly.add(reading, progress)
            remark = None if reviewed else engine.review(reading.text)
            if remark:  # said once a run: the user needs the hint, not a line per page
                log.warning("page %d %s", reading.page.index + 1, remark)
                reviewed = True
    except BudgetExhaustedError as spent:
        raise costs.with_pages_left(spent, plan.to_read, reader.done, store is not None) from None
    failure = reader.failure(plan.to_read, cached=store is not None)
    if failure is not None:
        raise failure


def dry_run(
    source: Source, plan: Plan, handle: EngineHandle, store: PageStore | None, dst: Path
) -> ConversionResult:
    """What the conversion would do, with no call and no file written (see DryRun)."""
    engine, options = handle.engine if plan.to_read else None, handle.options
    pages = page_images(source, plan.to_read, engine, store, options) if engine else ()
    estimate = costs.dry_run(plan.to_read, len(plan.has_text), engine, pages, store)
    return ConversionResult(output=dst, pages=(), seconds=0.0, bytes_added=0, dry_run=estimate)


class EngineHandle:
    """The run's engine, made only when the first page needs reading: a run over pages that
    all have text already loads no model and opens no connection. Closed at the end if the
    run made it. A paid service's transport charges ``budget``."""

    def __init__(self, options: ConversionOptions, budget: Budget | None = None) -> None:
        self.options = options
        self.budget = budget
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
            config = replace(
                self.options.engine_config(), billing=self.budget, workers=self.options.jobs
            )
            if chosen is None or isinstance(chosen, str):
                self._engine = get_engine(chosen, config)
            else:
                self._engine = as_engine(chosen, config)
        return self._engine

    @property
    def calls(self) -> int:
        return self._engine.calls if self._engine is not None else 0


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
