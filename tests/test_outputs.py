"""Where the outputs go, as a user meets it: an output that cannot be written fails before the
first paid call; a full disk is exit 5 with one line and nothing left behind, whichever output
it hits; a run killed with SIGKILL leaves a temporary file that the next run removes."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ocr_pdf import PageText, make_searchable
from ocr_pdf.cli import main
from ocr_pdf.errors import ExitCode, FileAccessError
from ocr_pdf.models import Line, Word, quad_from_box
from tests import checks
from tests.conftest import FAKE_KEY, ROOT
from tests.events import HANG, wait_for
from tests.pagegen import Block, PageSpec, TruthPage, make_pdf
from tests.standin import StandIn
from tests.test_errors import assert_clean_failure, digest


class Counting:
    """Reads one word in the middle of any page, counting its calls."""

    name = "counting"

    def __init__(self) -> None:
        self.calls = 0

    def recognize(self, image: object) -> PageText:
        self.calls += 1
        w, h = image.size  # type: ignore[attr-defined]
        word = Word("middle", quad_from_box(w * 0.4, h * 0.4, w * 0.2, h * 0.1), 0.9)
        return PageText(w, h, (Line((word,)),))


@pytest.fixture
def scan(tmp_path: Path) -> tuple[Path, list[TruthPage]]:
    specs = [
        PageSpec(f"out{i}", (Block(30, 30, (f"page {i} of the letter",)),), 3, 2) for i in range(3)
    ]
    data, truths = make_pdf(specs)
    path = tmp_path / "scan.pdf"
    path.write_bytes(data)
    return path, truths


def cli(
    capsys: pytest.CaptureFixture[str], standin: StandIn, src: Path, out: Path, *args: str
) -> tuple[int, str]:
    rc = main(
        [str(src), str(out), "--endpoint", standin.endpoint, "--engine", "azure-ocr",
         "--dpi", "100", "--no-cache", "-q", *args]
    )  # fmt: skip
    return rc, capsys.readouterr().err


# -- outputs that cannot be written, found before the first call ----------------------------


@pytest.mark.parametrize("kind", ["folder", "pipe"])
def test_library_output_that_is_not_a_file_fails_before_any_call(
    kind: str, scan: tuple[Path, list[TruthPage]], tmp_path: Path
) -> None:
    """A folder, or a pipe or device: replacing one by rename would wreck it (as root,
    ``/dev/null``)."""
    src = scan[0]
    before = digest(src)
    target = tmp_path / "outbox"
    if kind == "folder":
        target.mkdir()
    else:
        os.mkfifo(target)
    engine = Counting()
    with pytest.raises(FileAccessError) as caught:
        make_searchable(src, target, engine=engine, cache=False)
    assert engine.calls == 0
    assert caught.value.exit_code == ExitCode.file_access_error
    message = str(caught.value)
    assert ("is a folder" if kind == "folder" else "not a regular file") in message, message
    assert "\n" not in message
    assert target.is_dir() if kind == "folder" else target.is_fifo()
    assert not target.is_dir() or list(target.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outbox", "scan.pdf"]
    assert digest(src) == before


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
@pytest.mark.parametrize("flag", ["--sidecar", "--ocr-json"])
@pytest.mark.parametrize("where", ["a folder", "a missing folder"])
def test_side_output_that_cannot_be_written_fails_before_any_call(
    flag: str,
    where: str,
    scan: tuple[Path, list[TruthPage]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    src, truths = scan
    side = tmp_path / "notes"
    if where == "a folder":
        side.mkdir()
        needle = "is a folder"
    else:
        side = side / "scan.txt"
        needle = "does not exist"
    with StandIn(key=FAKE_KEY, pages=truths) as standin:
        rc, err = cli(capsys, standin, src, tmp_path / "out.pdf", flag, str(side))
        calls = len(standin.calls)
    assert calls == 0
    if side.is_dir():  # the folder was there before: check that nothing went into it
        assert list(side.iterdir()) == []
        side.rmdir()
    assert_clean_failure(rc, err, ExitCode.file_access_error, tmp_path, digest(src), needle, flag)


# -- a full disk -----------------------------------------------------------------------------


@contextlib.contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``folder`` (root only; skips the test otherwise)."""
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def fill(folder: Path) -> None:
    """Fill the filesystem of ``folder`` to the last byte."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while os.write(fd, b"\0" * 512):
            pass
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
@pytest.mark.parametrize("which", ["output", "--sidecar", "--ocr-json", "cache"])
def test_a_full_disk_is_exit_5_and_leaves_nothing(
    which: str,
    scan: tuple[Path, list[TruthPage]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    src, truths = scan
    before = digest(src)
    with small_disk(tmp_path / "disk", "64k") as disk:
        fill(disk)
        out = disk / "out.pdf" if which == "output" else tmp_path / "out.pdf"
        args: list[str] = []
        if which.startswith("--"):
            # The other side output goes to a disk with room: it must not be left either.
            other = "--ocr-json" if which == "--sidecar" else "--sidecar"
            args = [which, str(disk / "side"), other, str(tmp_path / "other")]
        with StandIn(key=FAKE_KEY, pages=truths) as standin:
            if which == "cache":
                monkeypatch.setenv("OCR_PDF_CACHE_DIR", str(disk / "cache"))
                rc = main(
                    [str(src), str(out), "--endpoint", standin.endpoint, "--engine",
                     "azure-ocr", "--dpi", "100"]
                )  # fmt: skip
                err = capsys.readouterr().err
            else:
                rc, err = cli(capsys, standin, src, out, *args)
        left = sorted(str(p.relative_to(disk)) for p in disk.rglob("*") if p.is_file())
    assert digest(src) == before
    if which == "cache":
        # The cache is a saving, not an output: the run finishes, saying so once.
        assert rc == 0, err
        warning, summary = err.splitlines()
        assert "cannot write the OCR cache" in warning and "the disk is full" in warning, err
        assert "3 page(s) OCRed" in summary
        assert left == ["filler"], left  # no temporary file in the cache
        assert checks.page_text(out, 0) == checks.expected_text(truths[0])
        return
    assert left == ["filler"], left
    assert rc == ExitCode.file_access_error, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("ocr-pdf: error: "), err
    assert "the disk is full" in lines[0] and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["disk", "scan.pdf"]


# -- a run killed with SIGKILL ---------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
def test_a_killed_run_leaves_a_temporary_file_the_next_run_removes(tmp_path: Path) -> None:
    specs = [
        PageSpec(f"k{i}", (Block(30, 30 + 10 * i, (f"killed run page {i}",)),), 3, 2)
        for i in range(6)
    ]
    data, truths = make_pdf(specs)
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(data)
    with StandIn(key=FAKE_KEY, pages=truths, hold_after=2) as standin:  # the 3rd waits
        env = {
            **os.environ,
            "AZURE_VISION_KEY": FAKE_KEY,
            "OCR_PDF_CACHE_DIR": str(tmp_path / "cache"),
            "PYTHONPATH": str(ROOT),
        }
        cmd = [sys.executable, "-m", "ocr_pdf", str(src), str(out), "--engine", "azure-ocr",
               "--endpoint", standin.endpoint, "--dpi", "100", "-j", "1", "--sidecar",
               str(tmp_path / "out.txt"), "-q"]  # fmt: skip
        proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE)
        wait_for(lambda: len(standin.calls) == 3, "the third page sent")
        proc.send_signal(signal.SIGKILL)
        # Returns once every process holding its standard error has gone: the render workers
        # (--dpi makes every page a render) die with the run, not left waiting for work.
        proc.communicate(timeout=HANG)
        standin.released.set()
        leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".ocr-pdf.tmp")]
        assert len(leftovers) == 1 and leftovers[0].startswith(f".out.pdf.{os.uname()[1]}")
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=HANG)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "in.pdf", "out.pdf", "out.txt"]
    assert checks.page_text(out, 5) == checks.expected_text(truths[5])


@pytest.mark.parametrize("name", ["out.pdf", "scan [1].pdf", "a*b?.pdf"])
def test_leftovers_of_dead_runs_are_removed_whatever_the_name(
    name: str, scan: tuple[Path, list[TruthPage]], tmp_path: Path
) -> None:
    """A leftover named as a killed run of ours names it (host, a pid no longer running) is
    removed by the next run writing the same output; a live run's and other files are kept."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = socket.gethostname().replace(".", "_")
    folder = tmp_path / "out"
    folder.mkdir()
    leftover = folder / f".{name}.{host}.{dead.pid}.x1y2z3.ocr-pdf.tmp"
    live = folder / f".{name}.{host}.{os.getpid()}.a1b2c3.ocr-pdf.tmp"
    other = folder / f".{name}.otherhost.{dead.pid}.q1w2e3.ocr-pdf.tmp"
    for path in (leftover, live, other):
        path.write_bytes(b"")
    make_searchable(scan[0], folder / name, engine=Counting(), cache=False)
    assert sorted(p.name for p in folder.iterdir()) == sorted([name, live.name, other.name])
