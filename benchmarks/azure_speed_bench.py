"""Speed of the Azure path: how much of a service's rate limit a conversion sustains, and the
CPU it spends per page outside the OCR call.

1. Share of the limit sustained: 40 letter pages at 300 dpi against the loopback stand-in
   (tests/standin.py, in a process of its own) answering each call after 0.5 s and refusing
   more than 10 calls/s with 429; ocr-pdf runs `--engine azure-ocr --rate 10/s -j 8` in a
   process of its own. Sustained = calls per second from the first call to the last, as the
   stand-in saw them. Run on a quiet machine and with another process keeping one core busy,
   for scans that can be sent as they are (one JPEG a page) and for pages that must be
   rendered (an image and a line of vector text).
2. CPU per page of the whole conversion (ocr-pdf and its worker processes, not the stand-in),
   and by stage, measured in this process on one page: for a scan sent as is (find and read
   the scan, hash its bytes) and for a rendered 300-dpi page (render, fit to the API's limits,
   hash the pixels); then, for both, decoding what was sent and fitting the words to their ink
   (the engine's boxes are the true ones grown by a few pixels, as an engine's are), the text
   layer, the graft and save, the output check.
3. Peak RSS of the conversion's main process.

Run from the repository root:  python benchmarks/azure_speed_bench.py [--code DIR]
(--code: the checkout whose ocr_pdf the conversions run, to compare with an older one)."""

from __future__ import annotations

import argparse
import io
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pikepdf
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.workload_bench import KEY, Server, page  # noqa: E402
from ocr_pdf.models import Quad, quad_from_box  # noqa: E402
from tests.pagegen import TruthPage, make_pdf  # noqa: E402

LATENCY = 0.5
LIMIT = 10


def documents(pages: int) -> tuple[bytes, bytes, list[TruthPage]]:
    """The same pages twice: as JPEG scans (one image a page, sent as it is) and as pages
    that must be rendered (the scan and a line of vector text)."""
    data, truths = make_pdf([page(n) for n in range(pages)])
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for p in pdf.pages:
            image = p.obj.Resources.XObject.Im0
            pixels = Image.frombytes("L", (int(image.Width), int(image.Height)), image.read_bytes())
            buf = io.BytesIO()
            pixels.save(buf, "JPEG", quality=85)
            image.write(buf.getvalue(), filter=pikepdf.Name.DCTDecode)
        out = io.BytesIO()
        pdf.save(out)
        scans = out.getvalue()
        font = pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
        for p in pdf.pages:
            p.obj.Resources.Font = pikepdf.Dictionary(F1=font)
            p.contents_add(pdf.make_stream(b"BT /F1 6 Tf 4 4 Td (stamp) Tj ET\n"))
        out = io.BytesIO()
        pdf.save(out)
        rendered = out.getvalue()
    return scans, rendered, truths


def convert(code: Path, data: bytes, truths: list[TruthPage], busy: bool) -> dict[str, float]:
    """One conversion in a process of its own against the stand-in: what it sustained."""
    server = Server(truths, latency=LATENCY, limit=(LIMIT, 1.0))
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        with tempfile.TemporaryDirectory() as tmp, server as endpoint:
            src, out = Path(tmp) / "in.pdf", Path(tmp) / "out.pdf"
            src.write_bytes(data)
            env = {**os.environ, "AZURE_VISION_KEY": KEY, "PYTHONPATH": str(code)}
            env.pop("AZURE_VISION_ENDPOINT", None)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-m", "ocr_pdf", str(src), str(out), "--engine", "azure-ocr",
                 "--endpoint", endpoint, "--rate", f"{LIMIT}/s", "-j", "8", "--no-cache"],
                env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            wall = time.monotonic() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            assert done.returncode == 0, done.stderr
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
    calls = int(re.search(r"(\d+) call\(s\)", done.stderr).group(1))  # type: ignore[union-attr]
    times = sorted(server.arrivals)
    sustained = (len(times) - 1) / (times[-1] - times[0])
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {
        "calls": calls,
        "wall": wall,
        "sustained": sustained,
        "rejected": server.rejected,
        "cpu_ms": cpu / len(truths) * 1000,
        "rss_mb": after.ru_maxrss / 1024,
    }


def _ms(fn: Callable[[], object], repeat: int = 5) -> float:
    """The best CPU milliseconds (this thread) of a few runs of ``fn``."""
    best = float("inf")
    for _ in range(repeat):
        t = time.thread_time()
        fn()
        best = min(best, time.thread_time() - t)
    return best * 1000


