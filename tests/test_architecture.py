"""The layout docs/architecture.md describes, checked: no import cycle among the library's
modules (imports made by name at run time included), and the checker itself finds the cycles
it claims to."""

from __future__ import annotations

from pathlib import Path

from tests import import_graph


def test_no_import_cycle_in_the_library() -> None:
    edges = import_graph.graph(import_graph.ROOT / "ocr_pdf")
    assert len(edges) > 50  # the whole package was read
    assert import_graph.cycles(edges) == []


def test_the_checker_sees_imports_made_by_name(tmp_path: Path) -> None:
    """A cycle closed by an import at run time (``importlib``, a registry's string, an
    f-string naming a package, a ``TYPE_CHECKING`` import) is a cycle all the same."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "low.py": "import importlib\n\ndef up():\n    return importlib.import_module('pkg.high')\n",
        "high.py": "from pkg import low\n",
        "registry.py": "TABLE = {'x': 'pkg.sub.plugin:create'}\n",
        "sub/__init__.py": "",
        "sub/plugin.py": "import typing\nif typing.TYPE_CHECKING:\n    from .. import registry\n",
        "any.py": "def load(name):\n    return __import__(f'pkg.sub.{name}')\n",
        "docs.py": '"""pkg.high is mentioned, not imported."""\n',
        "quiet.py": "from pkg import docs\n",
    }
    for name, text in files.items():
        (package / name).write_text(text)
    edges = import_graph.graph(package)
    assert "pkg.sub.plugin" in edges["pkg.any"]
    assert edges["pkg.docs"] == set()
    assert import_graph.cycles(edges) == [
        ["pkg.high", "pkg.low"],
        ["pkg.registry", "pkg.sub.plugin"],
    ]


def test_exit_codes_are_listed_once() -> None:
    """The exit-code table is errors.EXIT_CODES: the CLI's help is made from it, the README's
    table says the same, and every code the library gives is in it."""
    from ocr_pdf.cli.arguments import build_parser
    from ocr_pdf.errors import EXIT_CODES, ExitCode

    listed = [code for code, _, _ in EXIT_CODES]
    assert set(ExitCode) - set(listed) == {ExitCode.already_done_ocr}  # OCRmyPDF's, not ours
    readme = (import_graph.ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Exit codes\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    table = [tuple(cell.strip() for cell in row.strip("|").split(" | ", 1)) for row in rows[1:]]
    assert table == [(str(int(code)), long) for code, _, long in EXIT_CODES]
    help_text = " ".join(build_parser().format_help().split())
    for code, short, _ in EXIT_CODES:
        assert f"{int(code)} {short}" in help_text


def test_layers_the_architecture_document_states() -> None:
    """Shared state imports only the bottom of the library; nothing imports the command line
    (but ``python -m ocr_pdf``); only the command line reaches the Celery application."""
    edges = import_graph.graph(import_graph.ROOT / "ocr_pdf")
    bottom = {"ocr_pdf.errors", "ocr_pdf.models", "ocr_pdf._files", "ocr_pdf.formats.pagejson"}
    for module, imported in edges.items():
        if module.startswith("ocr_pdf.shared_state"):
            outside = {m for m in imported if not m.startswith("ocr_pdf.shared_state")}
            assert outside <= bottom, (module, outside - bottom)
        if not module.startswith(("ocr_pdf.cli", "ocr_pdf.__main__")):
            assert not any(m.startswith("ocr_pdf.cli") for m in imported), module
        if not module.startswith(("ocr_pdf.cli", "ocr_pdf.__main__", "ocr_pdf.cluster")):
            assert not any(m.startswith("ocr_pdf.cluster") for m in imported), module
