"""What a user sees in an output PDF, measured the way a user would: extracted text, where each
word's characters sit (pypdfium2 character boxes), how pages render, which bytes survived."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
from PIL import Image

from ocr_pdf.models import join_words
from tests.pagegen import QuadT, TruthPage, TruthWord

Box = tuple[float, float, float, float]  # left, bottom, right, top in PDF user space


def page_text(path: Path, index: int) -> str:
    """pypdfium2's text of a page, whitespace folded to single spaces and newlines."""
    doc = pdfium.PdfDocument(str(path))
    try:
        tp = doc[index].get_textpage()
        raw = tp.get_text_range()
    finally:
        doc.close()
    lines = [" ".join(ln.split()) for ln in raw.replace("\r\n", "\n").split("\n")]
    return "\n".join(ln for ln in lines if ln)


def pdftotext(path: Path, index: int) -> str | None:
    """poppler's text of a page (what pdftotext, Evince and paperless-ngx see), or None when
    poppler-utils is not installed."""
    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    page = str(index + 1)
    done = subprocess.run(
        [exe, "-f", page, "-l", page, str(path), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout


def expected_text(truth: TruthPage) -> str:
    return "\n".join(join_words([w.text for w in ln]) for ln in truth.lines)


def char_boxes(path: Path, index: int) -> list[tuple[str, Box]]:
    """Every non-space character on a page with its loose box (font ascent to descent)."""
    doc = pdfium.PdfDocument(str(path))
    try:
        tp = doc[index].get_textpage()
        out = []
        for i in range(tp.count_chars()):
            ch = tp.get_text_range(i, 1)
            if ch.strip():
                out.append((ch, tp.get_charbox(i, loose=True)))
        return out
    finally:
        doc.close()


def quad_box(q: QuadT) -> Box:
    xs, ys = [p[0] for p in q], [p[1] for p in q]
    return min(xs), min(ys), max(xs), max(ys)


def iou(a: Box, b: Box) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def inside(p: tuple[float, float], q: QuadT, tolerance: float) -> bool:
    """Whether p lies in the convex quad q grown by ``tolerance`` points."""
    sign = 0.0
    for i in range(4):
        (x0, y0), (x1, y1) = q[i], q[(i + 1) % 4]
        edge = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5 or 1.0
        cross = ((x1 - x0) * (p[1] - y0) - (y1 - y0) * (p[0] - x0)) / edge
        if sign == 0.0:
            sign = 1.0 if cross >= 0 else -1.0
        if cross * sign < -tolerance:
            return False
    return True


@dataclass
class WordPlacement:
    word: TruthWord
    box: Box  # union of the word's character boxes in the output
    iou: float
    centres_inside: bool


def word_placements(path: Path, index: int, truth: TruthPage) -> list[WordPlacement]:
    """Pair each truth word, in reading order, with its characters in the output."""
    chars = char_boxes(path, index)
    expected = "".join(w.text for w in truth.words)
    got = "".join(c for c, _ in chars)
    assert got == expected, f"characters differ:\n{got}\n{expected}"
    out, i = [], 0
    for word in truth.words:
        boxes = [b for _, b in chars[i : i + len(word.text)]]
        i += len(word.text)
        union = (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
        height = max(quad_box(word.user_quad)[3] - quad_box(word.user_quad)[1], 1.0)
        centres = all(
            inside(((b[0] + b[2]) / 2, (b[1] + b[3]) / 2), word.user_quad, 0.15 * height)
            for b in boxes
        )
        out.append(WordPlacement(word, union, iou(union, quad_box(word.user_quad)), centres))
    return out


def render(path: Path, index: int, dpi: float = 50) -> bytes:
    doc = pdfium.PdfDocument(str(path))
    try:
        image: Image.Image = doc[index].render(scale=dpi / 72, grayscale=True).to_pil()
        return image.tobytes()
    finally:
        doc.close()


def original_streams_kept(src: Path, out: Path) -> None:
    """Assert that every page's original content streams appear, raw bytes unchanged and in
    order, in the output page's contents, and that every image is byte-identical."""
    with pikepdf.open(src) as a, pikepdf.open(out) as b:
        assert len(a.pages) == len(b.pages)
        for pa, pb in zip(a.pages, b.pages, strict=True):

            def streams(page: pikepdf.Page) -> list[bytes]:
                c = page.obj.get("/Contents")
                if c is None:
                    return []
                items = list(c) if isinstance(c, pikepdf.Array) else [c]
                return [s.read_raw_bytes() for s in items]

            sa, sb = streams(pa), streams(pb)
            joined = b"\x00".join(sb)
            assert b"\x00".join(sa) in joined, "original content streams were changed"

            def images(page: pikepdf.Page) -> set[str]:
                return {
                    hashlib.sha256(im.read_raw_bytes()).hexdigest()
                    for im in page.get_images().values()
                }

            assert images(pa) == images(pb)


def cer(got: str, expected: str) -> float:
    """Character error rate: Levenshtein distance over the expected length."""
    return levenshtein(got, expected) / max(len(expected), 1)


def levenshtein(a: str, b: str) -> int:
    """Edit distance, a column of the table at a time as bits of one integer (Myers 1999,
    Hyyrö 2003): a page against its transcript in milliseconds, not seconds."""
    m = len(b)
    if not m:
        return len(a)
    peq: dict[str, int] = {}
    for i, c in enumerate(b):
        peq[c] = peq.get(c, 0) | (1 << i)
    full, top = (1 << m) - 1, 1 << (m - 1)
    pv, mv, score = full, 0, m
    for c in a:
        eq = peq.get(c, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = (mv | ~(xh | pv)) & full
        mh = pv & xh
        score += 1 if ph & top else -1 if mh & top else 0
        ph = ((ph << 1) | 1) & full
        mh = (mh << 1) & full
        pv = (mh | ~(xv | ph)) & full
        mv = ph & xv
    return score


def share_on_words(path: Path, index: int, truth: TruthPage) -> float:
    """Share of the page's characters whose box centre lies on one of the truth words (grown
    by a fifth of its height): robust to a real engine's reading errors and word splits."""
    chars = char_boxes(path, index)
    if not chars:
        return 0.0
    quads = [(w.user_quad, quad_box(w.user_quad)) for w in truth.words]
    hits = 0
    for _, b in chars:
        centre = ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
        for q, qb in quads:
            if inside(centre, q, 0.2 * min(qb[2] - qb[0], qb[3] - qb[1])):
                hits += 1
                break
    return hits / len(chars)


def rotation(path: Path, index: int) -> int:
    with pikepdf.open(path) as pdf:
        return int(pdf.pages[index].obj.get("/Rotate", 0)) % 360


def char_boxes_with_spaces(path: Path, index: int) -> list[tuple[str, Box]]:
    """Every character of a page, spaces and line breaks included, with its loose box."""
    doc = pdfium.PdfDocument(str(path))
    try:
        tp = doc[index].get_textpage()
        return [
            (tp.get_text_range(i, 1), tp.get_charbox(i, loose=True))
            for i in range(tp.count_chars())
        ]
    finally:
        doc.close()


def page_count(path: Path) -> int:
    doc = pdfium.PdfDocument(str(path))
    try:
        return len(doc)
    finally:
        doc.close()


def every_stream_kept(src: Path, out: Path) -> None:
    """Assert that every stream of ``src`` is in ``out`` as it was: the same raw (still encoded)
    bytes under the same filters, the document's XMP metadata included."""

    def streams(path: Path) -> set[tuple[str, str]]:
        with pikepdf.open(path) as pdf:
            return {
                (hashlib.sha256(obj.read_raw_bytes()).hexdigest(), repr(obj.get("/Filter")))
                for obj in pdf.objects
                if isinstance(obj, pikepdf.Stream)
            }

    missing = streams(src) - streams(out)
    assert not missing, f"{len(missing)} original streams changed: {sorted(missing)[:3]}"


def line_height_boxes(truth: TruthPage) -> list[tuple[str, Box]]:
    """Each word of a generated page with the box born-digital text would highlight: the word's
    ink from its first to its last dark pixel along the line, across the full height of its
    line's ink, mapped to the page like the word itself (skew, turn, /Rotate), as axis-aligned
    bounds in PDF user space. The ink is measured on the upright canvas the page was drawn on."""
    import numpy as np

    from tests.pagegen import _draw

    canvas, drawn = _draw(truth.spec)
    ink = np.asarray(canvas) < (truth.spec.background + truth.spec.ink) / 2
    out: list[tuple[str, Box]] = []
    drawn_lines = [ln for block in drawn for ln in block]
    for drawn_line, truth_line in zip(drawn_lines, truth.lines, strict=True):
        boxes: list[tuple[int, int, int, int] | None] = []
        for _, quad in drawn_line:
            # Pillow's text box holds the ink within a pixel; no more, or a close neighbour's
            # ink would count.
            x0, y0 = max(int(quad[0][0]) - 1, 0), max(int(quad[0][1]) - 1, 0)
            x1, y1 = int(quad[2][0]) + 2, int(quad[2][1]) + 2
            ys, xs = np.nonzero(ink[y0:y1, x0:x1])
            if len(xs) == 0:
                boxes.append(None)
                continue
            left, top = x0 + int(xs.min()), y0 + int(ys.min())
            boxes.append((left, top, x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1))
        real = [b for b in boxes if b is not None]
        if not real:
            continue
        top, bottom = min(b[1] for b in real), max(b[3] for b in real)
        for (_, quad), box, word in zip(drawn_line, boxes, truth_line, strict=True):
            if box is None:
                continue
            corners = [
                _canvas_to_user(quad, word.user_quad, x, y)
                for x in (box[0], box[2])
                for y in (top, bottom)
            ]
            xs_, ys_ = [p[0] for p in corners], [p[1] for p in corners]
            out.append((word.text, (min(xs_), min(ys_), max(xs_), max(ys_))))
    return out


def _canvas_to_user(quad: QuadT, user: QuadT, x: float, y: float) -> tuple[float, float]:
    """A point of the upright canvas on the page: the affine map that took the word's drawn
    box ``quad`` to its ``user`` quad."""
    (qx0, qy0), _, (qx1, qy1), _ = quad
    tl, tr, _br, bl = user
    s = (x - qx0) / max(qx1 - qx0, 1e-9)
    t = (y - qy0) / max(qy1 - qy0, 1e-9)
    return (
        tl[0] + s * (tr[0] - tl[0]) + t * (bl[0] - tl[0]),
        tl[1] + s * (tr[1] - tl[1]) + t * (bl[1] - tl[1]),
    )


def selection_ious(path: Path, index: int, truth: TruthPage) -> list[float]:
    """For each word of a generated page found in the output with its exact text, the IoU of
    its selection box (the union of its pypdfium2 character boxes) with its
    :func:`line_height_boxes` box; the best of the output words with that text."""
    cjk = any(b.cjk for b in truth.spec.blocks)
    words: dict[str, list[Box]] = {}
    text, box = "", None
    for ch, b in [*char_boxes_with_spaces(path, index), (" ", (0.0, 0.0, 0.0, 0.0))]:
        if ch.isspace() or (cjk and text):
            if text and box:
                words.setdefault(text, []).append(box)
            text, box = "", None
            if ch.isspace():
                continue
        text += ch
        box = b if box is None else (min(box[0], b[0]), min(box[1], b[1]),
                                     max(box[2], b[2]), max(box[3], b[3]))  # fmt: skip
    out = []
    for word, goal in line_height_boxes(truth):
        best = max((iou(b, goal) for b in words.get(word, [])), default=0.0)
        if best > 0:
            out.append(best)
    return out
