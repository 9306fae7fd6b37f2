"""The paperless-ngx pre-consume recipe, run the way paperless runs it: a shell script with the
document's working copy in DOCUMENT_WORKING_PATH (the original elsewhere, untouched), the
consumer's environment, and an exit code paperless acts on."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import checks
from tests.pagegen import Block, PageSpec, make_pdf
from tests.test_local_engines import has_local

HOOK = Path(__file__).parent / "paperless-pre-consume.sh"
SPEC = PageSpec("inbox", (Block(40, 40, ("Electricity bill", "Amount due 84.20")),), 5, 3)


def consume(working: Path, original: Path) -> subprocess.CompletedProcess[str]:
    """Run the hook as paperless's consumer does: its own environment plus the DOCUMENT_*
    variables, the working copy in a scratch folder, no terminal."""
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": os.environ.get("HOME", "/tmp"),
        "OCR_PDF_CACHE_DIR": str(working.parent.parent / "cache"),
        "DOCUMENT_SOURCE_PATH": str(original),
        "DOCUMENT_WORKING_PATH": str(working),
        "TASK_ID": "4f1c",
    }
    return subprocess.run(
        ["/bin/sh", str(HOOK)],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )


def inbox(tmp_path: Path, data: bytes, name: str = "bill.pdf") -> tuple[Path, Path]:
    consume_dir, scratch = tmp_path / "consume", tmp_path / "scratch"
    consume_dir.mkdir()
    scratch.mkdir()
    (consume_dir / name).write_bytes(data)
    (scratch / name).write_bytes(data)
    return consume_dir / name, scratch / name


@has_local
@pytest.mark.slow
def test_the_working_copy_becomes_searchable(tmp_path: Path) -> None:
    data, truths = make_pdf([SPEC])
    original, working = inbox(tmp_path, data)
    done = consume(working, original)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert checks.page_text(working, 0) == checks.expected_text(truths[0])
    assert checks.render(working, 0) == checks.render(original, 0)
    assert hashlib.sha256(original.read_bytes()).digest() == hashlib.sha256(data).digest()
    assert [p.name for p in working.parent.iterdir()] == ["bill.pdf"]  # no temporary left
    # Consumed twice (paperless retries a task): nothing changes the second time.
    before = working.read_bytes()
    assert consume(working, original).returncode == 0
    assert working.read_bytes() == before


@pytest.mark.parametrize(
    "name,data,needle",
    [
        ("scan.png", b"\x89PNG\r\n\x1a\n not ours", ""),
        ("broken.pdf", b"%PDF-1.7\n" + b"\x00" * 300, "exit 2"),
    ],
)
def test_the_hook_never_holds_a_document_up(
    name: str, data: bytes, needle: str, tmp_path: Path
) -> None:
    original, working = inbox(tmp_path, data, name)
    done = consume(working, original)
    assert done.returncode == 0
    assert working.read_bytes() == data
    assert needle in done.stderr
    if needle:
        assert "paperless will OCR it itself" in done.stderr
