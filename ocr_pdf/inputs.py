"""The input document, opened and checked once: its header, then qpdf (encryption, pages,
damage, signatures, decompression bombs, PDF/A claim), then PDFium (text and renders)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from ocr_pdf import original, pdf
from ocr_pdf.errors import DigitalSignatureError

log = logging.getLogger(__name__)


@dataclass
class Source:
    """An open input: ``original`` (pikepdf) is what the layers are grafted onto, ``doc``
    (PDFium) gives each page's text and renders. Both read the same file, which is never
    written."""

    path: Path
    original: pikepdf.Pdf
    doc: pdf.Document

    def __len__(self) -> int:
        return len(self.doc)


@contextmanager
def open_input(path: Path, *, invalidate_signatures: bool = False) -> Iterator[Source]:
    """``path`` opened for a conversion, or the InputFileError, EncryptedPdfError or
    DigitalSignatureError that says why it cannot be converted."""
    with ExitStack() as stack:
        pdf.check_header(path)
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
        doc = stack.enter_context(pdf.Document(path))
        repaired = original.repairs(opened)
        if repaired:  # said once both libraries could read the file, else the error says it all
            log.warning("%s: the PDF is damaged; repaired it (%s)", path, repaired)
        yield Source(path, opened, doc)
