"""The cluster's tasks: one document converted (``convert_document``), and, meanwhile, the later
pages of a large document read into the shared cache by other workers (``read_pages``). Each is
a library step (:func:`ocr_pdf.pipeline.convert`, :func:`ocr_pdf.pipeline.prefetch`) run with
the worker's own engine and the cluster's budget; Celery's app (:mod:`.celery_app`) finds them
by name."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any, cast

from celery import Task, shared_task

from ocr_pdf import shared_state
from ocr_pdf._page_selection import selection
from ocr_pdf.cluster.messages import result_message
from ocr_pdf.cluster.policy import WorkerPolicy
from ocr_pdf.engines import Engine, EngineConfig, engine_for
from ocr_pdf.errors import OcrPdfError, RemoteConversionError
from ocr_pdf.options import ConversionOptions
from ocr_pdf.pipeline import convert, pages_to_read, prefetch
from ocr_pdf.shared_state import Budget

log = logging.getLogger(__name__)

SPLIT_PAGES = 32
"""A document with more pages to read than this has its later pages read by other workers
too, this many per subtask."""

PROGRESS_EVERY = 0.5
"""Seconds between two progress reports of a document (its last page is always reported)."""


# throws: a document that fails for a reason of its own (encrypted, a budget spent, a service
# down) is an outcome the client is told about, not a fault of the worker: Celery logs it at
# INFO in one line ("raised expected"), with no traceback. Anything else stays an ERROR.
@shared_task(bind=True, name="ocr_pdf.convert_document", throws=(RemoteConversionError,))
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
        asked = ConversionOptions.from_kwargs(**options)  # checked before anything is done
        WorkerPolicy.from_environment().check(input_path, output_path, asked)
        budget = budget or _own_budget(options, task_id)
        engine, charged = _kept_engine(asked), _budget(budget)
        if split_pages > 0 and not asked.dry_run and _shared_cache(asked):
            _spread(task_id, Path(input_path), asked, options, budget, split_pages)
        progress = _Progress(self)
        result = convert(input_path, output_path, asked, progress, engine=engine, budget=charged)
    except OcrPdfError as err:
        raise RemoteConversionError.of(err) from None
    return result_message(result)


@shared_task(bind=True, name="ocr_pdf.read_pages")
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
        asked = ConversionOptions.from_kwargs(**options)
        WorkerPolicy.from_environment().check(input_path, None, asked)
        to_read = prefetch(Path(input_path), asked, _kept_engine(asked), _budget(budget))
        return {"pages": to_read}
    except OcrPdfError as err:
        pages = options.get("pages")
        log.info("%s, pages %s: %s (left to the document's task)", input_path, pages, err)
        return {"error": str(err)}


def _budget(name: str | None) -> Budget | None:
    """The cluster budget ``name`` a task charges (None: the task's options say)."""
    return shared_state.backend().budget(name) if name is not None else None


_kept: dict[tuple[int, str | None, EngineConfig], Engine] = {}


def _kept_engine(options: ConversionOptions) -> Engine | None:
    """The offline engine ``options`` name, loaded once per worker thread and kept for its
    next documents (a model takes seconds to load); None for a service's engine, which the
    conversion makes for each document, its transport charging that document's budget."""
    key = (threading.get_ident(), options.engine, options.engine_config())
    engine = _kept.get(key)
    if engine is None:
        engine = engine_for(options.engine, key[2])
        if engine.requests_per_page:
            engine.close()
            return None
        _kept[key] = engine
    return engine


def _own_budget(message: dict[str, Any], task_id: str) -> str | None:
    """A budget for this document and its subtasks, when its options name a number and no
    cluster budget was given; made once, so a redelivered task does not refill it."""
    total = message.get("budget")
    if not isinstance(total, int) or not shared_state.redis_url():
        return None
    shared_state.backend().budget(f"task:{task_id}", total)
    return f"task:{task_id}"


def _shared_cache(options: ConversionOptions) -> bool:
    """Whether the pages other workers read reach this task: the cluster's own cache."""
    return options.cache is True and shared_state.redis_url() is not None


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
    later = pages_to_read(path, options)[split_pages:]
    for start in range(0, len(later), split_pages):
        pages = selection(later[start : start + split_pages])
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
