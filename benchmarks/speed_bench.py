"""Offline engines' speed against OCRmyPDF on the same generated scans, in one run, one table.

Rows: ``ocr-pdf local`` (and, with ``--before DIR``, the local engine of another checkout, e.g.
``git archive <commit> | tar -x -C DIR``), ``ocr-pdf tesseract`` (in process when tesserocr is
installed; then also ``tesseract process``, one process a page, OCR_PDF_TESSERACT_INPROCESS=0)
and OCRmyPDF 17 with tesseract (``--output-type pdf --optimize 0 -j 2``), each as its own
process with default settings; ``--rows`` picks some.
Columns:
  pages/s      wall-clock pages per second over the English set (10 letter pages, 150-300 dpi)
  CPU s/page   user+system CPU of the process and its children, per page
  RSS MB       largest resident set of any one process of the run
  CER          character error rate of the output's text against the known text (English set)
  hard F1      words found on the hard scans (forms, receipts, old print, small print, tables,
               low contrast: benchmarks/hard_pages.py), as a multiset F1, order ignored
  1-page s     wall time of a whole run on a one-line page (start-up and model loading)
  turned x     OCR time of a page turned 90/180/270 degrees over the same page upright, read
               one page at a time (-j 1); must stay under 1.5

Run from the repository root:  python benchmarks/speed_bench.py [--pages N] [--before DIR]
[--rows 'ocr-pdf local,OCRmyPDF 17 -j 2']"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import hard_pages  # noqa: E402
from benchmarks.local_engines_bench import english_page, run, score  # noqa: E402
from tests import checks  # noqa: E402
from tests.pagegen import Block, PageSpec, make_pdf  # noqa: E402

# Runs ocr_pdf from the checkout first on sys.path, even where the venv holds an editable
# install of another checkout (its import hook would otherwise win over PYTHONPATH).
ISOLATE = """
import importlib, sys
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, sys.argv.pop(1))
importlib.invalidate_caches()
"""
LAUNCH = ISOLATE + "from ocr_pdf.cli import run; sys.argv[0] = 'ocr-pdf'; run()"
TURN_PROBE = (
    ISOLATE
    + """
import json
from ocr_pdf import make_searchable
result = make_searchable(sys.argv[1], sys.argv[2], engine="local", jobs=1, cache=False)
print(json.dumps([p.seconds for p in result.pages]))
"""
)


def commands(before: Path | None) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Each row's command (input and output paths are appended) and its environment."""
    py = [sys.executable, "-c", LAUNCH, str(ROOT)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rows: dict[str, tuple[list[str], dict[str, str]]] = {}
    if __import__("importlib").util.find_spec("rapidocr"):
        rows["ocr-pdf local"] = ([*py, "--engine", "local", "-q", "--no-cache"], env)
        if before is not None:
            old = [sys.executable, "-c", LAUNCH, str(before)]
            rows["local before"] = ([*old, "--engine", "local", "-q", "--no-cache"], env)
    if shutil.which("tesseract"):
        tesseract = [*py, "--engine", "tesseract", "-q", "--no-cache"]
        rows["ocr-pdf tesseract"] = (tesseract, env)  # in process when tesserocr is installed
        if __import__("importlib").util.find_spec("tesserocr"):
            rows["tesseract process"] = (tesseract, {**env, "OCR_PDF_TESSERACT_INPROCESS": "0"})
        if shutil.which("ocrmypdf"):
            rows["OCRmyPDF 17 -j 2"] = (
                ["ocrmypdf", "--output-type", "pdf", "--optimize", "0", "-j", "2", "-q"],
                env,
            )
    return rows


def hard_pdf(folder: Path) -> tuple[Path, list[list[str]]]:
    """The hard scans as one PDF (each page image at its own resolution) and their words."""
    import pikepdf

    pages = hard_pages.pages(per_kind=2)
    path = folder / "hard.pdf"
    # Pillow writes each image as one full-page JPEG, like a scanner's PDF; one file per page,
    # since it gives every page of a multi-page file the first page's resolution.
    merged = pikepdf.new()
    for n, (_, image, dpi, _) in enumerate(pages):
        one = folder / f"hard-{n}.pdf"
        image.convert("L").save(one, "PDF", resolution=float(dpi))
        with pikepdf.open(one) as src:
            merged.pages.extend(src.pages)
    merged.save(path)
    return path, [words for _, _, _, words in pages]


def hard_f1(out: Path, truth: list[list[str]]) -> float:
    read = [w for i in range(len(truth)) for w in checks.page_text(out, i).split()]
    return hard_pages.bag_f1(read, [w for words in truth for w in words])


def turned_ratio(folder: Path, checkout: str) -> float:
    """OCR seconds of the turned copies of a page over those of the upright copy."""
    rng = random.Random(3)
    base = english_page(0, rng, dpi=200)
    specs = [
        PageSpec(f"turn{t}", base.blocks, 8.5, 11, 200, base.skew, turn=t, noise=True)
        for t in (0, 0, 90, 180, 270)
    ]
    data, _ = make_pdf(specs)
    src, out = folder / "turned.pdf", folder / "turned-out.pdf"
    src.write_bytes(data)
    probe = subprocess.run(
        [sys.executable, "-c", TURN_PROBE, checkout, str(src), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = json.loads(probe.stdout.strip().splitlines()[-1])
    upright = seconds[1]  # the second upright copy: the first pays for warming up
    return float(max(seconds[2:]) / upright)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=10, help="English pages (default 10)")
    parser.add_argument("--before", type=Path, help="a checkout whose local engine to compare")
    parser.add_argument("--rows", help="comma-separated rows (default: all)")
    args = parser.parse_args()
    rng = random.Random(7)
    english = [english_page(n, rng) for n in range(args.pages)]
    print(
        f"{'engine':20} {'pages/s':>8} {'CPU s/page':>10} {'RSS MB':>7} {'CER':>7} "
        f"{'hard F1':>8} {'1-page s':>8} {'turned x':>8}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data, truths = make_pdf(english)
        src = folder / "english.pdf"
        src.write_bytes(data)
        hard, hard_truth = hard_pdf(folder)
        tiny_data, _ = make_pdf(
            [PageSpec("tiny", (Block(20, 20, ("Hello tiny world",), 22),), 3, 1, 200)]
        )
        tiny = folder / "tiny.pdf"
        tiny.write_bytes(tiny_data)
        chosen = commands(args.before)
        if args.rows:
            chosen = {k: v for k, v in chosen.items() if k in args.rows.split(",")}
        for name, (cmd, env) in chosen.items():
            out = folder / "out.pdf"
            try:
                wall, cpu, rss = run([*cmd, str(src), str(out)], env)
                cer = score(out, truths)[0]
                rss = max(rss, run([*cmd, str(hard), str(out)], env)[2])
                f1 = hard_f1(out, hard_truth)
                one = run([*cmd, str(tiny), str(out)], env)[0]
                turned = turned_ratio(folder, cmd[3]) if "local" in name else float("nan")
            except (RuntimeError, subprocess.CalledProcessError) as exc:
                print(f"{name:20} failed: {exc}")
                continue
            n = len(english)
            print(
                f"{name:20} {n / wall:8.2f} {cpu / n:10.2f} {rss:7.0f} {cer:7.4f} "
                f"{f1:8.4f} {one:8.2f} {turned:8.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
