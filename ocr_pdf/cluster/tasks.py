"""The cluster's tasks: one document converted (``convert_document``), and, meanwhile, the later
pages of a large document read into the shared cache by other workers (``read_pages``)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from celery import Task

from ocr_pdf import costs, shared
from ocr_pdf.assembly import Assembly
from ocr_pdf.cache import open_cache
from ocr_pdf.cluster.celery_app import app
from ocr_pdf.cluster.messages import result_message
from ocr_pdf.cluster.store import SharedBudget
from ocr_pdf.engines import Engine, EngineConfig, get_engine
from ocr_pdf.errors import OcrPdfError, RemoteConversionError
from ocr_pdf.inputs import open_input
from ocr_pdf.options import ConversionOptions
from ocr_pdf.pipeline import EngineHandle, Plan, convert, plan_pages, read_pages
from ocr_pdf.reading import page_ranges

log = logging.getLogger(__name__)

SPLIT_PAGES = 32
"""A document with more pages to read than this has its later pages read by other workers
too, this many per subtask."""

PROGRESS_EVERY = 0.5
"""Seconds between two progress reports of a document (its last page is always reported)."""


# throws: a document that fails for a reason of its own (encrypted, a budget spent, a service
# down) is an outcome the client is told about, not a fault of the worker: Celery logs it at
# INFO in one line ("raised expected"), with no traceback. Anything else stays an ERROR.
@app.task(bind=True, name="ocr_pdf.convert_document", throws=(RemoteConversionError,))
def convert_document(
    self: Task[Any, Any],
    input_path: str,
    output_path: str | None,
    options: dict[str, Any],
    budget: str | None = None,
    split_pages: int = SPLIT_PAGES,
) -> dict[str, Any]:
    """Convert one document as ``make_searchable(input_path, output_path, **options)`` would,
    on a worker, and return its ConversionResult as a dict
    (:func:`ocr_pdf.cluster.messages.result_from` rebuilds it).

    The paths are on storage every worker sees. ``options`` are make_searchable's keyword
    arguments as JSON (the engine by name; the key comes from the worker's environment).
    ``budget`` names a cluster budget made by :func:`ocr_pdf.cluster.enqueue`; without one, a
    ``budget`` option is this document's own. A document with more than ``split_pages``
    pages to read (0: never) has the later ones read meanwhile by ``read_pages`` subtasks on
    other workers; this task reads the rest and grafts them all.

    The message is acknowledged when the task ends, so a worker that dies leaves the
    document to another, which pays only for the pages not in the shared cache; the output
    is written beside its target and renamed into place, so it is never half written, and a
    task delivered again after it succeeded returns its result without converting again.
    A failure is a RemoteConversionError carrying the exit code of the error behind it."""
    task_id = str(self.request.id)
    done = self.AsyncResult(task_id)
    if done.successful():
        return cast(dict[str, Any], done.result)
    try:
        budget = budget or _own_budget(options, task_id)
        settings = worker_options(options, budget)
        if split_pages > 0 and not settings.dry_run and _shared_cache(settings):
            _spread(task_id, Path(input_path), settings, options, budget, split_pages)
        result = convert(input_path, output_path, settings, _Progress(self))
    except OcrPdfError as err:
        raise RemoteConversionError.of(err) from None
    return result_message(result)


@app.task(bind=True, name="ocr_pdf.read_pages")
def read_document_pages(
    self: Task[Any, Any],
    input_path: str,
    options: dict[str, Any],
    budget: str | None,
    document: str,
) -> dict[str, Any]:
    """Read the pages ``options["pages"]`` of a document into the shared cache, for the
    ``convert_document`` task ``document``, which grafts them (nothing if it is finished).
    Pages that fail are left to that task, which tries them itself and reports them."""
    if self.AsyncResult(document).ready():
        return {"pages": 0}
    try:
        settings = worker_options(options, budget)
        return {"pages": _read_into_cache(Path(input_path), settings)}
    except OcrPdfError as err:
        pages = options.get("pages")
        log.info("%s, pages %s: %s (left to the document's task)", input_path, pages, err)
        return {"error": str(err)}


def _read_into_cache(path: Path, options: ConversionOptions) -> int:
    """Read the pages ``options`` select into the shared cache; how many were to read."""
    with open_input(path, invalidate_signatures=options.invalidate_signatures) as source:
        plan = plan_pages(source, options)
        assembly = Assembly(options, len(source))
        store = open_cache(options.cache)
        with EngineHandle(options, costs.budget_for(options.budget)) as handle:
            if plan.to_read:
                read_pages(source, plan, handle.engine, store, options, assembly, None)
    return len(plan.to_read)


def worker_options(message: dict[str, Any], budget: str | None) -> ConversionOptions:
    """The options a task's message asks for, charging the cluster budget ``budget``, with
    an offline engine this worker thread already loaded."""
    options = ConversionOptions.from_kwargs(**message)
    url = shared.redis_url()
    if budget is not None and url:
        options = replace(options, budget=SharedBudget(url, budget))
    return _kept_engine(options)


_kept: dict[tuple[int, str | None, EngineConfig], Engine] = {}


def _kept_engine(options: ConversionOptions) -> ConversionOptions:
    """``options`` with the offline engine they name, loaded once per worker thread and kept
    for its next documents (a model takes seconds to load). A service's engine is made for
    each document instead, its transport charging that document's budget."""
    if options.engine is not None and not isinstance(options.engine, str):
        return options
    key = (threading.get_ident(), options.engine, options.engine_config())
    engine = _kept.get(key)
    if engine is None:
        engine = get_engine(options.engine, key[2])
        if engine.requests_per_page:
            engine.close()
            return options
        _kept[key] = engine
    return replace(options, engine=engine)


def _own_budget(message: dict[str, Any], task_id: str) -> str | None:
    """A budget for this document and its subtasks, when its options name a number and no
    cluster budget was given; made once, so a redelivered task does not refill it."""
    total, url = message.get("budget"), shared.redis_url()
    if not isinstance(total, int) or not url:
        return None
    SharedBudget.create(url, f"task:{task_id}", total)
    return f"task:{task_id}"


def _shared_cache(options: ConversionOptions) -> bool:
    """Whether the pages other workers read reach this task: the cluster's own cache."""
    return options.cache is True and shared.redis_url() is not None


def _spread(
    task_id: str,
    path: Path,
    options: ConversionOptions,
    message: dict[str, Any],
    budget: str | None,
    split_pages: int,
) -> None:
    """Send the pages after the first ``split_pages`` to read to other workers, in ranges of
    ``split_pages``; refuse first a document over ``max_pages``, before anything is sent."""
    with open_input(path, invalidate_signatures=options.invalidate_signatures) as source:
        plan: Plan = plan_pages(source, options)
    costs.check_page_cap(path, len(plan.to_read), options.max_pages)
    later = plan.to_read[split_pages:]
    for start in range(0, len(later), split_pages):
        numbers = tuple(i + 1 for i in later[start : start + split_pages])
        pages = page_ranges(numbers).replace(" ", "")
        read_document_pages.apply_async(
            args=(str(path), {**message, "pages": pages}, budget, task_id)
        )


class _Progress:
    """A document's progress as its task's state (``PROGRESS``, meta done and total)."""

    def __init__(self, task: Task[Any, Any]) -> None:
        self.task = task
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        self.task.update_state(state="PROGRESS", meta={"done": done, "total": total})
