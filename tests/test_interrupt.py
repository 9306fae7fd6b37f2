"""A run stopped by SIGTERM or Ctrl-C leaves no output and no temporary file, exits 130, and
keeps every page it paid for in the cache, so the next run resumes. Live on the loopback
stand-in: a signal cannot be taped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests import checks
from tests.conftest import FAKE_KEY, ROOT
from tests.events import HANG, wait_for
from tests.pagegen import Block, PageSpec, make_pdf
from tests.standin import StandIn

pytestmark = pytest.mark.slow  # each test runs a process, a model or a server


def as_from_a_terminal() -> None:
    """In the run's process before it starts: Ctrl-C's signal acts, as it does on a command
    started from a terminal. A test run started in the background by a script ignores SIGINT,
    and so would the run, whose Python then keeps it ignored: the test failed that way."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stopped_run_resumes(sig: int, tmp_path: Path) -> None:
    specs = [
        PageSpec(
            f"p{i}", (Block(30, 30 + 12 * i, (f"page number {i}",)),), width_in=3, height_in=2.5
        )
        for i in range(6)
    ]
    data, truths = make_pdf(specs)
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(data)
    cache = tmp_path / "cache"
    # Three pages answered, the fourth held: the signal comes while the run waits for it.
    with StandIn(key=FAKE_KEY, pages=truths, hold_after=3) as standin:
        env = {
            **os.environ,
            "AZURE_VISION_KEY": FAKE_KEY,
            "OCR_PDF_CACHE_DIR": str(cache),
            "PYTHONPATH": str(ROOT),
        }
        cmd = [
            sys.executable,
            "-m",
            "ocr_pdf",
            str(src),
            str(out),
            "--engine",
            "azure-ocr",
            "--endpoint",
            standin.endpoint,
            "--dpi",
            "100",
            "-j",
            "1",
        ]
        proc = subprocess.Popen(
            cmd, env=env, stderr=subprocess.PIPE, text=True, preexec_fn=as_from_a_terminal
        )
        wait_for(lambda: len(standin.calls) == 4, "the fourth page sent")
        proc.send_signal(sig)
        standin.released.set()  # the run stops; the page it was waiting for is its to keep
        _, err = proc.communicate(timeout=HANG)
        assert proc.returncode == 130, err
        assert "interrupted" in err and "Traceback" not in err
        assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "in.pdf"]
        paid = len(standin.calls)
        saved = len(list(cache.rglob("*.json")))
        assert saved >= 3  # the pages read before the signal are kept
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=HANG)
        assert done.returncode == 0, done.stderr
        assert len(standin.calls) - paid == 6 - saved  # no page paid for twice
    for i, truth in enumerate(truths):
        assert checks.page_text(out, i) == checks.expected_text(truth)
