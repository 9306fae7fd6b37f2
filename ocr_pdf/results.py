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
class ConversionResult:
    """The outcome of one conversion: output path, one PageResult per page in page order,
    total wall time in seconds, bytes the text layers added, billable service calls made."""

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
