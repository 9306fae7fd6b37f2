"""The cost guard: the cap on the pages one document may send, the budget of billable calls a
run may make, and the dry run that says what a run would cost (stdlib and our own types)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from ocr_pdf.cache import PageStore
from ocr_pdf.engines.base import Engine
from ocr_pdf.errors import BadArgumentsError, BudgetExhaustedError, PageLimitError
from ocr_pdf.reading import PageImage, page_ranges
from ocr_pdf.results import DryRun


class Budget(Protocol):
    """Billable calls a run may still make. The transport charges one before every request
    that carries a page (a poll carries none); ``charge`` raises BudgetExhaustedError, and
    sends nothing, once ``total`` calls are spent."""

    @property
    def total(self) -> int: ...

    def charge(self) -> None: ...

    def remaining(self) -> int: ...


def spent(total: int, where: str = "") -> BudgetExhaustedError:
    """The error of a spent budget (``where``: "" for a run, "cluster " for a shared one)."""
    return BudgetExhaustedError(
        f"the {where}budget of {total} billable call(s) (--budget {total}) is spent; "
        "no more calls were made",
        total=total,
    )


class CallBudget:
    """At most ``total`` billable calls, for every thread of one process (the CLI shares one
    among the files of a run)."""

    def __init__(self, total: int) -> None:
        if total < 0:
            raise BadArgumentsError(f"--budget {total} must be 0 or more calls")
        self._total = total
        self._left = total
        self._lock = threading.Lock()

    @property
    def total(self) -> int:
        return self._total

    def charge(self) -> None:
        with self._lock:
            if self._left <= 0:
                raise spent(self._total)
            self._left -= 1

    def remaining(self) -> int:
        with self._lock:
            return self._left


def budget_for(setting: int | Budget | None) -> Budget | None:
    """The budget a ``budget=`` option asks for: a number starts one for this run, a Budget
    object (shared by a batch or a cluster) is used as it is, None means no limit."""
    if setting is None or not isinstance(setting, int):
        return setting
    return CallBudget(setting)


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
