"""Decompression bombs and large scans: exit code, wall time and peak memory of ocr-pdf and of
OCRmyPDF 17 (+ tesseract) on the same files, in the same run.

Cases: a one-page scan carrying a 1 GiB bomb of about 1.5 KB as its XMP metadata, as a content
stream, as a form XObject, and as an object stream holding the catalog; a 1 MB form drawn 200
times (3 KB of file; a form that draws itself is left out: it exhausts any memory); the scan with
ordinary Flate-compressed XMP (is the packet written back as it was?); and, with --large, a
generated 2,000-page scan of about 270 MB (JPEG pages, object streams), where only the time
ocr-pdf spends on opening and checking the input is measured, the rest being OCR.

Image inputs (issue 23.5; --images, or --images-only for just these): a TIFF of --frames RGBA
4000 x 4000 frames with a few lines of print (60 in the issue: 6 GB before frames were bounded
and converted one at a time), a PNG declaring 30000 x 30000 pixels (a decompression bomb of a
few hundred KB), and a 16-bit grey PNG page (blank before 16-bit samples were scaled).

Each command runs in a child process limited to --memory bytes of address space and
--timeout seconds; peak memory is the child's maximum resident set (wait4).

Run from the repository root:  python benchmarks/hostile_bench.py [--large] [--images]
(short: --images-only --frames 8)"""

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
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ocr_pdf.pdf import original  # noqa: E402
from tests import hostile, imagemodes  # noqa: E402
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


def frames_tiff(path: Path, frames: int) -> None:
    frame = Image.new("RGBA", (4000, 4000), (255, 255, 255, 0))
    draw = ImageDraw.Draw(frame)
    font = ImageFont.truetype("DejaVuSans.ttf", 90)
    for i in range(6):
        draw.text(
            (200, 300 + i * 500), f"Frame line {i} of the TIFF", fill=(20, 20, 20, 255), font=font
        )
    rest = [frame] * (frames - 1)
    frame.save(
        path, save_all=True, append_images=rest, compression="tiff_adobe_deflate", dpi=(300, 300)
    )


def png_bomb(path: Path) -> None:
    Image.new("1", (30000, 30000), 1).save(path, dpi=(300, 300))


def grey16_png(path: Path) -> None:
    path.write_bytes(imagemodes.variants()["grey16.png"])


def image_rows(tmp: Path, frames: int, memory: int, timeout: float) -> None:
    cases: dict[str, tuple[str, Callable[[Path], None]]] = {
        f"TIFF {frames} RGBA 4000^2": (".tif", lambda p: frames_tiff(p, frames)),
        "PNG 30000^2 bomb": (".png", png_bomb),
        "16-bit grey PNG": (".png", grey16_png),
    }
    for name, (suffix, make) in cases.items():
        src = tmp / f"in{suffix}"
        make(src)
        size = src.stat().st_size / 1e6
        for tool, cmd in tools().items():
            out = tmp / f"out-{tool}.pdf"
            outcome, seconds, peak = run([*cmd, str(src), str(out)], memory, timeout)
            if out.exists():
                words = sum(w in _text(out) for w in ("Frame", "INVOICE", "4711"))
                outcome += f"; {words} of the words checked found"
            print(f"{name:22} {tool:9} {seconds:6.1f} {peak:8.2f}  ({size:.1f} MB in) {outcome}")
            out.unlink(missing_ok=True)


def _text(path: Path) -> str:
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True)
    return done.stdout


def tools() -> dict[str, list[str]]:
    return {
        "ocr-pdf": [sys.executable, "-m", "ocr_pdf", "--engine", "tesseract", "-q", "--no-cache"],
        "OCRmyPDF": [sys.executable, "-m", "ocrmypdf", "-q", "--output-type", "pdf"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--memory", type=int, default=6_000_000_000)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--large", action="store_true", help="also the 2,000-page scan")
    parser.add_argument("--images", action="store_true", help="also the image inputs")
    parser.add_argument("--images-only", action="store_true", help="only the image inputs")
    parser.add_argument("--frames", type=int, default=60, help="frames of the TIFF case")
    args = parser.parse_args()
    print(f"{'case':22} {'tool':9} {'s':>6} {'peak GB':>8}  outcome")
    if args.images or args.images_only:
        with tempfile.TemporaryDirectory() as tmp:
            image_rows(Path(tmp), args.frames, args.memory, args.timeout)
        if args.images_only:
            return
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
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in cases.items():
            src = Path(tmp) / "in.pdf"
            src.write_bytes(make(scan))
            for tool, cmd in tools().items():
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
