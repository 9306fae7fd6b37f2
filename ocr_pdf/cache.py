"""OCR results on disk, keyed by the exact page image and every engine setting that matters."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Protocol

from PIL import Image

from ocr_pdf import shared
from ocr_pdf.errors import BadPageData, FileAccessError
from ocr_pdf.files import write_atomically
from ocr_pdf.formats.pagejson import page_from_dict, page_to_dict
from ocr_pdf.models import PageText

log = logging.getLogger(__name__)

ENV = "OCR_PDF_CACHE_DIR"
NOTE_SECONDS = 24 * 3600
"""How long a noted operation is worth polling: Azure keeps Read results 48 hours and Document
Intelligence results 24 (an older one would answer 404 and be submitted again anyway)."""


def default_folder() -> Path:
    """$OCR_PDF_CACHE_DIR, else the platform's user cache folder (platformdirs)."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("ocr-pdf", appauthor=False)) / "pages"


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


class PageStore(Protocol):
    """Where page results are kept between runs: a folder here, a shared store on a cluster.

    ``claim(key)`` is how a page is read: it yields the cached result, or None when this
    caller is to read the page and ``put`` it before the block ends. A shared store lets one
    caller in the whole cluster read a page at a time; the others wait for its result, so
    that no page is paid for twice."""

    def get(self, key: str) -> PageText | None: ...

    def put(self, key: str, page: PageText) -> None: ...

    def claim(self, key: str) -> AbstractContextManager[PageText | None]: ...

    def operation(self, key: str) -> str | None:
        """The service operation noted for the page under ``key`` (submitted, result not yet
        kept) if it is younger than NOTE_SECONDS."""
        ...

    def note_operation(self, key: str, url: str) -> None:
        """Note ``url`` as the operation reading the page under ``key``; ``put`` forgets it."""
        ...


def open_cache(setting: bool | str | os.PathLike[str]) -> PageStore | None:
    """The cache a ``cache=`` argument asks for: True the default one (the cluster's when
    OCR_PDF_REDIS_URL is set, else the default folder), a path that folder, False none."""
    if not setting:
        return None
    if setting is True:
        url = shared.redis_url()
        if url:
            store: PageStore = shared.load("store").RedisPages(url)
            return store
    return OcrCache(default_folder() if setting is True else Path(setting))


class OcrCache:
    """One JSON file per page result, written atomically (temporary file, then rename), so
    that a crash or kill never leaves a half-written entry; an unreadable entry is ignored and
    replaced on the next write."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._write_failed = False  # said once: a full disk would say it for every page

    def _path(self, key: str, kind: str = ".json") -> Path:
        return self.folder / key[:2] / f"{key}{kind}"

    def get(self, key: str) -> PageText | None:
        path = self._path(key)
        try:
            return page_from_dict(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, BadPageData) as exc:
            log.warning("ignoring a damaged cache entry %s (%s)", path, exc)
            return None

    @contextmanager
    def claim(self, key: str) -> Iterator[PageText | None]:
        # One process: the readers of a run never share a page image (and if two did, both
        # reading it costs one call more, not a wrong result).
        yield self.get(key)

    def put(self, key: str, page: PageText) -> None:
        data = json.dumps(page_to_dict(page), ensure_ascii=False).encode("utf-8")
        self._write(self._path(key), data)
        with suppress(OSError):
            self._path(key, ".operation").unlink(missing_ok=True)

    def operation(self, key: str) -> str | None:
        path = self._path(key, ".operation")
        try:
            note = json.loads(path.read_text(encoding="utf-8"))
            url, noted = str(note["operation"]), float(note["noted"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            return None  # a damaged note costs the page's price once more, no more
        return url if 0 <= time.time() - noted < NOTE_SECONDS else None

    def note_operation(self, key: str, url: str) -> None:
        note = {"operation": url, "noted": time.time()}
        self._write(self._path(key, ".operation"), json.dumps(note).encode("utf-8"))

    def _write(self, path: Path, data: bytes) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Entry names are unique keys: no leftovers to look for on every write.
            write_atomically(path, data, tidy=False)
        except (OSError, FileAccessError) as exc:  # an unwritable cache costs a re-read later
            say = log.debug if self._write_failed else log.warning
            self._write_failed = True
            say("cannot write the OCR cache in %s (%s); going on without it", self.folder, exc)
