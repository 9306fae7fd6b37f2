"""The architecture's figures for one or more checkouts, side by side: import cycles (imports
made by name at run time included, as tests/import_graph.py counts them), the longest module,
the most complex function (radon's cyclomatic complexity, if radon is installed: it is not a
dependency of ours) and the modules above the 350-line bound.

    python -m benchmarks.architecture_figures                   # this checkout
    python -m benchmarks.architecture_figures --rev 23c3892     # beside an earlier commit

An earlier commit is read from git into a temporary folder; nothing is installed or run."""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

from tests import import_graph

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 350


def _largest_complexity(package: Path) -> str:
    if importlib.util.find_spec("radon") is None:
        return "(pip install radon)"
    from radon.complexity import cc_visit  # type: ignore[import-untyped,import-not-found,unused-ignore]

    best = (0, "")
    for path in package.rglob("*.py"):
        for block in cc_visit(path.read_text(encoding="utf-8")):
            name = f"{path.relative_to(package.parent)}:{block.name}"
            best = max(best, (block.complexity, name))
    return f"{best[0]} ({best[1]})"


def figures(package: Path) -> dict[str, str]:
    """The figures of the package folder ``package``."""
    edges = import_graph.graph(package)
    cycles = import_graph.cycles(edges)
    lines = {p: len(p.read_text(encoding="utf-8").splitlines()) for p in package.rglob("*.py")}
    longest = max(lines, key=lambda p: lines[p])
    return {
        "modules": str(len(edges)),
        "import cycles": str(len(cycles)),
        "modules in cycles": str(sum(len(c) for c in cycles)),
        "longest module": f"{lines[longest]} ({longest.relative_to(package.parent)})",
        f"modules over {MAX_LINES} lines": str(sum(n > MAX_LINES for n in lines.values())),
        "largest complexity": _largest_complexity(package),
    }


def _checkout(rev: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "ocr_pdf"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "ocr_pdf"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", action="append", default=[], help="an earlier commit to compare")
    args = parser.parse_args(argv)
    columns: list[tuple[str, dict[str, str]]] = []
    with tempfile.TemporaryDirectory() as scratch:
        for rev in args.rev:
            folder = Path(scratch, rev)
            folder.mkdir()
            columns.append((rev, figures(_checkout(rev, folder))))
        columns.append(("this checkout", figures(ROOT / "ocr_pdf")))
    rows = list(columns[-1][1])
    width = max(map(len, rows))
    print(f"{'':{width}}  " + "  ".join(f"{name:40}" for name, _ in columns))
    for row in rows:
        print(f"{row:{width}}  " + "  ".join(f"{found[row]:40}" for _, found in columns))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
