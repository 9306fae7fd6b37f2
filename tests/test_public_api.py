"""The public face of the package, pinned: what ``import ocr_pdf`` offers, the entry points other
programs load by name (the ``ocr-pdf`` command, the pytest plugin, the OCRmyPDF plugin, the
Celery application), and a top level that reads: every module at the top is public or marked
internal with a leading ``_``; everything else lives in a package named for its job."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.metadata import entry_points

import ocr_pdf
from tests import import_graph

PUBLIC_NAMES = sorted(
    """
    AuthenticationError BadArgumentsError BadPageData BudgetExhaustedError
    ConfigurationError ConversionOptions ConversionResult CostLimitError
    DigitalSignatureError DryRun EncryptedPdfError Engine EngineConfig ExitCode
    FileAccessError IncompleteAnswerError InputFileError Line MalformedResponseError
    MissingDependencyError Mode OcrEngine OcrEngineError OcrPdfError OperationFailedError
    OperationLostError OutputInvalidError PageLimitError PageResult PageText
    PagesFailedError RateLimitError RefusedByWorkerError RemoteConversionError
    ServiceConfigurationError ServiceError ServiceResponseError ServiceUnavailableError
    SharedStateError Word __version__ available_engines convert get_engine make_searchable
    """.split()
)
"""What ``import ocr_pdf`` offers (``__all__``), in full: a name added or taken away is a
change of the public API, made here on purpose."""

TOP_LEVEL_MODULES = {
    # the face and what it re-exports, each a module a user may also name
    "ocr_pdf",
    "ocr_pdf.errors",
    "ocr_pdf.models",
    "ocr_pdf.options",
    "ocr_pdf.results",
    "ocr_pdf.pipeline",
    # entry points other programs load by name
    "ocr_pdf.__main__",
    "ocr_pdf.testing",
    "ocr_pdf.ocrmypdf_plugin",
    "ocr_pdf.preview",
}
"""Every module directly under ``ocr_pdf/`` not marked internal (``_name``; ``__main__`` is
Python's name, not a mark)."""


def test_public_api_is_pinned() -> None:
    """``ocr_pdf.__all__`` is exactly the list above, and each name is there (moved here from
    test_pipeline.py)."""
    assert sorted(ocr_pdf.__all__) == PUBLIC_NAMES
    for name in PUBLIC_NAMES:
        assert getattr(ocr_pdf, name) is not None, name
    star: dict[str, object] = {}
    exec("from ocr_pdf import *", star)
    assert sorted(set(star) - {"__builtins__"}) == PUBLIC_NAMES


def test_the_version_lives_in_its_own_module() -> None:
    from ocr_pdf._version import __version__

    assert ocr_pdf.__version__ == __version__
    assert __version__.count(".") >= 1


def test_the_entry_points_load() -> None:
    """What pyproject.toml registers, as the installed package declares it, loads."""
    (script,) = [ep for ep in entry_points(group="console_scripts") if ep.name == "ocr-pdf"]
    assert script.value == "ocr_pdf.cli:run"
    assert callable(script.load())
    (plugin,) = [ep for ep in entry_points(group="pytest11") if ep.name == "ocr_pdf"]
    assert plugin.value == "ocr_pdf.testing"
    assert plugin.load().__name__ == "ocr_pdf.testing"
    (ocrmypdf,) = [ep for ep in entry_points(group="ocrmypdf") if ep.name == "ocr_pdf"]
    assert ocrmypdf.value == "ocr_pdf.ocrmypdf_plugin:entry_point"
    hooks = ocrmypdf.load()  # the plugin's hooks, as OCRmyPDF's plugin manager registers them
    assert callable(hooks.add_options) and callable(hooks.get_ocr_engine)


def test_celery_finds_the_application_and_its_tasks() -> None:
    """``celery -A ocr_pdf.cluster worker`` (README) finds the package's ``app``, and with it
    the tasks by the names a sender uses. In a process of its own: the application is made
    once per process, from the environment."""
    env = {**os.environ, "OCR_PDF_REDIS_URL": "redis://127.0.0.1:9/0"}  # nothing connects
    code = (
        "import ocr_pdf.cluster as c; c.app.loader.import_default_modules(); "
        "print(c.app.main, *sorted(t for t in c.app.tasks if t.startswith('ocr_pdf.')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["ocr_pdf", "ocr_pdf.convert_document", "ocr_pdf.read_pages"]


def test_the_top_level_reads() -> None:
    """No flat module is added at the top by accident: a new one belongs in the package of its
    job (``pdf/``, ``image/``, ``reading/``, ``steps/``, ...) or is marked internal (``_``)."""
    top = {
        name
        for name, path in import_graph.modules(import_graph.ROOT / "ocr_pdf").items()
        if (name.count(".") <= 1 and path.name != "__init__.py") or name == "ocr_pdf"
    }
    internal = {name for name in top if re.fullmatch(r"_[^_].*", name.rpartition(".")[2])}
    assert top - internal == TOP_LEVEL_MODULES


def test_no_module_imports_the_face() -> None:
    """Modules of the library import what they need from where it lives, never from
    ``ocr_pdf`` itself, whose ``__init__`` imports the whole pipeline."""
    edges = import_graph.graph(import_graph.ROOT / "ocr_pdf")
    assert [module for module, imported in edges.items() if "ocr_pdf" in imported] == []
