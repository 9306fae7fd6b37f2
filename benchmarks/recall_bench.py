"""Word recall on real scans with their publishers' transcripts, per kind of page, for the local
engine's variants, tesseract and OCRmyPDF, in one run, one table.

A recall set is a folder with one sub-folder per kind of page (receipt, form, oldprint,
magazine, ...), each holding page images (PNG, JPEG, TIFF) and, beside each, NAME.txt: the
page's transcript. The repository's own small set is tests/fixtures/real/recall (its
PROVENANCE.md says where each page and transcript come from); pass a larger one with --set.

Each kind's pages become one PDF (each image as a full page at its own resolution, 200 dpi
when it states none, as a scanner writes them), and each row converts it as a user would: a
fresh process, defaults, no cache. Columns:
  <kind>     bag-of-words recall: the share of the transcript's words found on the page's text
             (pypdfium2), counted with multiplicity, order ignored; case, the long s, old
             umlauts and punctuation around words folded; the mean over the kind's pages
  all        the mean over every page
  s/page     wall-clock seconds per page over the whole run (every kind, start-up included)
  RSS MB     largest resident set of any one process of the run

Rows: ``local`` as shipped; ``local int8`` and ``local float`` (OCR_PDF_LOCAL_PRECISION);
``tesseract`` (ocr-pdf's engine); ``OCRmyPDF`` 17 (``-j 2 --output-type pdf --optimize 0``,
Debian's tesseract, its default language; no per-page timeout). ``--rows`` picks some;
``--env NAME=K=V`` adds a row ``NAME`` running local with environment K=V (a candidate).

Run from the repository root:  python benchmarks/recall_bench.py [--set DIR] [--kinds a,b]
[--limit N] [--rows local,OCRmyPDF]"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.local_engines_bench import run  # noqa: E402
from tests import checks  # noqa: E402

DEFAULT_SET = ROOT / "tests" / "fixtures" / "real" / "recall"
IMAGES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
DEFAULT_DPI = 200.0
# Transcription conventions of old print that a reader of modern letters writes otherwise.
FOLDS = str.maketrans(
    {"\u0364": "\u0308", "\ua75b": "r", "\u0292": "z", "\u2014": "-", "\u2013": "-", "\u2e17": "-"}
)
EDGES = "\"'.,;:!?()[]{}<>\u00ab\u00bb\u201e\u201c\u201d\u2018\u2019\u201a*\u00b7|/\\"


def words(text: str) -> list[str]:
    """``text``'s words as compared: NFKC (the long s as s, ligatures split), old umlauts as
    umlauts, case folded, punctuation around each word dropped."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFC", text.translate(FOLDS)))
    out = (w.strip(EDGES).casefold() for w in folded.split())
    return [w for w in out if w]


def recall(read: str, truth: str) -> float:
    """The share of ``truth``'s words that ``read`` holds, with multiplicity."""
    want, got = Counter(words(truth)), Counter(words(read))
    total = sum(want.values())
    return sum(min(n, got[w]) for w, n in want.items()) / total if total else 1.0


def pages(folder: Path, kinds: list[str] | None, limit: int) -> dict[str, list[Path]]:
    """Each kind's page images that have a transcript (at most ``limit`` per kind if > 0)."""
    found: dict[str, list[Path]] = {}
    for kind in sorted(p for p in folder.iterdir() if p.is_dir()):
        if kinds and kind.name not in kinds:
            continue
        images = sorted(
            p
            for p in kind.iterdir()
            if p.suffix.lower() in IMAGES and p.with_suffix(".txt").is_file()
        )
        if images:
            found[kind.name] = images[:limit] if limit > 0 else images
    return found


