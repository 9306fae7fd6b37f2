"""Offline engines against OCRmyPDF on the same generated scans, in one run, one table.

For each engine (ours: `local`, `tesseract`; OCRmyPDF with Debian's tesseract, run as
`ocrmypdf --output-type pdf --optimize 0 -j 2`), on the same PDFs:
  pages/s       wall-clock pages per second for the whole document
  CPU s/page    user+system CPU of the process and its children, per page
  peak RSS      largest resident set of any one process of the run (MB)
  CER           character error rate of pypdfium2's text against the known text
  IoU           mean IoU of each known word's ink box with the character boxes of the same
                word in the output (words the engine misread are left out; 'found' says how many)
  bytes/page    output size minus input size, per page

Page sets: English (10 letter pages: DejaVu Serif/Sans and Pillow's Aileron, 10 to 13 pt,
150 to 300 dpi, speckle, skew up to 1.5 degrees, two-column pages), Cyrillic (tesseract -l rus,
for engines that read it) and Chinese (WenQuanYi font, when installed).
Needs: pip install 'ocr-pdf[local]' ocrmypdf; apt-get install tesseract-ocr tesseract-ocr-rus
tesseract-ocr-chi-sim fonts-dejavu-core fonts-wqy-microhei. Missing pieces are skipped.

Run from the repository root:  python benchmarks/local_engines_bench.py [--pages N]"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import checks
from tests.pagegen import Block, PageSpec, TruthPage, make_pdf

FONTS = {
    "serif": "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "sans": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "aileron": None,  # Pillow's own
}
CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

ENGLISH = (
    "the committee met on tuesday to review the annual budget and agreed to fund the new "
    "library wing after a long discussion about the costs of heating lighting and repairs "
    "members asked whether the contractor could finish before winter and the chair promised "
    "a written answer by the end of the month while the treasurer reported that donations "
    "had risen by twelve percent compared with the previous year thanks to the spring fair "
    "several residents wrote letters in support of longer opening hours on saturdays"
)
RUSSIAN = (
    "в начале весны совет библиотеки собрался чтобы обсудить новый бюджет и план ремонта "
    "читального зала члены совета попросили подрядчика закончить работы до осени"
)
CHINESE = "图书馆委员会在星期二开会讨论年度预算并同意为新的阅览室提供资金工程将在冬天之前完成"


def english_page(n: int, rng: random.Random, dpi: int = 0) -> PageSpec:
    dpi = dpi or (150, 200, 300)[n % 3]
    name, font = list(FONTS.items())[n % 3]
    if font and not Path(font).exists():
        font = None
    size = round(dpi * rng.choice((10, 11, 12, 13)) / 72)
    words = ENGLISH.split()
    rng.shuffle(words)

    def lines(count: int, per: int) -> tuple[str, ...]:
        return tuple(
            " ".join(words[(i * per + j) % len(words)] for j in range(per)) for i in range(count)
        )

    margin, top = round(dpi * 0.9), round(dpi * 1.0)
    if n % 4 == 3:  # two columns
        col = round(dpi * 3.6)
        blocks: tuple[Block, ...] = (
            Block(margin, top, lines(24, 5), size, font=font),
            Block(margin + col, top, lines(24, 5), size, font=font),
        )
    else:
        count = 10 if size < dpi * 0.16 else 8
        blocks = (Block(margin, top, lines(30, count), size, font=font),)
    return PageSpec(
        f"en{n}-{name}",
        blocks,
        width_in=8.5,
        height_in=11,
        dpi=dpi,
        skew=rng.uniform(-1.5, 1.5),
        noise=True,
    )


def script_page(kind: str) -> PageSpec:
    if kind == "ru":
        words = RUSSIAN.split()
        rows = tuple(" ".join(words[i : i + 6]) for i in range(0, len(words), 6))
        block = Block(180, 200, rows, 44, font=FONTS["serif"])
    else:
        rows = tuple(CHINESE[i : i + 14] for i in range(0, len(CHINESE), 14))
        block = Block(180, 200, rows, 50, cjk=True, font=CJK_FONT)
    return PageSpec(kind, (block,), width_in=8.5, height_in=5.5, dpi=300)


def output_words(path: Path, index: int) -> list[tuple[str, checks.Box]]:
    """Words of an output page with the union of their characters' boxes."""
    out: list[tuple[str, checks.Box]] = []
    text, box = "", None
    for ch, b in [*checks.char_boxes_with_spaces(path, index), (" ", (0, 0, 0, 0))]:
        if ch.isspace():
            if text and box:
                out.append((text, box))
            text, box = "", None
            continue
        text += ch
        box = (
            b
            if box is None
            else (min(box[0], b[0]), min(box[1], b[1]), max(box[2], b[2]), max(box[3], b[3]))
        )
    return out


