"""The key never leaves the request header: not in any log line at -v, exception text,
traceback, cache entry, sidecar, JSON, output PDF, cassette or argument list."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ocr_pdf.cli import main
from ocr_pdf.errors import ExitCode
from tests import checks
from tests.conftest import CASSETTES, ROOT
from tests.pagegen import Block, PageSpec, make_pdf
from tests.standin import Fault, StandIn

KEY = "SECRET-KEY-3f9a1c77e2b04d5e9a8b"


@pytest.mark.slow
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


class _Listener:
    """A bare TCP listener on another loopback address that records whatever reaches it."""

    def __init__(self, host: str) -> None:
        self.sock = socket.create_server((host, 0))
        self.sock.settimeout(0.2)
        self.url = f"http://{host}:{self.sock.getsockname()[1]}"
        self.received = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                with contextlib.suppress(OSError):
                    self.received += conn.recv(1 << 20)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


REDIRECTED = ["azure-ocr", "azure-read", "azure-vision", "azure-di"]


@pytest.mark.block_network(allowed_hosts=["127.0.0.1", "127.0.0.2"])
@pytest.mark.parametrize("engine", REDIRECTED)
@pytest.mark.parametrize("status", [302, 307, 308])
def test_a_redirect_to_another_host_gets_neither_key_nor_page(
    engine: str, status: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, truths = make_pdf(
        [PageSpec("p", (Block(30, 30, ("quarterly invoice",)),), width_in=3, height_in=2)]
    )
    src = tmp_path / "in.pdf"
    src.write_bytes(data)
    monkeypatch.setenv("AZURE_VISION_KEY", KEY)
    monkeypatch.delenv("AZURE_DI_KEY", raising=False)
    monkeypatch.delenv("AZURE_DI_ENDPOINT", raising=False)
    elsewhere = _Listener("127.0.0.2")
    try:
        with StandIn(key=KEY, pages=truths) as standin:
            target = f"{elsewhere.url}/vision/v3.2/ocr?stolen=1"
            standin.faults.append(Fault(status, headers={"Location": target}))
            out = tmp_path / "out.pdf"
            code = main([str(src), str(out), "--engine", engine, "--endpoint", standin.endpoint])
    finally:
        elsewhere.close()
    assert code == ExitCode.invalid_config
    assert elsewhere.received == b"", "the redirect was followed to another host"
    assert not out.exists()


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
def test_a_redirect_within_the_endpoint_is_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, truths = make_pdf(
        [PageSpec("p", (Block(30, 30, ("quarterly invoice",)),), width_in=3, height_in=2)]
    )
    src = tmp_path / "in.pdf"
    src.write_bytes(data)
    monkeypatch.setenv("AZURE_VISION_KEY", KEY)
    with StandIn(key=KEY, pages=truths) as standin:
        standin.faults.append(
            Fault(307, headers={"Location": f"{standin.endpoint}/vision/v3.2/ocr"})
        )
        code = main(
            [
                str(src),
                str(tmp_path / "o.pdf"),
                "--engine",
                "azure-ocr",
                "--no-cache",
                "--endpoint",
                standin.endpoint,
            ]
        )
    assert code == 0
    assert "quarterly invoice" in checks.page_text(tmp_path / "o.pdf", 0)


@pytest.mark.parametrize(
    "key", [" canary-XYZ", "canary-XYZ\n", "canary\r\nX-Injected: 1", "canary XYZ", "canäry"]
)
@pytest.mark.parametrize("engine", ["azure-ocr", "azure-read", "azure-vision", "azure-di"])
def test_a_key_with_whitespace_is_refused_and_never_echoed(
    key: str,
    engine: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AZURE_VISION_KEY", key)
    monkeypatch.delenv("AZURE_DI_KEY", raising=False)
    monkeypatch.delenv("AZURE_DI_ENDPOINT", raising=False)
    for verbose in ([], ["-v"]):
        code = main(
            [
                str(ROOT / "samples" / "letter.pdf"),
                str(tmp_path / "o.pdf"),
                "--engine",
                engine,
                "--endpoint",
                "http://127.0.0.1:9",
                *verbose,
            ]
        )
        err = capsys.readouterr().err
        assert code == ExitCode.invalid_config, err
        assert "canary" not in err and "can" + "äry" not in err
        assert "AZURE_VISION_KEY" in err
