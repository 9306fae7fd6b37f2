"""The local engine's derived models in the user cache: a damaged copy (truncated, garbled,
its digest lost) is found, said, and built again, never a failed run; the first run says what
it prepares and about how long it takes; and nothing but our own files lands in the user's
cache folders (onnxruntime's telemetry writes a device id and a database there unless told
not to)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ocr_pdf.cli import main
from tests import checks
from tests.conftest import ROOT

has_local = pytest.mark.skipif(
    not __import__("importlib").util.find_spec("rapidocr"), reason="ocr-pdf[local] not installed"
)
LETTER = ROOT / "samples" / "letter.pdf"


def _published(folder: Path, payload: bytes) -> Path:
    """A model file written as the engine writes one (the bytes, then their digest beside)."""
    from ocr_pdf.engines import int8

    target = folder / "model.onnx"
    target.write_bytes(payload)
    int8._digest_file(target).write_text(int8.file_digest(target) + "\n")
    return target


def test_a_whole_model_is_ready(tmp_path: Path) -> None:
    from ocr_pdf.engines import int8

    assert int8.ready(_published(tmp_path, b"model bytes" * 100))
    assert not int8.ready(tmp_path / "never-built.onnx")


@pytest.mark.parametrize("damage", ["truncated", "garbled", "digest lost", "empty"])
def test_a_damaged_model_is_said_and_removed(
    damage: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from ocr_pdf.engines import int8

    target = _published(tmp_path, bytes(range(256)) * 40)
    if damage == "truncated":
        target.write_bytes(target.read_bytes()[:1000])
    elif damage == "garbled":
        data = bytearray(target.read_bytes())
        data[5000] ^= 0xFF
        target.write_bytes(bytes(data))
    elif damage == "digest lost":
        int8._digest_file(target).unlink()
    else:
        target.write_bytes(b"")
    with caplog.at_level(logging.WARNING):
        assert not int8.ready(target)
    assert "damaged" in caplog.text and str(target) in caplog.text
    assert not target.exists() and not int8._digest_file(target).exists()


@has_local
@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncated", "garbled"])
def test_a_run_on_a_damaged_cached_model_rebuilds_it_and_succeeds(
    damage: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Exit 15 on every run before: the damaged model was loaded as it was."""
    from ocr_pdf.engines import int8

    models = tmp_path / "models"
    monkeypatch.setenv(int8.ENV, str(models))
    monkeypatch.setenv("OCR_PDF_LOCAL_PRECISION", "float")  # only the quick Latin copy is built
    assert main([str(LETTER), str(tmp_path / "first.pdf"), "--no-cache"]) == 0
    (built,) = models.glob("*.onnx")
    data = built.read_bytes()
    garbled = data[: len(data) // 3] if damage == "truncated" else data[:-4096] + b"\0" * 4096
    built.write_bytes(garbled)
    capsys.readouterr()
    out = tmp_path / "second.pdf"
    assert main([str(LETTER), str(out), "--no-cache"]) == 0
    err = capsys.readouterr().err
    assert "damaged" in err and built.name in err, err
    assert built.read_bytes() == data  # built again, the same
    assert "Dear" in checks.page_text(out, 0)


@has_local
@pytest.mark.slow
def test_the_first_run_says_what_it_prepares_and_how_long(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ocr_pdf.engines import int8

    monkeypatch.setenv(int8.ENV, str(tmp_path / "models"))
    monkeypatch.setenv("OCR_PDF_LOCAL_PRECISION", "float")
    assert main([str(LETTER), str(tmp_path / "a.pdf"), "--no-cache"]) == 0
    err = capsys.readouterr().err
    assert "preparing the local engine's models" in err, err
    assert "once, about" in err and str(tmp_path / "models") in err
    assert "models are ready" in err
    assert main([str(LETTER), str(tmp_path / "b.pdf"), "--no-cache"]) == 0
    assert "preparing" not in capsys.readouterr().err


def test_the_first_run_estimate_covers_each_precision() -> None:
    from ocr_pdf.engines import localmodels

    built = [p for p in localmodels.PRECISIONS if p != "float"]
    assert all(localmodels.FIRST_RUN_SECONDS[p] >= 10 for p in built)


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@has_local
@pytest.mark.slow
def test_a_run_leaves_nothing_but_our_own_files_in_the_cache(tmp_path: Path) -> None:
    """A first run in a fresh home: the models and the OCR cache under ocr-pdf, nothing else
    (onnxruntime wrote Microsoft/DeveloperTools/.onnxruntime/deviceid and onnxruntime.db)."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OCR_PDF_", "ORT_"))}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), PYTHONPATH=str(ROOT))
    env["OCR_PDF_LOCAL_PRECISION"] = "float"  # the quick build; the runtime is the same
    subprocess.run(
        [sys.executable, "-m", "ocr_pdf", str(LETTER), str(tmp_path / "out.pdf")],
        env=env,
        check=True,
        capture_output=True,
    )
    files = _files(home)
    assert any(f.startswith(".cache/ocr-pdf/models/") for f in files), files
    assert all(f.startswith(".cache/ocr-pdf/") for f in files), files
