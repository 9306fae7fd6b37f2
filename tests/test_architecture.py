"""The layout docs/architecture.md describes, checked: no import cycle among the library's
modules (imports made by name at run time included), and the checker itself finds the cycles
it claims to."""

from __future__ import annotations

import ast
import re
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


NEW_IN_EXAMPLES = {
    "ocr_pdf/formats/alto.py",
    "tests/test_alto.py",
    "ocr_pdf/shared_state/postgres.py",
    "ocr_pdf/rq/",
    "azure/<api>.py",
}
"""The files docs/architecture.md's "where to add" asks a newcomer to create (an ALTO sidecar
added as it says must not need this test changed)."""


def _names_in(path: Path, name: str) -> bool:
    """Whether the module at ``path`` defines, assigns or imports ``name`` at its top level."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return name in names


def _module_file(dotted: str) -> Path | None:
    """The file of our module ``dotted`` (``ocr_pdf.`` before it or not), if there is one."""
    parts = dotted.split(".")
    base = import_graph.ROOT.joinpath("ocr_pdf", *(parts[1:] if parts[0] == "ocr_pdf" else parts))
    return next((p for p in (base.with_suffix(".py"), base / "__init__.py") if p.exists()), None)


def _has_files(folder: Path) -> bool:
    return folder.is_dir() and any(p.name != "__pycache__" for p in folder.iterdir())


def _doc_problem(code: str) -> str | None:
    """What is wrong with a name in backquotes of the architecture document, if it names a
    file, a folder, ``file.py:name``, a module or ``module.name`` of ours: it must exist."""
    roots = (import_graph.ROOT, import_graph.ROOT / "ocr_pdf")
    if code in NEW_IN_EXAMPLES:  # there or not: a newcomer following the document adds them
        return None
    if m := re.fullmatch(r"([\w/*]+\.(?:py|md|toml))(?::(\w+))?", code):
        found = [p for r in roots for p in r.glob(m.group(1))]
        if not found:
            return f"no file {m.group(1)}"
        if m.group(2) and not _names_in(found[0], m.group(2)):
            return f"{m.group(1)} has no {m.group(2)}"
    elif m := re.fullmatch(r"([\w/]+)/", code):
        # A folder left behind holding only bytecode (a package moved away) is not there.
        if not any(_has_files(r / m.group(1)) for r in roots):
            return f"no folder {code}"
    elif m := re.fullmatch(r"([a-z_]+(?:[./][a-z_]+)*)\.(\w+)(?:\(\))?", code):
        module, name = m.group(1).replace("/", "."), m.group(2)
        source = _module_file(module)
        if _module_file(f"{module}.{name}") is not None or (name == "__all__" and source):
            return None
        if source is None:
            return f"no module {module}"
        if not _names_in(source, name):
            return f"{module} has no {name}"
    return None


def test_every_path_the_architecture_document_names_exists() -> None:
    """The layout, the steps and "where to add" name files, folders and functions that are
    there (but the files a newcomer is asked to create): a module moved or renamed without its
    document fails here."""
    text = (import_graph.ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    problems = [(code, p) for code in re.findall(r"`([^`\n]+)`", text) if (p := _doc_problem(code))]
    assert problems == []


def test_the_document_check_sees_a_stale_name() -> None:
    assert _doc_problem("reading.py") == "no file reading.py"
    assert _doc_problem("qpdf/") == "no folder qpdf/"
    assert _doc_problem("pdf/graft.py:no_such_function") == "pdf/graft.py has no no_such_function"
    assert _doc_problem("pipeline.no_such_step") == "pipeline has no no_such_step"
    assert _doc_problem("steps/assembly.py:to_layer_page") is None
    assert _doc_problem("reading/workers.py") is None
    assert _doc_problem("rescue.reread") == "no module rescue"
    assert _doc_problem("ocr_pdf.engines.Engine") is None


def test_the_ocrmypdf_plugin_goes_through_the_library_steps() -> None:
    """The plugin (and its pages) reads, straightens and assembles through the library's steps;
    it reaches none of the layer writer, the PDF libraries, the geometry, the ink fitting or
    the cache itself (issue 24's target)."""
    edges = import_graph.graph(import_graph.ROOT / "ocr_pdf")
    below = ("ocr_pdf.textlayer", "ocr_pdf.pdf", "ocr_pdf.geometry", "ocr_pdf.inkfit")
    for module in ("ocr_pdf.ocrmypdf_plugin", "ocr_pdf._ocrmypdf_pages"):
        reached = {m for m in edges[module] if m.startswith(below) or m == "ocr_pdf.reading.cache"}
        assert reached == set(), (module, reached)
