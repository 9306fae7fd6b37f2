"""Workload features as a script uses them: page modes, cache and resume, in place, stdin and
stdout, folders, sidecar and JSON outputs. Driven by a counting engine registered as a plug-in."""

from __future__ import annotations

import io
import json
import sys
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from ocr_pdf import engines, make_searchable
from ocr_pdf.cli import main
from ocr_pdf.errors import ExitCode, OcrEngineError
from ocr_pdf.models import Line, PageText, Word, quad_from_box
from tests import checks
from tests.pagegen import Block, PageSpec, make_pdf


class CountingEngine:
    """Reads 'alpha beta' in the upper middle of every page; counts its calls."""

    name = "counting"
    calls = 0
    fail_on_call: int | None = None  # the call that raises, as a service outage would

    def recognize(self, image: Image.Image) -> PageText:
        CountingEngine.calls += 1
        if CountingEngine.calls == CountingEngine.fail_on_call:
            raise OcrEngineError("the service went away")
        w, h = image.size
        words = (
            Word("alpha", quad_from_box(w * 0.2, h * 0.3, w * 0.2, h * 0.05)),
            Word("beta", quad_from_box(w * 0.45, h * 0.3, w * 0.15, h * 0.05)),
        )
        return PageText(w, h, (Line(words),))


def create_counting(config: object) -> CountingEngine:
    return CountingEngine()


@pytest.fixture(autouse=True)
def counting_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    ep = EntryPoint("counting", "tests.test_workloads:create_counting", engines.ENTRY_POINT_GROUP)
    monkeypatch.setattr(engines, "entry_points", lambda group: [ep])
    CountingEngine.calls = 0
    CountingEngine.fail_on_call = None


def scans(folder: Path, name: str = "scan.pdf", pages: int = 2) -> Path:
    specs = [
        PageSpec(f"p{i}", (Block(40, 40 + 30 * i, (f"hello page {i}",)),), width_in=4, height_in=3)
        for i in range(pages)
    ]
    data, _ = make_pdf(specs)
    path = folder / name
    path.write_bytes(data)
    return path


def ocr(*args: str) -> int:
    return main([*args, "--engine", "counting", "--dpi", "72", "-q"])


def texts(path: Path) -> list[str]:
    return [checks.page_text(path, i) for i in range(checks.page_count(path))]


def test_second_run_changes_nothing_and_calls_nothing(tmp_path: Path) -> None:
    src = scans(tmp_path)
    assert ocr(str(src), str(tmp_path / "once.pdf")) == 0
    assert CountingEngine.calls == 2
    assert ocr(str(tmp_path / "once.pdf"), str(tmp_path / "twice.pdf"), "--no-cache") == 0
    assert CountingEngine.calls == 2
    assert texts(tmp_path / "twice.pdf") == ["alpha beta", "alpha beta"]


def test_cache_spares_every_paid_call(tmp_path: Path, private_cache: Path) -> None:
    src = scans(tmp_path)
    assert ocr(str(src), str(tmp_path / "a.pdf")) == 0
    assert ocr(str(src), str(tmp_path / "b.pdf")) == 0
    assert CountingEngine.calls == 2  # the second run read both pages from the cache
    assert texts(tmp_path / "b.pdf") == ["alpha beta", "alpha beta"]
    entries = sorted(private_cache.rglob("*.json"))
    assert len(entries) == 2
    entries[0].write_text("{ not json")  # damaged: ignored and replaced
    assert ocr(str(src), str(tmp_path / "c.pdf")) == 0
    assert CountingEngine.calls == 3
    assert json.loads(entries[0].read_text())["format"] == "ocr-pdf/page"
    assert ocr(str(src), str(tmp_path / "d.pdf"), "--no-cache") == 0
    assert CountingEngine.calls == 5
    assert ocr(str(src), str(tmp_path / "e.pdf"), "--cache-dir", str(tmp_path / "elsewhere")) == 0
    assert CountingEngine.calls == 7


def test_force_and_redo(tmp_path: Path) -> None:
    src = scans(tmp_path, pages=1)
    assert ocr(str(src), str(tmp_path / "once.pdf")) == 0
    assert (
        ocr(str(tmp_path / "once.pdf"), str(tmp_path / "forced.pdf"), "--force-ocr", "--no-cache")
        == 0
    )
    assert sorted(texts(tmp_path / "forced.pdf")[0].split()) == ["alpha"] * 2 + ["beta"] * 2
    assert (
        ocr(str(tmp_path / "forced.pdf"), str(tmp_path / "redone.pdf"), "--redo-ocr", "--no-cache")
        == 0
    )
    assert texts(tmp_path / "redone.pdf") == ["alpha beta"]
    assert CountingEngine.calls == 3
    # Redo took our layer off whole: the original content streams are there, unchanged.
    checks.original_streams_kept(src, tmp_path / "redone.pdf")
    assert checks.render(tmp_path / "redone.pdf", 0) == checks.render(src, 0)


def another_tools_layer(path: Path) -> None:
    """A scan with an invisible text layer in the page's own content, as other tools write."""
    canvas = Canvas(str(path), pagesize=(288, 216))
    canvas.setFillGray(0.2)
    canvas.rect(50, 100, 120, 30, fill=1)
    text = canvas.beginText(50, 110)
    text.setTextRenderMode(3)
    text.textOut("oldtool words here")
    canvas.drawText(text)
    canvas.showPage()
    canvas.save()


