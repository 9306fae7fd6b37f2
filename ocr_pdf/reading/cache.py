"""The OCR cache: page results keyed by the exact page image and every engine setting that
matters, and the cache a ``cache=`` setting asks for. Where the entries live is the shared
state's business (:mod:`ocr_pdf.shared_state`: a folder, or a cluster's store)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from PIL import Image

from ocr_pdf import shared_state
from ocr_pdf.shared_state import NOTE_SECONDS, PageStore
from ocr_pdf.shared_state.local import ENV, OcrCache, default_folder

__all__ = [
    "ENV",
    "NOTE_SECONDS",
    "OcrCache",
    "PageStore",
    "bytes_digest",
    "cache_key",
    "default_folder",
    "open_cache",
    "pixel_digest",
    "scan_key",
]


def pixel_digest(image: Image.Image) -> str:
    """SHA-256 of an image's exact pixels, mode and size included: what identifies a page
    image for the cache and for --engine replay (hashed once per page, ~10 ms at 300 dpi)."""
    digest = hashlib.sha256(f"{image.mode}|{image.width}x{image.height}|".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()


def bytes_digest(data: bytes) -> str:
    """SHA-256 of an encoded image as sent (a scan's own bytes): what identifies such a page
    image for the cache and for --engine replay; never equal to a :func:`pixel_digest`."""
    return hashlib.sha256(b"encoded|" + data).hexdigest()


def cache_key(pixels: str, engine_id: str) -> str:
    """The cache key of a page image (its :func:`pixel_digest`) read by an engine."""
    return hashlib.sha256(f"{engine_id}|{pixels}".encode()).hexdigest()


def scan_key(digest: str, width: int, height: int, engine_id: str) -> str:
    """The cache key of a scan sent as stored (its :func:`bytes_digest`): the frame its
    reading is in (``width`` x ``height`` pixels, what the page's placement maps from) is part
    of it, so that no reading is ever placed through another page's geometry."""
    return cache_key(f"{digest}|{width}x{height}", engine_id)


def open_cache(setting: bool | str | os.PathLike[str]) -> PageStore | None:
    """The cache a ``cache=`` argument asks for: True the default one (the shared state's:
    the cluster's when OCR_PDF_REDIS_URL is set, else the default folder), a path that
    folder, False none."""
    if not setting:
        return None
    if setting is True:
        return shared_state.backend().pages()
    return OcrCache(Path(setting))
