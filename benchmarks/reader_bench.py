"""What each common PDF reader extracts from our text layer, before and after, with OCRmyPDF's
layer on the same pages beside it: one table, reader x engine x set.

Sets:
  real       tests/fixtures/real/layout: real scans with transcripts (see PROVENANCE.md there)
  extra      --extra DIR: more real pages, NAME.png/.jpg with NAME.truth.hocr or NAME.txt
             (e.g. the scribeocr/ocr-benchmark repository's img/ and ground_truth/ files)
  skewed     generated prose pages skewed 2 to 5 degrees (tests/pagegen.py)
  columns    generated two- and three-column pages with header and footer
  tight      a generated form set with half-width spaces (glued words)

Readers (tests/readers.py): pdfium, poppler (pdftotext), poppler-raw (pdftotext -raw), mupdf,
pdfjs (pdf.js on node: `npm ci` in tests/pdfjs), pdfminer (pdfminer.six), pypdf.

Each cell is CER / word recall / glued / glued ends, over the set's pages:
  CER     character error rate of the reader's text against the transcript, whitespace folded
          (so it measures reading order as much as recognition)
  recall  share of the transcript's words the reader gives as words of their own
  glued   words the reader gives that are two transcript neighbours of one line run together,
          per 100 words of the transcript
  ends    the same for a line's last word run together with the next line's first
On generated sets, a row "line IoU": each word's PDFium selection against its ink across its
line's height, summed over the page's words and divided by their number (a word not found
counts 0), averaged over the pages (issue 21's target: at least 0.85 skewed, 0.90 upright).

Engines: `local` and `tesseract`, each with the code at --before (default: where this branch
left main) and this checkout; OCRmyPDF 17 (its own tesseract, `--output-type pdf --optimize 0`)
once per set, beside both.

Each set's rows are printed as soon as its pages are done (progress goes to stderr).

Run from the repository root:
  python benchmarks/reader_bench.py [--sets real,skewed] [--engines tesseract] [--pages 2]
  [--extra DIR] [--before REV | --no-before] [--readers pdfium,poppler] [--keep DIR]
A short run: --short (the real set, its three pages), e.g. --short --engines tesseract --no-before.
--keep DIR keeps every output there and reuses OCRmyPDF's from an earlier run."""

from __future__ import annotations

import argparse
import html
import io
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

import img2pdf
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.placement_bench import checkout, columns_page, prose_page, run, tight_page  # noqa: E402
from tests import checks, readers  # noqa: E402
from tests.pagegen import PageSpec, TruthPage, make_pdf  # noqa: E402

REAL = ROOT / "tests" / "fixtures" / "real" / "layout"


@dataclass(frozen=True)
class Page:
    """One page to convert: a one-page PDF and its transcript, a list of lines of words."""

    name: str
    pdf: bytes
    lines: tuple[tuple[str, ...], ...]
    truth: TruthPage | None = None
    """A generated page's truth (word boxes), for the line-height IoU row."""


def _split(text: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(ln.split()) for ln in text.splitlines() if ln.split())


def real_pages(folder: Path) -> list[Page]:
    return [
        Page(pdf.stem, pdf.read_bytes(), _split(pdf.with_suffix(".txt").read_text("utf-8")))
        for pdf in sorted(folder.glob("*.pdf"))
        if pdf.with_suffix(".txt").exists()
    ]


def hocr_lines(text: str) -> tuple[tuple[str, ...], ...]:
    """The words of each ocr_line of an hOCR file, in the file's order."""
    out = []
    for part in re.split(r"<span class=['\"]ocr_line['\"]", text)[1:]:
        found = re.findall(r"<span class=['\"]ocrx_word['\"][^>]*>(.*?)</span>", part, re.S)
        words = tuple(
            w for w in (html.unescape(re.sub("<[^>]+>", "", f)).strip() for f in found) if w
        )
        if words:
            out.append(words)
    return tuple(out)


