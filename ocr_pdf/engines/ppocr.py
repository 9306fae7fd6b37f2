"""PaddleOCR's models on onnxruntime, the only module that runs them: the detector's text
probability map, a text line read as CTC columns, and the 0/180 line classifier.

Every model takes 8-bit pixels (gray or RGB) scaled to [-1, 1], three channels, batch first.
Sessions are built with ``threads`` intra-op threads; onnxruntime lets several threads call
one session at once, so one engine serves all the pages read in parallel."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ocr_pdf.engines.scripts import unspaced

WORD_GAP = 5  # columns between two characters that make them two words (PaddleOCR's rule)
SENTENCE_MARKS = frozenset(".,;:!?)]")
# Lines narrower than this many pixels (two line heights) are padded to it before reading.
# PaddleOCR pads every line to its training width, 320: on receipts, whose lines are short,
# a fifth of the recognizer's work went into padding, and reading short lines as they are
# found as many of the true words (measured on 12 SROIE receipts: 0.910 against 0.909).
MIN_WIDTH = 96
CLS_SIZE = (48, 192)  # the 0/180 classifier's input: height, and the width lines are fitted to
SPINNING = "session.intra_op.allow_spinning"  # onnxruntime's name for the setting


def runtime() -> Any:
    """The onnxruntime module, imported with its telemetry off: otherwise, on its first use, it
    writes a device id and an event database under the user's cache folder
    (Microsoft/DeveloperTools/.onnxruntime), which an offline tool has no business doing. It
    reads ORT_DISABLE_TELEMETRY when it is first imported; a value the user set is kept."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime

    return onnxruntime


def session(path: Path, threads: int) -> Any:
    """An onnxruntime CPU session of the model at ``path``."""
    onnxruntime = runtime()

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    # onnxruntime's pool threads spin between layers by default: with two threads a detection
    # took 0.43-0.49 s of CPU instead of 0.26-0.27 s (same wall time or less), CPU the other
    # pages' workers and the line pool could use. Same readings: only the waiting changes.
    options.add_session_config_entry(SPINNING, "0")
    # Every page and line has its own shape: an arena sized for the largest would only grow.
    options.enable_cpu_mem_arena = False
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def model_input(pixels: np.ndarray, width: int = 0) -> np.ndarray:
    """1 x 3 x H x W float32 in [-1, 1] from H x w (gray) or H x w x 3 (RGB) 8-bit pixels,
    padded on the right with zeros (mid grey) to ``width`` when that is wider."""
    scaled = pixels.astype(np.float32) * (2 / 255) - 1
    if scaled.ndim == 2:  # gray: the same values in all three channels
        chw = np.broadcast_to(scaled[None], (3, *scaled.shape))
    else:
        chw = scaled.transpose(2, 0, 1)
    height, own = chw.shape[1:]
    batch = np.zeros((1, 3, height, max(width, own)), np.float32)
    batch[0, :, :, :own] = chw
    return batch


@dataclass(frozen=True)
class Piece:
    """A word as read on a line: its text, the mean probability of its characters, and where it
    lies along the line, as fractions of the line's length from its start (0 to 1)."""

    text: str
    confidence: float
    start: float
    end: float


@dataclass(frozen=True)
class Reading:
    """One text line as read: its text (words separated by spaces), the mean probability of its
    characters, and its words."""

    text: str
    confidence: float
    pieces: tuple[Piece, ...]


class Detector:
    """Text probability per pixel of a page image (each side a multiple of 32)."""

    def __init__(self, path: Path, threads: int) -> None:
        self.session = session(path, threads)

    def __call__(self, pixels: np.ndarray) -> np.ndarray:
        probability: np.ndarray = self.session.run(None, {"x": model_input(pixels)})[0][0, 0]
        return probability


