"""A new user's first hour, and an OCRmyPDF user's habits: each stumble found when the project
was tried from the README, as the user met it (exit codes, one line on stderr, files and their
permissions, what pdftotext and PDFium read)."""

from __future__ import annotations

import os
import pty
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pikepdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr_pdf.cli import main
from ocr_pdf.errors import ExitCode
from tests import checks
from tests.conftest import ROOT
from tests.test_local_engines import has_local
from tests.test_workloads import CountingEngine, counting_engine, ocr, scans, texts

__all__ = ["counting_engine"]  # the fixture, used by every test here

SAMPLES = ROOT / "samples"


def run_cli(
    *args: str, stdout: int | IO[bytes] = subprocess.PIPE, input: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """``ocr-pdf`` in a process of its own, as a shell runs it."""
    return subprocess.run(
        [sys.executable, "-m", "ocr_pdf", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=stdout,
        stderr=subprocess.PIPE,
        input=input,
        timeout=120,
        check=False,
    )


# -- 2: --redo-ocr removes every layer, however many were stacked -----------------------------


def test_redo_removes_stacked_layers(tmp_path: Path) -> None:
    src = scans(tmp_path, pages=1)
    assert ocr(str(src), str(tmp_path / "b.pdf")) == 0
    assert ocr(str(tmp_path / "b.pdf"), str(tmp_path / "c.pdf"), "--force-ocr", "--no-cache") == 0
    assert sorted(texts(tmp_path / "c.pdf")[0].split()) == ["alpha", "alpha", "beta", "beta"]
    assert ocr(str(tmp_path / "c.pdf"), str(tmp_path / "d.pdf"), "--redo-ocr", "--no-cache") == 0
    assert texts(tmp_path / "d.pdf") == ["alpha beta"]
    assert ocr(str(tmp_path / "d.pdf"), str(tmp_path / "e.pdf"), "--redo-ocr", "--no-cache") == 0
    assert texts(tmp_path / "e.pdf") == ["alpha beta"]
    checks.original_streams_kept(src, tmp_path / "e.pdf")
    assert checks.render(tmp_path / "e.pdf", 0) == checks.render(src, 0)


# -- 4, 5: permissions ---------------------------------------------------------------------------


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_in_place_keeps_mode_owner_and_group(tmp_path: Path) -> None:
    src = scans(tmp_path, pages=1)
    os.chmod(src, 0o600)
    os.chown(src, 4321, 8765)
    assert ocr("--in-place", str(src)) == 0
    after = src.stat()
    assert stat.S_IMODE(after.st_mode) == 0o600
    assert (after.st_uid, after.st_gid) == (4321, 8765)
    assert texts(src) == ["alpha beta"]


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_every_file_written_follows_the_umask(tmp_path: Path, umask: int) -> None:
    src = scans(tmp_path, pages=1)
    previous = os.umask(umask)
    try:
        code = ocr(
            str(src),
            str(tmp_path / "o.pdf"),
            "--sidecar",
            str(tmp_path / "o.txt"),
            "--ocr-json",
            str(tmp_path / "o.json"),
        )
        assert code == 0
        assert (
            main(["preview", str(src), "-o", str(tmp_path / "p.png"), "--engine", "counting"]) == 0
        )
    finally:
        os.umask(previous)
    for name in ("o.pdf", "o.txt", "o.json", "p.png"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask, name


# -- 7: no abbreviations -------------------------------------------------------------------------


@pytest.mark.parametrize("abbreviation", [["--mode", "force"], ["--force"], ["--redo"]])
def test_options_are_never_abbreviated(
    abbreviation: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = scans(tmp_path, pages=1)
    assert ocr(str(src), str(tmp_path / "o.pdf"), *abbreviation) == ExitCode.bad_args
    err = capsys.readouterr().err
    assert f"unknown option {abbreviation[0]} " in err and err.count("\n") == 1
    assert not (tmp_path / "o.pdf").exists()


# -- 8: one input into a folder -----------------------------------------------------------------


def test_one_input_into_an_existing_folder(tmp_path: Path) -> None:
    src = scans(tmp_path, pages=1)
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    assert ocr(str(src), str(outbox)) == 0
    assert texts(outbox / "scan.pdf") == ["alpha beta"]


def test_a_trailing_slash_means_a_folder(tmp_path: Path) -> None:
    src = scans(tmp_path, pages=1)
    assert ocr(str(src), str(tmp_path / "new") + "/") == 0
    assert (tmp_path / "new").is_dir()
    assert texts(tmp_path / "new" / "scan.pdf") == ["alpha beta"]


# -- 12, 13, 17, 19: standard input and output ----------------------------------------------------


def test_a_full_disk_on_stdout_is_exit_5(tmp_path: Path) -> None:
    src = scans(tmp_path, pages=1)
    with open("/dev/full", "wb") as full:
        done = run_cli(str(src), "-", "--engine", "tesseract", "--no-cache", stdout=full)
    err = done.stderr.decode()
    assert done.returncode == ExitCode.file_access_error, err
    assert "standard output" in err and "full" in err
    assert "internal error" not in err and err.count("\n") == 1


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    src = scans(tmp_path, pages=1)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        f"{sys.executable} -m ocr_pdf {src} - --engine tesseract --no-cache -q | head -c 10",
        shell=True,
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
        executable="/bin/bash",
    )
    assert done.stdout == b"%PDF-1.4\n%"[:10] or done.stdout.startswith(b"%PDF-")
    assert done.stderr == b""  # no traceback, no "internal error", nothing


def test_a_pdf_is_not_written_to_a_terminal(tmp_path: Path) -> None:
    src = scans(tmp_path, pages=1)
    leader, follower = pty.openpty()
    try:
        done = run_cli(str(src), "-", "--engine", "tesseract", "--no-cache", stdout=follower)
    finally:
        os.close(follower)
        os.close(leader)
    err = done.stderr.decode()
    assert done.returncode == ExitCode.bad_args
    assert "terminal" in err and err.count("\n") == 1


def test_errors_on_standard_input_name_it(tmp_path: Path) -> None:
    done = run_cli("-", str(tmp_path / "o.pdf"), input=b"this is not a PDF")
    err = done.stderr.decode()
    assert done.returncode == ExitCode.input_file
    assert err.startswith("ocr-pdf: error: standard input: ")
    assert "/tmp" not in err and "stdin.pdf" not in err


def test_sidecar_dash_is_standard_output(tmp_path: Path) -> None:
    src = scans(tmp_path, pages=1)
    done = run_cli(
        str(src), str(tmp_path / "o.pdf"), "--engine", "tesseract", "--sidecar", "-", "-q"
    )
    assert done.returncode == 0, done.stderr
    assert b"hello page 0" in done.stdout
    assert not (tmp_path / "-").exists()


def test_argument_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["a.pdf", "b.pdf", "--dpi", "many"]) == ExitCode.bad_args
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--help" in err and "usage:" not in err


def test_a_truncated_pdf_says_so_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "cut.pdf"
    src.write_bytes((SAMPLES / "letter.pdf").read_bytes()[:3000])
    assert main([str(src), str(tmp_path / "o.pdf")]) == ExitCode.input_file
    err = capsys.readouterr().err
    assert ").)" not in err and ".)" not in err and err.count("\n") == 1


# -- 18: subfolders -------------------------------------------------------------------------------


def test_subfolders_are_named_or_converted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = tmp_path / "in"
    (inbox / "2024" / "march").mkdir(parents=True)
    scans(inbox, "a.pdf", pages=1)
    scans(inbox / "2024" / "march", "b.pdf", pages=1)
    assert ocr(str(inbox), str(tmp_path / "flat")) == 0
    assert sorted(p.name for p in (tmp_path / "flat").iterdir()) == ["a.pdf"]
    assert main([str(inbox), str(tmp_path / "flat2"), "--engine", "counting", "--dpi", "72"]) == 0
    assert "1 subfolder(s) not searched (--recursive" in capsys.readouterr().err
    assert ocr(str(inbox), str(tmp_path / "tree"), "--recursive") == 0
    assert texts(tmp_path / "tree" / "2024" / "march" / "b.pdf") == ["alpha beta"]
    assert texts(tmp_path / "tree" / "a.pdf") == ["alpha beta"]


# -- 21: the engine is made only when a page needs reading ---------------------------------------


def test_nothing_to_read_loads_no_engine(tmp_path: Path) -> None:
    src = scans(tmp_path, pages=1)
    assert ocr(str(src), str(tmp_path / "done.pdf")) == 0
    script = (
        "import sys; from ocr_pdf.cli import main; "
        f"code = main([{str(tmp_path / 'done.pdf')!r}, {str(tmp_path / 'again.pdf')!r}, '-q']); "
        "assert code == 0, code; "
        "heavy = [m for m in ('rapidocr', 'onnxruntime', 'cv2') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()


# -- 23: OCRmyPDF's spellings -------------------------------------------------------------------


def test_ocrmypdf_habits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = scans(tmp_path, pages=3)
    assert ocr(str(src), str(tmp_path / "s.pdf"), "-s") == 0
    assert ocr(str(src), str(tmp_path / "t.pdf"), "--skip-text", "--pages", "2-end") == 0
    assert texts(tmp_path / "t.pdf")[1:] == ["alpha beta", "alpha beta"]
    assert texts(tmp_path / "t.pdf")[0] != "alpha beta"
    assert ocr(str(src), str(tmp_path / "u.pdf"), "--output-type", "pdf") == 0
    capsys.readouterr()
    assert main([str(src), str(tmp_path / "v.pdf"), "-v", "1", "--engine", "counting"]) == 0
    assert main(["-v", str(src), str(tmp_path / "w.pdf"), "--engine", "counting"]) == 0
    assert (tmp_path / "w.pdf").exists()
    capsys.readouterr()
    assert ocr(str(src), str(tmp_path / "x.pdf"), "--output-type", "pdfa") == ExitCode.bad_args
    err = capsys.readouterr().err
    assert "pdfa" in err and "ocrmypdf_plugin" in err and err.count("\n") == 1


# -- 24: images in ------------------------------------------------------------------------------


def _page_image() -> Image.Image:
    image = Image.new("L", (900, 600), 255)
    ImageDraw.Draw(image).text(
        (60, 80), "Invoice number 4471", fill=0, font=ImageFont.load_default(size=48)
    )
    return image


@pytest.fixture
def images(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "images"
    folder.mkdir()
    page = _page_image()
    page.save(folder / "photo.jpg", dpi=(150, 150), quality=90)
    page.save(folder / "no-dpi.png")
    page.convert("1").save(
        folder / "fax.tif",
        save_all=True,
        append_images=[page.convert("1")],
        dpi=(200, 200),
        compression="group4",
    )
    rgba = page.convert("RGBA")
    rgba.putalpha(255)
    rgba.save(folder / "alpha.png", dpi=(150, 150))
    yield folder


def test_a_jpeg_is_embedded_byte_for_byte(images: Path, tmp_path: Path) -> None:
    out = tmp_path / "photo.pdf"
    assert main([str(images / "photo.jpg"), str(out), "--engine", "tesseract"]) == 0
    assert "Invoice number 4471" in checks.page_text(out, 0)
    with pikepdf.open(out) as pdf:
        (image,) = pdf.pages[0].get_images().values()
        assert image.read_raw_bytes() == (images / "photo.jpg").read_bytes()
        width = float(pdf.pages[0].mediabox[2])
    assert width == pytest.approx(900 * 72 / 150)  # the image's own resolution


def test_a_multipage_tiff_is_one_page_per_frame(images: Path, tmp_path: Path) -> None:
    out = tmp_path / "fax.pdf"
    assert main([str(images / "fax.tif"), str(out), "--engine", "tesseract"]) == 0
    assert checks.page_count(out) == 2
    for page in (0, 1):
        assert "Invoice number 4471" in checks.page_text(out, page)


def test_an_image_without_resolution_needs_image_dpi(
    images: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o.pdf"
    assert main([str(images / "no-dpi.png"), str(out), "--engine", "tesseract"]) == 2
    assert "--image-dpi" in capsys.readouterr().err and not out.exists()
    assert (
        main([str(images / "no-dpi.png"), str(out), "--engine", "tesseract", "--image-dpi", "150"])
        == 0
    )
    assert "Invoice number 4471" in checks.page_text(out, 0)


def test_a_folder_of_images_and_an_alpha_channel(images: Path, tmp_path: Path) -> None:
    code = main([str(images), str(tmp_path / "out"), "--engine", "tesseract", "--image-dpi", "150"])
    assert code == 0
    made = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert made == ["alpha.pdf", "fax.pdf", "no-dpi.pdf", "photo.pdf"]
    assert "Invoice number 4471" in checks.page_text(tmp_path / "out" / "alpha.pdf", 0)


# -- 25, 14: languages --------------------------------------------------------------------------


@has_local
@pytest.mark.slow
def test_local_takes_several_languages_it_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    letter = SAMPLES / "letter.pdf"
    assert main([str(letter), str(tmp_path / "o.pdf"), "--engine", "local", "-l", "eng+deu"]) == 0
    code = main([str(letter), str(tmp_path / "p.pdf"), "--engine", "local", "-l", "eng+rus"])
    assert code == ExitCode.invalid_config
    assert "'rus'" in capsys.readouterr().err


@has_local
@pytest.mark.slow
def test_a_script_the_local_model_cannot_read_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o.pdf"
    assert main([str(SAMPLES / "multilingual.pdf"), str(out), "--engine", "local"]) == 0
    err = capsys.readouterr().err
    assert err.count("short, unsure fragments") == 1
    assert "--engine tesseract" in err and "Cyrillic" in err
    # A page the model reads raises no such warning.
    assert main([str(SAMPLES / "letter.pdf"), str(tmp_path / "l.pdf"), "--engine", "local"]) == 0
    assert "fragments" not in capsys.readouterr().err
    assert CountingEngine.calls == 0


# -- 3: the wheel -------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_wheel_builds_cleanly(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            "-q",
        ],
        capture_output=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert b"Deprecat" not in done.stderr
    (wheel,) = tmp_path.glob("ocr_pdf-*.whl")
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "ocr_pdf/data/glyphless.ttf" in names and "ocr_pdf/py.typed" in names
    assert not [n for n in names if n.startswith("tests/")]