def extra_pages(folder: Path) -> list[Page]:
    """Images with transcripts, each made a one-page PDF at the resolution of a letter page."""
    pages = []
    for image in sorted([*folder.glob("*.png"), *folder.glob("*.jpg")]):
        hocr, txt = folder / f"{image.stem}.truth.hocr", image.with_suffix(".txt")
        if hocr.exists():
            lines = hocr_lines(hocr.read_text("utf-8"))
        elif txt.exists():
            lines = _split(txt.read_text("utf-8"))
        else:
            continue
        with Image.open(image) as im:
            dpi = round(im.width / 8.5)
            buf = io.BytesIO()
            im.convert("L").save(buf, "PNG")
        layout = img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))
        pages.append(Page(image.stem, img2pdf.convert(buf.getvalue(), layout_fun=layout), lines))
    return pages


def generated(specs: list[PageSpec]) -> list[Page]:
    out = []
    for spec in specs:
        data, truths = make_pdf([spec])
        lines = tuple(tuple(w.text for w in ln) for ln in truths[0].lines)
        out.append(Page(spec.name, data, lines, truths[0]))
    return out


def page_sets(names: list[str], extra: Path | None) -> dict[str, list[Page]]:
    """The chosen sets' pages (``extra``: a folder of more real pages, see above)."""
    sets: dict[str, Callable[[], list[Page]]] = {
        "real": lambda: real_pages(REAL),
        "skewed": lambda: generated(
            [
                prose_page(f"skew{s:+g}", n, skew=s, lines=16)
                for n, s in enumerate((2.0, -3.0, 4.0, -5.0))
            ]
        ),
        "columns": lambda: generated(
            [columns_page("two-columns", 0, 2), columns_page("three-columns", 1, 3)]
        ),
        "tight": lambda: generated([tight_page("tight-form", 0)]),
    }
    if extra is not None:
        sets["extra"] = lambda: extra_pages(extra)
    return {name: make() for name, make in sets.items() if name in names}


@dataclass
class Score:
    cer: list[float] = field(default_factory=list)
    found: int = 0
    known: int = 0
    glued_inside: int = 0
    glued_ends: int = 0
    iou: list[float] = field(default_factory=list)

    def cell(self) -> str:
        if self.iou:
            return f"{sum(self.iou) / len(self.iou):.3f}".rjust(WIDTH)
        if not self.cer:
            return f"{'-':>{WIDTH}}"
        cer = sum(self.cer) / len(self.cer)
        known = max(self.known, 1)
        inside, ends = 100 * self.glued_inside / known, 100 * self.glued_ends / known
        return f"{cer:5.2f}/{self.found / known:4.2f}/{inside:3.1f}/{ends:3.1f}".rjust(WIDTH)


WIDTH = 20


def score(path: Path, page: Page, names: list[str], into: dict[str, Score]) -> None:
    texts = readers.extract_all(path, names)
    known = [w for ln in page.lines for w in ln]
    expected = "\n".join(" ".join(ln) for ln in page.lines)
    for name, pages in texts.items():
        got = readers.words(pages[0] if pages else "")
        s = into.setdefault(name, Score())
        s.cer.append(readers.cer(pages[0] if pages else "", expected))
        s.found += round(readers.recall(known, got) * len(known))
        s.known += len(known)
        inside, ends = readers.glued(page.lines, got)
        s.glued_inside += inside
        s.glued_ends += ends
    if page.truth is not None and "pdfium" in names:
        ious = checks.selection_ious(path, 0, page.truth)
        into.setdefault(IOU, Score()).iou.append(
            sum(ious) / len(checks.line_height_boxes(page.truth))
        )


IOU = "line IoU"
"""The row of a generated set's line-height IoU: each word's PDFium selection against its ink
across its line's height (tests/checks.py), averaged over the words of the page."""


def ours(engine: str) -> list[str]:
    return [sys.executable, "-m", "ocr_pdf", "--engine", engine, "--no-cache", "-q", "-j", "1"]


