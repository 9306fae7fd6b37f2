"""The key never leaves the request header: not in any log line at -v, exception text,
traceback, cache entry, sidecar, JSON, output PDF, cassette or argument list."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CASSETTES, ROOT
from tests.pagegen import Block, PageSpec, make_pdf
from tests.standin import StandIn

KEY = "SECRET-KEY-3f9a1c77e2b04d5e9a8b"


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
def test_the_key_is_written_nowhere(tmp_path: Path) -> None:
    data, truths = make_pdf(
        [PageSpec("p", (Block(30, 30, ("quarterly invoice",)),), width_in=3, height_in=2)]
    )
    src = tmp_path / "in.pdf"
    src.write_bytes(data)
    env = {
        **os.environ,
        "AZURE_VISION_KEY": KEY,
        "OCR_PDF_CACHE_DIR": str(tmp_path / "cache"),
        "PYTHONPATH": str(ROOT),
    }
    logs = []
    with StandIn(key=KEY, pages=truths) as standin:
        for engine, key in (("azure-ocr", KEY), ("azure-read", KEY), ("azure-vision", "x" + KEY)):
            cmd = [
                sys.executable,
                "-m",
                "ocr_pdf",
                str(src),
                str(tmp_path / f"{engine}.pdf"),
                "--engine",
                engine,
                "--endpoint",
                standin.endpoint,
                "-v",
                "--sidecar",
                str(tmp_path / f"{engine}.txt"),
                "--ocr-json",
                str(tmp_path / f"{engine}.json"),
            ]
            assert all(KEY not in arg for arg in cmd)  # there is no key option at all
            run_env = {**env, "AZURE_VISION_KEY": key}
            if engine == "azure-read":  # the key from a file instead (a container secret)
                secret = tmp_path / "secrets" / "vision-key"
                secret.parent.mkdir(exist_ok=True)
                secret.write_text(key + "\n")
                del run_env["AZURE_VISION_KEY"]
                run_env["AZURE_VISION_KEY_FILE"] = str(secret)
            done = subprocess.run(
                cmd,
                env=run_env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            logs.append(done.stdout + done.stderr)
    assert "access denied" in logs[-1] and "Traceback" in logs[-1]  # -v: a traceback, no key
    for log in logs:
        assert KEY not in log
    written = [p for p in tmp_path.rglob("*") if p.is_file() and "secrets" not in p.parts]
    assert (tmp_path / "azure-read.pdf").exists()  # the key file worked
    assert any(p.suffix == ".json" and "cache" in p.parts for p in written)
    for path in written:
        assert KEY.encode() not in path.read_bytes(), path
    for cassette in CASSETTES.rglob("*.yaml"):
        assert "fake-key" not in cassette.read_text()
