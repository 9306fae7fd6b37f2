"""Small defects of issue 23 (item 9), each as a user meets it: a FIFO named *.pdf in an input
folder, a 250-byte output name, a budget given as text, a fraction or NaN, a truncated PNG, a
file name that is not UTF-8, a Tagged PDF, a scan on a 1 x 1 pt page."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr_pdf import make_searchable
from ocr_pdf.cli import main
from ocr_pdf.errors import BadArgumentsError, ExitCode
from ocr_pdf.options import ConversionOptions
from tests import checks

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "letter.pdf"
TESSERACT = ["--engine", "tesseract", "--no-cache"]


def _png(path: Path) -> bytes:
    image = Image.new("L", (600, 200), 255)
    ImageDraw.Draw(image).text(
        (30, 70), "HELLO 42", fill=0, font=ImageFont.truetype("DejaVuSans.ttf", 48)
    )
    buf = io.BytesIO()
    image.save(buf, "PNG", dpi=(150, 150))
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


def test_a_fifo_named_pdf_in_a_folder_is_passed_over(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "letter.pdf").write_bytes(SAMPLE.read_bytes())
    os.mkfifo(inbox / "trap.pdf")
    done: list[int] = []
    run = threading.Thread(
        target=lambda: done.append(main([str(inbox), str(tmp_path / "out"), *TESSERACT, "-q"])),
        daemon=True,
    )
    run.start()
    run.join(120)
    if run.is_alive():  # unblock the reader we failed to avoid, so the test can end
        with open(inbox / "trap.pdf", "wb"):
            pass
        pytest.fail("the run waited on the FIFO")
    assert done == [0]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["letter.pdf"]


def test_a_fifo_given_as_input_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.mkfifo(tmp_path / "trap.pdf")
    done: list[int] = []
    run = threading.Thread(
        target=lambda: done.append(main([str(tmp_path / "trap.pdf"), str(tmp_path / "o.pdf")])),
        daemon=True,
    )
    run.start()
    run.join(60)
    if run.is_alive():
        with open(tmp_path / "trap.pdf", "wb"):
            pass
        pytest.fail("the run waited on the FIFO")
    assert done == [ExitCode.input_file]
    assert "not a regular file" in capsys.readouterr().err


def test_a_250_byte_output_name_is_written(tmp_path: Path) -> None:
    name = "é" * 60 + "x" * (250 - 120 - 4) + ".pdf"  # 250 bytes in UTF-8
    assert len(os.fsencode(name)) == 250
    out = tmp_path / name
    assert main([str(SAMPLE), str(out), *TESSERACT, "-q"]) == 0
    assert "renovation" in checks.page_text(out, 0)
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left


@pytest.mark.parametrize("budget", ["5", 5.5, float("nan"), True, [5]])
def test_a_budget_that_is_not_a_whole_number_is_a_bad_argument(budget: Any, tmp_path: Path) -> None:
    with pytest.raises(BadArgumentsError, match="whole number"):
        make_searchable(SAMPLE, tmp_path / "o.pdf", engine="tesseract", budget=budget)
    with pytest.raises(BadArgumentsError):
        ConversionOptions.from_kwargs(max_pages="3")
    with pytest.raises(BadArgumentsError):
        ConversionOptions.from_kwargs(dpi=float("nan"))


@pytest.mark.parametrize("cut", ["half", "no-end", "ten-bytes"])
def test_a_truncated_png_is_an_input_error_with_its_reason(
    cut: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _png(tmp_path / "full.png")
    keep = {"half": len(data) // 2, "no-end": len(data) - 12, "ten-bytes": 10}[cut]
    (tmp_path / "cut.png").write_bytes(data[:keep])
    code = main([str(tmp_path / "cut.png"), str(tmp_path / "o.pdf"), *TESSERACT])
    err = capsys.readouterr().err
    if cut == "no-end":  # every pixel is there: only the end marker is missing
        assert code == 0, err
        return
    assert code == ExitCode.input_file, err
    assert "(None)" not in err and "cut.png" in err and not (tmp_path / "o.pdf").exists()


def test_a_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path)
    src, out = folder + b"/caf\xe9.pdf", folder + b"/r\xe9sultat.pdf"
    with open(src, "wb") as f:
        f.write(SAMPLE.read_bytes())
    assert main([os.fsdecode(src), os.fsdecode(out), *TESSERACT, "-q"]) == 0
    assert "renovation" in checks.page_text(Path(os.fsdecode(out)), 0)


def test_a_tagged_pdf_is_said_so_and_keeps_its_structure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, out = tmp_path / "tagged.pdf", tmp_path / "out.pdf"
    with pikepdf.open(SAMPLE) as pdf:
        pdf.Root.MarkInfo = pikepdf.Dictionary(Marked=True)
        pdf.Root.StructTreeRoot = pdf.make_indirect(
            pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot)
        )
        pdf.save(src)
    assert main([str(src), str(out), *TESSERACT]) == 0
    assert "Tagged PDF" in capsys.readouterr().err
    with pikepdf.open(out) as pdf:  # kept as OCRmyPDF keeps it when it adds text to a page
        assert bool(pdf.Root.MarkInfo.Marked) and "/StructTreeRoot" in pdf.Root


def test_a_scan_on_a_one_point_page_is_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, out = tmp_path / "dot.pdf", tmp_path / "out.pdf"
    with pikepdf.open(SAMPLE) as pdf:
        page = pdf.pages[0]
        page.obj.MediaBox = pikepdf.Array([0, 0, 1, 1])
        if "/CropBox" in page.obj:
            del page.obj.CropBox
        pdf.save(src)
    assert main([str(src), str(out), *TESSERACT]) == 0
    assert "page 1 is only 1 x 1 pt" in capsys.readouterr().err
