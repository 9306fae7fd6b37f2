"""Shared state kept by this process for its own threads: the OCR cache in a folder (one JSON
file per page, shared with every later run on this machine), rate limits in memory, budgets
as counters."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from ocr_pdf._files import write_atomically
from ocr_pdf.errors import BadArgumentsError, BadPageData, FileAccessError
from ocr_pdf.formats.pagejson import page_from_dict, page_to_dict
from ocr_pdf.models import PageText
from ocr_pdf.shared_state.limits import GcraLimiter, ProcessClock
from ocr_pdf.shared_state.protocols import NOTE_SECONDS, Budget, Limiter, Rate, Sleep, spent

log = logging.getLogger(__name__)

ENV = "OCR_PDF_CACHE_DIR"


def default_folder() -> Path:
    """$OCR_PDF_CACHE_DIR, else the platform's user cache folder (platformdirs)."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("ocr-pdf", appauthor=False)) / "pages"


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


class CallBudget:
    """At most ``total`` billable calls, for every thread of one process (the CLI shares one
    among the files of a run)."""

    def __init__(self, total: int) -> None:
        if total < 0:
            raise BadArgumentsError(f"--budget {total} must be 0 or more calls")
        self._total = total
        self._left = total
        self._lock = threading.Lock()

    @property
    def total(self) -> int:
        return self._total

    def charge(self) -> None:
        with self._lock:
            if self._left <= 0:
                raise spent(self._total)
            self._left -= 1

    def remaining(self) -> int:
        with self._lock:
            return self._left


class ProcessState:
    """The Backend of a single machine: the default cache folder, limits kept by this
    process (none without a rate: a 429 then waits only for its own call), budgets by name
    for as long as it lives."""

    def __init__(self) -> None:
        self._budgets: dict[str, CallBudget] = {}
        self._lock = threading.Lock()

    def pages(self) -> OcrCache:
        return OcrCache(default_folder())

    def limiter(self, endpoint: str, rate: Rate | None, sleep: Sleep) -> Limiter | None:
        return GcraLimiter(rate, ProcessClock(), sleep) if rate is not None else None

    def budget(self, name: str, total: int | None = None) -> Budget:
        with self._lock:
            found = self._budgets.get(name)
            if found is None:
                found = self._budgets[name] = CallBudget(total or 0)
            return found
