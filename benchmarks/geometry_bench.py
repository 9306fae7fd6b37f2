"""Placement quality, size and speed of azure-ocr conversions, against the loopback stand-in.

Prints, for the generated geometry pages (upright, /Rotate, offset boxes, skew, sideways,
upside down, Cyrillic/CJK) and for full letter pages at 300 dpi:
  mean word-box IoU   union of each word's character boxes (pypdfium2, loose) against the box
                      of the word's ink, in PDF points
  CER                 character error rate of pypdfium2's text against the known text in
                      reading order, whitespace folded
  poppler words       share of the known words that pdftotext (poppler, when installed) gives
                      whole; its own layout analysis decides the order, so no CER for it
  bytes/page          output size minus input size, per OCRed page
  CPU ms/page         CPU time of the conversion (render, encode, HTTP client, parse, text
                      layer, graft, save, check), the stand-in running in another process

Run from the repository root:  python benchmarks/geometry_bench.py [--repeat N]
The stand-in answers from the pages' known words, so IoU and CER measure our geometry and
text layer, not recognition."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from multiprocessing import Event, Process, Queue
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ocr_pdf import make_searchable
from tests import checks
from tests.pagegen import Block, PageSpec, TruthPage, geometry_specs, make_pdf
from tests.standin import StandIn

LETTER_TEXT = (
    "It was the best of times it was the worst of times it was the age of wisdom it was "
    "the age of foolishness it was the epoch of belief it was the epoch of incredulity"
)


def letter_page(n: int) -> PageSpec:
    lines, words = [], LETTER_TEXT.split() * 8
    for i in range(38):
        lines.append(" ".join(words[(i * 9 + n) % 60 : (i * 9 + n) % 60 + 9]))
    return PageSpec(
        f"letter{n}",
        (Block(150, 150, tuple(lines), size=42),),
        width_in=8.5,
        height_in=11,
        dpi=300,
        skew=0.4 * (n % 3),
        noise=True,
    )


def _serve(truths: list[TruthPage], key: str, endpoints: Queue[str], stop: EventType) -> None:
    """The stand-in in a process of its own, so that its CPU time is not counted as ours."""
    with StandIn(key=key, pages=truths) as standin:
        endpoints.put(standin.endpoint)
        stop.wait()


def measure(specs: list[PageSpec], dpi: int, repeat: int) -> dict[str, float]:
    data, truths = make_pdf(specs)
    endpoints: Queue[str] = Queue()
    stop = Event()
    server = Process(target=_serve, args=(truths, "bench-key", endpoints, stop), daemon=True)
    server.start()
    os.environ["AZURE_VISION_KEY"] = "bench-key"
    try:
        endpoint = endpoints.get(timeout=30)
        with tempfile.TemporaryDirectory() as tmp:
            src, out = Path(tmp) / "in.pdf", Path(tmp) / "out.pdf"
            src.write_bytes(data)
            cpu = []
            for _ in range(repeat):
                t0 = time.process_time()
                make_searchable(src, out, engine="azure-ocr", endpoint=endpoint, dpi=dpi)
                cpu.append((time.process_time() - t0) / len(specs) * 1000)
            ious, errs, poppler_words = [], [], []
            for i, truth in enumerate(truths):
                ious += [p.iou for p in checks.word_placements(out, i, truth)]
                expected = " ".join(checks.expected_text(truth).split())
                errs.append(checks.cer(" ".join(checks.page_text(out, i).split()), expected))
                pop = checks.pdftotext(out, i)
                if pop is not None:
                    tokens = Counter(pop.split())
                    known = expected.split()
                    found = sum(min(n, tokens[w]) for w, n in Counter(known).items())
                    poppler_words.append(found / len(known))
            return {
                "pages": len(specs),
                "iou": statistics.mean(ious),
                "iou_min": min(ious),
                "cer": statistics.mean(errs),
                "poppler": statistics.mean(poppler_words) if poppler_words else float("nan"),
                "bytes": (out.stat().st_size - src.stat().st_size) / len(specs),
                "ms": statistics.median(cpu),
            }
    finally:
        stop.set()
        server.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = [
        ("geometry pages, 150 dpi", measure(geometry_specs(), 150, args.repeat)),
        ("letter pages, 300 dpi", measure([letter_page(n) for n in range(10)], 300, args.repeat)),
    ]
    print(
        f"{'set':26} {'pages':>5} {'IoU mean':>8} {'IoU min':>8} {'CER pdfium':>10} "
        f"{'poppler words':>13} {'bytes/page':>10} {'ms/page*':>9}"
    )
    for name, r in rows:
        print(
            f"{name:26} {r['pages']:5d} {r['iou']:8.3f} {r['iou_min']:8.3f} {r['cer']:10.4f} "
            f"{r['poppler']:13.4f} {r['bytes']:10.0f} {r['ms']:9.0f}"
        )
    print("* CPU time of our process per page (the OCR service runs elsewhere), median of repeats")


if __name__ == "__main__":
    main()
