"""The input documents: the files a list of inputs names, and each opened and checked once:
its header, then qpdf (encryption, pages, damage, signatures, decompression bombs, PDF/A
claim), then PDFium (text and renders)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ocr_pdf.errors import BadArgumentsError, DigitalSignatureError, FileAccessError
from ocr_pdf.image.to_pdf import IMAGE_SUFFIXES
from ocr_pdf.pdf import pdfium, pdfium_checks

if TYPE_CHECKING:
    import pikepdf
from ocr_pdf.pdf import original

log = logging.getLogger(__name__)


@dataclass
class Source:
    """An open input: ``original`` (pikepdf) is what the layers are grafted onto, ``doc``
    (PDFium) gives each page's text and renders. Both read the same file, which is never
    written."""

    path: Path
    original: pikepdf.Pdf
    doc: pdfium.Document

    def __len__(self) -> int:
        return len(self.doc)


@contextmanager
def open_input(path: Path, *, invalidate_signatures: bool = False) -> Iterator[Source]:
    """``path`` opened for a conversion, or the InputFileError, EncryptedPdfError or
    DigitalSignatureError that says why it cannot be converted."""
    with ExitStack() as stack:
        pdfium_checks.check_header(path)
        # qpdf first: it tells an encrypted, page-less or signed file from a damaged one.
        opened = stack.enter_context(original.open_original(path))
        if original.is_signed(opened) and not invalidate_signatures:
            raise DigitalSignatureError(
                f"{path}: the PDF is digitally signed, and adding a text layer invalidates the "
                "signature; pass --invalidate-digital-signatures to do it anyway"
            )
        # Before PDFium or qpdf decode anything of it: a decompression bomb stops here.
        original.check_decoding(opened, path)
        claim = original.claimed_pdfa(opened)
        if claim:
            log.info(
                "%s claims PDF/A-%s; the claim is kept: the original is unchanged and the text "
                "layer adds only an embedded font and invisible text",
                path,
                claim,
            )
        doc = stack.enter_context(pdfium.Document(path))
        repaired = original.repairs(opened)
        if repaired:  # said once both libraries could read the file, else the error says it all
            log.warning("%s: the PDF is damaged; repaired it (%s)", path, repaired)
        yield Source(path, opened, doc)


def into_folder(
    inputs: list[Path], target: Path, recursive: bool = False
) -> tuple[list[tuple[Path, Path | None]], int]:
    """Each file the inputs name, to the folder ``target`` (made if missing, and its subfolders
    too) under its name (an image's with .pdf); and how many subfolders of folder inputs were
    not searched. A folder stands for the PDFs and images in it, and with ``recursive`` in its
    subfolders too (the tree mirrored)."""
    files, skipped = _expand(inputs, recursive)
    names = [rel for _, rel in files]
    if len(set(names)) != len(names):
        raise BadArgumentsError("two inputs have the same file name; the outputs would collide")
    for folder in sorted({(target / rel).parent for _, rel in files}):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FileAccessError(f"{folder}: cannot make the folder ({exc.strerror})") from None
    return [(f, target / rel) for f, rel in files], skipped


def _wanted(path: Path) -> bool:
    return path.suffix.lower() in {".pdf", *IMAGE_SUFFIXES}


def _expand(inputs: list[Path], recursive: bool) -> tuple[list[tuple[Path, Path]], int]:
    """Each input file and its output's path relative to the output folder, and the number of
    subfolders not searched."""
    files: list[tuple[Path, Path]] = []
    skipped = 0
    for item in inputs:
        if not item.is_dir():
            files.append((item, Path(item.name).with_suffix(".pdf")))
            continue
        found = item.rglob("*") if recursive else item.iterdir()
        for f in sorted(found):
            if f.is_dir():
                skipped += not recursive
            elif _wanted(f) and f.is_file():  # not a pipe or device that happens to be named so
                files.append((f, f.relative_to(item).with_suffix(".pdf")))
    if not files:
        raise BadArgumentsError("no PDF or image files among the inputs")
    return files, skipped
