"""Whether this process shares its OCR cache, rate limits and budgets with a cluster: set by
OCR_PDF_REDIS_URL (stdlib only). The Redis side lives in :mod:`ocr_pdf.cluster` and is
imported only when the variable is set, so single-machine runs need nothing of it."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

from ocr_pdf.errors import MissingDependencyError

ENV = "OCR_PDF_REDIS_URL"


def redis_url() -> str | None:
    """The cluster's Redis (``redis://host:6379/0``), or None on a single machine."""
    return os.environ.get(ENV) or None


def load(name: str) -> ModuleType:
    """The module ``ocr_pdf.cluster.<name>``, or MissingDependencyError when the cluster
    extra is not installed."""
    try:
        return importlib.import_module(f"ocr_pdf.cluster.{name}")
    except ImportError as exc:
        if exc.name and exc.name.startswith("ocr_pdf"):
            raise
        raise MissingDependencyError(
            f"{ENV} is set, and sharing work through Redis needs the cluster extra "
            f"({exc.name} is missing): pip install 'ocr-pdf[cluster]'"
        ) from None
