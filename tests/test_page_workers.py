"""A document's page images read on worker threads (reading/workers.py): what a run stopped
early counts as read."""

from __future__ import annotations

import threading

import pytest
from PIL import Image

from ocr_pdf.engines.base import Engine
from ocr_pdf.errors import BudgetExhaustedError
from ocr_pdf.models import Line, PageGeometry, PageText, Word
from ocr_pdf.reading.page import PageImage, PageImageInfo
from ocr_pdf.reading.workers import GiveUpPolicy, PageReader

PAGE_BOX = (0.0, 0.0, 72.0, 72.0)


class SpentOnTheFirstPage(Engine):
    """The budget's last call is taken by page 2's thread, so page 1's thread finds it spent:
    page 1 fails only once page 2 is being read, and page 2 ends after page 1 has failed."""

    name = "spent"

    def __init__(self) -> None:
        super().__init__()
        self.second_started = threading.Event()
        self.first_failed = threading.Event()

    def recognize(self, image: Image.Image) -> PageText:
        if image.width == 101:  # page 1
            assert self.second_started.wait(30)
            self.first_failed.set()
            raise BudgetExhaustedError("the budget of 1 billable call(s) is spent", total=1)
        self.second_started.set()
        assert self.first_failed.wait(30)
        word = Word("read", ((1, 1), (20, 1), (20, 9), (1, 9)), 0.9)
        return PageText(image.width, image.height, (Line((word,)),))


def _image(index: int, width: int) -> PageImage:
    info = PageImageInfo(
        index, PageGeometry(PAGE_BOX, PAGE_BOX, 0), width, 100, (1, 0, 0, 1, 0, 0), 72.0
    )
    return PageImage(info, Image.new("L", (width, 100), 255))


def test_a_page_read_while_another_met_the_spent_budget_counts_as_read() -> None:
    """Page 2 was read (paid for, cached) while page 1 met the spent budget: the run must not
    say page 2 is left to read (a busy machine made '3 of 3 page(s) not read' of it)."""
    reader = PageReader(SpentOnTheFirstPage(), None, 2, GiveUpPolicy())
    with pytest.raises(BudgetExhaustedError):
        list(reader.read([_image(0, 101), _image(1, 102)]))
    assert reader.done == {1}
