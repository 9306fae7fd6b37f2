"""The text of a PDF page as each common reader extracts it, and measures of that text.

Readers (the names are the keys of READERS):
  pdfium      PDFium through pypdfium2 (Chrome, Edge, many Python pipelines)
  poppler     ``pdftotext -layout``-free plain mode (Evince, paperless-ngx, pdftotext)
  poppler-raw ``pdftotext -raw``: content-stream order, the layer's own order
  mupdf       MuPDF through PyMuPDF (SumatraPDF, PyMuPDF pipelines)
  pdfjs       pdf.js (Firefox) through pdfjs-dist on node (tests/pdfjs; ``npm ci`` there)
  pdfminer    pdfminer.six's extract_text (Python indexing and retrieval pipelines)
  pypdf       pypdf's extract_text

A reader whose program or package is missing is left out of :func:`available` (tests skip);
each reader returns one string per page. Measures compare words, whitespace folded."""

from __future__ import annotations

import functools
import importlib.util
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Sequence
from itertools import pairwise
from pathlib import Path

from tests import checks

PDFJS = Path(__file__).resolve().parent / "pdfjs"


def _pdfium(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        out = []
        for page in pdf:
            textpage = page.get_textpage()
            out.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return out
    finally:
        pdf.close()


def _poppler(raw: bool) -> Callable[[Path], list[str]]:
    def extract(path: Path) -> list[str]:
        args = ["pdftotext", "-enc", "UTF-8", *(["-raw"] if raw else []), str(path), "-"]
        done = subprocess.run(args, capture_output=True, check=True, timeout=120)
        pages = done.stdout.decode("utf-8").split("\f")
        return pages[:-1] if len(pages) > 1 and not pages[-1].strip() else pages

    return extract


def _mupdf(path: Path) -> list[str]:
    import pymupdf

    with pymupdf.open(str(path)) as doc:  # type: ignore[no-untyped-call]
        return [str(page.get_text()) for page in doc]


def _pdfjs(path: Path) -> list[str]:
    done = subprocess.run(
        ["node", str(PDFJS / "extract.mjs"), str(path)],
        capture_output=True,
        check=True,
        timeout=120,
    )
    return done.stdout.decode("utf-8").split("\f")


def _pdfminer(path: Path) -> list[str]:
    from pdfminer.high_level import extract_text

    text = extract_text(str(path))
    pages = text.split("\f")
    return pages[:-1] if len(pages) > 1 and not pages[-1].strip() else pages


def _pypdf(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


READERS: dict[str, Callable[[Path], list[str]]] = {
    "pdfium": _pdfium,
    "poppler": _poppler(raw=False),
    "poppler-raw": _poppler(raw=True),
    "mupdf": _mupdf,
    "pdfjs": _pdfjs,
    "pdfminer": _pdfminer,
    "pypdf": _pypdf,
}


@functools.cache
def available() -> tuple[str, ...]:
    """The readers that can run on this machine."""
    have = {
        "pdfium": importlib.util.find_spec("pypdfium2") is not None,
        "poppler": shutil.which("pdftotext") is not None,
        "poppler-raw": shutil.which("pdftotext") is not None,
        "mupdf": importlib.util.find_spec("pymupdf") is not None,
        "pdfjs": shutil.which("node") is not None
        and (PDFJS / "node_modules" / "pdfjs-dist").is_dir(),
        "pdfminer": importlib.util.find_spec("pdfminer") is not None,
        "pypdf": importlib.util.find_spec("pypdf") is not None,
    }
    return tuple(name for name, ok in have.items() if ok)


def extract_all(path: Path, readers: Sequence[str] | None = None) -> dict[str, list[str]]:
    """Each available reader's text of every page of ``path``."""
    return {name: READERS[name](path) for name in readers or available()}


# -- measures --------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """The whitespace-separated words of ``text``, with the punctuation around them kept."""
    return text.split()


def lines(text: str) -> list[list[str]]:
    """The non-empty lines of ``text``, as lists of words."""
    return [ln.split() for ln in text.splitlines() if ln.split()]


def recall(known: Sequence[str], got: Sequence[str]) -> float:
    """Share of the known words found as words of their own (multiset)."""
    if not known:
        return 1.0
    return sum((Counter(known) & Counter(got)).values()) / len(known)


def glued(known_lines: Sequence[Sequence[str]], got: Sequence[str]) -> tuple[int, int]:
    """Words of ``got`` that are two known words run together: (within a line, across a
    line end), the second a line's last word glued to the next line's first."""
    inside = {a + b for ln in known_lines for a, b in pairwise(ln)}
    across = {a[-1] + b[0] for a, b in pairwise(known_lines) if a and b}
    across -= inside
    got_set = Counter(got)
    return (
        sum(n for w, n in got_set.items() if w in inside),
        sum(n for w, n in got_set.items() if w in across),
    )


def cer(got: str, expected: str) -> float:
    """Character error rate of ``got`` against ``expected``, whitespace folded to one space."""
    return checks.cer(" ".join(got.split()), " ".join(expected.split()))
