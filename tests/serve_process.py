"""`ocr-pdf serve` started as a user starts it, in a process of its own, for the tests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from tests.conftest import ROOT


def cheap_engine() -> str:
    """An engine quick to start: tesseract where installed, else the bundled one."""
    return "tesseract" if shutil.which("tesseract") else "local"


def serve_command(*args: str, engine: str | None = None) -> subprocess.Popen[str]:
    """`ocr-pdf serve ARGS --engine ENGINE` (default: a cheap one) in a process of its own,
    its stderr piped, with no key required."""
    name = engine or cheap_engine()
    command = [sys.executable, "-m", "ocr_pdf", "serve", *args, "--engine", name]
    env = {**os.environ, "OCR_PDF_SERVE_KEY": ""}
    return subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)


def served_url(proc: subprocess.Popen[str], engine: str) -> str:
    """The URL a `serve_command` process says it serves at, with ``engine``, on loopback."""
    assert proc.stderr is not None
    said = []
    # Lines before it are allowed: the first start on a machine says it prepares the models.
    for line in proc.stderr:
        said.append(line)
        m = re.search(rf"at (http://127\.0\.0\.1:\d+) with the {engine} engine", line)
        if m:
            return m.group(1)
    raise AssertionError("".join(said))
