"""Where each engine's words land, in what order, and whether any page comes back empty:
every engine and OCRmyPDF on the same generated scans, before and after, in one run.

Page sets (tests/pagegen.py, exact word boxes; the ink box of every word is measured on the
upright canvas the page was drawn on):
  upright      letter pages, DejaVu Serif/Sans and Pillow's Aileron, 10 to 12 pt, 300/200 dpi
  skewed       the same skewed by +-1 to +-5 degrees
  columns      two and three columns with narrow gutters (2 to 3 ems), header and footer
  sideways     a page whose text runs down the scan (turned 90 degrees inside the image)
  small        7 and 8 pt print at 300 and 200 dpi
  tight        words set with half-width spaces, as on forms and receipts (glued words)
  grey         a light grey page, skewed (tesseract 5 answers it "Empty page!!")
  cyrillic     Russian (tesseract -l rus, the Azure stand-ins; `local` does not read it)
  cjk          Chinese (local, tesseract -l chi_sim, the Azure stand-ins; needs a CJK font)

Engines: `local`, `tesseract`, `azure-ocr` against the loopback stand-in (tests/standin.py, it
answers from the truth) as the service answers, and as a legacy answer that puts every line of
the page in ONE region (lines listed top to bottom, so the columns interleave), `azure-read`,
`azure-vision`, `azure-di` against the stand-in, and OCRmyPDF 17 with tesseract (`ocrmypdf
--output-type pdf --optimize 0`). Ours run twice: the code of --before (default: where this
branch leaves main) and this checkout.

Columns:
  IoU       mean over found words of the IoU between the word's selection box (union of its
            pypdfium2 character boxes) and the word's ink box grown to its line's height (in
            the text's own frame; its axis-aligned bounds on the page), which is what
            born-digital text highlights
  found     share of the known words found with their exact text (IoU is over those)
  CER       character error rate of pypdfium2's text, whitespace folded
  order     share of the found words in reading order (longest common subsequence of the known
            and extracted words over the words both have), in pypdfium2's text; `poppler` the
            same in pdftotext's
  glued     share of extracted words that are two known neighbours run together
  empty     pages with visible text whose layer is empty
  bytes     bytes added per page

Run from the repository root:  python benchmarks/placement_bench.py [--sets upright,skewed]
[--engines local,tesseract] [--before REV | --no-before]
Needs: pip install 'ocr-pdf[local]' ocrmypdf; apt-get install tesseract-ocr tesseract-ocr-rus
tesseract-ocr-chi-sim fonts-dejavu-core fonts-wqy-microhei. Missing pieces are skipped."""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from tests import checks, pagegen  # noqa: E402
from tests.pagegen import Block, PageSpec, TruthPage, make_pdf  # noqa: E402
from tests.standin import StandIn  # noqa: E402

KEY = "bench-key"
SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

PROSE = (
    "the committee met on tuesday to review the annual budget and agreed to fund the new "
    "library wing after a long discussion about the costs of heating lighting and repairs "
    "members asked whether the contractor could finish before winter and the chair promised "
    "a written answer by the end of the month while the treasurer reported that donations "
    "had risen by twelve percent compared with the previous year thanks to the spring fair "
    "It's just what several residents wrote in letters supporting longer opening hours"
).split()
FORM = (
    "QUANTITY REQUIRED UNIT PRICE TOTAL AMOUNT DUE DATE OF ORDER It's just a note Ship to "
    "Main Street Invoice number 4471 paid in full Customer reference A-17 Delivery by truck"
).split()
RUSSIAN = (
    "в начале весны совет библиотеки собрался чтобы обсудить новый бюджет и план ремонта "
    "читального зала члены совета попросили подрядчика закончить работы до осени"
).split()
CHINESE = "图书馆委员会在星期二开会讨论年度预算并同意为新的阅览室提供资金工程将在冬天之前完成"


def _font(n: int) -> str | None:
    path = (SERIF, SANS, None)[n % 3]
    return path if path and Path(path).exists() else None


def _lines(words: list[str], count: int, per: int, start: int = 0) -> tuple[str, ...]:
    return tuple(
        " ".join(words[(start + i * per + j) % len(words)] for j in range(per))
        for i in range(count)
    )


