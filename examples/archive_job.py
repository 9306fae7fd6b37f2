"""A document-management job: make every PDF of an inbox searchable, and say how each went."""

from __future__ import annotations

from pathlib import Path

import ocr_pdf


def make_inbox_searchable(inbox: Path, outbox: Path) -> dict[str, str]:
    """Convert each PDF of ``inbox`` into ``outbox``; one line of outcome per file."""
    outbox.mkdir(parents=True, exist_ok=True)
    outcome = {}
    for pdf in sorted(inbox.glob("*.pdf")):
        try:
            result = ocr_pdf.make_searchable(pdf, outbox / pdf.name)
            outcome[pdf.name] = f"{result.pages_ocred} page(s) OCRed"
        except ocr_pdf.EncryptedPdfError:
            outcome[pdf.name] = "encrypted: left for a person"
        except ocr_pdf.ConfigurationError as err:  # a wrong key or endpoint: not worth a retry
            outcome[pdf.name] = f"fix the settings: {err}"
        except ocr_pdf.ServiceError as err:  # keeps status and request id, never the key
            outcome[pdf.name] = f"service error {err.status}: retry later"
        except ocr_pdf.OcrPdfError as err:
            outcome[pdf.name] = f"failed: {err}"
    return outcome
