"""OCRmyPDF's spellings on our command line (issue 25.3): its short options where we have the
feature (-r rotates, -f forces, -d is a no-op over an untouched page), its options that change
nothing here accepted, the ones we cannot honour refused in one line that says why, and an
unknown option named alone. ``-r`` meant --recursive here before: over folders it is refused,
so that an old script stops instead of silently doing something else."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from PIL import Image

from ocr_pdf import engines
from ocr_pdf.cli import main
from ocr_pdf.errors import ExitCode
from ocr_pdf.models import Line, PageText, Word
from tests import checks
from tests.test_workloads import CountingEngine, counting_engine, ocr, scans, texts

__all__ = ["counting_engine"]  # the fixture, used by every test here


class SidewaysEngine:
    """Reads 'alpha beta' running down the page, as on a scan turned a quarter."""

    name = "sideways"

    def recognize(self, image: Image.Image) -> PageText:
        w, h = image.size
        x0, x1 = w * 0.45, w * 0.55
        quads = [(h * 0.2, h * 0.4), (h * 0.45, h * 0.6)]
        words = tuple(
            Word(text, ((x1, y0), (x1, y1), (x0, y1), (x0, y0)))
            for text, (y0, y1) in zip(("alpha", "beta"), quads, strict=True)
        )
        return PageText(w, h, (Line(words),))


@pytest.fixture
def sideways(monkeypatch: pytest.MonkeyPatch) -> None:
    ep = EntryPoint("sideways", f"{__name__}:_create_sideways", engines.ENTRY_POINT_GROUP)
    monkeypatch.setattr(engines, "entry_points", lambda group: [ep])


def _create_sideways(config: object) -> SidewaysEngine:
    return SidewaysEngine()


def sideways_run(*args: str) -> int:
    return main([*args, "--engine", "sideways", "--dpi", "72", "-q", "--no-cache"])


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("ocr-pdf: error: "), err
    return err


def test_r_rotates_pages_as_in_ocrmypdf(tmp_path: Path, sideways: None) -> None:
    src = scans(tmp_path, pages=1)
    for name, flags in (("short", ["-r"]), ("long", ["--rotate-pages"]), ("none", [])):
        assert sideways_run(str(src), str(tmp_path / f"{name}.pdf"), *flags) == 0
    assert checks.rotation(tmp_path / "short.pdf", 0) != 0
    assert checks.rotation(tmp_path / "short.pdf", 0) == checks.rotation(tmp_path / "long.pdf", 0)
    assert checks.rotation(tmp_path / "none.pdf", 0) == 0


def test_f_forces_ocr_as_in_ocrmypdf(tmp_path: Path) -> None:
    src = scans(tmp_path, pages=1)
    assert ocr(str(src), str(tmp_path / "once.pdf")) == 0
    assert ocr(str(tmp_path / "once.pdf"), str(tmp_path / "f.pdf"), "-f", "--no-cache") == 0
    assert sorted(texts(tmp_path / "f.pdf")[0].split()) == ["alpha", "alpha", "beta", "beta"]


def test_d_leaves_the_page_as_scanned_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = scans(tmp_path, pages=1)
    args = ["--engine", "counting", "--dpi", "72"]
    assert main([str(src), str(tmp_path / "d.pdf"), "-d", *args]) == 0
    assert "--deskew" in capsys.readouterr().err
    assert main([str(src), str(tmp_path / "plain.pdf"), *args, "--no-cache"]) == 0
    assert texts(tmp_path / "d.pdf") == texts(tmp_path / "plain.pdf") == ["alpha beta"]
    assert checks.render(tmp_path / "d.pdf", 0) == checks.render(src, 0)  # never straightened
    capsys.readouterr()
    assert main([str(src), str(tmp_path / "q.pdf"), "-d", "-q", *args]) == 0
    assert capsys.readouterr().err == ""


def test_old_r_over_folders_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "2024").mkdir(parents=True)
    scans(inbox, "a.pdf", pages=1)
    scans(inbox / "2024", "b.pdf", pages=1)
    assert ocr("-r", str(inbox), str(tmp_path / "out")) == ExitCode.bad_args
    err = one_error_line(capsys)
    assert "--recursive" in err and "-R" in err and "--rotate-pages" in err
    assert not (tmp_path / "out").exists() and CountingEngine.calls == 0
    assert ocr("-R", str(inbox), str(tmp_path / "tree")) == 0
    assert texts(tmp_path / "tree" / "2024" / "b.pdf") == ["alpha beta"]
    assert ocr("-r", "-R", str(inbox), str(tmp_path / "both")) == 0  # said both: no doubt
    assert ocr("--rotate-pages", str(inbox), str(tmp_path / "flat")) == 0
    assert sorted(p.name for p in (tmp_path / "flat").iterdir()) == ["a.pdf"]


def test_options_that_change_nothing_here_are_accepted(tmp_path: Path) -> None:
    src = scans(tmp_path, pages=1)
    flags = ["-O", "0", "--pdf-renderer", "sandwich", "--tesseract-timeout", "180",
             "--rotate-pages-threshold", "14"]  # fmt: skip
    assert ocr(str(src), *flags, str(tmp_path / "o.pdf")) == 0
    assert texts(tmp_path / "o.pdf") == ["alpha beta"]


@pytest.mark.parametrize(
    "flags,why",
    [
        (["--title", "Minutes"], "metadata"),
        (["--author", "Board"], "metadata"),
        (["--keywords", "a, b"], "metadata"),
        (["-O", "1"], "nothing to optimise"),
        (["--optimize", "3"], "nothing to optimise"),
        (["--skip-big", "50"], "--pages"),
        (["--tesseract-timeout", "0"], "no OCR at all"),
        (["--pdf-renderer", "nonsense"], "--pdf-renderer"),
    ],
)
def test_options_we_cannot_honour_are_refused_saying_why(
    flags: list[str], why: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = scans(tmp_path, pages=1)
    assert ocr(str(src), str(tmp_path / "o.pdf"), *flags) == ExitCode.bad_args
    assert why in one_error_line(capsys)
    assert not (tmp_path / "o.pdf").exists() and CountingEngine.calls == 0


@pytest.mark.parametrize(
    "order",
    [
        ["{src}", "--tesseract-oem", "1", "{out}"],
        ["--tesseract-oem", "1", "{src}", "{out}"],
        ["{src}", "{out}", "--tesseract-oem", "1"],
        ["--tesseract-oem=1", "{src}", "{out}"],
    ],
)
def test_an_unknown_option_is_named_alone(
    order: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, out = scans(tmp_path, pages=1), tmp_path / "o.pdf"
    words = [w.format(src=src, out=out) for w in order]
    assert ocr(*words) == ExitCode.bad_args
    err = one_error_line(capsys)
    assert "unknown option --tesseract-oem " in err
    assert str(src) not in err and str(out) not in err and " 1 " not in err


def test_options_may_come_between_the_paths(tmp_path: Path) -> None:
    src = scans(tmp_path, pages=1)
    assert ocr(str(src), "--pages", "1", "-j", "1", str(tmp_path / "o.pdf")) == 0
    assert texts(tmp_path / "o.pdf") == ["alpha beta"]
