"""The engine registry: engine names to ready engines (built-in and entry-point plug-ins), and
the one policy that says which engine runs when none is named (:func:`engine_for`)."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from importlib.metadata import entry_points

from ocr_pdf.engines.base import Engine, EngineConfig, OcrEngine, PlainEngine, Recognizer
from ocr_pdf.errors import BadArgumentsError, ConfigurationError, MissingDependencyError
from ocr_pdf.reading.resolution import choose_dpi

__all__ = [
    "ENTRY_POINT_GROUP",
    "Engine",
    "EngineConfig",
    "OcrEngine",
    "PlainEngine",
    "Recognizer",
    "as_engine",
    "available_engines",
    "choose_dpi",
    "default_engine_name",
    "engine_for",
    "get_engine",
    "local_engine_installed",
    "render_dpi",
]

ENTRY_POINT_GROUP = "ocr_pdf.engines"
"""Third-party engines register a factory ``(EngineConfig) -> Engine`` under this group."""

DEFAULT_POLICY = "azure when AZURE_VISION_ENDPOINT is set, else local when installed"
"""What :func:`default_engine_name` chooses, as the command line's help says it."""

OFFLINE = ("local", "tesseract")
"""The built-in engines that need neither a service nor saved results (what ``serve`` runs)."""


def render_dpi(engine: Engine, native: float | None) -> float:
    """The resolution to render a page at for ``engine``: see :func:`choose_dpi`."""
    return choose_dpi(engine.render_dpi, native)


EngineFactory = Callable[[EngineConfig], Engine | Recognizer]

# Built-in engines, imported only when chosen so that `import ocr_pdf` stays light.
_BUILTIN: dict[str, str] = {
    "azure": "ocr_pdf.azure.auto:create",
    "azure-ocr": "ocr_pdf.azure.legacy_ocr:create",
    "azure-read": "ocr_pdf.azure.read:create",
    "azure-vision": "ocr_pdf.azure.image_analysis:create",
    "azure-di": "ocr_pdf.azure.document_intelligence:create",
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
    """Whether the offline engine's extra (``local``) is installed."""
    return importlib.util.find_spec("rapidocr") is not None


def default_engine_name(config: EngineConfig, offline: bool = False) -> str:
    """The engine used when none is named (DEFAULT_POLICY): Azure when an endpoint is
    configured (`azure`: Image Analysis 4.0, falling back to legacy OCR v3.2), else the bundled
    offline engine when its extra is installed. ``offline``: never a service, and Tesseract
    when the bundled engine is not installed."""
    if config.endpoint and not offline:
        return "azure"
    if local_engine_installed():
        return "local"
    if offline:
        return "tesseract"
    raise MissingDependencyError(
        "no OCR engine available: install the offline engine with pip install '.[local]' "
        "(from a checkout; 'ocr-pdf[local]' from an index), or set AZURE_VISION_ENDPOINT and "
        "AZURE_VISION_KEY to use Azure (--engine tesseract uses an installed Tesseract)"
    )


def as_engine(engine: Engine | Recognizer, config: EngineConfig | None = None) -> Engine:
    """``engine`` ready for the pipeline: an :class:`Engine` as it is, a bare
    :class:`Recognizer` through :class:`PlainEngine`, and an ``upright_only`` engine wrapped
    so that sideways and upside-down pages are found and read the right way up."""
    if not isinstance(engine, Engine):
        if not isinstance(engine, Recognizer):
            raise ConfigurationError(
                f"{type(engine).__name__} is not an OCR engine: it needs a name and "
                "recognize(image) (see Adding an engine in the README)"
            )
        engine = PlainEngine(engine, config)
    if engine.upright_only:
        from ocr_pdf.engines.orientation import OrientationCorrected

        return OrientationCorrected(engine)
    return engine


def engine_for(
    name: str | None = None, config: EngineConfig | None = None, *, offline: bool = False
) -> Engine:
    """The engine called ``name`` built with ``config`` (None: the settings of the
    environment), ready for the pipeline: the one way every caller (a conversion, preview,
    serve, a cluster worker, the OCRmyPDF plugin) makes an engine from a name. ``name`` None
    is the default (:func:`default_engine_name`); ``offline`` refuses an engine that calls a
    service or replays saved results (BadArgumentsError), as ``serve`` must."""
    config = config or EngineConfig.from_environment()
    chosen = name or default_engine_name(config, offline)
    if offline and (chosen.startswith("azure") or chosen == "replay"):
        raise BadArgumentsError(
            f"--engine {chosen} calls a service or replays saved results; use an offline "
            f"engine ({', '.join(OFFLINE)})"
        )
    return as_engine(_load_factory(chosen)(config), config)


def get_engine(name: str | None = None, config: EngineConfig | None = None) -> Engine:
    """Build the engine called ``name`` (None = the default) with ``config``: see
    :func:`engine_for`."""
    return engine_for(name, config)
