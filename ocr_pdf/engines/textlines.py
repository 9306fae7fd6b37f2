"""Text lines of a page image for the local engine (OpenCV and pyclipper): the detector's input,
the lines found in its probability map, and each line cut out as the recognizer reads it.

The steps and their settings are PaddleOCR's own (as RapidOCR ships them), so that the models
see what they were trained on: DB post-processing (threshold 0.3, box score 0.5, boxes grown by
1.6 times area over perimeter), lines cut out by a perspective warp, tall ones laid flat
counter-clockwise, then scaled to the recognizer's 48-pixel height.

Arrays are numpy, in pixels of the image they belong to (origin top-left, y down); a line's
quad is four (x, y) corners, the text's own top-left, top-right, bottom-right, bottom-left
as the detector saw it."""

from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import numpy as np
import pyclipper

THRESHOLD = 0.3  # probability above which a pixel is text
BOX_SCORE = 0.5  # mean probability inside a candidate line for it to count
UNCLIP = 1.6  # the detector marks a shrunk core of each line: grown back by this ratio
MAX_LINES = 1000
LINE_HEIGHT = 48  # the recognizer's input height
LINE_WIDTH = 320  # its training width (lines narrower are scaled rounding up)
TALL = 1.5  # a cut-out this many times taller than wide is a vertical line: laid flat
# Grey levels between a page's darkest and lightest parts (seen 256 pixels wide) below which it
# holds nothing to read, and between a line's 0.5th and 99.5th percentiles below which the
# line is blank paper. Faint print on the hard pages differs from its paper by 60 and more.
PAGE_CONTRAST = 24
LINE_CONTRAST = 16


def fit(image: np.ndarray, side: int, multiple: int = 1) -> np.ndarray:
    """``image`` scaled so that its longer side is at most ``side`` pixels (never enlarged),
    each side then rounded to a multiple of ``multiple`` (the detector needs 32)."""
    height, width = image.shape[:2]
    ratio = min(1.0, side / max(height, width))
    new_h = max(multiple, round(int(height * ratio) / multiple) * multiple)
    new_w = max(multiple, round(int(width * ratio) / multiple) * multiple)
    if (new_w, new_h) == (width, height):
        return image
    return cv2.resize(image, (new_w, new_h))


def page_has_ink(image: np.ndarray) -> bool:
    """Whether a page image holds anything at all: a blank sheet, white, grey or black, does
    not, and is not given to the models (whatever a model makes of empty input on one CPU or
    another). A page number, a speck or a punch hole is something."""
    height, width = image.shape[:2]
    ratio = min(1.0, 256 / max(height, width))
    size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    # Each thumbnail pixel the mean of the pixels it covers: a small mark still shows.
    thumb = cv2.resize(image, size, interpolation=cv2.INTER_AREA) if ratio < 1 else image
    grey = thumb if thumb.ndim == 2 else thumb.mean(axis=2)
    return float(grey.max()) - float(grey.min()) >= PAGE_CONTRAST


def line_has_ink(line: np.ndarray) -> bool:
    """Whether a cut-out line holds ink: not a stretch of blank paper the detector took for
    text (read, it yields invented characters)."""
    grey = line if line.ndim == 2 else line.mean(axis=2)
    low, high = np.percentile(grey, (0.5, 99.5))
    return float(high - low) >= LINE_CONTRAST


