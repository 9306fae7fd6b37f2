"""Sending documents to the cluster and following them: :func:`enqueue` submits one task per
document and returns a :class:`Batch`, whose ``wait`` reports progress and gathers each
document's result or error."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from celery.result import AsyncResult
from kombu.exceptions import OperationalError

from ocr_pdf import shared_state
from ocr_pdf.cluster.celery_app import app
from ocr_pdf.cluster.messages import options_message, result_from
from ocr_pdf.cluster.tasks import SPLIT_PAGES
from ocr_pdf.errors import (
    BadArgumentsError,
    ExitCode,
    OcrPdfError,
    RemoteConversionError,
    SharedStateError,
)
from ocr_pdf.options import ConversionOptions
from ocr_pdf.results import ConversionResult
from ocr_pdf.shared_state.redis_store import connection, guarded, where
from ocr_pdf.steps.inputs import into_folder

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class Submitted:
    """One document sent to the cluster: its task's id, its input and its output."""

    task_id: str
    input: Path
    output: Path | None


@dataclass(frozen=True)
class Outcome:
    """How one document ended: its ConversionResult, or the error (a
    RemoteConversionError carrying the exit code) that stopped it."""

    submitted: Submitted
    result: ConversionResult | None
    error: OcrPdfError | None

    @property
    def input(self) -> Path:
        return self.submitted.input


@dataclass(frozen=True)
class Progress:
    """Where a batch stands: documents and pages (selected pages: read, cached or found to
    have text) done of those known so far, ``seconds`` since it was submitted."""

    documents: int
    documents_done: int
    pages: int
    pages_done: int
    seconds: float

    @property
    def pages_per_second(self) -> float:
        return self.pages_done / self.seconds if self.seconds > 0 else 0.0


class Batch:
    """Documents submitted together; ``wait`` follows them to the end."""

    def __init__(self, submitted: Sequence[Submitted], started: float | None = None) -> None:
        self.submitted = tuple(submitted)
        self.started = time.monotonic() if started is None else started
        self._pages: dict[str, tuple[int, int]] = {}  # task id -> (done, total)
        self._outcomes: dict[str, Outcome] = {}

    @property
    def task_ids(self) -> list[str]:
        return [s.task_id for s in self.submitted]

    def poll(self) -> Progress:
        """Look at every unfinished document once; return where the batch stands."""
        with reaching_redis():
            for item in self.submitted:
                if item.task_id not in self._outcomes:
                    self._look(item)
        return Progress(
            documents=len(self.submitted),
            documents_done=len(self._outcomes),
            pages=sum(total for _, total in self._pages.values()),
            pages_done=sum(done for done, _ in self._pages.values()),
            seconds=time.monotonic() - self.started,
        )

    def wait(
        self,
        progress: Callable[[Progress], None] | None = None,
        *,
        every: float = 0.5,
        timeout: float | None = None,
    ) -> list[Outcome]:
        """Every document's outcome, in the order submitted, once all have ended; calls
        ``progress`` after each look (every ``every`` seconds). ``timeout`` seconds (None:
        no limit) is an OcrPdfError if some have not ended by then."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            state = self.poll()
            if progress is not None:
                progress(state)
            if state.documents_done == state.documents:
                return [self._outcomes[s.task_id] for s in self.submitted]
            if deadline is not None and time.monotonic() > deadline:
                raise OcrPdfError(
                    f"{state.documents - state.documents_done} document(s) still not done "
                    f"after {timeout:g} s; their tasks go on: {', '.join(self.task_ids)}"
                )
            time.sleep(max(every, len(self.submitted) / 500))

    def _look(self, item: Submitted) -> None:
        found: AsyncResult[Any] = AsyncResult(item.task_id, app=app)
        state: str = found.state
        info = found.info
        if state == "PROGRESS" and isinstance(info, dict):
            self._pages[item.task_id] = (int(info.get("done", 0)), int(info.get("total", 0)))
        elif state == "SUCCESS":
            result = result_from(info)
            selected = sum(p.status != "skipped" for p in result.pages)
            self._pages[item.task_id] = (selected, selected)
            self._outcomes[item.task_id] = Outcome(item, result, None)
        elif state == "FAILURE":
            self._outcomes[item.task_id] = Outcome(item, None, _as_error(info))


def _as_error(info: Any) -> OcrPdfError:
    if isinstance(info, OcrPdfError):
        return info
    # Not ours (a worker lost for good, a bug): say what Celery said.
    return RemoteConversionError(f"{type(info).__name__}: {info}", ExitCode.other_error)


def submit(
    pairs: Iterable[tuple[Path, Path | None]],
    options: ConversionOptions,
    *,
    split_pages: int = SPLIT_PAGES,
) -> Batch:
    """One convert_document task per (input, output) pair, with ``options``; a ``budget``
    becomes one budget for the whole batch, shared by every worker."""
    url = shared_state.redis_url()
    if not url:
        raise BadArgumentsError(f"sending documents to the cluster needs {shared_state.ENV}")
    with guarded(url):  # a clear error now, not Celery's minute of retries
        connection(url).ping()
    message = options_message(options)
    budget = None
    if options.budget is not None:
        budget = f"batch:{uuid.uuid4().hex}"
        shared_state.backend().budget(budget, options.budget)
    started = time.monotonic()
    submitted = []
    with reaching_redis():
        for src, dst in pairs:
            args = (str(src), None if dst is None else str(dst), message, budget, split_pages)
            sent = app.send_task("ocr_pdf.convert_document", args=args)
            submitted.append(Submitted(str(sent.id), src, dst))
    return Batch(submitted, started)


@contextmanager
def reaching_redis() -> Iterator[None]:
    """Celery's and Redis's failures to reach the cluster as SharedStateError (exit 9)."""
    url = shared_state.redis_url() or ""
    try:
        with guarded(url):
            yield
    except OperationalError as exc:
        raise SharedStateError(
            f"the cluster's Redis at {where(url)} (OCR_PDF_REDIS_URL) failed: {exc}"
        ) from None


def enqueue(
    inputs: Iterable[PathLike],
    outdir: PathLike,
    *,
    split_pages: int = SPLIT_PAGES,
    **options: Any,
) -> Batch:
    """Send each PDF of ``inputs`` to the cluster, to be converted into ``outdir`` under its
    own name, with make_searchable's ``options`` (the engine by name; ``budget`` for the
    whole batch, ``max_pages`` per document). Paths must be on storage every worker sees
    (they are sent absolute). Returns the Batch; ``batch.wait()`` gives each outcome."""
    pairs, _ = into_folder([Path(p).absolute() for p in inputs], Path(outdir).absolute())
    settings = ConversionOptions.from_kwargs(**options)
    return submit(pairs, settings, split_pages=split_pages)