def score(out: Path, truths: list[TruthPage]) -> tuple[float, float, float]:
    errors, ious, found, total = [], [], 0, 0
    for i, truth in enumerate(truths):
        expected = " ".join(checks.expected_text(truth).split())
        got = " ".join(checks.page_text(out, i).split())
        errors.append(checks.cer(got, expected))
        candidates = output_words(out, i)
        if any(b.cjk for b in truth.spec.blocks):
            continue  # CJK output has no spaces to cut words at: IoU is not measured
        for word in truth.words:
            total += 1
            tb = checks.quad_box(word.user_quad)
            best = max((checks.iou(b, tb) for t, b in candidates if t == word.text), default=None)
            if best is not None and best > 0:
                found += 1
                ious.append(best)
    if not total:
        return sum(errors) / len(errors), float("nan"), float("nan")
    return sum(errors) / len(errors), sum(ious) / max(len(ious), 1), found / total


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of a command and its children."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(
            f"{cmd[0]} failed: {proc.stderr.read().decode()[-300:] if proc.stderr else ''}"
        )
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def engines(lang: str) -> dict[str, list[str]]:
    py = [sys.executable, "-m", "ocr_pdf"]
    tess = {"en": "eng", "ru": "rus", "zh": "chi_sim"}[lang]
    out: dict[str, list[str]] = {}
    if lang != "ru" and __import__("importlib").util.find_spec("rapidocr"):
        out["ocr-pdf local"] = [*py, "--engine", "local", "-q"]
    if shutil.which("tesseract"):
        out["ocr-pdf tesseract"] = [*py, "--engine", "tesseract", "-l", tess, "-q"]
        if shutil.which("ocrmypdf"):
            out["OCRmyPDF 2 jobs"] = [
                "ocrmypdf",
                "--output-type",
                "pdf",
                "--optimize",
                "0",
                "-j",
                "2",
                "-l",
                tess,
                "-q",
            ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=10, help="English pages (default 10)")
    parser.add_argument(
        "--long",
        type=int,
        default=30,
        help="pages of a longer run of the local engine, for its peak RSS (0: skip)",
    )
    args = parser.parse_args()
    rng = random.Random(7)
    sets = [
        (f"en x{args.pages}", "en", [english_page(n, rng) for n in range(args.pages)]),
        ("en x4 300dpi", "en", [english_page(n, rng, dpi=300) for n in range(4)]),
        ("ru x1", "ru", [script_page("ru")]),
    ]
    if Path(CJK_FONT).exists():
        sets.append(("zh x1", "zh", [script_page("zh")]))
    if args.long:  # memory must not grow with the page count
        sets.append((f"en x{args.long}", "en", [english_page(n, rng) for n in range(args.long)]))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    print(
        f"{'pages':14} {'engine':20} {'pages/s':>8} {'CPU s/page':>10} {'peak RSS MB':>11} "
        f"{'CER':>7} {'IoU':>6} {'found':>6} {'bytes/page':>10}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for label, lang, specs in sets:
            data, truths = make_pdf(specs)
            src = Path(tmp) / "in.pdf"
            src.write_bytes(data)
            chosen = engines(lang)
            if label == f"en x{args.long}":
                chosen = {k: v for k, v in chosen.items() if k == "ocr-pdf local"}
            for name, cmd in chosen.items():
                out = Path(tmp) / "out.pdf"
                try:
                    wall, cpu, rss = run([*cmd, str(src), str(out)], env)
                except RuntimeError as exc:
                    print(f"{label:14} {name:20} failed: {exc}")
                    continue
                cer, iou, found = score(out, truths)
                added = (out.stat().st_size - src.stat().st_size) / len(specs)
                print(
                    f"{label:14} {name:20} {len(specs) / wall:8.2f} {cpu / len(specs):10.2f} "
                    f"{rss:11.0f} {cer:7.4f} {iou:6.3f} {found:6.3f} {added:10.0f}"
                )


if __name__ == "__main__":
    main()
