"""Whole PDF files checked with PDFium (pypdfium2): that an input starts like a PDF, that an
output we wrote opens and every page of it parses, and how many pages a PDF in memory has.
Every call into PDFium holds :data:`ocr_pdf.pdf.pdfium.PDFIUM_LOCK` (see there)."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ocr_pdf.errors import EncryptedPdfError, FileAccessError, InputFileError, OutputInvalidError
from ocr_pdf.pdf.pdfium import PDFIUM_LOCK, REOPEN_EVERY, normalised


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(1024)
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a folder, not a PDF file") from None
    except PermissionError:
        raise FileAccessError(f"{path}: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise FileAccessError(f"{path}: cannot read ({exc.strerror})") from None


def check_header(path: Path) -> None:
    """An InputFileError unless ``path`` is a readable, non-empty file that starts like a PDF."""
    head = _read_head(path)
    if not head:
        raise InputFileError(f"{path}: the file is empty, not a PDF")
    if b"%PDF-" not in head:
        raise InputFileError(f"{path}: not a PDF file (no %PDF header)")


def check_output(path: Path, expected_pages: int) -> None:
    """Re-open a PDF we wrote and make sure every page loads and its content parses, our
    layer included (its text page is built, which reads every content stream and form but
    decodes no image: rendering a scan to check it cost more than the rest of a page's
    work); raise OutputInvalidError otherwise."""
    with PDFIUM_LOCK:
        _check_output(path, expected_pages)


def _check_output(path: Path, expected_pages: int) -> None:
    try:
        doc = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise OutputInvalidError(
            f"the output PDF does not open ({exc}); nothing was written"
        ) from None
    try:
        if len(doc) != expected_pages:
            raise OutputInvalidError(
                f"the output has {len(doc)} pages instead of {expected_pages}; nothing was written"
            )
        for i in range(len(doc)):
            if i and i % REOPEN_EVERY == 0:  # keep memory flat, as Document does
                doc.close()
                doc = pdfium.PdfDocument(str(path))
            try:
                page = doc[i]
            except pdfium.PdfiumError as exc:
                raise OutputInvalidError(
                    f"page {i + 1} of the output does not load ({exc}); nothing was written"
                ) from None
            if normalised(page.get_bbox()) is None:  # nothing of it shows, in the input too
                page.close()
                continue
            try:
                page.get_textpage().close()
            except pdfium.PdfiumError as exc:
                raise OutputInvalidError(
                    f"page {i + 1} of the output cannot be read ({exc}); nothing was written"
                ) from None
            finally:
                page.close()
    finally:
        doc.close()


def page_count(data: bytes) -> int:
    """The number of pages of the PDF in ``data`` (read from memory, nothing rendered);
    EncryptedPdfError when it needs a password, InputFileError when PDFium cannot open it or
    it has no pages."""
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        locked = (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY)
        if getattr(exc, "err_code", None) in locked:
            raise EncryptedPdfError("the PDF is encrypted with a password") from None
        raise InputFileError(f"the PDF is damaged and cannot be read ({exc})") from None
    try:
        count = len(doc)
    finally:
        doc.close()
    if count == 0:
        raise InputFileError("the PDF has no pages")
    return count
