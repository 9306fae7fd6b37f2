"""Whole runs as a user starts them: a fresh ``ocr-pdf`` process per run, timed from the moment
it is started to the moment its output is written, beside OCRmyPDF in the same run.

The documents: letter pages cycling through a mix of ten scans at 150, 200 and 300 dpi, stored
as JPEG (sent to a service as they are) and as Flate (rendered), grey and three in colour (ink
on tinted paper), two of them turned sideways inside the scan and one skewed, with scanner
speckle (``mixed_pdf``).

1. The Azure path, ``--engine azure-ocr`` against the loopback stand-in (tests/standin.py, in
   a process of its own, so that its CPU is not counted):
   CPU/page   CPU of the ocr-pdf process and its children outside the OCR call, per page:
              a 10-page run minus a 1-page run, divided by 9, against a stand-in that answers
              at once (best of --repeat; the cache on, in an empty folder, as a user's first run)
   first req  seconds from the start of the process to the stand-in's first request, 40 pages,
              ``-j 8 --rate 8/s``, the stand-in answering after 0.5 s
   sustained  requests per second from the first to the last, as a share of the 8/s limit
   to output  40 pages over the wall time from start to output, as a share of the 8/s limit
   each quiet and with one core kept busy by another process.
2. Whole runs of documents of 1, 10 and 40 pages, quiet and with one core busy: ``ocr-pdf``
   with ``local``, ``tesseract`` and ``azure-ocr`` (the stand-in answering after 0.5 s, no
   rate limit), and OCRmyPDF (``-j 2 --output-type pdf --optimize 0``); wall seconds,
   pages/s, and pages/s as a multiple of OCRmyPDF's on the same document and machine state.

``--before DIR`` adds the same rows for another checkout (``git archive <commit> | tar -x -C
DIR``), run from its own code through PYTHONPATH. ``--short``: part 1 once, part 2 with 1 and
10 pages quiet only.

Run from the repository root:  python benchmarks/whole_run_bench.py [--short] [--before DIR]"""

from __future__ import annotations

import argparse
import importlib.util
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pikepdf
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.workload_bench import KEY, Server, page  # noqa: E402
from tests.pagegen import TruthPage, make_pdf  # noqa: E402

LIMIT = 8
LATENCY = 0.5
MIX: tuple[tuple[int, str, bool, int, float], ...] = (
    # dpi, stored as, in colour, turn inside the scan, skew (degrees)
    (300, "JPEG", True, 0, 0.0),
    (200, "Flate", False, 0, 0.0),
    (150, "JPEG", False, 0, 0.0),
    (300, "Flate", False, 90, 0.0),
    (200, "JPEG", True, 0, 2.5),
    (300, "JPEG", False, 0, 0.0),
    (150, "Flate", True, 0, 0.0),
    (200, "JPEG", False, 270, 0.0),
    (300, "Flate", False, 0, 0.0),
    (200, "JPEG", False, 0, 0.0),
)
INK, PAPER = (20, 30, 70), (250, 244, 228)  # a colour scan: dark blue ink, cream paper


def mixed_pdf(pages: int) -> tuple[bytes, list[TruthPage]]:
    """``pages`` letter pages of the mix, and their truth for the stand-in."""
    mix = [MIX[n % len(MIX)] for n in range(pages)]
    data, truths = make_pdf(
        [replace(page(n, dpi), turn=turn, skew=skew, noise=True)
         for n, (dpi, _, _, turn, skew) in enumerate(mix)]
    )  # fmt: skip
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for p, (_, stored, colour, _, _) in zip(pdf.pages, mix, strict=True):
            image = p.obj.Resources.XObject.Im0
            pixels = Image.frombytes("L", (int(image.Width), int(image.Height)), image.read_bytes())
            if colour:  # grey 20 (the print) to the ink's colour, 255 to the paper's
                pixels = Image.merge("RGB", [
                    pixels.point(lambda v, a=a, b=b: round(a + (b - a) * (v - 20) / 235))
                    for a, b in zip(INK, PAPER, strict=True)
                ])  # fmt: skip
            if stored == "JPEG":
                buf = io.BytesIO()
                pixels.save(buf, "JPEG", quality=85)
                image.write(buf.getvalue(), filter=pikepdf.Name.DCTDecode)
            elif colour:
                image.write(zlib.compress(pixels.tobytes(), 6), filter=pikepdf.Name.FlateDecode)
            if colour:
                image.ColorSpace = pikepdf.Name.DeviceRGB
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue(), truths


