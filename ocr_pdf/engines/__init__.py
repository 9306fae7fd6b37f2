"""The OCR engine interface and the registry that turns an engine name into an engine."""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Protocol, runtime_checkable

from PIL import Image

from ocr_pdf.errors import ConfigurationError, MissingDependencyError
from ocr_pdf.models import PageText

ENTRY_POINT_GROUP = "ocr_pdf.engines"
"""Third-party engines register a factory ``(EngineConfig) -> OcrEngine`` under this group."""


@runtime_checkable
class OcrEngine(Protocol):
    """Anything that reads the words on an image.

    ``recognize`` gets a page image (Pillow, any size) and returns its words with quads in that
    image's pixels (origin top-left, y down). Engines know nothing about PDFs."""

    name: str

    def recognize(self, image: Image.Image) -> PageText: ...


NATIVE_DPI_RANGE = (150.0, 400.0)
"""Bounds on "the scan's own resolution": below, small print gets too few pixels; above, time
grows with no gain in accuracy."""


def render_dpi(engine: OcrEngine, native: float | None) -> float:
    """The resolution to render a page at for ``engine``: its ``render_dpi`` attribute when it
    has one (Azure: 300), else the page's own image resolution within NATIVE_DPI_RANGE (300
    for a page without images)."""
    preferred = getattr(engine, "render_dpi", None)
    if isinstance(preferred, (int, float)) and preferred > 0:
        return float(preferred)
    low, high = NATIVE_DPI_RANGE
    return min(max(native or 300.0, low), high)


def default_jobs(engine: OcrEngine) -> int:
    """How many pages an engine should read at once: its ``default_jobs`` attribute if it has
    one (network engines wait, CPU engines compete for cores), else 1."""
    jobs = getattr(engine, "default_jobs", 1)
    return jobs if isinstance(jobs, int) and jobs > 0 else 1


@dataclass(frozen=True)
class EngineConfig:
    """Settings an engine may use; each engine reads the ones it understands.

    ``language`` is the user's ``-l`` value (None = the engine's default). ``timeout`` is in
    seconds per HTTP call. ``key`` is kept out of repr so that it never lands in a log."""

    language: str | None = None
    endpoint: str | None = None
    api_version: str | None = None
    model_version: str | None = None
    reading_order: str | None = None
    rate: str | None = None
    source: str | None = None  # a file of saved results (the replay engine's --ocr-json)
    timeout: float = 60.0
    key: str | None = field(default=None, repr=False)

    @classmethod
    def from_environment(cls, **overrides: object) -> EngineConfig:
        """Fill endpoint and key from AZURE_VISION_ENDPOINT / AZURE_VISION_KEY when not given;
        AZURE_VISION_KEY_FILE names a file holding the key instead (a container secret, say)."""
        values: dict[str, object] = {k: v for k, v in overrides.items() if v is not None}
        values.setdefault("endpoint", os.environ.get("AZURE_VISION_ENDPOINT") or None)
        values.setdefault("key", os.environ.get("AZURE_VISION_KEY") or _key_from_file())
        return cls(**values)  # type: ignore[arg-type]


def _key_from_file() -> str | None:
    path = os.environ.get("AZURE_VISION_KEY_FILE")
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip() or None
    except OSError as exc:
        raise ConfigurationError(
            f"AZURE_VISION_KEY_FILE {path}: cannot read it ({exc.strerror})"
        ) from None


EngineFactory = Callable[[EngineConfig], OcrEngine]

# Built-in engines, imported only when chosen so that `import ocr_pdf` stays light.
_BUILTIN: dict[str, str] = {
    "azure": "ocr_pdf.engines.azure_auto:create",
    "azure-ocr": "ocr_pdf.engines.azure_ocr:create",
    "azure-read": "ocr_pdf.engines.azure_read:create",
    "azure-vision": "ocr_pdf.engines.azure_vision:create",
    "azure-di": "ocr_pdf.engines.azure_di:create",
    "replay": "ocr_pdf.engines.replay:create",
    "local": "ocr_pdf.engines.local:create",
    "tesseract": "ocr_pdf.engines.tesseract:create",
}


def available_engines() -> list[str]:
    """Names of every engine that can be asked for (built-in and installed plug-ins)."""
    names = set(_BUILTIN)
    names.update(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
    return sorted(names)


def _load_factory(name: str) -> EngineFactory:
    if name in _BUILTIN:
        module, _, attr = _BUILTIN[name].partition(":")
        factory: EngineFactory = getattr(importlib.import_module(module), attr)
        return factory
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            loaded: EngineFactory = ep.load()
            return loaded
    raise ConfigurationError(
        f"unknown OCR engine {name!r}; choose one of: {', '.join(available_engines())}"
    )


def local_engine_installed() -> bool:
    """Whether the offline engine's extra (``ocr-pdf[local]``) is installed."""
    return importlib.util.find_spec("rapidocr") is not None


def default_engine_name(config: EngineConfig) -> str:
    """The engine used when none is named: Azure when an endpoint is configured (`azure`:
    Image Analysis 4.0, falling back to legacy OCR v3.2), else the bundled offline engine when
    its extra is installed."""
    if config.endpoint:
        return "azure"
    if local_engine_installed():
        return "local"
    raise MissingDependencyError(
        "no OCR engine available: install the offline engine with pip install 'ocr-pdf[local]', "
        "or set AZURE_VISION_ENDPOINT and AZURE_VISION_KEY to use Azure "
        "(--engine tesseract uses an installed Tesseract)"
    )


def get_engine(name: str | None = None, config: EngineConfig | None = None) -> OcrEngine:
    """Build the engine called ``name`` (None = the default) with ``config``."""
    config = config or EngineConfig.from_environment()
    return _load_factory(name or default_engine_name(config))(config)
