"""The lines a user reads (issue 25.4 and 25.6): a dry run over a folder lists every file with
its cost and names each bad one, locally and through ``enqueue`` (against a real redis-server);
it never says files were "converted"; an error line names its file once; ``-l xx`` and
``--pages 0`` say what is wrong in words a user needs; Celery's worker command without
OCR_PDF_REDIS_URL is one line."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest

from ocr_pdf.cli import main
from ocr_pdf.errors import ExitCode
from tests.cluster_support import REDIS_SERVER, redis_server
from tests.conftest import ROOT
from tests.test_local_engines import has_local
from tests.test_workloads import CountingEngine, counting_engine, ocr, scans

__all__ = ["counting_engine"]  # the fixture, used by every test here


def inbox(folder: Path) -> Path:
    """good1.pdf (2 pages), locked.pdf (encrypted), broken.pdf (not a PDF), good2.pdf (1 page)
    in ``folder/inbox``."""
    box = folder / "inbox"
    box.mkdir()
    scans(box, "good1.pdf", pages=2)
    scans(box, "good2.pdf", pages=1)
    with pikepdf.open(scans(folder, "plain.pdf", pages=1)) as pdf:
        pdf.save(box / "locked.pdf", encryption=pikepdf.Encryption(user="pw", owner="own"))
    (box / "broken.pdf").write_bytes(b"not a PDF at all")
    return box


def check_dry_run(box: Path, out: str, err: str) -> None:
    """Every file has its line, the good ones with their cost on stdout, the bad ones named
    once each on stderr, and a closing line that converts nothing."""
    lines = out.splitlines()
    assert [ln.split(": ")[0].rsplit("/", 1)[-1] for ln in lines] == ["good1.pdf", "good2.pdf"]
    assert "2 page(s) to read (pages 1-2), 0 of them cached" in lines[0]
    assert "1 page(s) to read (page 1)" in lines[1]
    errors = [ln for ln in err.splitlines() if ln.startswith("ocr-pdf: error: ")]
    assert len(errors) == 2, err
    for name, why in (("broken.pdf", "not a PDF"), ("locked.pdf", "encrypted")):
        line = next(ln for ln in errors if name in ln)
        assert line.count(name) == 1 and why in line, line
    assert "2 of 4 file(s) checked, 2 with an error" in err
    assert "converted" not in err


def test_a_dry_run_lists_every_file_and_names_each_bad_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = inbox(tmp_path)
    code = main([str(box), str(tmp_path / "out"), "--dry-run", "--engine", "counting"])
    assert code == ExitCode.input_file  # the first failure's, as a run's
    out, err = capsys.readouterr()
    check_dry_run(box, out, err)
    assert CountingEngine.calls == 0


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")
@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
def test_enqueue_dry_run_lists_every_file_and_names_each_bad_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    box = inbox(tmp_path)
    with redis_server() as url:
        monkeypatch.setenv("OCR_PDF_REDIS_URL", url)
        code = main(["enqueue", "--dry-run", "--engine", "counting", str(box), str(tmp_path / "o")])
    assert code == ExitCode.input_file
    out, err = capsys.readouterr()
    check_dry_run(box, out, err)
    assert CountingEngine.calls == 0


def test_an_error_line_names_its_file_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = inbox(tmp_path)
    (box / "locked.pdf").unlink()
    CountingEngine.fail_on_call = 1  # good1.pdf's first page: an error that names no file
    assert main([str(box), str(tmp_path / "out"), "--engine", "counting", "--dpi", "72"]) != 0
    errors = [ln for ln in capsys.readouterr().err.splitlines() if "error:" in ln]
    assert len(errors) == 2, errors
    for name in ("broken.pdf", "good1.pdf"):
        line = next(ln for ln in errors if name in ln)
        assert line.count(name) == 1, line
    assert "the service went away" in next(ln for ln in errors if "good1.pdf" in ln)


@pytest.mark.parametrize(
    "pages,said",
    [
        ("0", "pages are numbered from 1"),
        ("0-2", "pages are numbered from 1"),
        ("3-1", "'3-1' ends before it starts (write 1-3)"),
    ],
)
def test_a_page_selection_says_what_is_wrong(
    pages: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = scans(tmp_path, pages=1)
    assert ocr(str(src), str(tmp_path / "o.pdf"), "--pages", pages) == ExitCode.bad_args
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1, err


@has_local
@pytest.mark.parametrize(
    "language,said",
    [("xx", "language 'xx':"), ("eng+xx", "language 'xx' (in -l eng+xx):")],
)
def test_a_language_the_local_model_cannot_read_is_named_once(
    language: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = scans(tmp_path, pages=1)
    code = main([str(src), str(tmp_path / "o.pdf"), "--engine", "local", "-l", language])
    assert code == ExitCode.invalid_config
    err = capsys.readouterr().err
    assert said in err and err.count("'xx'") == 1 and err.count("\n") == 1, err


@pytest.fixture
def no_redis_url() -> Iterator[dict[str, str]]:
    yield {
        **{k: v for k, v in os.environ.items() if not k.startswith("OCR_PDF_")},
        "PYTHONPATH": str(ROOT),
    }


@pytest.mark.slow
@pytest.mark.parametrize("command", [["worker"], ["inspect", "active"]])
def test_celery_without_the_redis_url_says_so_in_one_line(
    command: list[str], no_redis_url: dict[str, str], tmp_path: Path
) -> None:
    pytest.importorskip("celery")
    done = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "ocr_pdf.cluster", *command],
        env=no_redis_url, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == ExitCode.invalid_config
    assert done.stderr.count("\n") == 1 and "OCR_PDF_REDIS_URL" in done.stderr, done.stderr
    assert done.stdout == ""
