"""One rate limit for all workers: calls spaced to the limit, 429s pause everyone, and every
page is still read exactly once. Live against the loopback stand-in (timing cannot be taped)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ocr_pdf import make_searchable
from ocr_pdf.azure.ratelimit import RateLimiter, parse_rate
from ocr_pdf.cli import main
from ocr_pdf.errors import BadArgumentsError, ExitCode
from tests import checks
from tests.conftest import FAKE_KEY
from tests.pagegen import Block, PageSpec, TruthPage, make_pdf
from tests.standin import StandIn


def test_parse_rate() -> None:
    assert parse_rate("10/s") == (10, 1.0)
    assert parse_rate("20/min") == (20, 60.0)
    # A malformed value is a bad argument (exit 1) for every engine, not a configuration
    # error of Azure's (issue 16, item 6).
    with pytest.raises(BadArgumentsError):
        parse_rate("fast")


@pytest.mark.parametrize("engine", ["local", "tesseract", "azure-ocr", "azure-read", "replay"])
@pytest.mark.parametrize(
    "flag", [["--rate", "fast"], ["--timeout", "0"], ["--timeout", "-1"], ["--timeout", "nan"]]
)
def test_bad_rate_or_timeout_is_a_bad_argument_for_every_engine(
    engine: str, flag: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    letter = Path(__file__).resolve().parent.parent / "samples" / "letter.pdf"
    code = main(
        [
            str(letter),
            str(tmp_path / "o.pdf"),
            "--engine",
            engine,
            "--endpoint",
            "http://127.0.0.1:9",
            *flag,
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == ExitCode.bad_args, err
    assert err.count("\n") == 0 and flag[0] in err
    assert not (tmp_path / "o.pdf").exists()


class HandClock:
    """A clock that moves only when the code under test sleeps: no waiting, no load."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_limiter_spaces_calls_and_pauses_everyone() -> None:
    clock = HandClock()
    limiter = RateLimiter(20, 1.0, clock.sleep, clock)
    for _ in range(5):
        limiter.acquire()
    assert clock.slept == pytest.approx([0.0525] * 4, abs=0.001)  # 1/20 s and 5% margin
    limiter.pause(0.2)  # a 429 met by another thread
    start = clock.now
    limiter.acquire()
    assert clock.now - start == pytest.approx(0.2, abs=0.001)
    start = clock.now
    limiter.acquire()
    assert clock.now - start == pytest.approx(0.0525, abs=0.001)


def pages(n: int) -> tuple[bytes, list[TruthPage]]:
    specs = [
        PageSpec(
            f"p{i}", (Block(30, 30 + 9 * i, (f"page number {i}",)),), width_in=3, height_in=2.5
        )
        for i in range(n)
    ]
    return make_pdf(specs)


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
@pytest.mark.parametrize("rate", [None, "4/s"])
@pytest.mark.slow
def test_every_page_read_once_under_a_rate_limit(
    rate: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ocr_pdf.azure import transport as http

    monkeypatch.setattr(http, "MAX_RETRY_WAIT", 5.0)
    data, truths = pages(8)
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(data)
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    # With --rate 4/s the service allows one call more than the client's limit: our calls are
    # spaced at that limit when sent, and a busy machine delays each on its way by a different
    # amount; one more in the window leaves room for 300 ms of that.
    limit = (5, 1.0) if rate else (4, 1.0)
    with StandIn(key=FAKE_KEY, pages=truths, limit=limit) as standin:
        start = time.monotonic()
        result = make_searchable(
            src, out, engine="azure-ocr", endpoint=standin.endpoint, dpi=100, jobs=4, rate=rate
        )
        elapsed = time.monotonic() - start
    if rate:
        assert standin.rejected == 0  # never over the limit
        assert elapsed >= 1.2  # 8 calls at 4/s: the last one 1.84 s after the first
    assert result.calls == 8 + standin.rejected
    for i, truth in enumerate(truths):
        assert checks.page_text(out, i) == checks.expected_text(truth)
