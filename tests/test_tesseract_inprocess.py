"""`--engine tesseract` in this process (tesserocr, the `tesserocr` extra) and by one process a
page (the fallback, and OCR_PDF_TESSERACT_INPROCESS=0): the same words either way, no
process started in process, several threads reading at once, each way its own cache id."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from ocr_pdf import make_searchable
from ocr_pdf.engines import EngineConfig, tessapi
from ocr_pdf.engines import tesseract as tess
from ocr_pdf.errors import OcrEngineError
from tests import checks
from tests.pagegen import Block, PageSpec, _draw

pytestmark = [
    pytest.mark.skipif(shutil.which("tesseract") is None, reason="no tesseract"),
    pytest.mark.skipif(
        __import__("importlib").util.find_spec("tesserocr") is None, reason="no tesserocr"
    ),
]

PAGE = PageSpec(
    "memo",
    (
        Block(60, 50, ("Quarterly Report Summary",), 40),
        Block(60, 170, ("The quick brown fox jumps", "over the lazy dog while", "wizards hex"), 30),
    ),
    width_in=6,
    height_in=3,
    dpi=200,
)
WORDS = "Quarterly Report Summary The quick brown fox jumps over the lazy dog while wizards hex"


def _engine(monkeypatch: pytest.MonkeyPatch, in_process: bool) -> tess.TesseractEngine:
    monkeypatch.setenv(tessapi.ENV, "1" if in_process else "0")
    return tess.create(EngineConfig())


def _words(engine: tess.TesseractEngine) -> str:
    return " ".join(w.text for w in engine.recognize(_draw(PAGE)[0]).words)


def test_in_process_reads_the_words_a_process_reads_and_starts_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    by_process = _engine(monkeypatch, in_process=False)
    assert by_process.in_process is None
    assert _words(by_process) == WORDS
    engine = _engine(monkeypatch, in_process=True)
    assert engine.in_process is not None

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(subprocess, "run", refused)
    assert _words(engine) == WORDS
    engine.close()


def test_each_way_has_its_own_cache_id_naming_its_tesseract(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    in_process = _engine(monkeypatch, in_process=True).cache_id
    by_process = _engine(monkeypatch, in_process=False).cache_id
    assert in_process != by_process
    assert tessapi.version() in in_process and in_process.startswith("tesseract|tesseract ")


def test_threads_read_at_once_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = _engine(monkeypatch, in_process=True)
    got: list[str] = ["", "", ""]

    def read(i: int) -> None:
        got[i] = _words(engine)

    threads = [threading.Thread(target=read, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [WORDS] * 3
    engine.close()


def test_a_page_over_the_time_limit_is_an_engine_error(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = _engine(monkeypatch, in_process=True)
    assert engine.in_process is not None
    engine.in_process.timeout = 0.001
    with pytest.raises(OcrEngineError, match="took more than"):
        engine.recognize(_draw(PAGE)[0])


def test_a_run_in_process_gives_the_pdf_its_words(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.pagegen import make_pdf

    monkeypatch.setenv(tessapi.ENV, "1")
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(make_pdf([PAGE])[0])
    make_searchable(src, out, engine="tesseract", cache=False)
    assert " ".join(checks.page_text(out, 0).split()) == WORDS
