"""The import graph of the library, and its cycles: ``python -m tests.import_graph [PACKAGE]``
prints every strongly connected component of more than one module (exit 1 if there is one).

Every import counts, wherever it is written: at the top, inside a function, under
``TYPE_CHECKING``, relative or absolute. So do imports made by name at run time: a string
constant that is a module's full dotted name (``"ocr_pdf.azure.read"``, or
``"ocr_pdf.azure.read:create"`` as an engine registry writes it; ``importlib.import_module``,
Celery's ``include``, a lazy ``__getattr__``'s table), and an f-string that starts with a
package's name
(``f"ocr_pdf.cluster.{name}"``), which counts as an import of every module below it.
Docstrings do not count. A module's import of its own package's ``__init__`` by way of
importing a sibling is Python's doing, not the module's, and is not counted."""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_NAME = re.compile(r"[A-Za-z_]\w*(\.\w+)+(:\w+)?")
"""A dotted module name, perhaps with ``:attribute``: the bare name of the top package is a
logger's, an application's or a resource's name far more often than an import."""


def modules(package: Path) -> dict[str, Path]:
    """Every module of ``package`` (a folder) by its dotted name (a package by its own)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _docstrings(tree: ast.Module) -> set[int]:
    """The ids of the docstring nodes of ``tree`` (module, classes and functions)."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _named(node: ast.AST, package: str, known: dict[str, Path]) -> Iterator[str]:
    """The modules ``node`` imports, if it is an import or names modules."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parts = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join(parts + ([base] if base else []))
        for alias in node.names:
            full = f"{base}.{alias.name}"
            yield full if full in known else base
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        if _NAME.fullmatch(node.value):
            yield node.value.partition(":")[0]
    elif isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            prefix = first.value
            if prefix.endswith(".") and _NAME.fullmatch(prefix + "x"):
                yield from (name for name in known if name.startswith(prefix))


def graph(package: Path) -> dict[str, set[str]]:
    """Each module of ``package`` and the modules of ``package`` it imports."""
    known = modules(package)
    edges: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        own = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(tree):
            if id(node) in docs:
                continue
            for target in _named(node, own, known):
                if target in known and target != name:
                    edges[name].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(edges)))
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(found)


def main(argv: list[str]) -> int:
    package = Path(argv[0]) if argv else ROOT / "ocr_pdf"
    edges = graph(package)
    found = cycles(edges)
    for component in found:
        print(f"{len(component)} modules: {', '.join(component)}")
    print(f"{len(edges)} modules, {sum(map(len, edges.values()))} imports, {len(found)} cycle(s)")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