def as_pdf(images: list[Path], path: Path) -> None:
    """One PDF page per image, each at its own resolution, as a scanner would write it."""
    import pikepdf
    from PIL import Image

    merged = pikepdf.new()
    for n, image in enumerate(images):
        one = path.with_suffix(f".{n}.pdf")
        with Image.open(image) as im:
            dpi = float((im.info.get("dpi") or (DEFAULT_DPI,))[0]) or DEFAULT_DPI
            mode = "1" if im.mode == "1" else "L" if im.mode in ("L", "P", "I;16") else "RGB"
            pixels = im.convert(mode)
            pixels.save(one, "PDF", resolution=dpi)
        with pikepdf.open(one) as src:
            merged.pages.extend(src.pages)
    merged.save(path)


def rows(extra: list[str]) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Each row's command (input and output appended) and environment."""
    py = [sys.executable, "-m", "ocr_pdf", "-q", "--no-cache"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("OCR_PDF_LOCAL_PRECISION", None)
    out: dict[str, tuple[list[str], dict[str, str]]] = {}
    if __import__("importlib").util.find_spec("rapidocr"):
        local = [*py, "--engine", "local"]
        out["local"] = (local, env)
        for precision in ("int8", "float"):
            out[f"local {precision}"] = (local, {**env, "OCR_PDF_LOCAL_PRECISION": precision})
        for spec in extra:
            name, _, setting = spec.partition("=")
            key, _, value = setting.partition("=")
            out[name] = (local, {**env, key: value})
    if shutil.which("tesseract"):
        out["tesseract"] = ([*py, "--engine", "tesseract"], env)
        if shutil.which("ocrmypdf"):
            ocrmypdf = ["ocrmypdf", "-q", "-j", "2", "--output-type", "pdf", "--optimize", "0"]
            # Its default 180 s per page skips a page on a loaded machine (a brochure page
            # came out empty with both cores busy): recall is measured here, not patience.
            ocrmypdf += ["--tesseract-timeout", "3600"]
            out["OCRmyPDF"] = (ocrmypdf, env)
    return out


def page_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that choose a recall set's pages, and --rows (recognizer_bench's too)."""
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="the recall set's folder")
    parser.add_argument("--kinds", help="comma-separated kinds (default: all)")
    parser.add_argument("--limit", type=int, default=0, help="at most N pages per kind")
    parser.add_argument("--rows", help="comma-separated rows (default: all)")


def chosen_pages(args: argparse.Namespace) -> dict[str, list[Path]]:
    return pages(args.set, args.kinds.split(",") if args.kinds else None, args.limit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    page_arguments(parser)
    parser.add_argument("--env", action="append", default=[], help="NAME=KEY=VALUE: a local row")
    args = parser.parse_args()
    found = chosen_pages(args)
    chosen = rows(args.env)
    if args.rows:
        chosen = {k: v for k, v in chosen.items() if k in args.rows.split(",")}
    count = sum(len(v) for v in found.values())
    print(f"{count} pages from {args.set}: " + ", ".join(f"{k} {len(v)}" for k, v in found.items()))
    head = "".join(f"{k:>10}" for k in found)
    print(f"{'row':16}{head}{'all':>8}{'s/page':>8}{'RSS MB':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for kind, images in found.items():
            as_pdf(images, folder / f"{kind}.pdf")
        for name, (cmd, env) in chosen.items():
            per_kind: dict[str, list[float]] = {}
            wall_total, rss_max = 0.0, 0.0
            try:
                for kind, images in found.items():
                    out = folder / f"{kind}-out.pdf"
                    wall, _, rss = run([*cmd, str(folder / f"{kind}.pdf"), str(out)], env)
                    wall_total, rss_max = wall_total + wall, max(rss_max, rss)
                    per_kind[kind] = [
                        recall(checks.page_text(out, i), image.with_suffix(".txt").read_text())
                        for i, image in enumerate(images)
                    ]
            except RuntimeError as exc:
                print(f"{name:16} failed: {exc}")
                continue
            every = [r for values in per_kind.values() for r in values]
            cells = "".join(f"{sum(v) / len(v):10.3f}" for v in per_kind.values())
            print(
                f"{name:16}{cells}{sum(every) / len(every):8.3f}{wall_total / count:8.2f}"
                f"{rss_max:8.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
