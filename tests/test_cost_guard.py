"""The cost guard on one machine, live against the loopback stand-in: --max-pages refuses a
document before any call, --budget stops the calls at N (polls and the repeats of a 429 free)
with the pages read cached, --dry-run calls nothing and says what a run would cost; and none
of it, nor anything else of a single-machine run, loads the cluster's packages."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ocr_pdf import PageLimitError, make_searchable
from ocr_pdf.cli import main
from ocr_pdf.errors import ExitCode
from tests import checks
from tests.conftest import FAKE_KEY
from tests.pagegen import Block, PageSpec, TruthPage, make_pdf
from tests.standin import Fault, StandIn

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])

THROTTLED = {"error": {"code": "429", "message": "Rate limit is exceeded. Try again in 1 seconds."}}


def scans(folder: Path, name: str, count: int) -> tuple[Path, list[TruthPage]]:
    specs = [
        PageSpec(f"{name}{i}", (Block(20, 20 + 6 * i, (f"{name} page {i}",)),), 3, 2, dpi=100)
        for i in range(count)
    ]
    data, truths = make_pdf(specs)
    path = folder / f"{name}.pdf"
    path.write_bytes(data)
    return path, truths


def run(standin: StandIn, *args: str, engine: str = "azure-ocr") -> int:
    return main(["--engine", engine, "--endpoint", standin.endpoint, "--dpi", "100", *args])


def posts(standin: StandIn) -> int:
    """Requests that sent a page (and were not refused by the stand-in's own rate limit)."""
    return sum(c["bytes"] > 0 for c in standin.calls)


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)


def test_max_pages_refuses_before_any_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, truths = scans(tmp_path, "long", 8)
    with StandIn(key=FAKE_KEY, pages=truths) as standin:
        code = run(standin, str(src), str(tmp_path / "out.pdf"), "--max-pages", "5")
        err = capsys.readouterr().err.strip()
        with pytest.raises(PageLimitError) as raised:
            make_searchable(
                src, tmp_path / "o.pdf", engine="azure-ocr", endpoint=standin.endpoint, max_pages=7
            )
        assert run(standin, str(src), str(tmp_path / "ok.pdf"), "--max-pages", "8", "-q") == 0
    assert code == ExitCode.cost_limit and int(code) == 11
    assert err.count("\n") == 0 and "8 pages to OCR" in err and "--max-pages 5" in err, err
    assert raised.value.pages == 8 and raised.value.limit == 7
    assert not (tmp_path / "out.pdf").exists() and not (tmp_path / "o.pdf").exists()
    assert len(standin.calls) == 8  # all from the run that was allowed


def test_budget_stops_the_calls_and_keeps_what_was_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, truths = scans(tmp_path, "budget", 8)
    out = tmp_path / "out.pdf"
    with StandIn(key=FAKE_KEY, pages=truths) as standin:
        first = run(standin, str(src), str(out), "--budget", "3", "--jobs", "1")
        err = capsys.readouterr().err.strip()
        assert posts(standin) == 3 and not out.exists()
        second = run(standin, str(src), str(out), "--budget", "5", "-q")
    assert first == ExitCode.cost_limit, err
    assert err.count("\n") == 0, err
    assert "budget of 3 billable call(s)" in err and "5 of 8 page(s) not read (pages 4-8)" in err
    assert "the 3 page(s) read are cached" in err
    assert second == 0
    assert posts(standin) == 8 and set(standin.delivered.values()) == {1}  # none paid twice
    for i, truth in enumerate(truths):
        assert checks.page_text(out, i) == checks.expected_text(truth)


@pytest.mark.slow
def test_budget_counts_no_poll_and_no_repeat_of_a_429(tmp_path: Path) -> None:
    src, truths = scans(tmp_path, "polls", 3)
    with StandIn(key=FAKE_KEY, pages=truths, running_polls=2) as standin:
        # Read: a submit and three polls per page; three pages fit a budget of three.
        read = run(standin, str(src), str(tmp_path / "r.pdf"), "--budget", "3", engine="azure-read")
        assert read == 0
        standin.faults.extend([Fault(429, THROTTLED), Fault(429, THROTTLED)])
        # Two 429s are repeated at no charge: one page, one call.
        assert run(standin, str(src), str(tmp_path / "o.pdf"), "--budget", "3", "--no-cache") == 0
    assert len(standin.calls) == 3 * 4 + 2 + 3


def test_one_budget_for_every_file_of_a_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, truths_a = scans(tmp_path, "first", 3)
    second, truths_b = scans(tmp_path, "second", 3)
    with StandIn(key=FAKE_KEY, pages=truths_a + truths_b) as standin:
        code = run(standin, str(first), str(second), str(tmp_path / "out"), "--budget", "4")
    err = capsys.readouterr().err
    assert code == ExitCode.cost_limit
    assert posts(standin) == 4
    assert (tmp_path / "out" / "first.pdf").exists()
    assert not (tmp_path / "out" / "second.pdf").exists()
    assert "2 of 3 page(s) not read" in err


def test_dry_run_calls_nothing_and_says_what_a_run_would_cost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, truths = scans(tmp_path, "dry", 6)
    out = tmp_path / "out.pdf"
    with StandIn(key=FAKE_KEY, pages=truths, running_polls=1) as standin:
        assert run(standin, str(src), str(tmp_path / "part.pdf"), "--pages", "2-3", "-q") == 0
        capsys.readouterr()
        assert run(standin, str(src), str(out), "--dry-run") == 0
        plain = capsys.readouterr().out.strip()
        assert run(standin, str(src), str(out), "--dry-run", engine="azure-read") == 0
        polled = capsys.readouterr().out.strip()
        assert len(standin.calls) == 2 and not out.exists()  # the dry runs called nothing
        assert run(standin, str(src), str(out), "-q") == 0
        assert run(standin, str(out), str(tmp_path / "again.pdf"), "--dry-run") == 0
        again = capsys.readouterr().out.strip()
    assert plain == (
        f"{src}: 6 page(s) to read (pages 1-6), 2 of them cached; 0 page(s) already have "
        "text; would make 4 billable call(s) to azure-ocr"
    )
    assert polled.endswith("6 billable call(s) to azure-read (12 requests with the polls)")
    assert again.endswith("no page to read; 6 page(s) already have text; would make no call")
    assert not (tmp_path / "again.pdf").exists()


def test_a_single_machine_loads_nothing_of_the_cluster(tmp_path: Path) -> None:
    src, _ = scans(tmp_path, "alone", 2)
    code = textwrap.dedent(
        f"""
        import sys
        from ocr_pdf import PageText, make_searchable
        from ocr_pdf.cli import main

        class Blank:
            name = "blank"
            def recognize(self, image):
                return PageText(image.width, image.height, ())

        make_searchable({str(src)!r}, {str(tmp_path / "o.pdf")!r}, engine=Blank(), budget=5)
        assert main([{str(src)!r}, {str(tmp_path / "d.pdf")!r}, "--engine", "local",
                     "--dry-run", "--max-pages", "9", "--budget", "1"]) == 0
        loaded = sorted(m for m in sys.modules
                        if m.split(".")[0] in ("celery", "kombu", "redis", "pyrate_limiter")
                        or m.startswith("ocr_pdf.cluster"))
        print(loaded)
        """
    )
    env = {"PATH": "/usr/bin:/bin", "OCR_PDF_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("[]"), done.stdout
