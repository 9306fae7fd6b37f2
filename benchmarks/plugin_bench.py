"""OCRmyPDF straightening scans with our plugin, beside OCRmyPDF's own Tesseract, in one run and
one table: how level the output pages are, whether their words sit on their ink, how many times
the engine read each page, time and memory.

Documents: `samples/letter.pdf` (a real-looking letter, skewed 0.8 degrees), generated pages
turned and skewed (tests/pagegen.py: 3 degrees; sideways -2; upside down 1.5; sideways the other
way), and, with --resources DIR (the tests/resources folder of a checkout of
github.com/ocrmypdf/OCRmyPDF), OCRmyPDF's own skew.pdf, c02-22.pdf, rotated_skew.pdf and
cardinal.pdf (four pages, each turned another way).

Argument sets (ocrmypdf.ocr, threads):
  deskew     --deskew --rotate-pages --output-type pdf
  paperless  paperless-ngx 3's exact arguments with its default settings: clean (unpaper),
             deskew, rotate_pages threshold 12, output_type pdfa (Ghostscript),
             color_conversion_strategy RGB, sidecar, language eng, jobs 2, use_threads
Rows: `OCRmyPDF` (its own Tesseract), `plugin` (this checkout's ocr_pdf.ocrmypdf_plugin, local
engine), `before` (with --before DIR: the plugin of another checkout, e.g. `git worktree add
/tmp/before 899fcfd`, or `git archive 899fcfd | tar -x -C DIR`).
Columns:
  skew in/out  mean absolute skew of the pages, degrees, input and output, measured on poppler's
               render by a projection profile (tests/straightness.py: no ocr_pdf code)
  worst        largest absolute skew of an output page
  on ink       share of the output's word boxes (pdftotext -bbox) on their ink
  reads/page   our OCR cache's entries per page (a private cache per run: one per engine
               reading); "-" for Tesseract
  s            wall-clock seconds of the run
  MB           largest resident set of the run's whole process tree (sampled every 50 ms)
A page displayed sideways has no meaningful "skew in" (its lines run down the page).

Run from the repository root:  python benchmarks/plugin_bench.py [--resources DIR]
[--sets deskew,paperless] [--rows OCRmyPDF,plugin] [--before DIR] [--short]
(--short: the letter and one generated page only, the deskew set only)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.speed_bench import ISOLATE  # noqa: E402
from tests import straightness  # noqa: E402
from tests.pagegen import make_pdf  # noqa: E402
from tests.test_ocrmypdf_deskew import SPECS  # noqa: E402

RUN = (
    ISOLATE
    + """
import json, ocrmypdf
args = json.loads(sys.argv[1])
ocrmypdf.ocr(**args)
"""
)
OCRMYPDF_SCANS = ("skew.pdf", "c02-22.pdf", "rotated_skew.pdf", "cardinal.pdf")


def argument_set(name: str, src: Path, out: Path, plugin: bool) -> dict[str, object]:
    args: dict[str, object] = {
        "input_file_or_options": str(src),
        "output_file": str(out),
        "use_threads": True,
        "jobs": 2,
        "progress_bar": False,
    }
    if name == "deskew":
        args.update(deskew=True, rotate_pages=True, output_type="pdf")
    else:  # src/paperless/parsers/tesseract.py, construct_ocrmypdf_parameters
        args.update(
            language="eng",
            output_type="pdfa",
            color_conversion_strategy="RGB",
            clean=True,
            deskew=True,
            rotate_pages=True,
            rotate_pages_threshold=12.0,
            sidecar=str(out.with_suffix(".txt")),
        )
    if plugin:
        args["plugins"] = ["ocr_pdf.ocrmypdf_plugin"]
    return args


def tree_rss(root: int) -> int:
    """Bytes resident in process ``root`` and all its descendants."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            rss[int(entry.name)] = int((entry / "statm").read_text().split()[1]) * 4096
        except (OSError, ValueError, IndexError):
            continue
    family, grown = {root}, True
    while grown:
        more = {pid for pid, parent in parents.items() if parent in family} - family
        family |= more
        grown = bool(more)
    return sum(rss.get(pid, 0) for pid in family)


@dataclass
class Outcome:
    seconds: float
    peak: int
    error: str = ""