def prose_page(name: str, n: int, *, dpi: int = 300, pt: float = 11, skew: float = 0.0,
               lines: int = 26, per: int = 9, **extra: Any) -> PageSpec:  # fmt: skip
    size = round(dpi * pt / 72)
    block = Block(round(dpi * 0.9), round(dpi * 1.0), _lines(PROSE, lines, per, 7 * n), size,
                  font=_font(n))  # fmt: skip
    return PageSpec(name, (block,), width_in=8.5, height_in=11, dpi=dpi, skew=skew, noise=True,
                    **extra)  # fmt: skip


def _fitting(words: list[str], count: int, width: float, size: int, font: str | None,
             start: int) -> tuple[str, ...]:  # fmt: skip
    """``count`` lines of ``words`` (from ``start``, cycling), each as long as fits ``width``
    pixels in ``font`` at ``size``: a column's lines never reach into the next column."""
    face = pagegen._font(size, font)
    lines, i = [], start
    for _ in range(count):
        line = words[i % len(words)]
        i += 1
        while face.getlength(f"{line} {words[i % len(words)]}") <= width:
            line += " " + words[i % len(words)]
            i += 1
        lines.append(line)
    return tuple(lines)


def columns_page(name: str, n: int, count: int, *, dpi: int = 300, skew: float = 0.0) -> PageSpec:
    """``count`` columns of 11 pt prose with gutters of 2 to 3 ems, a header across them all
    and a footer: the reading order is header, each column top to bottom, footer."""
    size = round(dpi * 11 / 72)
    font = _font(n)
    width = 7.0 * dpi
    gutter = round(size * (2.0 if count == 3 else 3.0))
    col = (width - gutter * (count - 1)) / count
    left, top = round(dpi * 0.75), round(dpi * 1.4)
    blocks = [Block(left, round(dpi * 0.8), ("Annual Report of the Library Committee",),
                    round(size * 1.5), font=font)]  # fmt: skip
    for c in range(count):
        rows = _fitting(PROSE, 24, col, size, font, 31 * c + n)
        blocks.append(Block(round(left + c * (col + gutter)), top, rows, size, font=font))
    blocks.append(Block(left, round(dpi * 9.9), ("Printed for the members page 2 of 9",),
                        size, font=font))  # fmt: skip
    return PageSpec(name, tuple(blocks), width_in=8.5, height_in=11, dpi=dpi, skew=skew,
                    noise=True)  # fmt: skip


def tight_page(name: str, n: int) -> PageSpec:
    """Form-like rows of capitals and short words with half-width spaces."""
    dpi, size = 300, round(300 * 11 / 72)
    rows = _lines(FORM, 22, 6, 5 * n)
    block = Block(round(dpi * 0.9), round(dpi * 1.0), rows, size, font=_font(n + 1), space=0.5)
    return PageSpec(name, (block,), width_in=8.5, height_in=8, dpi=dpi, noise=True)


def page_sets() -> dict[str, list[PageSpec]]:
    sets: dict[str, list[PageSpec]] = {
        "upright": [
            prose_page("upright-serif", 0),
            prose_page("upright-sans", 1, pt=10),
            prose_page("upright-aileron", 2, pt=12, lines=22, per=8),
            prose_page("upright-200dpi", 3, dpi=200),
        ],
        "skewed": [
            prose_page(f"skew{s:+g}", n, skew=s, lines=20)
            for n, s in enumerate((1.0, -2.0, 3.0, -4.0, 5.0, -5.0))
        ],
        "columns": [
            columns_page("two-columns", 0, 2),
            columns_page("three-columns", 1, 3),
            columns_page("two-columns-skewed", 2, 2, skew=-1.5),
            columns_page("three-columns-200dpi", 3, 3, dpi=200),
        ],
        "sideways": [prose_page("sideways", 1, lines=12, turn=90)],
        "small": [
            prose_page("small-7pt", 0, pt=7, lines=40, per=14),
            prose_page("small-8pt-200dpi", 1, pt=8, dpi=200, lines=36, per=12),
        ],
        "tight": [tight_page("tight-form", 0)],
        "grey": [
            prose_page("grey-skewed", 0, pt=9, skew=3.0, lines=2, per=6, background=215, ink=80)
        ],
        "cyrillic": [
            PageSpec(
                "cyrillic",
                (Block(270, 300, _lines(RUSSIAN, 10, 6), 46, font=SERIF),),
                width_in=8.5,
                height_in=5.5,
                dpi=300,
                noise=True,
            )
        ],
    }
    if Path(CJK_FONT).exists():
        rows = tuple(CHINESE[(i * 5) % 30 :][:14] for i in range(8))
        sets["cjk"] = [
            PageSpec(
                "cjk",
                (Block(270, 300, rows, 50, cjk=True, font=CJK_FONT),),
                width_in=8.5,
                height_in=5.5,
                dpi=300,
            )
        ]
    return sets


