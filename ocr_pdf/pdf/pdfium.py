"""pypdfium2: open and check PDFs, read page geometry, render pages as displayed.

PDFium is not thread-safe, not even for two documents (pypdfium2 says so): every call into it,
from any thread of the process, is made holding one lock (``PDFIUM_LOCK``), so that pages can be
rendered on worker threads while the pipeline reads other pages' geometry. A render lets
other threads run meanwhile (ctypes releases the GIL), only not other PDFium calls."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from ocr_pdf.errors import EncryptedPdfError, InputFileError
from ocr_pdf.models import Line, PageGeometry, PageText, Word

log = logging.getLogger(__name__)

REOPEN_EVERY = 25
"""PDFium keeps what it parsed of every page it loaded (about 0.4 MB a page of a scan here)
until the document is closed; reopening it every this many pages keeps memory flat however
long the document."""

MAX_RENDER_PIXELS = 60_000_000
"""A page is rendered at a lower resolution rather than above this many pixels (a 200-inch
drawing at 300 dpi would need gigabytes); OCR services take at most about 10-100 MP anyway."""


PDFIUM_LOCK = threading.RLock()
"""Held for every call into PDFium: opening and closing a document, and the whole time a page
is loaded (:meth:`Document.page`)."""

Box = tuple[float, float, float, float]
US_LETTER: Box = (0.0, 0.0, 612.0, 792.0)
"""What PDFium, pdf.js and MuPDF show for a page whose MediaBox has no area."""
NOTHING: Box = (0.0, 0.0, 0.0, 0.0)


def normalised(box: tuple[float, ...]) -> Box | None:
    """(left, bottom, right, top) from two corners in any order, or None without area."""
    x0, y0, x1, y1 = (float(v) for v in box)
    left, bottom, right, top = min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)
    return (left, bottom, right, top) if right > left and top > bottom else None


def _contains(outer: Box, inner: Box) -> bool:
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and inner[2] <= outer[2]
        and inner[3] <= outer[3]
    )


class Page:
    """One page of a :class:`Document`, loaded once for everything asked of it; valid only
    inside :meth:`Document.page`."""

    def __init__(self, raw: Any, index: int, path: Path) -> None:
        self._raw = raw
        self.index = index
        self._path = path

    def geometry(self) -> PageGeometry:
        """Boxes and rotation of the page as PDFium displays it, which is how the PDF
        specification and other viewers read them: corners in either order, boxes inherited
        from the page tree, the CropBox intersected with the MediaBox, a MediaBox without area
        taken as US Letter. A CropBox outside the MediaBox leaves nothing visible."""
        # PDFium's own bounding box is what it renders; its box getters neither inherit nor
        # normalise (pypdfium2 says so), so the MediaBox is read only when the page has its own.
        shown = normalised(self._raw.get_bbox())
        own = self._raw.get_mediabox(fallback_ok=False)
        media = (normalised(own) or US_LETTER) if own is not None else shown
        if shown is None:
            return PageGeometry(media or US_LETTER, NOTHING, self._raw.get_rotation() % 360)
        if media is None or not _contains(media, shown):
            media = shown
        return PageGeometry(media, shown, self._raw.get_rotation() % 360)

    def text(self) -> str:
        """The text PDFium extracts from the page (empty when there is none)."""
        try:
            textpage = self._raw.get_textpage()
            try:
                return str(textpage.get_text_range()).replace("\r\n", "\n")
            finally:
                textpage.close()
        except pdfium.PdfiumError:
            return ""

    def text_chars(self) -> tuple[int, int]:
        """(visible, invisible) non-space characters of text already on the page; invisible
        means render mode 3, which is how OCR text layers (ours or others') hide."""
        visible = invisible = 0
        try:
            textpage = self._raw.get_textpage()
            try:
                for i in range(textpage.count_chars()):
                    if pdfium_c.FPDFText_GetUnicode(textpage.raw, i) in (0x20, 0x0D, 0x0A, 0x09):
                        continue
                    obj = pdfium_c.FPDFText_GetTextObject(textpage.raw, i)
                    mode = pdfium_c.FPDFTextObj_GetTextRenderMode(obj) if obj else 0
                    if mode == pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE:
                        invisible += 1
                    else:
                        visible += 1
            finally:
                textpage.close()
        except pdfium.PdfiumError:
            pass  # a page whose text cannot be read is treated as having none
        return visible, invisible

    def words(self, scale: float = 1.0) -> PageText:
        """The page's own text as words, in ``scale`` pixels per point of the page as
        displayed (origin top-left, y down; width and height its displayed size): PDFium's
        characters, split into words at spaces and into lines where PDFium breaks them, each
        word the box of its characters' font boxes."""
        geometry = self.geometry()
        width, height = geometry.display_size
        x0, y0, x1, y1 = geometry.cropbox
        turn = geometry.rotation

        def shown(x: float, y: float) -> tuple[float, float]:  # user space -> displayed
            if turn == 90:
                u, v = y - y0, x - x0
            elif turn == 180:
                u, v = x1 - x, y - y0
            elif turn == 270:
                u, v = y1 - y, x1 - x
            else:
                u, v = x - x0, y1 - y
            return (u * scale, v * scale)

        lines: list[Line] = []
        words: list[Word] = []
        chars: list[tuple[str, float, float, float, float]] = []

        def end_word() -> None:
            if chars:
                units = "".join(c for c, *_ in chars).encode("utf-16-le", "surrogatepass")
                text = units.decode("utf-16-le", "replace")  # PDFium gives astral ones in pairs
                left, top = min(c[1] for c in chars), min(c[2] for c in chars)
                right, bottom = max(c[3] for c in chars), max(c[4] for c in chars)
                quad = ((left, top), (right, top), (right, bottom), (left, bottom))
                words.append(Word(text, quad))
                chars.clear()

        try:
            textpage = self._raw.get_textpage()
        except pdfium.PdfiumError:
            return PageText(round(width * scale), round(height * scale))
        try:
            for i in range(textpage.count_chars()):
                code = pdfium_c.FPDFText_GetUnicode(textpage.raw, i)
                if code in (0x0D, 0x0A):
                    end_word()
                    if words:
                        lines.append(Line(tuple(words)))
                        words = []
                    continue
                if code in (0x20, 0x09, 0xA0, 0) or pdfium_c.FPDFText_IsGenerated(textpage.raw, i):
                    end_word()
                    continue
                left, bottom, right, top = textpage.get_charbox(i, loose=True)
                (ax, ay), (bx, by) = shown(left, bottom), shown(right, top)
                chars.append((chr(code), min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)))
        finally:
            textpage.close()
        end_word()
        if words:
            lines.append(Line(tuple(words)))
        return PageText(round(width * scale), round(height * scale), tuple(lines))

    def native_dpi(self) -> float | None:
        """The resolution of the sharpest image drawn on the page (pixels per inch as
        drawn), or None when the page draws no image."""
        try:
            best = None
            for obj in self._raw.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
                meta = obj.get_metadata()
                dpi = max(meta.horizontal_dpi, meta.vertical_dpi)
                if dpi > 0 and (best is None or dpi > best):
                    best = float(dpi)
            return best
        except pdfium.PdfiumError:
            return None

    def render(self, dpi: float) -> Image.Image:
        """The page as displayed (/Rotate and CropBox applied), 8-bit grayscale, at ``dpi`` or
        lower if that would exceed MAX_RENDER_PIXELS."""
        try:
            w, h = self._raw.get_size()
            scale = dpi / 72
            if w * h * scale * scale > MAX_RENDER_PIXELS:
                # A little under the ceiling: PDFium rounds each side up.
                scale = (MAX_RENDER_PIXELS / (w * h)) ** 0.5 * 0.999
                log.info("page %d is large; rendering at %.0f dpi", self.index + 1, scale * 72)
            # A grey bitmap, not the FPDF_GRAYSCALE flag: the same pixels, a third of the time
            # (the flag converts every colour as it is drawn; a 300-dpi scan: 80 ms -> 23 ms).
            bitmap = self._raw.render(
                scale=scale, may_draw_forms=False, force_bitmap_format=pdfium_c.FPDFBitmap_Gray
            )
            try:
                image: Image.Image = bitmap.to_pil()
                # Detach from PDFium's buffer so the bitmap can be freed now (still locked).
                return image.copy() if image.mode == "L" else image.convert("L")
            finally:
                bitmap.close()
        except (pdfium.PdfiumError, ValueError) as exc:  # ValueError: nothing of it shows
            raise InputFileError(
                f"{self._path}: page {self.index + 1} cannot be rendered ({exc})"
            ) from None


