"""What a cluster worker lets a task message ask of it, from the worker's own environment:
anyone who can write to Redis can send a task, so a message never chooses where the worker's
key and pages go, nor which files it reads and writes beyond what the worker allows.

- ``OCR_PDF_WORKER_ROOTS``: the folders (separated by ``:``) a task may read its input from
  and write its output, side files (--sidecar, --ocr-json, ...), cache folder and replay source in,
  symbolic links resolved. Unset, the worker converts nothing.
- Endpoints: a message that names one gets it only if it is the worker's own
  (``AZURE_VISION_ENDPOINT``, ``AZURE_DI_ENDPOINT``) or listed in
  ``OCR_PDF_WORKER_ENDPOINTS`` (space- or comma-separated URLs; compared by scheme, host and
  port; a port of ``*`` takes any port of that host, for test set-ups).
- ``OCR_PDF_WORKER_ENGINES``: the engines a message may name (space- or comma-separated;
  unset: every installed engine)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ocr_pdf.errors import RefusedByWorkerError
from ocr_pdf.options import ConversionOptions

ROOTS = "OCR_PDF_WORKER_ROOTS"
ENDPOINTS = "OCR_PDF_WORKER_ENDPOINTS"
ENGINES = "OCR_PDF_WORKER_ENGINES"
_OWN_ENDPOINTS = ("AZURE_VISION_ENDPOINT", "AZURE_DI_ENDPOINT")
_DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, str]  # scheme, host, port ("*": any)


def _words(value: str | None) -> list[str]:
    return (value or "").replace(",", " ").split()


def _origin(url: str) -> Origin | None:
    try:
        parts = urlsplit(url.strip())
        port = parts.netloc.rsplit(":", 1)[1] if parts.netloc.endswith(":*") else None
        if port is None:
            port = str(parts.port or _DEFAULT_PORTS.get(parts.scheme, 0))
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port


@dataclass(frozen=True)
class WorkerPolicy:
    """The worker's own limits (see the module's description)."""

    roots: tuple[Path, ...]
    endpoints: tuple[Origin, ...]
    engines: frozenset[str] | None

    @classmethod
    def from_environment(cls) -> WorkerPolicy:
        roots = tuple(
            Path(p).resolve() for p in (os.environ.get(ROOTS) or "").split(os.pathsep) if p
        )
        urls = [os.environ.get(name, "") for name in _OWN_ENDPOINTS]
        urls += _words(os.environ.get(ENDPOINTS))
        endpoints = tuple(o for o in map(_origin, filter(None, urls)) if o is not None)
        engines = _words(os.environ.get(ENGINES))
        return cls(roots, endpoints, frozenset(engines) if engines else None)

    def check(self, input_path: str, output_path: str | None, options: ConversionOptions) -> None:
        """Raise RefusedByWorkerError unless every path, the endpoint and the engine the task
        asks for are within this worker's limits."""
        if not self.roots:
            raise RefusedByWorkerError(
                f"this worker has no {ROOTS}: set it to the folders its tasks may read and "
                "write (the shared scans folder), then restart it"
            )
        paths: list[tuple[str, object]] = [("input", input_path), ("output", output_path)]
        paths += [(flag, path) for path, flag in options.side_outputs()]
        paths += [("--cache-dir", options.cache), ("replay source", options.settings.source)]
        self._within(p for p in paths if isinstance(p[1], (str, Path)))
        self._endpoint(options.settings.endpoint)
        engine = options.engine
        if self.engines is not None and (not isinstance(engine, str) or engine not in self.engines):
            allowed = ", ".join(sorted(self.engines))
            raise RefusedByWorkerError(
                f"engine {engine or '(default)'} is not one this worker runs ({ENGINES}: {allowed})"
            )

    def _within(self, paths: Iterable[tuple[str, object]]) -> None:
        for what, value in paths:
            if str(value) == "-":
                raise RefusedByWorkerError(f"{what} -: a worker writes files, not its own output")
            resolved = Path(str(value)).resolve()
            if not any(resolved.is_relative_to(root) for root in self.roots):
                raise RefusedByWorkerError(
                    f"{what} {value} is outside the folders this worker may use ({ROOTS})"
                )

    def _endpoint(self, endpoint: str | None) -> None:
        if endpoint is None:
            return  # the worker's own, from its environment
        wanted = _origin(endpoint)
        for scheme, host, port in self.endpoints:
            if wanted is not None and wanted[:2] == (scheme, host) and port in ("*", wanted[2]):
                return
        raise RefusedByWorkerError(
            f"endpoint {endpoint} is not one this worker calls (its own "
            f"AZURE_VISION_ENDPOINT, or {ENDPOINTS}); nothing was sent"
        )
