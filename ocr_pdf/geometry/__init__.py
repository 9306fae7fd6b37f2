"""Geometry of a page's words on image pixels (stdlib only): rotations, text direction and
skew (:mod:`ocr_pdf.geometry.plane`) and reading order (:mod:`ocr_pdf.geometry.order`, its
column gutters in :mod:`ocr_pdf.geometry.columns`).
Pixels: origin top-left, y down; angles in degrees clockwise. Import the names from here."""

from ocr_pdf.geometry.columns import GUTTER, PROSE, ROW
from ocr_pdf.geometry.order import (
    SECTION_BREAK,
    engine_order,
    group_lines,
    order_blocks,
    reading_order,
)
from ocr_pdf.geometry.plane import (
    Box,
    axis_aligned,
    box_skew,
    dominant_angle,
    line_direction,
    rescale,
    resized,
    rotate_point,
    rotate_quad,
    scale_quad,
    text_angle,
    weighted_median,
)

__all__ = [
    "GUTTER",
    "PROSE",
    "ROW",
    "SECTION_BREAK",
    "Box",
    "axis_aligned",
    "box_skew",
    "dominant_angle",
    "engine_order",
    "group_lines",
    "line_direction",
    "order_blocks",
    "reading_order",
    "rescale",
    "resized",
    "rotate_point",
    "rotate_quad",
    "scale_quad",
    "text_angle",
    "weighted_median",
]
