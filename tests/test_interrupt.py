"""A run stopped by SIGTERM or Ctrl-C leaves no output and no temporary file, exits 130, and
keeps every page it paid for in the cache, so the next run resumes. Live on the loopback
stand-in: a signal cannot be taped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import checks
from tests.conftest import FAKE_KEY, ROOT
from tests.pagegen import Block, PageSpec, make_pdf
from tests.standin import StandIn

pytestmark = pytest.mark.slow  # each test runs a process, a model or a server


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
    with StandIn(key=FAKE_KEY, pages=truths, latency=0.5) as standin:
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
        proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while len(standin.calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "interrupted" in err and "Traceback" not in err
        assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "in.pdf"]
        paid = len(standin.calls)
        saved = len(list(cache.rglob("*.json")))
        assert saved >= 2  # the pages read before the signal are kept
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert len(standin.calls) - paid == 6 - saved  # no page paid for twice
    for i, truth in enumerate(truths):
        assert checks.page_text(out, i) == checks.expected_text(truth)
