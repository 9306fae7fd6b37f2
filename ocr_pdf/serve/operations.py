"""The long-running operations of `ocr-pdf serve` (Read 3.2, Document Intelligence): their
status and result (and a searchable PDF, an error), kept for polling a configurable time (Azure
keeps them 48 hours) and within a memory bound, the oldest finished ones dropped first (stdlib
only)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

log = logging.getLogger(__name__)

ENTRY_BYTES = 512
"""What an operation costs besides its result (id, timestamps, bookkeeping), for the bound."""
UNFINISHED = ("notStarted", "running")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Operation:
    """One operation (mutable, guarded by the store's lock); ``kind`` names the API and model
    that may poll it; ``result`` is the encoded JSON of its analyzeResult once it succeeded,
    ``pdf`` its searchable PDF when one was asked for, ``error`` the encoded JSON of the error
    that failed it; ``expires`` is on the store's clock."""

    kind: str
    status: str
    created: str
    updated: str
    expires: float
    result: bytes = b""
    pdf: bytes = b""
    error: bytes = b""

    @property
    def size(self) -> int:
        return ENTRY_BYTES + len(self.result) + len(self.pdf) + len(self.error)


class Operations:
    """Operations by id. Finished ones are kept ``keep`` seconds; when their results would
    take more than ``memory`` bytes, the oldest are dropped (polling them then answers 404,
    as for an expired operation). Unfinished ones are never dropped: the work queue bounds
    them."""

    def __init__(
        self, keep: float, memory: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.keep = keep
        self.memory = memory
        self.used = 0
        self._clock = clock
        self._ops: OrderedDict[str, _Operation] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._ops)

    def create(self, kind: str = "read") -> str:
        op = str(uuid.uuid4())
        now = _now()
        with self._lock:
            self._ops[op] = _Operation(kind, "notStarted", now, now, self._clock() + self.keep)
            self.used += ENTRY_BYTES
            self._trim()
        return op

    def discard(self, op: str) -> bool:
        """Forget ``op`` (finished or not); whether it was known."""
        with self._lock:
            found = self._ops.pop(op, None)
            if found is not None:
                self.used -= found.size
            return found is not None

    def update(
        self, op: str, status: str, result: bytes = b"", pdf: bytes = b"", error: bytes = b""
    ) -> None:
        with self._lock:
            found = self._ops.get(op)
            if found is None:
                return
            self.used -= found.size
            found.status, found.result, found.pdf, found.error = status, result, pdf, error
            found.updated = _now()
            self.used += found.size
            found.expires = self._clock() + self.keep
            self._ops.move_to_end(op)  # finishing order is the order they expire in
            self._trim()

    def _found(self, op: str, kind: str) -> _Operation | None:
        self._trim()
        found = self._ops.get(op)
        return found if found is not None and found.kind == kind else None

    def status(self, op: str, kind: str = "read") -> str | None:
        """The status of ``op``, or None when it is unknown, gone or of another kind."""
        with self._lock:
            found = self._found(op, kind)
            return None if found is None else found.status

    def body(self, op: str, kind: str = "read") -> bytes | None:
        """The poll's answer for ``op`` as encoded JSON, or None when it is unknown, gone or
        of another ``kind``."""
        with self._lock:
            found = self._found(op, kind)
            if found is None:
                return None
            head = (
                f'{{"status": "{found.status}", "createdDateTime": "{found.created}", '
                f'"lastUpdatedDateTime": "{found.updated}"'
            ).encode()
            if found.status == "succeeded":
                return head + b', "analyzeResult": ' + found.result + b"}"
            if found.error:
                return head + b', "error": ' + found.error + b"}"
            return head + b"}"

    def pdf(self, op: str, kind: str) -> bytes | None:
        """The searchable PDF of a succeeded ``op`` that asked for one, else None."""
        with self._lock:
            found = self._found(op, kind)
            return found.pdf if found is not None and found.pdf else None

    def _trim(self) -> None:
        now = self._clock()
        used = self.used
        doomed = []
        for op, found in self._ops.items():
            if found.status in UNFINISHED:
                continue  # bounded by the work queue; at the front until they finish
            if found.expires > now and used <= self.memory:
                break
            doomed.append(op)
            used -= found.size
        early = 0
        for op in doomed:
            found = self._ops.pop(op)
            early += found.expires > now
        self.used = used
        if early:
            log.warning(
                "%d Read result(s) dropped before their time: results would take more than %d MB",
                early,
                self.memory // 1_000_000,
            )
