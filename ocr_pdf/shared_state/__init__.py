"""Shared state: the OCR cache, the rate limits, the budgets of billable calls and the notes of
operations in flight, declared as protocols (:mod:`ocr_pdf.shared_state.protocols`) and kept
either by this process (:mod:`~ocr_pdf.shared_state.local`) or by a store every machine of a
cluster reaches (:mod:`~ocr_pdf.shared_state.redis_store`).

Which one is decided here and nowhere else (:func:`backend`): by ``OCR_PDF_REDIS_URL``, whose
scheme names the backend (``BACKENDS``). A store's module is imported only when its URL is
set, so single-machine runs need nothing of it. Everything in this package imports only the
bottom of the library (errors, models, files, formats.pagejson); the cache, the transport's
rate limit and the cluster's Celery app use it from above."""

from __future__ import annotations

import importlib
import os
import threading
from urllib.parse import urlsplit

from ocr_pdf.errors import ConfigurationError, MissingDependencyError
from ocr_pdf.shared_state.local import ProcessState
from ocr_pdf.shared_state.protocols import (
    NOTE_SECONDS,
    Backend,
    Budget,
    Limiter,
    OperationNotes,
    PageStore,
    Rate,
    Sleep,
    spent,
)

__all__ = [
    "BACKENDS",
    "ENV",
    "NOTE_SECONDS",
    "Backend",
    "Budget",
    "Limiter",
    "OperationNotes",
    "PageStore",
    "Rate",
    "Sleep",
    "backend",
    "redis_url",
    "spent",
]

ENV = "OCR_PDF_REDIS_URL"

BACKENDS = {
    "redis": "ocr_pdf.shared_state.redis_store:RedisState",
    "rediss": "ocr_pdf.shared_state.redis_store:RedisState",
    "unix": "ocr_pdf.shared_state.redis_store:RedisState",
}
"""URL scheme -> the class (``module:name``) of the Backend at such a URL, built from it."""

EXTRA = {"ocr_pdf.shared_state.redis_store": "cluster"}
"""The extra that installs what a backend's module needs."""

_LOCAL = ProcessState()
_shared: dict[str, Backend] = {}
_lock = threading.Lock()


def redis_url() -> str | None:
    """The cluster's store (``redis://host:6379/0``), or None on a single machine."""
    return os.environ.get(ENV) or None


def backend() -> Backend:
    """Where shared state lives for this process now: the cluster's store named by
    OCR_PDF_REDIS_URL, else this process (one of each per URL, made when first asked for)."""
    url = redis_url()
    if url is None:
        return _LOCAL
    with _lock:
        found = _shared.get(url)
        if found is None:
            found = _shared[url] = _load(url)
        return found


def _load(url: str) -> Backend:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in BACKENDS:
        raise ConfigurationError(
            f"{ENV}={urlsplit(url).scheme}://...: not a store ocr-pdf can share state in "
            f"(use one of {', '.join(f'{s}://' for s in sorted(BACKENDS))})"
        )
    module, _, name = BACKENDS[scheme].partition(":")
    try:
        made: Backend = getattr(importlib.import_module(module), name)(url)
    except ImportError as exc:
        if exc.name and exc.name.startswith("ocr_pdf"):
            raise
        raise missing_extra(EXTRA.get(module, "cluster"), exc.name) from None
    return made


def missing_extra(extra: str, missing: str | None) -> MissingDependencyError:
    """The error of a shared state (or cluster) whose extra is not installed."""
    return MissingDependencyError(
        f"{ENV} is set, and sharing work through it needs the {extra} extra "
        f"({missing} is missing): pip install '.[{extra}]' in a checkout of ocr-pdf "
        f"('ocr-pdf[{extra}]' from an index)"
    )