LANGUAGE = {"cyrillic": ("rus", "ru"), "cjk": ("chi_sim", "zh-Hans")}
"""Per set: (tesseract's -l, Azure's -l); others read English."""


# -- what a user sees in an output ----------------------------------------------------------


def lcs(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence of two word lists."""
    if not a or not b:
        return 0
    index: dict[str, list[int]] = {}
    for j, w in enumerate(b):
        index.setdefault(w, []).append(j)
    prev = [0] * (len(b) + 1)
    for w in a:
        cur = prev[:]
        hits = index.get(w)
        if hits:
            for j in hits:
                if prev[j] + 1 > cur[j + 1]:
                    cur[j + 1] = prev[j] + 1
        for j in range(1, len(b) + 1):
            if cur[j - 1] > cur[j]:
                cur[j] = cur[j - 1]
        prev = cur
    return prev[-1]


def order_share(known: list[str], got: list[str]) -> float:
    """Words in reading order over the words both sequences have (recognition errors aside)."""
    common = sum((Counter(known) & Counter(got)).values())
    return lcs(known, got) / common if common else float("nan")


def tokens(text: str, cjk: bool) -> list[str]:
    if cjk:
        return [c for c in text if not c.isspace()]
    return text.split()


@dataclass
class Score:
    ious: list[float] = field(default_factory=list)
    found: int = 0
    known: int = 0
    cer: list[float] = field(default_factory=list)
    order: list[float] = field(default_factory=list)
    poppler: list[float] = field(default_factory=list)
    glued: int = 0
    words_out: int = 0
    empty: int = 0
    pages: int = 0
    bytes_added: float = 0.0

    def add(self, other: Score) -> None:
        for name in ("ious", "cer", "order", "poppler"):
            getattr(self, name).extend(getattr(other, name))
        for name in ("found", "known", "glued", "words_out", "empty", "pages", "bytes_added"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _mean(values: list[float]) -> float:
    values = [v for v in values if v == v]
    return sum(values) / len(values) if values else float("nan")


def score(src: Path, out: Path, truths: list[TruthPage]) -> Score:
    s = Score(pages=len(truths), bytes_added=out.stat().st_size - src.stat().st_size)
    for i, truth in enumerate(truths):
        cjk = any(b.cjk for b in truth.spec.blocks)
        ious = checks.selection_ious(out, i, truth)
        s.ious += ious
        s.found += len(ious)
        s.known += len(checks.line_height_boxes(truth))
        expected = checks.expected_text(truth)
        got = checks.page_text(out, i)
        s.cer.append(checks.cer(" ".join(got.split()), " ".join(expected.split())))
        known = tokens(expected, cjk)
        if not got.strip():
            s.empty += 1
        got_tokens = tokens(got, cjk)
        s.order.append(order_share(known, got_tokens))
        pop = checks.pdftotext(out, i)
        if pop is not None:
            s.poppler.append(order_share(known, tokens(pop, cjk)))
        if not cjk:
            pairs = {a + b for ln in truth.lines for a, b in zip(
                [w.text for w in ln], [w.text for w in ln[1:]], strict=False)}  # fmt: skip
            s.glued += sum(t in pairs for t in got_tokens)
            s.words_out += len(got_tokens)
    return s


# -- running the engines -----------------------------------------------------------------------


@dataclass
class Engine:
    label: str
    ours: bool  # run before and after
    command: Callable[[str, str], list[str] | None]  # (set, code root) -> argv, None: skip


def _ours(engine: str, *extra: str) -> Callable[[str, str], list[str] | None]:
    def command(page_set: str, root: str) -> list[str] | None:
        tess, azure = LANGUAGE.get(page_set, ("eng", "en"))
        if engine == "local" and page_set == "cyrillic":
            return None  # its model has no Cyrillic
        lang = tess if engine == "tesseract" else azure if engine.startswith("azure") else None
        if engine == "local" and page_set == "cjk":
            lang = "zh"
        argv = [sys.executable, "-m", "ocr_pdf", "--engine", engine, "--no-cache", "-q", *extra]
        return argv + (["-l", lang] if lang else [])

    return command


def engines(selected: set[str] | None, standin: str, one_region: str) -> list[Engine]:
    found: list[Engine] = []
    if __import__("importlib").util.find_spec("rapidocr"):
        found.append(Engine("local", True, _ours("local")))
    if shutil.which("tesseract"):
        found.append(Engine("tesseract", True, _ours("tesseract")))
    found += [
        Engine("azure-ocr", True, _ours("azure-ocr", "--endpoint", standin)),
        Engine("azure-ocr 1 region", True, _ours("azure-ocr", "--endpoint", one_region)),
        Engine("azure-read", True, _ours("azure-read", "--endpoint", standin)),
        Engine("azure-vision", True, _ours("azure-vision", "--endpoint", standin)),
        Engine("azure-di", True, _ours("azure-di", "--endpoint", standin)),
    ]
    if shutil.which("ocrmypdf") or shutil.which("tesseract"):

        def ocrmypdf(page_set: str, root: str) -> list[str] | None:
            tess = LANGUAGE.get(page_set, ("eng", ""))[0]
            return [sys.executable, "-m", "ocrmypdf", "--output-type", "pdf", "--optimize", "0",
                    "-j", "2", "-q", "-l", tess]  # fmt: skip

        found.append(Engine("OCRmyPDF 17", False, ocrmypdf))
    return [e for e in found if selected is None or e.label.split()[0] in selected]


def checkout(rev: str, folder: Path) -> Path:
    """The ocr_pdf package as it was at ``rev``, unpacked in ``folder``."""
    data = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "ocr_pdf"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def run(argv: list[str], src: Path, out: Path, root: Path) -> tuple[bool, float]:
    env = {**os.environ, "PYTHONPATH": str(root), "AZURE_VISION_KEY": KEY, "OMP_THREAD_LIMIT": "1"}
    env.pop("AZURE_VISION_ENDPOINT", None)
    started = time.perf_counter()
    # Run from the page's folder: `python -m` puts the working folder first on sys.path, where
    # a checkout's own ocr_pdf would shadow the one PYTHONPATH names.
    done = subprocess.run(
        [*argv, str(src), str(out)], env=env, cwd=src.parent, capture_output=True, check=False
    )
    if done.returncode != 0:
        print(f"  {argv[2:5]} failed: {done.stderr.decode(errors='replace')[-300:]}")
    return done.returncode == 0, time.perf_counter() - started


def refine_cost(specs: list[PageSpec]) -> tuple[float, float] | None:
    """Median and largest CPU ms of ocr_pdf.inkfit.refine on one core per page (the least of
    five runs of each page: the machine may be shared), words from the truth shifted and
    padded as a rough engine gives them."""
    try:
        from ocr_pdf.inkfit import refine
    except ImportError:
        return None
    from ocr_pdf.models import Line, PageText, Word
    from ocr_pdf.pdf.pdfium import Document

    data, truths = make_pdf(specs)
    costs = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.pdf"
        path.write_bytes(data)
        with Document(path) as doc:
            for i, truth in enumerate(truths):
                with doc.page(i) as shown:
                    image = shown.render(truth.spec.dpi)
                w, h = image.size
                lines = []
                for ln in truth.lines:
                    words = []
                    for wd in ln:
                        (ax, ay), (bx, by), (cx, cy), (dx, dy) = wd.display_quad
                        quad = ((ax * w + 3, ay * h - 6), (bx * w + 3, by * h - 6),
                                (cx * w + 3, cy * h + 6), (dx * w + 3, dy * h + 6))  # fmt: skip
                        words.append(Word(wd.text, quad))
                    lines.append(Line(tuple(words)))
                page = PageText(w, h, tuple(lines))
                runs = []
                for _ in range(5):
                    t0 = time.process_time()
                    refine(page, image)
                    runs.append(time.process_time() - t0)
                costs.append(min(runs) * 1000)
    costs.sort()
    return costs[len(costs) // 2], costs[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", help="comma-separated page sets (default: all)")
    parser.add_argument("--engines", help="comma-separated engines (default: all)")
    parser.add_argument("--before", help="git revision to compare with (default: merge-base main)")
    parser.add_argument("--before-path", help="folder with the ocr_pdf package to compare with")
    parser.add_argument("--no-before", action="store_true", help="only this checkout")
    args = parser.parse_args()
    sets = page_sets()
    if args.sets:
        sets = {k: v for k, v in sets.items() if k in args.sets.split(",")}
    chosen = set(args.engines.split(",")) if args.engines else None
    all_truths = {name: make_pdf(specs) for name, specs in sets.items()}
    pages = [t for _, truths in all_truths.values() for t in truths]
    with tempfile.TemporaryDirectory() as tmp_name, StandIn(key=KEY, pages=pages) as std, \
            StandIn(key=KEY, pages=pages, one_region=True) as one:  # fmt: skip
        std.running_polls = one.running_polls = 0
        tmp = Path(tmp_name)
        roots: list[tuple[str, Path]] = []
        if args.before_path:
            roots.append(("before", Path(args.before_path)))
        elif not args.no_before:
            rev = args.before or subprocess.run(
                ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"],
                capture_output=True, text=True, check=True,
            ).stdout.strip()  # fmt: skip
            roots.append((f"before {rev[:7]}", checkout(rev, tmp / "before")))
        roots.append(("after", ROOT))
        results: dict[tuple[str, str, str], Score] = {}
        for set_name, (data, truths) in all_truths.items():
            src = tmp / f"{set_name}.pdf"
            src.write_bytes(data)
            for engine in engines(chosen, std.endpoint, one.endpoint):
                for when, root in roots if engine.ours else [("", ROOT)]:
                    argv = engine.command(set_name, str(root))
                    if argv is None:
                        continue
                    out = tmp / f"{set_name}.out.pdf"
                    ok, seconds = run(argv, src, out, root)
                    if not ok:
                        continue
                    results[(set_name, engine.label, when)] = score(src, out, truths)
                    print(f"  {set_name:9} {engine.label:19} {when:15} {seconds:6.1f} s",
                          file=sys.stderr, flush=True)  # fmt: skip
        _print(results, list(all_truths))
    every = page_sets()
    cost = refine_cost([s for k in ("upright", "skewed", "columns", "small")
                        for s in every[k] if s.dpi == 300])  # fmt: skip
    if cost is not None:
        print(f"\nrefine(): {cost[0]:.1f} ms CPU per 300-dpi page, median; {cost[1]:.1f} ms "
              "at most (upright, skewed, column and small-print pages; one core)")  # fmt: skip


def _print(results: dict[tuple[str, str, str], Score], order: list[str]) -> None:
    header = (f"{'set':9} {'engine':19} {'code':15} {'IoU':>6} {'found':>6} {'CER':>6} "
              f"{'order':>6} {'poppler':>7} {'glued':>6} {'empty':>5} {'bytes':>7}")  # fmt: skip
    print(header)
    print("-" * len(header))
    totals: dict[tuple[str, str], Score] = {}
    for set_name in [*order, "all"]:
        rows = (
            [(k, v) for k, v in results.items() if k[0] == set_name]
            if set_name != "all"
            else [((set_name, *k), v) for k, v in totals.items()]
        )
        for (_, engine, when), s in rows:
            if set_name != "all":
                totals.setdefault((engine, when), Score()).add(s)
            print(
                f"{set_name:9} {engine:19} {when:15} {_mean(s.ious):6.3f} "
                f"{s.found / max(s.known, 1):6.3f} {_mean(s.cer):6.3f} {_mean(s.order):6.3f} "
                f"{_mean(s.poppler):7.3f} {s.glued / max(s.words_out, 1):6.3f} {s.empty:5d} "
                f"{s.bytes_added / max(s.pages, 1):7.0f}"
            )
        print()


if __name__ == "__main__":
    threading.stack_size(0)
    main()
