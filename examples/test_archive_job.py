"""The job's test: Azure's answers replay from examples/cassettes/, no key and no network."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from examples.archive_job import make_inbox_searchable

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@pytest.mark.ocr_pdf_cassette
def test_inbox_becomes_searchable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Replaying needs no real endpoint or key; recording uses the ones in the environment.
    if "AZURE_VISION_ENDPOINT" not in os.environ:
        monkeypatch.setenv("AZURE_VISION_ENDPOINT", "https://example.cognitiveservices.azure.com")
        monkeypatch.setenv("AZURE_VISION_KEY", "not-needed-on-replay")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLES / "letter.pdf", inbox)
    assert make_inbox_searchable(inbox, tmp_path / "done") == {"letter.pdf": "1 page(s) OCRed"}
    text = pdfium.PdfDocument(tmp_path / "done" / "letter.pdf")[0].get_textpage().get_text_range()
    assert "renovation of the reading room" in " ".join(text.split())
