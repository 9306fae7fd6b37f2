"""Text outputs of a conversion (stdlib only): the sidecar (plain text, pages separated by form
feeds) and hOCR (boxes per line and word, the format OCRmyPDF and other tools read)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from ocr_pdf._version import __version__
from ocr_pdf.geometry import dominant_angle
from ocr_pdf.models import Line, PageText, quad_bounds


def sidecar(pages: Sequence[str]) -> bytes:
    """The sidecar file: each page's text, separated by form feeds, UTF-8."""
    return ("\f".join(pages) + "\n").encode("utf-8")


def textangle(line: Line) -> int:
    """A line's direction as hOCR's textangle: the quarter turn, counter-clockwise degrees."""
    quarter = round(dominant_angle(line.words) / 90) % 4
    return (360 - 90 * quarter) % 360


def _bbox(points: Sequence[tuple[float, float]]) -> str:
    x0, y0, x1, y1 = quad_bounds(points)
    return f"bbox {max(0, round(x0))} {max(0, round(y0))} {round(x1)} {round(y1)}"


def hocr(text: PageText) -> str:
    """A reading as an hOCR document (bbox per line and word in the image's pixels,
    textangle, x_wconf)."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>ocr-pdf</title>',
        '<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>',
        f"<meta name='ocr-system' content='ocr-pdf {__version__}'/>",
        "<meta name='ocr-capabilities' content='ocr_page ocr_line ocrx_word'/>",
        f"</head><body><div class='ocr_page' title='bbox 0 0 {text.width} {text.height}'>",
    ]
    for n, line in enumerate(text.lines):
        if not line.words:
            continue
        angle = textangle(line)
        corners: list[tuple[float, float]] = [p for w in line.words for p in w.quad]
        out.append(
            f"<span class='ocr_line' id='line_{n}' title='{_bbox(corners)}; baseline 0 0"
            + (f"; textangle {angle}" if angle else "")
            + "'>"
        )
        for word in line.words:
            conf = round(100 * (word.confidence if word.confidence is not None else 1.0))
            out.append(
                f"<span class='ocrx_word' title='{_bbox(word.quad)}; x_wconf {conf}'>"
                f"{html.escape(word.text)}</span> "
            )
        out.append("</span>")
    out.append("</div></body></html>")
    return "\n".join(out) + "\n"
