"""The broker messages a live worker keeps from being handed to another (Celery's Redis
transport, through the cluster's Redis connection)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis

from ocr_pdf.shared_state.redis_store import connection

log = logging.getLogger(__name__)


class Deliveries:
    """The broker messages this worker has taken and not acknowledged yet, kept from being
    handed to another worker while it lives.

    Celery's Redis transport hands a message out again once it has been unacknowledged for
    its visibility timeout, which must be short for a killed worker's documents to be taken
    up soon, and would then also hand out the long documents of live workers. Every
    ``every`` seconds their entries in the transport's ``unacked_index`` are dated now (only
    existing entries: an acknowledged message is never brought back)."""

    def __init__(self, url: str, index: str, every: float) -> None:
        self.client = connection(url)
        self.index = index
        self.every = every
        self._tags: set[str] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def track(self, tag: str) -> None:
        with self._lock:
            self._tags.add(tag)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name="deliveries")
                self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(self.every)
            with self._lock:
                tags = sorted(self._tags)
            if tags:
                try:
                    self._refresh(tags)
                except redis.RedisError as exc:
                    log.warning("cannot keep this worker's deliveries (%s)", exc)

    def _refresh(self, tags: list[str]) -> None:
        pipe = self.client.pipeline(transaction=False)
        now = time.time()
        pipe.zadd(self.index, dict.fromkeys(tags, now), xx=True)
        pipe.zmscore(self.index, tags)
        scores: list[Any] = pipe.execute()[1]
        gone = {tag for tag, score in zip(tags, scores, strict=True) if score is None}
        with self._lock:
            self._tags -= gone
