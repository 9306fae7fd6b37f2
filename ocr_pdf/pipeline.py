"""make_searchable(): the order of the steps, from input PDF to searchable output PDF.

A conversion reads top to bottom as :func:`convert`: open and check the input once, plan the
pages, render and read them, assemble their text layers, graft the layers onto the original
pages, write the other outputs, publish."""

from __future__ import annotations

import logging
import os
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

from ocr_pdf import _files
from ocr_pdf.engines import as_engine, engine_for
from ocr_pdf.engines.base import Billed, Engine, Recognizer
from ocr_pdf.errors import BadArgumentsError, BudgetExhaustedError
from ocr_pdf.formats import document, text
from ocr_pdf.image import to_pdf
from ocr_pdf.options import ConversionOptions
from ocr_pdf.pdf import graft, original, pdfium_checks
from ocr_pdf.reading.cache import PageStore, open_cache
from ocr_pdf.reading.page import PageImage, Reading, read_one
from ocr_pdf.reading.rendering import page_images, rendered
from ocr_pdf.reading.workers import GiveUpPolicy, PageReader
from ocr_pdf.results import ConversionResult, PageResult, ProgressCallback
from ocr_pdf.shared_state import Budget
from ocr_pdf.steps import costs
from ocr_pdf.steps.assembly import Assembly
from ocr_pdf.steps.inputs import Source, open_input
from ocr_pdf.steps.planning import Plan, plan_pages

log = logging.getLogger(__name__)

__all__ = ["ConversionOptions", "Plan", "convert", "make_searchable", "plan_pages"]


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
    ``in_place``, ...); ``engine`` may also be a ready engine object, and ``budget`` a budget
    shared with other runs (:class:`ocr_pdf.shared_state.Budget`). ``progress`` is called
    with (pages done, pages to do). Raises OcrPdfError subclasses; each carries the exit code
    the CLI uses."""
    engine, budget = options.get("engine"), options.get("budget")
    live_engine = engine if engine is not None and not isinstance(engine, str) else None
    live_budget = budget if hasattr(budget, "charge") else None
    if live_engine is not None:
        options["engine"] = None
    if live_budget is not None:
        options["budget"] = None
    settings = ConversionOptions.from_kwargs(**options)
    return convert(
        input_path, output_path, settings, progress, engine=live_engine, budget=live_budget
    )


def convert(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str] | None,
    options: ConversionOptions,
    progress: ProgressCallback | None = None,
    *,
    engine: Engine | Recognizer | None = None,
    budget: Budget | None = None,
) -> ConversionResult:
    """The conversion :func:`make_searchable` describes, with its options made already.
    ``engine``, when given, is the engine to read with (else ``options.engine`` names it);
    ``budget``, when given, is charged instead of a new one of ``options.budget`` calls."""
    started = time.monotonic()
    given = Path(input_path)
    dst = _destination(given, output_path, options)
    # Every output checked before the first paid call, not found unwritable after the last.
    _files.check_source(given)
    _files.check_targets((dst, ""), *options.side_outputs())
    store = open_cache(options.cache)
    with ExitStack() as stack:
        src = stack.enter_context(to_pdf.as_pdf(given, options.image_dpi))
        if options.in_place and src != given:
            raise BadArgumentsError(f"{given}: --in-place replaces PDFs; this is an image")
        signed_ok = options.invalidate_signatures
        source = stack.enter_context(open_input(src, invalidate_signatures=signed_ok))
        plan = plan_pages(source, options)
        if plan.to_read and original.is_tagged(source.original):
            # As OCRmyPDF does with --skip-text: the structure is kept (it still describes
            # the original content, which is untouched) and the new text stays outside it.
            log.warning(
                "%s is a Tagged PDF: the text OCR adds is not in its structure tree (screen "
                "readers follow the tree; search, selection and copy find the text)",
                given,
            )
        costs.check_page_cap(src, len(plan.to_read), options.max_pages)
        handle = stack.enter_context(EngineHandle(options, engine, budget))
        if options.dry_run:
            return dry_run(source, plan, handle, store, dst)
        out, tmp = stack.enter_context(_files.temporary_beside(dst))
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
            pdfium_checks.check_output(tmp, len(source))
        page_results = assembly.results()
        staged = stack.enter_context(_files.Staged())  # published with the PDF, or not at all
        write_side_outputs(source, assembly, page_results, options, staged)
        if unchanged:
            tmp.unlink()
        else:
            _files.publish(tmp, dst, like=src if options.in_place else None)
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

    def render(index: int) -> PageImage:
        return rendered(source, index, engine, store, options)

    jobs = options.jobs or engine.default_jobs
    reader = PageReader(engine, store, jobs, GiveUpPolicy(), render=render)
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


def read_one_page(
    source: Source, index: int, engine: Engine, store: PageStore | None, options: ConversionOptions
) -> tuple[PageImage, Reading]:
    """Page ``index`` (0-based) as a conversion reads it: its image for ``engine`` (rendered,
    or its scan sent as stored) and the reading of it through ``store``."""
    image = next(page_images(source, [index], engine, store, options))
    return image, read_one(engine, image, store)


def pages_to_read(path: Path, options: ConversionOptions) -> list[int]:
    """The pages (0-based) a conversion of ``path`` with ``options`` would read; refused
    first, as the conversion would be, when they are more than ``max_pages``."""
    with open_input(path, invalidate_signatures=options.invalidate_signatures) as source:
        to_read = plan_pages(source, options).to_read
    costs.check_page_cap(path, len(to_read), options.max_pages)
    return to_read


def prefetch(
    path: Path, options: ConversionOptions, engine: Engine | None, budget: Budget | None
) -> int:
    """Read the pages ``options`` select into the cache ``options`` name, as a conversion
    would read them, and write nothing else (a cluster's workers reading the later pages of
    a large document for the one that grafts them); how many were to read."""
    store = open_cache(options.cache)
    with open_input(path, invalidate_signatures=options.invalidate_signatures) as source:
        plan = plan_pages(source, options)
        with EngineHandle(options, engine, budget) as handle:
            if plan.to_read:
                assembly = Assembly(options, len(source))
                read_pages(source, plan, handle.engine, store, options, assembly, None)
    return len(plan.to_read)


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
    all have text already loads no model and opens no connection. ``given`` is a ready engine
    to use instead of the one ``options`` name; closed at the end only if the run made it. A
    paid service's engine charges ``budget`` (given, or ``options.budget`` calls for this
    run: :func:`ocr_pdf.steps.costs.budget_for`)."""

    def __init__(
        self,
        options: ConversionOptions,
        given: Engine | Recognizer | None = None,
        budget: Budget | None = None,
    ) -> None:
        self.options = options
        self.given = given
        self.budget = costs.budget_for(options.budget, budget)
        self._engine: Engine | None = None

    def __enter__(self) -> EngineHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._engine is not None and self.given is None:
            self._engine.close()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            config = replace(self.options.engine_config(), workers=self.options.jobs)
            if self.given is None:
                engine = engine_for(self.options.engine, config)
            else:
                engine = as_engine(self.given, config)
            if isinstance(engine, Billed):
                engine.bill_to(self.budget)
            self._engine = engine
        return self._engine

    @property
    def calls(self) -> int:
        return self._engine.calls if self._engine is not None else 0


def write_side_outputs(
    source: Source,
    assembly: Assembly,
    results: tuple[PageResult, ...],
    options: ConversionOptions,
    staged: _files.Staged,
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
