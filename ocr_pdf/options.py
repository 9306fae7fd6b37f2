"""What a conversion is asked to do: one frozen options object, checked once when it is made,
built by the CLI, by ``make_searchable(**kwargs)``, by the OCRmyPDF plugin and by ``preview``.
Data only (names, numbers, paths): what lives, a ready engine or a budget shared by several
runs, is given beside it (:func:`ocr_pdf.pipeline.convert`). Stdlib and our own types only."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields
from enum import Enum
from pathlib import Path
from typing import Any

from ocr_pdf._page_selection import check_page_spec
from ocr_pdf.azure.ratelimit import parse_rate
from ocr_pdf.engines.base import EngineConfig
from ocr_pdf.errors import BadArgumentsError
from ocr_pdf.reading.resolution import DPI_RANGE, check_dpi

__all__ = [
    "DPI_RANGE",
    "ENGINE_SETTINGS",
    "FROM_READINGS",
    "SIDE_OUTPUTS",
    "ConversionOptions",
    "Mode",
    "PathLike",
]

PathLike = str | os.PathLike[str]


class Mode(str, Enum):
    """What to do with pages that already have text.

    ``skip`` leaves them alone (so a second run changes nothing and calls nothing), ``force``
    reads every page and adds a layer on top, ``redo`` removes an earlier invisible text
    layer (ours or another tool's) and reads the page again."""

    SKIP = "skip"
    FORCE = "force"
    REDO = "redo"


SIDE_OUTPUTS = {"sidecar": "--sidecar", "ocr_json": "--ocr-json"}
"""The options that name a file written beside the PDF, and their flags: each is made a Path,
checked before the first call, written with the PDF or not at all, refused with several
inputs, and kept within a cluster worker's folders."""

FROM_READINGS = frozenset({"ocr_json"})
"""The side outputs written from the readings themselves (the assembly keeps them for these)."""

ENGINE_SETTINGS = frozenset(f.name for f in fields(EngineConfig)) - {"key"}
"""The keyword arguments of make_searchable that go into ``settings`` (never the key, which
only comes from the environment)."""


@dataclass(frozen=True)
class ConversionOptions:
    """Every setting of a conversion. Units: ``dpi`` pixels per inch, ``timeout`` seconds per
    service call, ``rate`` calls per unit (``"10/s"``, ``"20/min"``).

    Engine: ``engine`` is a name (None: the default, see :func:`ocr_pdf.engines.engine_for`;
    a ready engine object is given beside the options); ``settings`` (language, endpoint, API
    and model version, reading order, rate, timeout, and the --ocr-json file the replay engine
    reads as ``source``) override the environment for the engines that use them; the key only
    ever comes from the environment.
    ``jobs`` pages are read at once (None: the engine's default).

    Pages: ``pages`` selects them (``"1-3,7"``, ``"5-"``; None: all), ``mode`` says what to do
    with those that have text, ``dpi`` is the rendering resolution (None: the engine's
    choice), ``rotate_pages`` turns sideways pages upright through /Rotate.

    Outputs: ``cache`` (True: the default folder, a folder, or False), ``sidecar`` (the text),
    ``ocr_json`` (our results as JSON), ``in_place`` (replace the input atomically),
    ``invalidate_signatures`` (accept breaking a digital signature).

    Image inputs (JPEG, PNG, TIFF, ...) are made PDFs at their own resolution, or at
    ``image_dpi`` when they do not say theirs.

    Cost guard: ``max_pages`` refuses, before any call, a document with more pages to OCR;
    ``budget`` is at most that many billable calls for this conversion (a budget shared by
    the files of a CLI run or by a cluster, a :class:`ocr_pdf.shared_state.Budget`, is given
    beside the options);
    ``dry_run`` calls nothing and writes nothing, and reports what the run would do."""

    engine: str | None = None
    settings: EngineConfig = field(default_factory=EngineConfig)
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
    image_dpi: float | None = None
    max_pages: int | None = None
    budget: int | None = None
    dry_run: bool = False

    def __post_init__(self) -> None:
        for name in SIDE_OUTPUTS:
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
        self._check_types()
        check_dpi(self.dpi, "--dpi")
        check_dpi(self.image_dpi, "--image-dpi")
        if self.jobs is not None and self.jobs < 1:
            raise BadArgumentsError(f"--jobs {self.jobs} must be at least 1")
        timeout = self.settings.timeout
        if not (isinstance(timeout, (int, float)) and math.isfinite(timeout)):
            raise BadArgumentsError(f"--timeout {timeout!r} is not a number of seconds")
        if timeout <= 0:
            raise BadArgumentsError(f"--timeout {timeout:g} must be more than 0 seconds")
        if self.settings.rate is not None:
            parse_rate(self.settings.rate)
        if self.pages is not None:
            check_page_spec(self.pages)
        if self.max_pages is not None and self.max_pages < 0:
            raise BadArgumentsError(f"--max-pages {self.max_pages} must be 0 or more pages")
        if self.budget is not None and self.budget < 0:
            raise BadArgumentsError(f"--budget {self.budget} must be 0 or more calls")

    def _check_types(self) -> None:
        """Numbers given from Python or a task message as strings, fractions or NaN are
        mistakes, named as such, never a traceback further on."""
        if self.engine is not None and not isinstance(self.engine, str):
            raise BadArgumentsError(
                f"engine={type(self.engine).__name__}(...): the options name an engine; give "
                "a ready engine object beside them (make_searchable(engine=...), or "
                "convert(..., engine=...)); a cluster worker makes its own engine from a name"
            )
        for name in ("jobs", "max_pages", "budget"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise BadArgumentsError(f"{name}={value!r}: give a whole number")
        for name in ("dpi", "image_dpi"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
            ):
                raise BadArgumentsError(f"{name}={value!r}: give a number of dots per inch")

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> ConversionOptions:
        """The options ``make_searchable``'s keyword arguments ask for: engine settings
        (``language``, ``endpoint``, ``timeout``, ...) given flat; an unknown argument is a
        BadArgumentsError naming it."""
        settings = {k: kwargs.pop(k) for k in list(kwargs) if k in ENGINE_SETTINGS}
        if "source" in settings and settings["source"] is not None:
            settings["source"] = str(settings["source"])
        unknown = sorted(set(kwargs) - ({f.name for f in fields(cls)} - {"settings"}))
        if unknown:
            raise BadArgumentsError(f"unknown option(s): {', '.join(unknown)}")
        return cls(settings=EngineConfig(**settings), **kwargs)

    def side_outputs(self) -> list[tuple[Path | None, str]]:
        """Each side output's path (None: not asked for) and flag (see SIDE_OUTPUTS)."""
        return [(getattr(self, name), flag) for name, flag in SIDE_OUTPUTS.items()]

    @property
    def keeps_readings(self) -> bool:
        """Whether a side output asked for is written from the readings (FROM_READINGS)."""
        return any(getattr(self, name) is not None for name in FROM_READINGS)

    def engine_config(self) -> EngineConfig:
        """The settings the engine is built from: ``settings``, with the endpoint and the key
        from the environment where not given."""
        given = {f.name: getattr(self.settings, f.name) for f in fields(EngineConfig)}
        return EngineConfig.from_environment(**given)
