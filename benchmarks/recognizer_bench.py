"""The local engine's text-line recognizer run different ways on the lines of real scans: CPU
per line, the share of lines read as the shipped recognizer reads them, and word recall on
the pages, in one table.

Lines are cut as the engine cuts them (its detector, :mod:`ocr_pdf.engines.textlines`) from
the pages of a recall set (default tests/fixtures/real/recall; ``--set`` a larger one, as
recall_bench takes it), and read with the Latin-only recognizer, the one a Latin page is read
with. The rows read each page in turn, so that the machine's load falls on all alike; CPU is
the process's (every thread), so other jobs on the machine do not count. Rows:
  onnxruntime float     the recognizer as shipped, the reference
  onnxruntime int8      the int8 recipe's copy (OCR_PDF_LOCAL_PRECISION=int8)
  ... widths/8, /64     each line padded to a multiple of 8 or 64 pixels (see below)
  width batches N       lines of like width read N at once, padded to the widest (RapidOCR's
                        way; the engine reads lines one by one)
  openvino f32          the same model on OpenVINO (when installed), in float
  openvino bf16         in bfloat16 (AMX or AVX512-BF16 CPUs; OpenVINO's own default there)
  bf16 + float recheck  bf16, and lines whose least sure character is below RECHECK read
                        again in float (onnxruntime)
Columns: CPU ms/line; x float (the reference's CPU over the row's); same (lines read as the
reference reads them); per kind and over all pages, the bag-of-words recall of recall_bench.

OpenVINO prepares every new input shape (measured: 39 ms for a line of a width not seen
before, 13 ms once seen, in bfloat16), and every line has its own width: here one process
reads all the pages, so widths come back; a user's run (a fresh process per document) meets
mostly new ones, and padding widths to fewer shapes changes what is read.

Run from the repository root:  python benchmarks/recognizer_bench.py [--set DIR]
[--kinds a,b] [--limit N] [--rows 'onnxruntime float,openvino bf16']"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.recall_bench import chosen_pages, page_arguments, recall  # noqa: E402
from ocr_pdf.engines import int8, local, localmodels, ppocr, textlines  # noqa: E402

RECHECK = 0.55  # least character probability below which the bf16 reading is redone in float
Run = Callable[[np.ndarray], np.ndarray]  # a batch of lines (B x 3 x 48 x W) -> probabilities
Read = Callable[[list[np.ndarray]], list[np.ndarray]]  # lines -> each line's probabilities
Page = tuple[str, list[np.ndarray], str]  # kind, line crops, transcript


def onnxruntime_run(path: Path) -> Run:
    session = ppocr.session(path, 1)
    return lambda batch: np.asarray(session.run(None, {"x": batch})[0])


def openvino_run(path: Path, precision: str) -> Run:
    ov: Any = importlib.import_module("openvino")
    core = ov.Core()
    settings = {"INFERENCE_NUM_THREADS": 1, "NUM_STREAMS": 1, "PERFORMANCE_HINT": "LATENCY"}
    compiled = core.compile_model(
        core.read_model(str(path)), "CPU", {**settings, "INFERENCE_PRECISION_HINT": precision}
    )
    request = compiled.create_infer_request()
    return lambda batch: np.array(request.infer({0: batch})[0])


def one_by_one(run: Run, step: int = 1) -> Read:
    """Each line alone, padded to ppocr.MIN_WIDTH as the engine reads it (and to a multiple of
    ``step``: fewer shapes for a runtime that prepares each new one)."""

    def read(lines: list[np.ndarray]) -> list[np.ndarray]:
        out = []
        for line in lines:
            width = max(ppocr.MIN_WIDTH, -(-line.shape[1] // step) * step)
            out.append(run(ppocr.model_input(line, width))[0][: width // 8])
        return out

    return read


def batched(run: Run, size: int) -> Read:
    """Lines sorted by width, ``size`` at a time, each batch padded to its widest line; each
    line's own columns kept."""

    def read(lines: list[np.ndarray]) -> list[np.ndarray]:
        out: list[np.ndarray] = [np.empty(0)] * len(lines)
        order = sorted(range(len(lines)), key=lambda i: -lines[i].shape[1])
        for k in range(0, len(order), size):
            group = order[k : k + size]
            width = max(ppocr.MIN_WIDTH, *(lines[i].shape[1] for i in group))
            probs = run(np.concatenate([ppocr.model_input(lines[i], width) for i in group]))
            for j, i in enumerate(group):
                out[i] = probs[j][: max(ppocr.MIN_WIDTH, lines[i].shape[1]) // 8]
        return out

    return read


def rechecked(cheap: Read, exact: Read) -> Read:
    """``cheap``'s readings, with the lines it is unsure of read again by ``exact``."""

    def read(lines: list[np.ndarray]) -> list[np.ndarray]:
        out = cheap(lines)
        unsure = [i for i, p in enumerate(out) if least_sure(p) < RECHECK]
        for i, p in zip(unsure, exact([lines[i] for i in unsure]), strict=True):
            out[i] = p
        return out

    return read


def least_sure(probs: np.ndarray) -> float:
    """The lowest probability of any column that names a character (not CTC's blank)."""
    best = probs.argmax(axis=1)
    named = probs.max(axis=1)[best != 0]
    return float(named.min()) if named.size else 1.0


def readers(names: list[str] | None) -> dict[str, Read]:
    rec = localmodels.models_dir() / localmodels.REC_MODEL
    latin = int8.latin_model(rec)
    exact = one_by_one(onnxruntime_run(latin))
    rows: dict[str, Callable[[], Read]] = {
        "onnxruntime float": lambda: exact,
        "onnxruntime int8": lambda: one_by_one(
            onnxruntime_run(int8.latin_model(int8.int8_model(rec, "rec")))
        ),
        "onnxruntime widths/8": lambda: one_by_one(onnxruntime_run(latin), 8),
        "onnxruntime widths/64": lambda: one_by_one(onnxruntime_run(latin), 64),
        "width batches 4": lambda: batched(onnxruntime_run(latin), 4),
        "width batches 8": lambda: batched(onnxruntime_run(latin), 8),
    }
    if importlib.util.find_spec("openvino"):
        rows["openvino f32"] = lambda: one_by_one(openvino_run(latin, "f32"))
        rows["openvino bf16"] = lambda: one_by_one(openvino_run(latin, "bf16"))
        rows["openvino bf16 widths/8"] = lambda: one_by_one(openvino_run(latin, "bf16"), 8)
        rows["openvino bf16 widths/64"] = lambda: one_by_one(openvino_run(latin, "bf16"), 64)
        rows["bf16 + float recheck"] = lambda: rechecked(
            one_by_one(openvino_run(latin, "bf16")), exact
        )
        rows["bf16 widths/8 + recheck"] = lambda: rechecked(
            one_by_one(openvino_run(latin, "bf16"), 8), exact
        )
    return {name: make() for name, make in rows.items() if not names or name in names}


def line_text(probs: np.ndarray, line: np.ndarray, characters: list[str]) -> str:
    """What the engine keeps of a line: its text, or nothing when it drops the reading."""
    reading = ppocr.decode(probs, characters, line.shape[1] / 8)
    kept = sum(not ch.isspace() for ch in reading.text) * local.CHARACTER_SPAN * line.shape[0]
    plausible = kept >= line.shape[1]
    return reading.text if reading.confidence >= local.TEXT_SCORE and plausible else ""


def cut_pages(found: dict[str, list[Path]]) -> list[Page]:
    """(kind, line crops, transcript) of every page, the lines cut as the engine cuts them."""
    from PIL import Image

    engine = local.RapidOcrEngine(threads=1)
    out = []
    for kind, paths in found.items():
        for path in paths:
            with Image.open(path) as image:
                pixels = np.asarray(image.convert("L" if image.mode in ("1", "L", "P") else "RGB"))
            if max(pixels.shape) > local.READ_SIDE:
                pixels = textlines.fit(pixels, local.READ_SIDE, 32)
            lines = [cut.pixels for cut in engine._lines(pixels)]
            out.append((kind, lines, path.with_suffix(".txt").read_text(encoding="utf-8")))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    page_arguments(parser)
    book = cut_pages(chosen_pages(args := parser.parse_args()))
    rows = readers(args.rows.split(",") if args.rows else None)
    latin = int8.latin_model(localmodels.models_dir() / localmodels.REC_MODEL)
    characters = ppocr.Recognizer(latin, 1).characters
    cpu = dict.fromkeys(rows, 0.0)
    texts: dict[str, list[list[str]]] = {name: [] for name in rows}
    for read in rows.values():  # the first use of each: sessions and buffers made
        read(book[0][1][:1])
    for _, lines, _ in book:
        for name, read in rows.items():
            started = time.process_time()
            probs = read(lines)
            cpu[name] += time.process_time() - started
            pairs = zip(probs, lines, strict=True)
            texts[name].append([line_text(p, line, characters) for p, line in pairs])
    table(book, cpu, texts)


def table(book: list[Page], cpu: dict[str, float], texts: dict[str, list[list[str]]]) -> None:
    kinds = sorted({kind for kind, _, _ in book})
    count = sum(len(lines) for _, lines, _ in book)
    reference = next(iter(cpu))
    print(f"{len(book)} pages, {count} lines; rows read each page in turn, CPU of the process")
    header = f"{'row':24} {'ms/line':>8} {'x float':>8} {'same':>6}"
    print(header + "".join(f" {k:>9}" for k in kinds) + f" {'all':>7}")
    for name in cpu:
        pages_read = zip(texts[name], texts[reference], strict=True)
        same = np.mean([a == b for got, ref in pages_read for a, b in zip(got, ref, strict=True)])
        scores = [recall("\n".join(t), p[2]) for t, p in zip(texts[name], book, strict=True)]
        kind_of = [p[0] for p in book]
        by_kind = [
            np.mean([s for s, k in zip(scores, kind_of, strict=True) if k == kind])
            for kind in kinds
        ]
        ms = 1000 * cpu[name] / count
        line = f"{name:24} {ms:8.1f} {cpu[reference] / cpu[name]:8.2f} {same:6.3f}"
        print(line + "".join(f" {r:9.3f}" for r in by_kind) + f" {np.mean(scores):7.4f}")


if __name__ == "__main__":
    main()
