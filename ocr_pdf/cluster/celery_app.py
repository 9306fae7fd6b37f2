"""celery: the cluster's Celery application, configured from OCR_PDF_REDIS_URL (broker and
result backend), with the settings that make a killed worker's documents go to another.

Any Celery setting can be overridden by a module named in ``OCR_PDF_CELERY_CONFIG`` (its
lower-case names, as in a Celery config module), and any ``celery worker`` flag works."""

from __future__ import annotations

import importlib
import os
from typing import Any

from celery import Celery, signals

from ocr_pdf import shared_state
from ocr_pdf.cluster.deliveries import Deliveries
from ocr_pdf.errors import ConfigurationError

REDELIVER_AFTER = 60
"""Seconds after which a document taken by a worker that died (SIGKILL, power loss) is handed
to another: Celery's Redis ``visibility_timeout``. A live worker keeps its documents however
long they take (see :class:`ocr_pdf.cluster.deliveries.Deliveries`)."""

QUEUE = "ocr-pdf"


def _url() -> str:
    url = shared_state.redis_url()
    if not url:
        raise ConfigurationError(
            f"the cluster needs {shared_state.ENV}, the Redis every machine shares "
            "(e.g. redis://host:6379/0)"
        )
    return url


app = Celery("ocr_pdf", broker=_url(), backend=_url(), include=["ocr_pdf.cluster.tasks"])
app.conf.update(
    # Acknowledge a document when it is done, not when it is taken: a worker that dies
    # mid-document leaves it to another. A pool process that dies is noticed at once.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,  # documents are long: no worker hoards them
    broker_transport_options={
        "visibility_timeout": REDELIVER_AFTER,
        "unacked_restore_interval": 5,
        "unacked_restore_throttle": 1,
    },
    task_default_queue=QUEUE,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_extended=True,  # the worker's name and the task's arguments, for monitoring
    result_expires=7 * 86400,
    task_track_started=True,
    broker_connection_retry_on_startup=True,
)
_overrides = os.environ.get("OCR_PDF_CELERY_CONFIG")
if _overrides:  # after ours: Celery lets settings made in code win over a config module
    settings = vars(importlib.import_module(_overrides)).items()
    app.conf.update({k: v for k, v in settings if k.islower() and k[0] != "_" and not callable(v)})

_deliveries: Deliveries | None = None


@signals.task_received.connect
def _keep(request: Any = None, **_: Any) -> None:
    """In the worker's main process, as each message is taken: keep it ours while we live."""
    global _deliveries
    options = dict(app.conf.broker_transport_options or {})
    if _deliveries is None:
        index = options.get("global_keyprefix", "") + options.get(
            "unacked_index_key", "unacked_index"
        )
        every = max(1.0, float(options.get("visibility_timeout", REDELIVER_AFTER)) / 4)
        _deliveries = Deliveries(_url(), index, every)
    tag = getattr(getattr(request, "message", None), "delivery_tag", None)
    if tag:
        _deliveries.track(str(tag))