class Document:
    """An input PDF opened for reading with PDFium (callers check the header first: see
    :func:`check_header`). Any thread may use it: its calls into PDFium take turns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with PDFIUM_LOCK:
                self._doc = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            code = getattr(exc, "err_code", None)
            if code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
                raise EncryptedPdfError.for_file(path) from None
            raise InputFileError(
                f"{path}: the PDF is damaged and cannot be read ({str(exc).rstrip('.')}); try "
                "repairing it with qpdf or re-exporting it"
            ) from None
        if len(self) == 0:
            self.close()
            raise InputFileError(f"{path}: the PDF has no pages")
        self._loads = 0

    @contextmanager
    def page(self, index: int) -> Iterator[Page]:
        """Page ``index`` (0-based), loaded once for the block, reopening the document now
        and then to keep memory flat. The block holds PDFium: keep it to PDFium's work."""
        with PDFIUM_LOCK:
            self._loads += 1
            if self._loads % REOPEN_EVERY == 0:
                self._doc.close()
                self._doc = pdfium.PdfDocument(str(self.path))
            raw = self._doc[index]
            try:
                yield Page(raw, index, self.path)
            finally:
                raw.close()

    def page_text(self, index: int) -> str:
        with self.page(index) as page:
            return page.text()

    def __len__(self) -> int:
        with PDFIUM_LOCK:
            return len(self._doc)

    def close(self) -> None:
        with PDFIUM_LOCK:
            self._doc.close()

    def __enter__(self) -> Document:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
