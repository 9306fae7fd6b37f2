"""Where each word of a line lies on its ink: the boundaries between words moved to the gaps in
the ink near where the engine put them, the line's ends to where its ink starts and stops,
specks of dust dropped, and CJK lines shared out by character count.

Columns are those of a line's profiles (:mod:`ocr_pdf.inkfit.profiles`), counted from the
first column of its region."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import pairwise

from ocr_pdf.inkfit.profiles import Ink, Runs
from ocr_pdf.inkfit.text import width


def by_character_count(
    full: Runs, texts: list[str], first: float, last: float, reach: float
) -> list[tuple[float, float]]:
    """Where the words of a CJK line should lie: the line's ink shared out by their characters
    (CJK is set on a fixed pitch), rather than where the engine put them."""
    start = full.outer(first, reach, -1)
    end = full.outer(last, reach, +1)
    widths = [sum(width(c) for c in t) for t in texts]
    total = sum(widths) or 1.0
    out, acc = [], 0.0
    for w in widths:
        a = start + (end - start) * acc / total
        acc += w
        out.append((a, start + (end - start) * acc / total))
    return out


def place_words(
    ink_: Ink, est: list[tuple[float, float]], window: float, reach: float
) -> tuple[list[tuple[int, int] | None], list[tuple[int, int]]]:
    """Each word's ink columns [start, end) from its estimated columns ``est`` (words left to
    right, relative to the profiles), and the blank core runs found between words.

    Each boundary goes to the widest blank core run whose centre lies within ``window`` of the
    boundary's estimate (wider and nearer is better; see :meth:`Ink.cut`), or, where the
    words touch, to the faintest core column near it; the line's outer ends go to where its
    ink starts and stops."""
    full, core, band = ink_.full, ink_.core, ink_.band
    cuts: list[tuple[int, int]] = []  # (end of the word before, start of the word after)
    between: list[tuple[int, int]] = []
    for (s0, e0), (s1, e1) in pairwise(est):
        middle = (e0 + s1) / 2
        c0, c1 = (s0 + e0) / 2, (s1 + e1) / 2
        lo, hi = max(c0, min(e0, s1) - window), min(c1, max(e0, s1) + window)
        if hi <= lo:
            lo, hi = min(c0, c1), max(c0, c1)
        best = None
        for g0, g1 in core.around(lo, hi):
            score = (g1 - g0) - 0.5 * abs((g0 + g1) / 2 - middle)
            if best is None or score > best[0]:
                best = (score, g0, g1)
        if best is not None:
            cuts.append(ink_.cut(best[1], best[2]))
            between.append((best[1], best[2]))
            continue
        # Touching words: where they touch least, close to where the engine cut them.
        cut = core.faintest(max(lo, middle - 0.2 * band), min(hi, middle + 0.2 * band), middle)
        cuts.append((cut, cut))

    out: list[tuple[int, int] | None] = []
    for i, (s, e) in enumerate(est):
        start = cuts[i - 1][1] if i else full.outer(s, reach, -1)
        end = cuts[i][0] if i < len(cuts) else full.outer(e, reach, +1)
        fit = full.trim(start, end)
        if fit is not None:
            fit = _without_specks(full, fit, band)
        # Ink that hardly overlaps where the engine put the word is not that word's (a word
        # off the edge of the image, a box far off its ink): its box stays as it was.
        if fit is not None and min(fit[1], e) - max(fit[0], s) < 0.3 * min(fit[1] - fit[0], e - s):
            fit = None
        out.append(fit)
    return out, between


def _without_specks(full: Runs, fit: tuple[int, int], band: float) -> tuple[int, int]:
    """A word's columns without a speck of dust at either end: a run of ink at most a tenth
    of the line high and wide, and faint, set off from the word by more than a letter's gap
    (a full stop sits closer)."""
    start, end = fit
    small, apart = 0.12 * band, 0.15 * band
    i = bisect_left(full.ends, end) - 1  # the last blank run before the end
    if i >= 0 and full.starts[i] > start:
        g0, g1 = full.starts[i], full.ends[i]
        if end - g1 <= small and g1 - g0 >= apart and full.ink(g1, end) <= small * small:
            end = g0
    i = bisect_right(full.starts, start)  # the first blank run after the start
    if i < len(full.starts) and full.ends[i] < end:
        g0, g1 = full.starts[i], full.ends[i]
        if g0 - start <= small and g1 - g0 >= apart and full.ink(start, g0) <= small * small:
            start = g1
    return start, end
