"""Decompression bombs and large scans: exit code, wall time and peak memory of ocr-pdf and of
OCRmyPDF 17 (+ tesseract) on the same files, in the same run.

Cases: a one-page scan carrying a 1 GiB bomb of about 1.5 KB as its XMP metadata, as a content
stream, as a form XObject, and as an object stream holding the catalog; a 1 MB form drawn 200
times (3 KB of file; a form that draws itself is left out: it exhausts any memory); the scan with
ordinary Flate-compressed XMP (is the packet written back as it was?); and, with --large, a
generated 2,000-page scan of about 270 MB (JPEG pages, object streams), where only the time
ocr-pdf spends on opening and checking the input is measured, the rest being OCR.

Each command runs in a child process limited to --memory bytes of address space and
--timeout seconds; peak memory is the child's maximum resident set (wait4).

Run from the repository root:  python benchmarks/hostile_bench.py [--large]"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pikepdf
from pikepdf import Name
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ocr_pdf.qpdf import original  # noqa: E402
from tests import hostile  # noqa: E402
from tests.pagegen import Block, PageSpec, make_pdf  # noqa: E402


def run(cmd: list[str], memory: int, timeout: float) -> tuple[str, float, float]:
    """(outcome, seconds, peak GB) of ``cmd`` in a child limited to ``memory`` bytes."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    env = {**os.environ, "AZURE_VISION_KEY": "bench-key", "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=err, preexec_fn=limit
        )
        outcome = ""
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - started > timeout:
                proc.kill()
                outcome = f"killed after {timeout:.0f} s"
            time.sleep(0.05)
        seconds = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        last = err.read().decode(errors="replace").strip().splitlines()[-1:] or [""]
    if not outcome:
        code = proc.returncode
        outcome = f"signal {-code}" if code < 0 else f"exit {code}"
    return f"{outcome}: {last[0][:70]}", seconds, usage.ru_maxrss / 1e6


def xmp_kept(src: Path, out: Path) -> str:
    if not out.exists():
        return "no output"
    with pikepdf.open(src) as a, pikepdf.open(out) as b:
        before, after = a.Root.Metadata.read_raw_bytes(), b.Root.Metadata.read_raw_bytes()
        return "XMP kept" if before == after else f"XMP {len(before)} -> {len(after)} bytes"


def large_scan(path: Path, pages: int) -> None:
    images = []
    for k in range(8):
        image = Image.new("L", (1700, 2200), 250)
        draw = ImageDraw.Draw(image)
        for i in range(900):
            x, y = (i * 7919 + k * 104729) % 1700, (i * 6007 + k * 7) % 2200
            draw.rectangle([x, y, x + 2 + i % 28, y + 2 + i % 10], fill=(i * 37) % 120)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=70)
        images.append(buffer.getvalue())
    pdf = pikepdf.new()
    for i in range(pages):
        jpeg = pikepdf.Stream(pdf, images[i % 8])
        jpeg.Type, jpeg.Subtype, jpeg.Filter = Name.XObject, Name.Image, Name.DCTDecode
        jpeg.Width, jpeg.Height, jpeg.BitsPerComponent = 1700, 2200, 8
        jpeg.ColorSpace = Name.DeviceGray
        content = zlib.compress(b"q 612 0 0 792 0 0 cm /Im0 Do Q")
        page = pikepdf.Dictionary(
            Type=Name.Page,
            MediaBox=[0, 0, 612, 792],
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=jpeg)),
            Contents=pikepdf.Stream(pdf, content, Filter=Name.FlateDecode),
        )
        pdf.pages.append(pikepdf.Page(page))
    pdf.save(path, object_stream_mode=pikepdf.ObjectStreamMode.generate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--memory", type=int, default=6_000_000_000)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--large", action="store_true", help="also the 2,000-page scan")
    args = parser.parse_args()
    scan, _ = make_pdf(
        [PageSpec(f"b{i}", (Block(40, 60, (f"Bomb test page {i + 1}",)),), 5, 3) for i in range(2)]
    )
    cases: dict[str, Callable[[bytes], bytes]] = {
        "XMP bomb": hostile.metadata_bomb_pdf,
        "content-stream bomb": hostile.content_bomb_pdf,
        "form XObject bomb": hostile.form_bomb_pdf,
        "object-stream bomb": lambda _: hostile.object_stream_bomb_pdf(),
        "form drawn 200 times": hostile.repeated_form_pdf,
        "compressed XMP": hostile.compressed_xmp_pdf,
    }
    print(f"{'case':22} {'tool':9} {'s':>6} {'peak GB':>8}  outcome")
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in cases.items():
            src = Path(tmp) / "in.pdf"
            src.write_bytes(make(scan))
            tools = {
                "ocr-pdf": [sys.executable, "-m", "ocr_pdf", "--engine", "tesseract", "-q"],
                "OCRmyPDF": [sys.executable, "-m", "ocrmypdf", "-q", "--output-type", "pdf"],
            }
            for tool, cmd in tools.items():
                out = Path(tmp) / f"out-{tool}.pdf"
                outcome, seconds, peak = run([*cmd, str(src), str(out)], args.memory, args.timeout)
                if name == "compressed XMP":
                    outcome += f"; {xmp_kept(src, out)}"
                print(f"{name:22} {tool:9} {seconds:6.1f} {peak:8.2f}  {outcome}")
                out.unlink(missing_ok=True)
        if args.large:
            path = Path(tmp) / "large.pdf"
            large_scan(path, 2000)
            started = time.monotonic()
            with original.open_original(path) as pdf:
                original.check_decoding(pdf, path)
            print(
                f"2,000-page scan ({path.stat().st_size / 1e6:.0f} MB): opening and checking "
                f"took {time.monotonic() - started:.2f} s"
            )


if __name__ == "__main__":
    main()
