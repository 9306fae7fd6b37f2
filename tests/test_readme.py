"""Every code block of the README runs as written, in a fresh folder beside a copy of the
samples, offline, on the bundled engine: Python blocks with Python, shell blocks with bash.

The environment under test is the installed project, so `pip install ...` commands are taken
as done. A block marked ``<!-- file: PATH -->`` must be exactly that file of the repository (our
CI runs it); one marked ``<!-- not run: REASON -->`` says why it cannot run here (an Azure
resource of your own, say), and that is the only way out."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # the blocks run the bundled engine and OCRmyPDF

README = ROOT / "README.md"
_FENCE = re.compile(r"^```(\w*)$")
_MARK = re.compile(r"^<!-- (not run|file): (.+) -->$")
_PIP = re.compile(r"pip install [^&\n]*?(?:&&\s*|$)", re.M)
_ENTRY_POINT = re.compile(r'^\w[\w-]* = "([\w.]+):(\w+)"$', re.M)


@dataclass(frozen=True)
class Block:
    line: int  # where the block starts in the README (1-based)
    language: str
    code: str
    mark: tuple[str, str] | None  # ("not run", reason) or ("file", path)


def blocks() -> list[Block]:
    found: list[Block] = []
    lines = README.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        start = i
        end = lines.index("```", i + 1)
        previous = lines[start - 1] if start else ""
        mark = _MARK.match(previous)
        found.append(
            Block(
                start + 1,
                fence.group(1),
                "\n".join(lines[start + 1 : end]) + "\n",
                (mark.group(1), mark.group(2)) if mark else None,
            )
        )
        i = end + 1
    return found


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh folder with the samples, and an inbox of one scan and one file that is not a
    PDF for the document-management example."""
    folder = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "samples", folder / "samples")
    (folder / "inbox").mkdir()
    shutil.copy(ROOT / "samples" / "letter.pdf", folder / "inbox" / "letter.pdf")
    (folder / "inbox" / "broken.pdf").write_bytes(b"not a PDF at all")
    return folder


def _environment(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "OCR_PDF_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join([str(workdir), str(ROOT)])
    env["OCR_PDF_CACHE_DIR"] = str(workdir / ".cache")
    return env


def _run(block: Block, workdir: Path) -> subprocess.CompletedProcess[str]:
    env = _environment(workdir)
    if block.language == "python":
        first = block.code.splitlines()[0]
        named = re.match(r"# (\w+\.py)$", first)  # a module the README asks you to write
        script = workdir / (named.group(1) if named else f"block{block.line}.py")
        script.write_text(block.code, encoding="utf-8")
        command = [sys.executable, str(script)]
    else:
        command = ["bash", "-euo", "pipefail", "-c", _PIP.sub("", block.code)]
    return subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def test_every_block_runs_as_written(workdir: Path) -> None:
    ran = 0
    for block in blocks():
        if block.mark and block.mark[0] == "not run":
            assert len(block.mark[1]) > 10, f"README line {block.line}: say why it cannot run"
            continue
        if block.mark and block.mark[0] == "file":
            shown = (ROOT / block.mark[1]).read_text(encoding="utf-8")
            assert block.code == shown, f"README line {block.line} differs from {block.mark[1]}"
            continue
        if block.language == "text":  # a synopsis, not a command
            continue
        if block.language == "toml":  # the entry point names the module a block above wrote
            assert '[project.entry-points."ocr_pdf.engines"]' in block.code
            module, factory = _ENTRY_POINT.findall(block.code)[0]
            written = (workdir / f"{module}.py").read_text(encoding="utf-8")
            assert f"def {factory}(" in written, f"README line {block.line}"
            continue
        done = _run(block, workdir)
        assert done.returncode == 0, f"README line {block.line}:\n{done.stdout}\n{done.stderr}"
        ran += 1
    assert ran >= 7
    # What the blocks left behind is what they promise.
    assert (workdir / "letter-searchable.pdf").exists()
    assert (workdir / "archive" / "letter.pdf").exists()
    assert (workdir / "rejected" / "broken.pdf").exists()
    assert (workdir / "preview.png").exists()