def stages() -> dict[str, dict[str, float]]:
    """CPU milliseconds of each stage outside the OCR call, on one 300-dpi letter page."""
    scan_data, rendered_data, truths = documents(1)
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, data in (("scan sent as is", scan_data), ("rendered 300 dpi", rendered_data)):
            src = Path(tmp) / f"{kind[:4]}.pdf"
            src.write_bytes(data)
            out[kind] = _stages(src, Path(tmp) / "out.pdf", kind.startswith("scan"), truths[0])
    return out


def _stages(src: Path, target: Path, as_scan: bool, truth: TruthPage) -> dict[str, float]:
    from ocr_pdf import inkfit, textlayer
    from ocr_pdf.azure.apis import LEGACY_OCR
    from ocr_pdf.image.encoding import encode_for_limits
    from ocr_pdf.models import Line, PageText, Word
    from ocr_pdf.pdf import graft, original, pdfium, pdfium_checks, scans
    from ocr_pdf.reading.cache import bytes_digest, pixel_digest
    from ocr_pdf.steps.assembly import to_layer_page

    row: dict[str, float] = {}
    with pdfium.Document(src) as doc, original.open_original(src) as opened:
        with doc.page(0) as p:
            geometry = p.geometry()
            if as_scan:
                found = scans.page_scan(opened, 0)
                assert found is not None
                row["find and read the scan"] = _ms(lambda: scans.page_scan(opened, 0))
                row["hash"] = _ms(lambda: bytes_digest(found.data))
                width, height, to_user = found.width, found.height, found.to_user
                sent = found.data
            else:
                image = p.render(300)
                row["render"] = _ms(lambda: p.render(300))
                row["fit to the API"] = _ms(lambda: encode_for_limits(image, LEGACY_OCR.limits))
                row["hash"] = _ms(lambda: pixel_digest(image))
                width, height = image.size
                to_user = geometry.image_to_user(width, height)
                sent = encode_for_limits(image, LEGACY_OCR.limits).data
        row["decode what was sent"] = _ms(lambda: _decoded(sent))
        # A page of words as an engine answers them, in the pixels of what it read: the true
        # boxes, a few pixels too large, as an engine's are.
        lines = tuple(
            Line(tuple(Word(w.text, _grown(w.display_quad, width, height)) for w in line))
            for line in truth.lines
        )
        text = PageText(width, height, lines)
        pixels = _decoded(sent)
        row["fit words to their ink"] = _ms(lambda: inkfit.refine(text, pixels), 3)
        layer = to_layer_page(inkfit.refine(text, pixels), geometry, to_user, 0)
        row["text layer"] = _ms(lambda: textlayer.LayerWriter().add(layer), 3)
        writer = textlayer.LayerWriter()
        writer.add(layer)
        layer_pdf = writer.finish()
        placement = [graft.Placement(0, 0, geometry.mediabox[:2], 0)]
        row["graft and save"] = _ms(lambda: graft.graft(opened, layer_pdf, placement, target), 1)
    row["output check"] = _ms(lambda: pdfium_checks.check_output(target, 1))
    return row


def _decoded(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as opened:
        grey: Image.Image = opened.convert("L")
    return grey


def _grown(quad: tuple[tuple[float, float], ...], width: int, height: int) -> Quad:
    """A word's normalised quad in pixels, 3 pixels larger on each side."""
    xs = [x * width for x, _ in quad]
    ys = [y * height for _, y in quad]
    return quad_from_box(min(xs) - 3, min(ys) - 3, max(xs) - min(xs) + 6, max(ys) - min(ys) + 6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout to run")
    args = parser.parse_args()
    scans, rendered, truths = documents(args.pages)
    print(f"code: {args.code}; {args.pages} pages, stand-in {LATENCY} s a call, {LIMIT} calls/s")
    print(f"{'pages':18} {'machine':14} {'sustained':>10} {'of limit':>9} {'429s':>5} "
          f"{'calls':>6} {'wall s':>7} {'CPU ms/page':>12} {'RSS MB':>7}")  # fmt: skip
    for label, data in (("scans (JPEG)", scans), ("must be rendered", rendered)):
        for busy in (False, True):
            r = convert(args.code, data, truths, busy)
            machine = "one core busy" if busy else "quiet"
            print(f"{label:18} {machine:14} {r['sustained']:8.2f}/s {r['sustained'] / LIMIT:9.0%} "
                  f"{r['rejected']:5.0f} {r['calls']:6.0f} {r['wall']:7.1f} {r['cpu_ms']:12.0f} "
                  f"{r['rss_mb']:7.0f}")  # fmt: skip
    if args.code == ROOT:
        print("CPU ms per page by stage (this process, one page, best of a few):")
        for kind, row in stages().items():
            total = sum(row.values())
            detail = ", ".join(f"{name} {value:.1f}" for name, value in row.items())
            print(f"  {kind:18} {total:6.1f} ms: {detail}")


if __name__ == "__main__":
    main()