class Recognizer:
    """Reads one text line 48 pixels high (see :mod:`ocr_pdf.engines.textlines`). The
    characters are those the model names in its metadata, after CTC's blank, then a space."""

    def __init__(self, path: Path, threads: int) -> None:
        self.session = session(path, threads)
        listed = self.session.get_modelmeta().custom_metadata_map["character"]
        self.characters = ["", *listed.splitlines(), " "]

    def probabilities(self, line: np.ndarray) -> np.ndarray:
        """Each output column's probability of each character (columns x characters)."""
        probs: np.ndarray = self.session.run(None, {"x": model_input(line, MIN_WIDTH)})[0][0]
        return probs

    def decode(self, probs: np.ndarray, line: np.ndarray) -> Reading:
        """The reading of ``line`` from its column ``probs`` (over this model's characters)."""
        # Each output column covers 8 input pixels; the line's own pixels end at its width.
        return decode(probs, self.characters, line.shape[1] / 8)

    def read(self, line: np.ndarray) -> Reading:
        return self.decode(self.probabilities(line), line)

    def columns_of(self, characters: list[str]) -> np.ndarray:
        """Where each of ``characters`` (all of them this model's too) is in its output."""
        index = {ch: i for i, ch in enumerate(self.characters)}
        return np.array([index[ch] for ch in characters])


def decode(probs: np.ndarray, characters: list[str], columns: float) -> Reading:
    """CTC: each column's likeliest character, repeats merged and blanks dropped; the words
    placed along the line from the columns their characters peak in. ``columns`` is how many
    columns the line's own pixels fill."""
    best = probs.argmax(axis=1)
    keep = np.ones(len(best), bool)
    keep[1:] = best[1:] != best[:-1]
    keep &= best != 0
    where = np.flatnonzero(keep)
    chars = [characters[i] for i in best[where]]
    scores = probs[where, best[where]].astype(float).tolist()
    if not chars:
        return Reading("", 0.0, ())
    pieces = _pieces(chars, scores, where.tolist(), max(columns, 1.0))
    return Reading("".join(chars), sum(scores) / len(scores), pieces)


def _pieces(
    chars: list[str], scores: list[float], cols: list[int], columns: float
) -> tuple[Piece, ...]:
    """Words: runs of characters between spaces or gaps of more than WORD_GAP columns (a
    character of a script written without spaces, Chinese or Japanese, is a word of its own),
    each spanning from half a character's pitch before its first character's column to half
    after its last."""
    steps = [
        cols[i] - cols[i - 1]
        for i in range(1, len(chars))
        if not (chars[i].isspace() or chars[i - 1].isspace())
    ]
    pitch = float(np.median(steps)) if steps else columns / max(len(chars), 1)
    groups: list[list[int]] = [[]]
    for i, ch in enumerate(chars):
        if ch.isspace():
            groups.append([])
        elif unspaced(ch):
            groups += [[i], []]
        elif i and _unnamed_space(chars[i - 1], ch, cols[i] - cols[i - 1], pitch):
            groups.append([i])  # a space too narrow for the model to name ("1.The")
        else:
            groups[-1].append(i)
    groups = [g for g in groups if g]
    pieces = []
    for g in groups:
        start = max(0.0, cols[g[0]] + 0.5 - pitch / 2) / columns
        end = min(columns, cols[g[-1]] + 0.5 + pitch / 2) / columns
        confidence = sum(scores[i] for i in g) / len(g)
        pieces.append(Piece("".join(chars[i] for i in g), confidence, start, min(end, 1.0)))
    return tuple(pieces)


def _unnamed_space(before: str, ch: str, gap: int, pitch: float) -> bool:
    """Whether a gap of ``gap`` columns between two characters is a space the model did not
    name: wider than WORD_GAP anywhere, or after a sentence's punctuation, half again the line's
    character pitch before a letter ("1.The", "end,and"; "e.g." and "U.S." are set tight, and
    numbers such as "468.72" or "Account:95204" stay whole however wide their digits)."""
    if gap > WORD_GAP:
        return True
    return before in SENTENCE_MARKS and ch.isalpha() and gap >= 1.5 * pitch


class Classifier:
    """PaddleOCR's 0/180 text-line classifier: how likely each line is upside down."""

    def __init__(self, path: Path, threads: int) -> None:
        self.session = session(path, threads)

    def __call__(self, lines: list[np.ndarray]) -> list[float]:
        """``lines`` 48 pixels high, each fitted to at most 192 wide, as the classifier was
        trained."""
        if not lines:
            return []
        batch = np.concatenate([model_input(line, CLS_SIZE[1]) for line in lines])
        probs = self.session.run(None, {"x": batch})[0]
        return [float(p[1]) for p in probs]
