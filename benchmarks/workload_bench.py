"""Workloads: throughput under a service rate limit, CPU per stage, memory against page count.

1. Throughput: a 50-page document against the loopback stand-in (tests/standin.py, in its own
   process) answering each call after --latency seconds and refusing more than --limit calls
   per second with 429; ocr-pdf runs with --rate at that limit. Printed as calls/s achieved and
   as a fraction of the limit, for azure-ocr (1 call per page) and azure-read (a POST and polls).
2. CPU milliseconds per 300-dpi letter page for each stage outside the OCR call: render
   (pypdfium2), encode (fit to the /ocr limits, JPEG/PNG), text layer (reportlab), graft and
   save (pikepdf), output check (pypdfium2).
3. Peak RSS of a whole conversion (a child process) for 10 and for 200 pages.

Run from the repository root:  python benchmarks/workload_bench.py"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing import Event, Process, Queue
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ocr_pdf import make_searchable, textlayer
from ocr_pdf.azure.legacy_ocr import LIMITS, parse_ocr_result
from ocr_pdf.image.encoding import encode_for_limits
from ocr_pdf.pdf import graft, original, pdfium, pdfium_checks
from ocr_pdf.steps.assembly import to_layer_page
from tests.pagegen import Block, PageSpec, TruthPage, make_pdf
from tests.standin import StandIn

KEY = "bench-key"
WORDS = (
    "the committee met on tuesday to review the annual budget and agreed to fund "
    "the new library wing after a long discussion about costs"
).split()


def page(n: int, dpi: int = 300, small: bool = False) -> PageSpec:
    if small:
        return PageSpec(
            f"s{n}",
            (Block(30, 30 + (n % 40) * 3, (f"page {n} " + " ".join(WORDS[:6]),)),),
            width_in=3,
            height_in=2,
            dpi=100,
        )
    lines = tuple(" ".join(WORDS[(i + n) % len(WORDS) :][:9] or WORDS[:9]) for i in range(34))
    return PageSpec(
        f"l{n}",
        (Block(round(dpi * 0.9), round(dpi * (1 + n % 7 * 0.01)), lines, round(dpi * 11 / 72)),),
        width_in=8.5,
        height_in=11,
        dpi=dpi,
    )


def _serve(truths: list[TruthPage], options: dict[str, Any], endpoints: Any, stop: Any) -> None:
    with StandIn(key=KEY, pages=truths, **options) as standin:
        endpoints.put(standin.endpoint)
        stop.wait()
        endpoints.put((standin.rejected, standin.arrivals))


class Server:
    """The stand-in in a child process, so that its CPU is not ours."""

    def __init__(self, truths: list[TruthPage], **options: Any) -> None:
        self.queue: Any = Queue()
        self.stop = Event()
        self.process = Process(
            target=_serve, args=(truths, options, self.queue, self.stop), daemon=True
        )

    def __enter__(self) -> str:
        self.process.start()
        return str(self.queue.get(timeout=60))

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.rejected, self.arrivals = self.queue.get(timeout=30)
        self.process.join(timeout=30)


def throughput(engine: str, pages: int, latency: float, limit: int) -> None:
    data, truths = make_pdf([page(n, small=True) for n in range(pages)])
    os.environ["AZURE_VISION_KEY"] = KEY
    server = Server(truths, latency=latency, limit=(limit, 1.0), running_polls=1)
    with tempfile.TemporaryDirectory() as tmp, server as endpoint:
        src, out = Path(tmp) / "in.pdf", Path(tmp) / "out.pdf"
        src.write_bytes(data)
        start = time.monotonic()
        result = make_searchable(
            src, out, engine=engine, endpoint=endpoint, rate=f"{limit}/s", cache=False
        )
        wall = time.monotonic() - start
    rate = result.calls / wall
    times = sorted(server.arrivals)
    sustained = (len(times) - 1) / (times[-1] - times[0])
    print(
        f"{engine:12} {pages:5d} pages {result.calls:5d} calls {wall:6.1f} s   overall "
        f"{rate:5.2f}/s = {rate / limit:4.0%}   sustained (first to last call) "
        f"{sustained:5.2f}/s = {sustained / limit:4.0%} of {limit}/s   429s: {server.rejected}"
    )


def stages(pages: int) -> None:
    data, truths = make_pdf([page(n) for n in range(pages)])
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(data)
        standin = StandIn(key=KEY, pages=truths)
        cpu: dict[str, list[float]] = {
            k: [] for k in ("render", "encode", "text layer", "graft+save", "check")
        }
        layers, placements = [], []
        with pdfium.Document(src) as doc, original.open_original(src) as opened:
            for i in range(pages):
                t = time.thread_time()
                with doc.page(i) as page:
                    image = page.render(300)
                    geometry = page.geometry()
                cpu["render"].append(time.thread_time() - t)
                t = time.thread_time()
                sent = encode_for_limits(image, LIMITS)
                cpu["encode"].append(time.thread_time() - t)
                from PIL import Image

                answer = standin.recognise(Image.open(io.BytesIO(sent.data)))
                text = parse_ocr_result(answer, sent.width, sent.height)
                placements.append(graft.Placement(i, i, geometry.mediabox[:2], geometry.rotation))
                to_user = geometry.image_to_user(sent.width, sent.height)
                layers.append(to_layer_page(text, geometry, to_user, 0))
            t = time.thread_time()
            writer = textlayer.LayerWriter()
            for layer in layers:
                writer.add(layer)
            layer_pdf = writer.finish()
            cpu["text layer"].append((time.thread_time() - t) / pages)
            t = time.thread_time()
            graft.graft(opened, layer_pdf, placements, Path(tmp) / "out.pdf")
            cpu["graft+save"].append((time.thread_time() - t) / pages)
        t = time.thread_time()
        pdfium_checks.check_output(Path(tmp) / "out.pdf", pages)
        cpu["check"].append((time.thread_time() - t) / pages)
    total = 0.0
    for name, values in cpu.items():
        ms = statistics.mean(values) * 1000
        total += ms
        print(f"  {name:12} {ms:7.1f} ms/page")
    print(f"  {'total':12} {total:7.1f} ms/page (300 dpi letter pages, ~300 words, {pages} pages)")


def peak_rss(pages: int) -> float:
    data, truths = make_pdf([page(n, dpi=200) for n in range(pages)])
    # The stand-in answers after 0.2 s, as a service would: otherwise a short document
    # finishes before the workers fill up, and its peak says nothing about page count.
    with tempfile.TemporaryDirectory() as tmp, Server(truths, latency=0.2) as endpoint:
        src, out = Path(tmp) / "in.pdf", Path(tmp) / "out.pdf"
        src.write_bytes(data)
        env = {**os.environ, "AZURE_VISION_KEY": KEY, "OCR_PDF_CACHE_DIR": str(Path(tmp) / "c")}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ocr_pdf",
                str(src),
                str(out),
                "--engine",
                "azure-ocr",
                "--endpoint",
                endpoint,
                "-q",
            ],
            env=env,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    return usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--rss-pages", type=int, default=200)
    args = parser.parse_args()
    print(f"1. throughput, stand-in at {args.latency} s per call and {args.limit} calls/s:")
    for engine in ("azure-ocr", "azure-read"):
        throughput(engine, args.pages, args.latency, args.limit)
    print("2. CPU per stage outside the OCR call:")
    stages(10)
    print("3. peak RSS of a conversion (azure-ocr against the stand-in, 200 dpi letter pages):")
    small, large = peak_rss(10), peak_rss(args.rss_pages)
    print(
        f"  10 pages: {small:.0f} MB; {args.rss_pages} pages: {large:.0f} MB; "
        f"ratio {large / small:.2f}"
    )


if __name__ == "__main__":
    main()