@dataclass(frozen=True)
class Run:
    wall: float  # seconds from start to exit (the output is published before exit)
    cpu: float  # seconds of user + system CPU of the process and its children
    rss_mb: float
    arrivals: tuple[float, ...] = ()  # the stand-in's requests, seconds after the start
    rejected: int = 0  # requests the stand-in refused with 429 (over its limit)


@contextmanager
def busy(on: bool) -> Iterator[None]:
    """Another process keeping one core busy meanwhile."""
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if on else None
    try:
        yield
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float, float]:
    """(monotonic start, wall seconds, CPU seconds, peak RSS MB) of a command and its
    children; raises if it fails."""
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}... failed: {err[-400:]}")
    return start, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


class Bench:
    """The documents, written once into a temporary folder, and the runs on them."""

    def __init__(self, folder: Path, sizes: list[int]) -> None:
        self.folder = folder
        self.docs: dict[int, tuple[Path, list[TruthPage]]] = {}
        for n in sizes:
            data, truths = mixed_pdf(n)
            path = folder / f"mix{n}.pdf"
            path.write_bytes(data)
            self.docs[n] = (path, truths)

    def ocr_pdf(self, code: Path, pages: int, *args: str, latency: float = 0.0) -> Run:
        """``ocr-pdf`` from the checkout ``code`` on the ``pages``-page document; with
        ``--engine azure-ocr`` against a stand-in answering after ``latency`` seconds."""
        src, truths = self.docs[pages]
        out = self.folder / "out.pdf"
        cache = Path(tempfile.mkdtemp(dir=self.folder))
        env = {**os.environ, "PYTHONPATH": str(code), "OCR_PDF_CACHE_DIR": str(cache)}
        env.pop("AZURE_VISION_ENDPOINT", None)
        # As a user's installed copy runs: from compiled bytecode (pip compiles it on install;
        # a checkout's is written by the first run, which warm_up makes).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        cmd = [sys.executable, "-m", "ocr_pdf", str(src), str(out), "-q", *args]
        try:
            if "azure-ocr" not in args:
                _, wall, cpu, rss = timed(cmd, env, self.folder)
                return Run(wall, cpu, rss)
            env["AZURE_VISION_KEY"] = KEY
            limit = (LIMIT, 1.0) if "--rate" in args else None
            server = Server(truths, latency=latency, limit=limit)
            with server as endpoint:
                start, wall, cpu, rss = timed([*cmd, "--endpoint", endpoint], env, self.folder)
            arrivals = tuple(sorted(t - start for t in server.arrivals))
            return Run(wall, cpu, rss, arrivals, server.rejected)
        finally:
            shutil.rmtree(cache, ignore_errors=True)

    def ocrmypdf(self, pages: int) -> Run:
        src, _ = self.docs[pages]
        cmd = ["ocrmypdf", "-q", "-j", "2", "--output-type", "pdf", "--optimize", "0"]
        _, wall, cpu, rss = timed([*cmd, str(src), str(self.folder / "out.pdf")], {**os.environ},
                                  self.folder)  # fmt: skip
        return Run(wall, cpu, rss)


AZURE_HEAD = (
    f"{'code':10} {'machine':14} {'CPU ms/p':>9} {'median':>9} {'first req':>9} "
    f"{'sustained':>10} {'to output':>10} {'40p wall':>8} {'1p wall':>8} {'429s':>5}"
)
RUNS_HEAD = (
    f"{'pages':>5} {'machine':14} {'run':22} {'wall s':>7} {'pages/s':>8} "
    f"{'x OCRmyPDF':>10} {'CPU s/p':>8} {'RSS MB':>7}"
)


