"""The text layers of a conversion: each page's reading moved from the pixels of the image the
engine read to PDF points, written as an invisible-text page as it arrives, with where each
layer goes and what each page got."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocr_pdf.formats import document
from ocr_pdf.geometry import dominant_angle
from ocr_pdf.models import Line, Matrix, PageGeometry, PageText, Word, apply
from ocr_pdf.options import ConversionOptions
from ocr_pdf.pdf import graft
from ocr_pdf.reading.page import Reading
from ocr_pdf.results import PageResult, ProgressCallback

if TYPE_CHECKING:  # reportlab (70 ms to import) is loaded with the first reading, not before
    from ocr_pdf import textlayer

CROP_TOLERANCE = 1.0
"""Points a word's centre may lie outside the CropBox and still be kept: a scan's edge."""


def to_layer_page(
    text: PageText, geometry: PageGeometry, to_user: Matrix, rotation: int, clip: bool = False
) -> textlayer.LayerPage:
    """Move a page's words from the pixels of the image they were read on to points relative
    to the page's MediaBox origin (``to_user`` maps those pixels to user space). With
    ``clip``, words whose centre falls outside the CropBox are left out: a scan read as
    stored may be drawn larger than the page it is cropped to, and no viewer shows that part
    (a render is the CropBox already)."""
    from ocr_pdf import textlayer

    ox, oy, x1, y1 = geometry.mediabox
    cx0, cy0, cx1, cy1 = geometry.cropbox
    lines = []
    for line in text.lines:
        words = []
        for w in line.words:
            points = [apply(to_user, p) for p in w.quad]
            cx, cy = sum(x for x, _ in points) / 4, sum(y for _, y in points) / 4
            if clip and not (
                min(cx0, cx1) - CROP_TOLERANCE <= cx <= max(cx0, cx1) + CROP_TOLERANCE
                and min(cy0, cy1) - CROP_TOLERANCE <= cy <= max(cy0, cy1) + CROP_TOLERANCE
            ):
                continue
            a, b, c, d = ((x - ox, y - oy) for x, y in points)
            words.append(Word(w.text, (a, b, c, d), w.confidence))
        if words:
            lines.append(Line(tuple(words)))
    return textlayer.LayerPage(x1 - ox, y1 - oy, tuple(lines), rotation)


def layer_pdf(text: PageText, dpi: float) -> bytes:
    """A one-page PDF holding only our invisible text layer for ``text``, the size of the image
    it was read on at ``dpi`` (what OCRmyPDF's sandwich renderer lays over its page)."""
    width, height = text.width * 72 / dpi, text.height * 72 / dpi
    box = (0.0, 0.0, width, height)
    geometry = PageGeometry(box, box, 0)
    from ocr_pdf import textlayer

    writer = textlayer.LayerWriter()
    writer.add(to_layer_page(text, geometry, geometry.image_to_user(text.width, text.height), 0))
    return graft.standalone_layer(writer.finish())


def upright_turn(text: PageText) -> int:
    """Clockwise degrees that would turn the page so that its text reads upright (0, 90, 180
    or 270), from the direction most of its words run in."""
    if not text.words:
        return 0
    quarter = round(dominant_angle(text.words) / 90) % 4
    return (360 - 90 * quarter) % 360


class Assembly:
    """The text layers of the pages read, written page by page as readings arrive (a long
    document never holds every page's words), with where each goes and what each page got."""

    def __init__(self, options: ConversionOptions, page_count: int) -> None:
        self.rotate = options.rotate_pages
        self.keep_saved = options.keeps_readings
        self.page_count = page_count
        self._layers: textlayer.LayerWriter | None = None
        self.placements: list[graft.Placement] = []
        self._results: dict[int, PageResult] = {}
        self.saved: list[document.SavedPage] = []  # only for --ocr-json
        self._selected = 0

    @property
    def layers(self) -> textlayer.LayerWriter:
        """The document of layers, begun by :meth:`prepare` or when first needed."""
        if self._layers is None:
            from ocr_pdf.textlayer import LayerWriter

            self._layers = LayerWriter()
        return self._layers

    def prepare(self) -> None:
        """Begin the document of layers now (reportlab and its font: 0.15 s of Python), before
        pages are sent rather than amid their sending, where it would hold up the threads that
        keep to a rate limit (a send held up, the next on time: two closer than the limit)."""
        _ = self.layers

    def start(self, selected: int, has_text: list[int], progress: ProgressCallback | None) -> None:
        """Count ``selected`` pages to do, those in ``has_text`` done already."""
        self._selected = selected
        if progress:
            progress(0, self._selected)  # start the clock of a progress display
        for index in has_text:
            self._results[index] = PageResult(index + 1, "has-text")
            if progress:
                progress(len(self._results), self._selected)

    def add(self, reading: Reading, progress: ProgressCallback | None) -> None:
        page, text = reading.page, reading.text
        turn = upright_turn(text) if self.rotate else 0
        rotation = (page.geometry.rotation + turn) % 360
        layer_page = to_layer_page(text, page.geometry, page.to_user, rotation, page.from_scan)
        if layer_page.lines:
            layer = self.layers.add(layer_page)
            self.placements.append(
                graft.Placement(page.index, layer, page.geometry.mediabox[:2], rotation)
            )
        if self.keep_saved:
            self.saved.append(
                document.SavedPage(page.index, page.dpi, page.digest, text, page.from_scan)
            )
        self._results[page.index] = PageResult(
            page.index + 1,
            "ocr",
            len(text.words),
            text.text,
            reading.seconds,
            turn,
            reading.from_cache,
        )
        if progress:
            progress(len(self._results), self._selected)

    def results(self) -> tuple[PageResult, ...]:
        return tuple(
            self._results.get(i, PageResult(i + 1, "skipped")) for i in range(self.page_count)
        )
