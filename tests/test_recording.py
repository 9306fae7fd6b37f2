"""The README's recording command, as a user runs it: ``AZURE_VISION_ENDPOINT=...
pytest examples/test_archive_job.py --record-mode=rewrite``, in a copy of this checkout (whose
addopts block the network) and in a downstream project that puts ``--block-network`` in its
own addopts, against the loopback stand-in and against ``ocr-pdf serve``. A recording that
fails leaves the previous cassette exactly as it was, and no draft beside it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import FAKE_KEY, ROOT
from tests.standin import StandIn, truth_from_reading

pytestmark = pytest.mark.slow  # each test runs pytest again, in processes of its own

CASSETTE = Path("examples/cassettes/test_archive_job/test_inbox_becomes_searchable.yaml")
STALE = "# a stale recording, to be replaced\n"
DOWNSTREAM_CONFIG = '[tool.pytest.ini_options]\naddopts = "--block-network"\n'


def project(folder: Path, *, downstream: bool) -> Path:
    """The example job, its test and its cassette (marked stale) in ``folder``: with this
    checkout's pyproject.toml, or with a downstream project's own, which blocks the network."""
    (folder / "examples").mkdir()
    for name in ("__init__.py", "archive_job.py", "test_archive_job.py"):
        shutil.copy(ROOT / "examples" / name, folder / "examples")
    (folder / "samples").mkdir()
    shutil.copy(ROOT / "samples" / "letter.pdf", folder / "samples")
    (folder / CASSETTE).parent.mkdir(parents=True)
    (folder / CASSETTE).write_text(STALE + (ROOT / CASSETTE).read_text())
    if downstream:
        (folder / "pyproject.toml").write_text(DOWNSTREAM_CONFIG)
    else:
        shutil.copy(ROOT / "pyproject.toml", folder)
    return folder


def pytest_in(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``pytest examples/test_archive_job.py ARGS`` run in ``folder`` with ``env`` added (and
    no Azure settings but those)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "OCR_PDF_"))}
    environment.update(env, OCR_PDF_CACHE_DIR=str(folder / ".cache"))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "examples/test_archive_job.py", "-q", "-p",
         "no:cacheprovider", *args],
        cwd=folder, env=environment, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def letter_standin(key: str = FAKE_KEY) -> StandIn:
    """The stand-in answering for samples/letter.pdf with the words of the committed cassette
    (what the bundled engine read on it), so that no model is loaded here."""
    from ocr_pdf.azure.image_analysis import parse_image_analysis
    from ocr_pdf.pdf.pdfium import Document

    with Document(ROOT / "samples" / "letter.pdf") as doc, doc.page(0) as page:
        image = page.render(300)  # what the default Azure engine sends
    answer = yaml.safe_load((ROOT / CASSETTE).read_text())["interactions"][0]["response"]
    reading = parse_image_analysis(json.loads(answer["body"]["string"]), *image.size)
    return StandIn(key=key, pages=[truth_from_reading("letter", image, reading)])


def recorded(folder: Path) -> str:
    """The cassette as it stands, after checking that no draft was left beside it."""
    assert sorted(p.name for p in (folder / CASSETTE).parent.iterdir()) == [CASSETTE.name]
    return (folder / CASSETTE).read_text()


@pytest.mark.parametrize("downstream", [False, True], ids=["checkout", "downstream"])
def test_recording_works_under_block_network_and_a_failed_one_keeps_the_cassette(
    tmp_path: Path, downstream: bool
) -> None:
    folder = project(tmp_path, downstream=downstream)
    before = (folder / CASSETTE).read_bytes()
    with letter_standin() as standin:
        failed = pytest_in(
            folder,
            "--record-mode=rewrite",
            AZURE_VISION_ENDPOINT=standin.endpoint,
            AZURE_VISION_KEY="a-wrong-key",  # the stand-in answers 401, as Azure would
        )
        assert standin.calls  # the failed recording did reach the endpoint
        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert "fix the settings" in failed.stdout
        assert recorded(folder).encode() == before  # as it was, and no draft left beside it
        standin.calls.clear()
        done = pytest_in(
            folder,
            "--record-mode=rewrite",
            AZURE_VISION_ENDPOINT=standin.endpoint,
            AZURE_VISION_KEY=FAKE_KEY,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert len(standin.calls) == 1  # one page, recorded from the endpoint
    cassette = recorded(folder)
    assert STALE not in cassette and FAKE_KEY not in cassette
    assert "x-stand-in" in cassette and "endpoint.invalid" in cassette
    # Replayed with the network blocked, no endpoint and no key.
    replayed = pytest_in(folder, "--block-network")
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr


@pytest.fixture
def served() -> Iterator[str]:
    """`ocr-pdf serve --port 0` with Tesseract (the cheapest engine to start): its URL."""
    if shutil.which("tesseract") is None:
        pytest.skip("no tesseract")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ocr_pdf", "serve", "-q", "--port", "0", "--engine", "tesseract"],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "OCR_PDF_SERVE_KEY": ""},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)


def test_recording_against_ocr_pdf_serve(tmp_path: Path, served: str) -> None:
    folder = project(tmp_path, downstream=True)
    done = pytest_in(folder, "--record-mode=rewrite", AZURE_VISION_ENDPOINT=served)
    assert done.returncode == 0, done.stdout + done.stderr
    assert STALE not in recorded(folder)
    assert pytest_in(folder).returncode == 0  # replayed, the network blocked
