"""Converting on a cluster: Celery workers on Redis, one rate limit, one budget and one OCR
cache for all of them (the ``cluster`` extra).

Set ``OCR_PDF_REDIS_URL`` (``redis://host:6379/0``) on every machine, start workers with
Celery's own command, ``celery -A ocr_pdf.cluster worker``, and submit documents with
``ocr-pdf enqueue`` or :func:`enqueue`::

    from ocr_pdf.cluster import enqueue

    batch = enqueue(["/shared/in/a.pdf", "/shared/in/b.pdf"], "/shared/out", budget=500)
    for outcome in batch.wait():
        print(outcome.input, outcome.error or outcome.result.pages_ocred)

The task itself is ``ocr_pdf.cluster.tasks.convert_document`` (see there). Importing this
package costs nothing: Celery is loaded when ``app``, ``enqueue`` or ``Batch`` is first
used."""

from __future__ import annotations

from typing import Any

__all__ = ["Batch", "Outcome", "Progress", "Submitted", "app", "enqueue"]

_LAZY = {
    "app": "ocr_pdf.cluster.celery_app",
    "enqueue": "ocr_pdf.cluster.client",
    "Batch": "ocr_pdf.cluster.client",
    "Outcome": "ocr_pdf.cluster.client",
    "Progress": "ocr_pdf.cluster.client",
    "Submitted": "ocr_pdf.cluster.client",
}


def __getattr__(name: str) -> Any:
    # Celery's ``-A ocr_pdf.cluster`` asks this package for ``app``.
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib
    import sys

    from ocr_pdf.errors import ConfigurationError, ExitCode

    try:
        module = importlib.import_module(_LAZY[name])
    except ConfigurationError as err:
        if "celery.bin.celery" not in sys.modules:
            raise
        # `celery -A ocr_pdf.cluster worker` without OCR_PDF_REDIS_URL: Celery would wrap this
        # line in 30 of its own and a traceback. Celery's command is our entry point here, so
        # it gets what ocr-pdf's own would print: the one line, and the exit code.
        print(f"ocr-pdf: error: {err}", file=sys.stderr)
        raise SystemExit(ExitCode.invalid_config) from None
    return getattr(module, name)