OCRMYPDF = [sys.executable, "-m", "ocrmypdf", "--output-type", "pdf", "--optimize", "0",
            "--tesseract-timeout", "3600", "-j", "1", "-q"]  # fmt: skip


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sets", help="comma-separated sets (default: real,extra,skewed,columns,tight)"
    )
    parser.add_argument("--engines", default="local,tesseract", help="local, tesseract")
    parser.add_argument("--readers", help="comma-separated readers (default: all available)")
    parser.add_argument("--pages", type=int, help="at most this many pages per set")
    parser.add_argument("--short", action="store_true",
                        help="a short run: --sets real unless given")  # fmt: skip
    parser.add_argument("--extra", type=Path, help="a folder of more real pages (see above)")
    parser.add_argument("--before", help="git revision to compare with (default: merge-base main)")
    parser.add_argument("--no-before", action="store_true", help="only this checkout")
    parser.add_argument("--no-ocrmypdf", action="store_true", help="leave OCRmyPDF out")
    parser.add_argument(
        "--keep", type=Path, help="a folder for the outputs (OCRmyPDF's there are reused)"
    )
    args = parser.parse_args()
    if args.short:
        args.sets = args.sets or "real"
    return args


Run = tuple[str, str, list[str], Path]
"""(engine, "before"/"after"/"", the command, the tree it runs from)."""


def _convert(run_: Run, src: Path, out: Path, reuse: bool) -> bool:
    engine, when, argv, root = run_
    if reuse and out.exists():
        return True
    ok, seconds = run(argv, src, out, root)
    print(f"  {src.stem:30} {engine:9} {when:6} {seconds:6.1f} s", file=sys.stderr, flush=True)
    return ok


def main() -> None:
    args = _arguments()
    chosen = args.sets.split(",") if args.sets else ["real", "extra", "skewed", "columns", "tight"]
    sets = page_sets(chosen, args.extra)
    if args.pages:
        sets = {k: v[: args.pages] for k, v in sets.items()}
    names = args.readers.split(",") if args.readers else list(readers.available())
    have = {"tesseract": shutil.which("tesseract") is not None, "local": find_spec("rapidocr")}
    engines = [e for e in args.engines.split(",") if have.get(e)]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        keep = args.keep or tmp
        keep.mkdir(parents=True, exist_ok=True)
        roots: list[tuple[str, Path]] = []
        if not args.no_before:
            rev = args.before or subprocess.run(
                ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"],
                capture_output=True, text=True, check=True,
            ).stdout.strip()  # fmt: skip
            roots.append(("before", checkout(rev, tmp / "before")))
        roots.append(("after", ROOT))
        peer = None if args.no_ocrmypdf or not shutil.which("tesseract") else OCRMYPDF
        _head([when for when, _ in roots])
        for set_name, pages in sets.items():
            srcs = []
            for page in pages:
                srcs.append(tmp / f"{set_name}-{page.name}.pdf")
                srcs[-1].write_bytes(page.pdf)
            theirs: dict[str, Score] = {}
            for page, src in zip(pages, srcs, strict=True):
                out = keep / f"{src.stem}.ocrmypdf.pdf"
                if peer and _convert(("OCRmyPDF", "", peer, ROOT), src, out, reuse=True):
                    score(out, page, names, theirs)
            for engine in engines:
                results: dict[str, dict[str, Score]] = {}
                for when, root in roots:
                    for page, src in zip(pages, srcs, strict=True):
                        out = keep / f"{src.stem}.{engine}.{when}.pdf"
                        if _convert((engine, when, ours(engine), root), src, out, reuse=False):
                            score(out, page, names, results.setdefault(when, {}))
                for name in [*names, IOU] if pages[0].truth and "pdfium" in names else names:
                    cells = [results.get(when, {}).get(name, Score()).cell() for when, _ in roots]
                    mine = theirs.get(name, Score()).cell()
                    print(f"{set_name:8} {name:12} {engine:10} " + " ".join(cells) + f" {mine}",
                          flush=True)  # fmt: skip
            print(flush=True)


def _head(whens: list[str]) -> None:
    print("CER / word recall / glued words within a line / glued line ends (both per 100 words)")
    print("(lower, higher, lower, lower is better); generated sets: line-height IoU (higher)")
    head = f"{'set':8} {'reader':12} {'engine':10}" + "".join(f" {w:>{WIDTH}}" for w in whens)
    print(head + f" {'OCRmyPDF':>{WIDTH}}")
    print("-" * (len(head) + WIDTH + 1), flush=True)


if __name__ == "__main__":
    main()
