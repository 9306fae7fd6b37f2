"""The --ocr-json document, written by a conversion and read back by `--engine replay`: each
OCRed page's result with the resolution it was rendered at and the SHA-256 of the image the
engine read (stdlib only).

Format: ``{"format": "ocr-pdf/document", "version": 1, "pages": [{"number": n (1-based),
"dpi": float, "image": {"width": px, "height": px, "sha256": hex}, "result": <ocr-pdf/page>}]}``;
``result`` is :mod:`ocr_pdf.formats.pagejson`'s page, quads in the pixels of that image;
``image.sent`` is ``"render"`` (the page rendered at ``dpi``; the default) or ``"scan"`` (the
page's own embedded image, sent as stored: its sha256 is that of its bytes)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocr_pdf.errors import BadPageData, InputFileError
from ocr_pdf.formats.pagejson import page_from_dict, page_to_dict
from ocr_pdf.models import PageText

FORMAT = "ocr-pdf/document"
VERSION = 1


@dataclass(frozen=True)
class SavedPage:
    """One page of the document: ``index`` 0-based, ``dpi`` it was rendered at (the scan's
    own when ``from_scan``), ``digest`` the SHA-256 that identifies the image the engine read
    (:func:`ocr_pdf.reading.cache.pixel_digest` of a render,
    :func:`ocr_pdf.reading.cache.bytes_digest` of a scan sent as stored)."""

    index: int
    dpi: float
    digest: str
    text: PageText
    from_scan: bool = False


def dumps(pages: list[SavedPage]) -> bytes:
    """The document holding ``pages`` (in page order), as UTF-8 JSON."""
    record: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "pages": [
            {
                "number": p.index + 1,
                "dpi": p.dpi,
                "image": {
                    "width": p.text.width,
                    "height": p.text.height,
                    "sha256": p.digest,
                    "sent": "scan" if p.from_scan else "render",
                },
                "result": page_to_dict(p.text),
            }
            for p in sorted(pages, key=lambda p: p.index)
        ],
    }
    return json.dumps(record, ensure_ascii=False).encode("utf-8")


def load(path: Path) -> list[SavedPage]:
    """The pages of the document at ``path``; InputFileError if it is missing or not ours."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        pages = record["pages"] if record.get("format") == FORMAT else None
        if not isinstance(pages, list):
            raise BadPageData(f"not an {FORMAT} file")
        return [
            SavedPage(
                int(p["number"]) - 1,
                float(p["dpi"]),
                str(p["image"]["sha256"]),
                page_from_dict(p["result"]),
                p["image"].get("sent") == "scan",
            )
            for p in pages
        ]
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file (the --ocr-json to replay)") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, BadPageData) as exc:
        raise InputFileError(
            f"{path}: not a file written by --ocr-json ({exc.__class__.__name__}: {exc})"
        ) from None