def run(code_root: Path, args: dict[str, object], cache: Path, models: Path) -> Outcome:
    env = {
        **os.environ,
        "OCR_PDF_CACHE_DIR": str(cache),
        "OCR_PDF_MODELS_DIR": str(models),
        "PYTHONPATH": str(code_root),
    }
    command = [sys.executable, "-c", RUN, str(code_root), json.dumps(args)]
    started = time.monotonic()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    seconds = time.monotonic() - started
    sampler.join()
    last = err.decode(errors="replace").strip().splitlines()
    return Outcome(seconds, peak[0], "" if proc.returncode == 0 else (last or ["?"])[-1][:80])


def documents(folder: Path, resources: Path | None, short: bool) -> list[Path]:
    found = [ROOT / "samples" / "letter.pdf"]
    specs = SPECS[:1] if short else SPECS
    data, _ = make_pdf(specs)
    generated = folder / "generated.pdf"
    generated.write_bytes(data)
    found.append(generated)
    if resources is not None and not short:
        found += [resources / name for name in OCRMYPDF_SCANS if (resources / name).exists()]
    return found


def page_count(path: Path) -> int:
    import pikepdf

    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def measure(path: Path) -> list[straightness.PageCheck]:
    return [straightness.check_page(path, i) for i in range(page_count(path))]


def row(
    label: str, doc: Path, before: list[float], out: Path, outcome: Outcome, cache: Path | None
) -> str:
    if outcome.error:
        return f"| {doc.name} | {label} | failed: {outcome.error} |||||||"
    pages = measure(out)
    skews = [abs(p.skew) for p in pages]
    words = sum(p.words for p in pages)
    if not words:  # OCRmyPDF skips a page Tesseract takes over 180 s on (a busy machine)
        return f"| {doc.name} | {label} | no text in the output |||||||"
    on_ink = sum(p.on_ink * p.words for p in pages) / words if words else 0.0
    reads = "-"
    if cache is not None:
        entries = sum(1 for p in cache.rglob("*") if p.is_file() and not p.name.startswith("."))
        reads = f"{entries / len(pages):.2f}"
    return (
        f"| {doc.name} | {label} | {sum(before) / len(before):.2f} | {sum(skews) / len(skews):.2f}"
        f" | {max(skews):.2f} | {100 * on_ink:.1f}% | {reads} | {outcome.seconds:.1f}"
        f" | {outcome.peak / 1e6:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resources", type=Path, help="OCRmyPDF's tests/resources folder")
    parser.add_argument("--sets", default="deskew,paperless")
    parser.add_argument("--rows", default="OCRmyPDF,plugin")
    parser.add_argument("--before", type=Path, help="a checkout whose plugin to run as 'before'")
    parser.add_argument("--short", action="store_true")
    options = parser.parse_args()
    sets = ["deskew"] if options.short else options.sets.split(",")
    rows = options.rows.split(",") + (["before"] if options.before else [])
    if "paperless" in sets and not (shutil.which("unpaper") and shutil.which("gs")):
        print("paperless set skipped: it needs unpaper and Ghostscript (apt-get install ...)")
        sets.remove("paperless")
    code = {"OCRmyPDF": ROOT, "plugin": ROOT, "before": options.before or ROOT}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        docs = documents(folder, options.resources, options.short)
        # The local engine's int8 models, built once here by a first run that is not timed (a
        # private copy: another process rebuilding the shared one would be timed instead).
        models = folder / "models"
        warm = argument_set("deskew", docs[0], folder / "warm.pdf", True)
        run(code["plugin"], warm, folder / "cache-warm", models)
        for name in sets:
            print(
                f"\n{name}: "
                + (
                    "paperless-ngx 3's arguments"
                    if name == "paperless"
                    else "--deskew --rotate-pages --output-type pdf"
                )
            )
            print("| document | row | skew in | skew out | worst | on ink | reads/page | s | MB |")
            print("|---|---|---|---|---|---|---|---|---|")
            for doc in docs:
                before = [
                    abs(straightness.skew(straightness.render(doc, i)))
                    for i in range(page_count(doc))
                ]
                for label in rows:
                    out = folder / f"{name}-{label}-{doc.stem}.pdf"
                    cache = folder / f"cache-{name}-{label}-{doc.stem}"
                    plugin = label != "OCRmyPDF"
                    args = argument_set(name, doc, out, plugin)
                    outcome = run(code[label], args, cache, models)
                    print(
                        row(label, doc, before, out, outcome, cache if plugin else None), flush=True
                    )


if __name__ == "__main__":
    main()