def azure_path(bench: Bench, code: Path, label: str, repeat: int, loads: list[bool]) -> None:
    """Part 1's rows for the checkout ``code``."""
    azure = ("--engine", "azure-ocr")
    bench.ocr_pdf(code, 1, *azure)  # bytecode written, files in the page cache
    for loaded in loads:
        with busy(loaded):
            per_page = []
            for _ in range(repeat):
                ten = bench.ocr_pdf(code, 10, *azure)
                one = bench.ocr_pdf(code, 1, *azure)
                per_page.append((ten.cpu - one.cpu) / 9 * 1000)
            rate = ("-j", "8", "--rate", f"{LIMIT}/s")
            run = bench.ocr_pdf(code, 40, *azure, *rate, latency=LATENCY)
        times = run.arrivals
        sustained = (len(times) - 1) / (times[-1] - times[0]) / LIMIT
        machine = "one core busy" if loaded else "quiet"
        print(
            f"{label:10} {machine:14} {min(per_page):9.0f} {statistics.median(per_page):9.0f} "
            f"{times[0]:9.2f} {sustained:10.0%} {40 / run.wall / LIMIT:10.0%} "
            f"{run.wall:8.2f} {one.wall:8.2f} {run.rejected:5d}",
            flush=True,
        )


def whole_runs(bench: Bench, codes: dict[str, Path], sizes: list[int], loads: list[bool]) -> None:
    """Part 2's table: every engine on every document, beside OCRmyPDF."""
    engines: list[tuple[str, tuple[str, ...], float]] = []
    if importlib.util.find_spec("rapidocr"):
        engines.append(("local", ("--engine", "local"), 0.0))
    if shutil.which("tesseract"):
        engines.append(("tesseract", ("--engine", "tesseract"), 0.0))
    engines.append(("azure-ocr", ("--engine", "azure-ocr"), LATENCY))
    have_peer = shutil.which("ocrmypdf") is not None and shutil.which("tesseract") is not None
    for code in codes.values():  # bytecode written, models built, files in the page cache
        for _, args, latency in engines:
            bench.ocr_pdf(code, 1, *args, latency=latency)
    for loaded in loads:
        machine = "one core busy" if loaded else "quiet"
        for pages in sizes:
            rows: list[tuple[str, Run]] = []
            with busy(loaded):
                peer = bench.ocrmypdf(pages) if have_peer else None
                if peer is not None:
                    rows.append(("OCRmyPDF -j 2", peer))
                for label, code in codes.items():
                    for name, args, latency in engines:
                        run = bench.ocr_pdf(code, pages, *args, latency=latency)
                        rows.append((f"{label} {name}", run))
            for name, r in rows:
                ratio = peer.wall / r.wall if peer else float("nan")
                print(
                    f"{pages:5d} {machine:14} {name:22} {r.wall:7.2f} {pages / r.wall:8.2f} "
                    f"{ratio:10.2f} {r.cpu / pages:8.2f} {r.rss_mb:7.0f}",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", action="store_true", help="a quick version")
    parser.add_argument("--before", type=Path, help="another checkout to run beside this one")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the CPU/page figure")
    parser.add_argument("--part", choices=("1", "2", "both"), default="both")
    args = parser.parse_args()
    codes = {"now": ROOT, **({"before": args.before} if args.before else {})}
    sizes = [1, 10] if args.short else [1, 10, 40]
    loads = [False] if args.short else [False, True]
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(Path(tmp), sorted({*sizes, 1, 10, 40}))
        if args.part in ("1", "both"):
            print(
                "1. azure-ocr against the stand-in: CPU/page outside OCR (a 10-page run minus a "
                f"1-page run, no latency); 40 pages, -j 8 --rate {LIMIT}/s, {LATENCY} s latency"
            )
            print(AZURE_HEAD)
            for label, code in codes.items():
                azure_path(bench, code, label, 1 if args.short else args.repeat, loads)
        if args.part in ("2", "both"):
            print("2. whole runs, wall from start to output (x OCRmyPDF: its wall over ours)")
            print(RUNS_HEAD)
            whole_runs(bench, codes, sizes, loads)


if __name__ == "__main__":
    main()