def find_lines(probability: np.ndarray, width: int, height: int) -> list[np.ndarray]:
    """The text lines of a detector probability map, as quads on a ``width`` x ``height``
    image, in reading order (top to bottom, left to right within 10 pixels' height)."""
    map_h, map_w = probability.shape
    mask = cv2.dilate((probability > THRESHOLD).astype(np.uint8), np.ones((2, 2), np.uint8))
    contours, _ = cv2.findContours(mask * 255, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    scale = np.array([width / map_w, height / map_h])
    quads = []
    for contour in contours[:MAX_LINES]:
        core, short = _min_box(contour)
        if short < 3 or _score(probability, core) < BOX_SCORE:
            continue
        box, short = _min_box(_unclip(core))
        if short < 5:
            continue
        box = np.clip(np.round(box * scale), 0, [width, height]).astype(np.int32)
        quad = np.floor(np.clip(_clockwise(box.astype(np.float32)), 0, [width - 1, height - 1]))
        if np.linalg.norm(quad[0] - quad[1]) < 4 or np.linalg.norm(quad[0] - quad[3]) < 4:
            continue
        quads.append(quad)
    return _reading_order(quads)


def _min_box(points: np.ndarray) -> tuple[np.ndarray, float]:
    """The smallest rotated rectangle around ``points`` (top-left first, clockwise) and its
    shorter side."""
    rect = cv2.minAreaRect(points.reshape(-1, 1, 2).astype(np.float32))
    p = sorted(cv2.boxPoints(rect).tolist(), key=lambda pt: pt[0])
    left = (p[0], p[1]) if p[1][1] > p[0][1] else (p[1], p[0])  # (top, bottom)
    right = (p[2], p[3]) if p[3][1] > p[2][1] else (p[3], p[2])
    return np.array([left[0], right[0], right[1], left[1]]), float(min(rect[1]))


def _score(probability: np.ndarray, box: np.ndarray) -> float:
    """Mean probability inside ``box``."""
    h, w = probability.shape
    x0, y0 = np.clip(np.floor(box.min(axis=0)).astype(int), 0, [w - 1, h - 1])
    x1, y1 = np.clip(np.ceil(box.max(axis=0)).astype(int), 0, [w - 1, h - 1])
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
    cv2.fillPoly(mask, [(box - [x0, y0]).astype(np.int32)], 1)
    return float(cv2.mean(probability[y0 : y1 + 1, x0 : x1 + 1], mask)[0])


def _unclip(box: np.ndarray) -> np.ndarray:
    area = cv2.contourArea(box.astype(np.float32))
    length = cv2.arcLength(box.astype(np.float32), True)
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(box.tolist(), pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    return np.array(offset.Execute(area * UNCLIP / length)).reshape(-1, 2)


def _clockwise(points: np.ndarray) -> np.ndarray:
    by_x = points[np.argsort(points[:, 0])]
    left = by_x[:2][np.argsort(by_x[:2, 1])]
    right = by_x[2:][np.argsort(by_x[2:, 1])]
    return np.array([left[0], right[0], right[1], left[1]], np.float32)


def _reading_order(quads: list[np.ndarray]) -> list[np.ndarray]:
    if not quads:
        return []
    tops = np.array([q[0, 1] for q in quads])
    order = np.argsort(tops, kind="stable")
    rows = np.concatenate([[0], np.cumsum(np.diff(tops[order]) >= 10)])
    lefts = np.array([quads[i][0, 0] for i in order])
    return [quads[order[i]] for i in np.lexsort((lefts, rows))]


class Cut(NamedTuple):
    """A text line cut out for reading: its pixels, straightened and 48 high; its box as found
    on the page (top-left, top-right, bottom-right, bottom-left along the page's axes); and the
    same corners in the order of the line's own (its text's top-left first)."""

    pixels: np.ndarray
    box: np.ndarray
    quad: np.ndarray


def cut_line(image: np.ndarray, quad: np.ndarray) -> Cut:
    """The line inside ``quad`` straightened (a perspective warp) at the recognizer's height
    (48 x width pixels, the image's channels). A line that runs up or down the page is laid
    flat counter-clockwise: its top is then the box's right side."""
    width = int(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3])))
    height = int(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    warp = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    line = cv2.warpPerspective(
        image, warp, (width, height), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC
    )
    if height >= TALL * width:
        return Cut(_to_line_height(np.rot90(line)), quad, quad[[1, 2, 3, 0]])
    return Cut(_to_line_height(line), quad, quad)


def _to_line_height(line: np.ndarray) -> np.ndarray:
    """PaddleOCR's scaling exactly (the recognizer is sensitive to a pixel on faint text): the
    width rounded up, but down for a line wider than LINE_WIDTH."""
    h, w = line.shape[:2]
    width = min(math.ceil(LINE_HEIGHT * w / h), max(LINE_WIDTH, int(LINE_HEIGHT * w / h)))
    return cv2.resize(np.ascontiguousarray(line), (max(1, width), LINE_HEIGHT))


def scale_to_height(line: np.ndarray, height: int, max_width: int = 0) -> np.ndarray:
    """``line`` scaled to ``height`` pixels, keeping its proportions (at most ``max_width``
    wide when given)."""
    h, w = line.shape[:2]
    width = max(1, math.ceil(height * w / h))
    if max_width:
        width = min(width, max_width)
    return cv2.resize(np.ascontiguousarray(line), (width, height))
