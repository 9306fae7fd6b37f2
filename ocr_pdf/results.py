"""What a conversion reports back: one result per page and one for the document (stdlib only)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


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
class DryRun:
    """What a run would do, found without a single call (``dry_run=True``): the 1-based
    pages it would read, how many of those are ``cached`` already, how many selected pages
    ``has_text`` already, and what reading the rest would take: ``billable_calls`` (one per
    page for a paid service, 0 offline) and ``requests`` in all (polls included), with
    ``engine``."""

    to_read: tuple[int, ...]
    cached: int
    has_text: int
    billable_calls: int
    requests: int
    engine: str


@dataclass(frozen=True)
class ConversionResult:
    """The outcome of one conversion: output path, one PageResult per page in page order,
    total wall time in seconds, bytes the text layers added, billable service calls made.
    A dry run writes nothing and calls nothing: its ``pages`` are empty and ``dry_run`` says
    what the run would do (None for a real run)."""

    output: Path
    pages: tuple[PageResult, ...]
    seconds: float
    bytes_added: int
    calls: int = 0
    dry_run: DryRun | None = None

    @property
    def pages_ocred(self) -> int:
        return sum(p.status == "ocr" for p in self.pages)

    @property
    def pages_from_cache(self) -> int:
        return sum(p.from_cache for p in self.pages)


ProgressCallback = Callable[[int, int], None]
"""Called with (pages done, pages to do): once with 0 before the first page, then after each
selected page is OCRed or found to have text already."""
