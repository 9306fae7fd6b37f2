"""What a conversion is asked to do: one frozen options object, checked once when it is made,
built by the CLI, by ``make_searchable(**kwargs)``, by the OCRmyPDF plugin and by ``preview``
(stdlib and our own types only)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields
from enum import Enum
from pathlib import Path
from typing import Any

from ocr_pdf.azure.ratelimit import parse_rate
from ocr_pdf.engines.base import Engine, EngineConfig, Recognizer
from ocr_pdf.errors import BadArgumentsError
from ocr_pdf.pages import check_page_spec

PathLike = str | os.PathLike[str]

DPI_RANGE = (30.0, 1200.0)


class Mode(str, Enum):
    """What to do with pages that already have text.

    ``skip`` leaves them alone (so a second run changes nothing and calls nothing), ``force``
    reads every page and adds a layer on top, ``redo`` removes an earlier invisible text
    layer (ours or another tool's) and reads the page again."""

    SKIP = "skip"
    FORCE = "force"
    REDO = "redo"


@dataclass(frozen=True)
class ConversionOptions:
    """Every setting of a conversion. Units: ``dpi`` pixels per inch, ``timeout`` seconds per
    service call, ``rate`` calls per unit (``"10/s"``, ``"20/min"``).

    Engine: ``engine`` is a name (None: the default, see :func:`ocr_pdf.engines.get_engine`)
    or a ready engine; ``language``, ``endpoint``, ``api_version``, ``model_version``,
    ``reading_order``, ``rate`` and ``timeout`` override the environment for Azure engines
    (the key only ever comes from the environment); ``source`` is the --ocr-json file the
    replay engine reads; ``jobs`` pages are read at once (None: the engine's default).

    Pages: ``pages`` selects them (``"1-3,7"``, ``"5-"``; None: all), ``mode`` says what to do
    with those that have text, ``dpi`` is the rendering resolution (None: the engine's
    choice), ``rotate_pages`` turns sideways pages upright through /Rotate.

    Outputs: ``cache`` (True: the default folder, a folder, or False), ``sidecar`` (the text),
    ``ocr_json`` (our results as JSON), ``in_place`` (replace the input atomically),
    ``invalidate_signatures`` (accept breaking a digital signature)."""

    engine: str | Engine | Recognizer | None = None
    language: str | None = None
    endpoint: str | None = None
    api_version: str | None = None
    model_version: str | None = None
    reading_order: str | None = None
    rate: str | None = None
    timeout: float = 60.0
    source: Path | None = None
    jobs: int | None = None
    pages: str | None = None
    mode: Mode = Mode.SKIP
    dpi: float | None = None
    rotate_pages: bool = False
    cache: bool | Path = True
    sidecar: Path | None = None
    ocr_json: Path | None = None
    in_place: bool = False
    invalidate_signatures: bool = False

    def __post_init__(self) -> None:
        for name in ("source", "sidecar", "ocr_json"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value))
        if not isinstance(self.cache, bool):
            object.__setattr__(self, "cache", Path(self.cache))
        try:
            object.__setattr__(self, "mode", Mode(self.mode))
        except ValueError:
            modes = ", ".join(m.value for m in Mode)
            raise BadArgumentsError(f"mode {self.mode!r}: use one of {modes}") from None
        self._check()

    def _check(self) -> None:
        low, high = DPI_RANGE
        if self.dpi is not None and not (low <= self.dpi <= high):
            raise BadArgumentsError(f"--dpi {self.dpi:g} is out of range ({low:g} to {high:g})")
        if self.jobs is not None and self.jobs < 1:
            raise BadArgumentsError(f"--jobs {self.jobs} must be at least 1")
        if not (isinstance(self.timeout, (int, float)) and math.isfinite(self.timeout)):
            raise BadArgumentsError(f"--timeout {self.timeout!r} is not a number of seconds")
        if self.timeout <= 0:
            raise BadArgumentsError(f"--timeout {self.timeout:g} must be more than 0 seconds")
        if self.rate is not None:
            parse_rate(self.rate)
        if self.pages is not None:
            check_page_spec(self.pages)

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> ConversionOptions:
        """The options ``make_searchable``'s keyword arguments ask for; an unknown one is a
        BadArgumentsError naming it."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise BadArgumentsError(f"unknown option(s): {', '.join(unknown)}")
        return cls(**kwargs)

    def engine_config(self) -> EngineConfig:
        """The settings the engine is built from (endpoint and key from the environment when
        not given)."""
        return EngineConfig.from_environment(
            language=self.language,
            endpoint=self.endpoint,
            api_version=self.api_version,
            model_version=self.model_version,
            reading_order=self.reading_order,
            rate=self.rate,
            source=str(self.source) if self.source is not None else None,
            timeout=float(self.timeout),
        )
