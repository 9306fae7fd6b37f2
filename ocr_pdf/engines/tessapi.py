"""Tesseract's C++ API in this process, through tesserocr (the ``tesserocr`` extra): the only
module that touches it. The `tesseract` engine reads pages here when tesserocr is installed,
else (or with ``OCR_PDF_TESSERACT_INPROCESS=0``) by one ``tesseract`` process per page.

In process, a page costs no process start, no loading of the language data, no PNG encoded
and decoded: measured on 4 generated letter pages (150-300 dpi, one thread), 0.69 CPU s a page
against 0.98 for a process each, with the same words (one word's case apart: tesserocr's wheel
brings its own Tesseract, 5.5 where Debian has 5.3). The language data is the system's, the
folder the ``tesseract`` program reads."""

from __future__ import annotations

import functools
import os
import threading
from typing import Any

from PIL import Image

from ocr_pdf.errors import OcrEngineError

ENV = "OCR_PDF_TESSERACT_INPROCESS"
# The header of Tesseract's TSV: its renderer writes it, the API's GetTSVText does not.
COLUMNS = "level page_num block_num par_num line_num word_num left top width height conf text"
TSV_HEADER = "\t".join(COLUMNS.split()) + "\n"


def available() -> bool:
    """Whether pages can be read in process: tesserocr importable, and not turned off."""
    if os.environ.get(ENV, "1").strip().lower() in ("0", "no", "false", "off"):
        return False
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        return False
    return True


@functools.cache
def version() -> str:
    """The Tesseract that tesserocr runs (its first line: ``tesseract 5.5.4``); asked once, as
    every page's cache key names it."""
    import tesserocr

    return str(tesserocr.tesseract_version()).splitlines()[0].strip()


class InProcess:
    """Reads page images with Tesseract's API: one API object per thread (an object serves one
    thread at a time; tesserocr lets go of the GIL while it reads, so threads read at once),
    each loading ``languages`` from ``tessdata`` once."""

    def __init__(self, tessdata: str, languages: str, timeout: float) -> None:
        self.tessdata, self.languages, self.timeout = tessdata, languages, timeout
        self._local = threading.local()
        self._made: list[Any] = []
        self._lock = threading.Lock()

    def tsv(self, image: Image.Image, psm: int) -> str:
        """The page's words as Tesseract's TSV (with its header), read with page segmentation
        mode ``psm``."""
        api = self._api()
        api.SetPageSegMode(psm)
        api.SetImage(image)
        try:
            if not api.Recognize(timeout=round(self.timeout * 1000)):
                raise OcrEngineError(f"tesseract took more than {self.timeout:.0f} s on a page")
            return TSV_HEADER + str(api.GetTSVText(0) or "")
        finally:
            api.Clear()

    def close(self) -> None:
        with self._lock:
            made, self._made = self._made, []
        for api in made:
            api.End()

    def _api(self) -> Any:
        api = getattr(self._local, "api", None)
        if api is None:
            import tesserocr

            try:
                api = tesserocr.PyTessBaseAPI(path=self.tessdata, lang=self.languages)
            except RuntimeError as exc:
                raise OcrEngineError(f"tesseract cannot start in process: {exc}") from None
            self._local.api = api
            with self._lock:
                self._made.append(api)
        return api
