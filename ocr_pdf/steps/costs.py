"""The cost guard, beside the pipeline: the cap on the pages one document may send, the budget
a run charges and the pages it left unread when spent, and the dry run that says what a run
would cost. The budget itself (the counter the transport charges) is shared state
(:mod:`ocr_pdf.shared_state`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from ocr_pdf._page_selection import page_ranges
from ocr_pdf.engines.base import Engine
from ocr_pdf.errors import BudgetExhaustedError, PageLimitError
from ocr_pdf.reading.page import PageImage
from ocr_pdf.results import DryRun
from ocr_pdf.shared_state import Budget, PageStore
from ocr_pdf.shared_state.local import CallBudget

__all__ = [
    "Budget",  # kept here for code written against 0.1: see ocr_pdf.shared_state
    "CallBudget",
    "budget_for",
    "check_page_cap",
    "dry_run",
    "page_list",
    "with_pages_left",
]


def budget_for(total: int | None, given: Budget | None = None) -> Budget | None:
    """The budget a run charges: ``given`` (shared by the files of a CLI run, a batch or a
    cluster) when there is one, else ``total`` calls for this run alone, else no limit."""
    if given is not None or total is None:
        return given
    return CallBudget(total)


def check_page_cap(path: Path, to_read: int, max_pages: int | None) -> None:
    """Refuse a document with more pages to OCR than ``max_pages``, before any call."""
    if max_pages is not None and to_read > max_pages:
        raise PageLimitError(
            f"{path.name}: {to_read} pages to OCR, more than --max-pages {max_pages}; "
            "refused, nothing was sent",
            pages=to_read,
            limit=max_pages,
        )


def with_pages_left(
    err: BudgetExhaustedError, to_read: Sequence[int], read: Iterable[int], cached: bool
) -> BudgetExhaustedError:
    """``err`` naming what is left of the document: the pages (0-based in ``to_read``) that
    were to be read and were not."""
    done = set(read)
    left = tuple(i + 1 for i in to_read if i not in done)
    message = f"{err.args[0]}"
    if left:
        message += f"; {len(left)} of {len(to_read)} page(s) not read ({page_list(left)})"
    if done and cached:
        message += (
            f"; the {len(done)} page(s) read are cached: run again with a new budget to finish"
        )
    return BudgetExhaustedError(message, total=err.total, pages_left=left)


def page_list(numbers: Sequence[int]) -> str:
    """1, 2, 3, 5 as "pages 1-3, 5"."""
    if not numbers:
        return "no pages"
    return ("page " if len(numbers) == 1 else "pages ") + page_ranges(tuple(numbers))


def dry_run(
    to_read: Sequence[int],
    has_text: int,
    engine: Engine | None,
    images: Iterable[PageImage],
    store: PageStore | None,
) -> DryRun:
    """What reading ``to_read`` (0-based) would cost, without a call: ``images`` are those
    pages rendered for ``engine`` (None when there is nothing to read), looked up in
    ``store``."""
    cached = sum(store.get(image.page.key) is not None for image in images) if store else 0
    per_page = engine.requests_per_page if engine is not None else 0
    to_pay = len(to_read) - cached
    return DryRun(
        to_read=tuple(i + 1 for i in to_read),
        cached=cached,
        has_text=has_text,
        billable_calls=to_pay if per_page else 0,
        requests=to_pay * per_page,
        engine=engine.name if engine is not None else "",
    )