def test_redo_removes_another_tools_invisible_text(tmp_path: Path) -> None:
    src = tmp_path / "other.pdf"
    another_tools_layer(src)
    assert ocr(str(src), str(tmp_path / "kept.pdf")) == 0
    assert CountingEngine.calls == 0  # prior OCR found: left alone
    assert ocr(str(src), str(tmp_path / "redone.pdf"), "--redo-ocr") == 0
    assert texts(tmp_path / "redone.pdf") == ["alpha beta"]
    assert checks.render(tmp_path / "redone.pdf", 0) == checks.render(src, 0)


def test_born_digital_pages_are_left_alone_but_stamped_scans_are_not(tmp_path: Path) -> None:
    path = tmp_path / "mixed.pdf"
    canvas = Canvas(str(path), pagesize=(288, 216))
    canvas.drawString(20, 150, "A born-digital page with plenty of real, visible text on it.")
    canvas.showPage()
    canvas.drawString(20, 150, "PAID 2026")  # a stamp on a scan: a few visible characters
    canvas.showPage()
    canvas.save()
    assert (
        main(
            [
                str(path),
                str(tmp_path / "out.pdf"),
                "--engine",
                "counting",
                "--dpi",
                "72",
                "--ocr-json",
                str(tmp_path / "o.json"),
            ]
        )
        == 0
    )
    record = json.loads((tmp_path / "o.json").read_text())
    assert [p["number"] for p in record["pages"]] == [2]
    assert "alpha beta" in checks.page_text(tmp_path / "out.pdf", 1)


def test_in_place(tmp_path: Path) -> None:
    src = scans(tmp_path, pages=1)
    assert ocr("--in-place", str(src)) == 0
    assert texts(src) == ["alpha beta"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scan.pdf"]


def test_stdin_to_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = scans(tmp_path, pages=1).read_bytes()
    out = io.BytesIO()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out))
    assert ocr("-", "-") == 0
    sys.stdout.flush()
    (tmp_path / "from-stdout.pdf").write_bytes(out.getvalue())
    assert texts(tmp_path / "from-stdout.pdf") == ["alpha beta"]


def test_folder_in_folder_out_with_a_broken_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    scans(inbox, "a.pdf")
    (inbox / "b.pdf").write_bytes(b"not a pdf at all")
    scans(inbox, "c.pdf")
    rc = main([str(inbox), str(tmp_path / "out"), "--engine", "counting", "--dpi", "72"])
    err = capsys.readouterr().err
    assert rc == ExitCode.input_file
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.pdf", "c.pdf"]
    assert "2 of 3 file(s) converted, 1 failed" in err and "b.pdf" in err


def test_sidecar_and_json(tmp_path: Path) -> None:
    src = scans(tmp_path)
    assert (
        ocr(
            str(src),
            str(tmp_path / "o.pdf"),
            "--pages",
            "2",
            "--sidecar",
            str(tmp_path / "o.txt"),
            "--ocr-json",
            str(tmp_path / "o.json"),
        )
        == 0
    )
    assert (tmp_path / "o.txt").read_text().split("\f") == ["", "alpha beta\n"]
    record: dict[str, Any] = json.loads((tmp_path / "o.json").read_text())
    assert record["format"] == "ocr-pdf/document"
    assert [p["number"] for p in record["pages"]] == [2]
    assert [w["text"] for w in record["pages"][0]["result"]["lines"][0]] == ["alpha", "beta"]


def test_summary_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = scans(tmp_path)
    assert (
        main(
            [
                str(src),
                str(tmp_path / "o.pdf"),
                "--engine",
                "counting",
                "--dpi",
                "72",
                "--pages",
                "1",
            ]
        )
        == 0
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1  # not a terminal: no progress bar, one summary line
    assert "1 page(s) OCRed (0 from cache), 0 already had text, 1 not selected" in err[0]


def test_a_failed_run_resumes_without_paying_twice(tmp_path: Path) -> None:
    spec = [
        PageSpec(f"p{i}", (Block(20, 20 + 30 * i, (f"page {i}",)),), width_in=4, height_in=3)
        for i in range(4)
    ]
    data, _ = make_pdf(spec)
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(data)
    CountingEngine.fail_on_call = 3
    with pytest.raises(OcrEngineError):
        make_searchable(src, out, engine=CountingEngine(), dpi=72, jobs=1)
    # Pages 1 and 2 were paid for; page 4 may have been read too before the run stopped.
    assert not out.exists() and CountingEngine.calls in (3, 4)
    CountingEngine.fail_on_call = None
    make_searchable(src, out, engine=CountingEngine(), dpi=72, jobs=1)
    assert CountingEngine.calls == 5  # each page paid for once (page 3's failure is free)


def test_replay_reproduces_a_conversion_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = scans(tmp_path, pages=3)
    saved = tmp_path / "run.json"
    assert (
        ocr(str(src), str(tmp_path / "first.pdf"), "--pages", "1-2", "--ocr-json", str(saved)) == 0
    )
    calls = CountingEngine.calls
    rc = main(
        [
            str(src),
            str(tmp_path / "again.pdf"),
            "--engine",
            "replay",
            "--ocr-json",
            str(saved),
            "--pages",
            "1-2",
            "--no-cache",
            "-q",
        ]
    )
    assert rc == 0 and CountingEngine.calls == calls  # no engine, no service
    for i in (0, 1):
        assert checks.char_boxes(tmp_path / "again.pdf", i) == checks.char_boxes(
            tmp_path / "first.pdf", i
        )
    rc = main(
        [
            str(src),
            str(tmp_path / "third.pdf"),
            "--engine",
            "replay",
            "--ocr-json",
            str(saved),
            "--no-cache",
            "-q",
        ]
    )
    err = capsys.readouterr().err
    assert rc == ExitCode.ocr_engine_error and "page 3: no saved result" in err
    assert not (tmp_path / "third.pdf").exists()
