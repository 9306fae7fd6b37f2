"""A storm of service faults, live against the loopback stand-in (a cassette cannot hold a
reset connection or a timeout): bursts of 429, 500s every few calls, answers slower than the
timeout, connections reset mid-body, truncated and malformed JSON, Read operations that fail,
an oversized answer. Whatever happens, a run either finishes or stops with exit 7 naming the
pages that failed, leaves no output behind, and running it again finishes the job having been
served every page's result exactly once: nothing paid for is lost or bought twice."""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

import pytest

from ocr_pdf.cli import main
from ocr_pdf.errors import ExitCode
from tests import checks
from tests.conftest import FAKE_KEY
from tests.pagegen import Block, PageSpec, TruthPage, make_pdf
from tests.standin import Fault, StandIn

PAGES = 10
BUSY = {"error": {"code": "InternalServerError", "message": "An internal error has occurred."}}
THROTTLED = {"error": {"code": "429", "message": "Rate limit is exceeded. Try again in 2 seconds."}}
FAILED_OPERATION = {"status": "failed", "createdDateTime": "2026-11-24T00:00:00Z"}
# A well-formed answer's worth of JSON, for faults that cut it short.
SOME_JSON = b'{"language": "en", "textAngle": 0.0, "orientation": "Up", "regions": []}' * 4


def storm(engine: str) -> list[Fault | None]:
    """The faults, one per call in the order calls arrive (None: a normal answer)."""
    every_kind = [
        Fault(429, THROTTLED),
        Fault(429, THROTTLED, {"Retry-After": "1"}),
        Fault(429, THROTTLED),  # a burst of three
        None,
        Fault(500, BUSY),
        None,
        Fault(503, BUSY, delay=1.0),  # slower than --timeout 0.4: never seen
        None,
        Fault(200, SOME_JSON, reset=True),  # reset mid-body
        None,
        Fault(200, SOME_JSON[:37]),  # truncated JSON
        Fault(200, b"<html><body>502 Bad Gateway</body></html>"),  # not JSON at all
        None,
        Fault(500, BUSY),
        Fault(200, b"{" + b" " * 3_000_000 + b"}"),  # oversized (the cap is lowered to 2 MB)
        None,
        Fault(200, SOME_JSON[:20], reset=True),
        Fault(500, BUSY),
        Fault(200, {"unexpected": "shape"}),  # valid JSON, not a result
    ]
    if engine in ("azure-read", "azure-di"):
        every_kind += [None, Fault(200, FAILED_OPERATION), None, Fault(200, FAILED_OPERATION)]
    return every_kind * 2


def pages() -> tuple[bytes, list[TruthPage]]:
    specs = [
        PageSpec(
            f"storm{i}",
            (Block(30 + 25 * (i % 4), 30 + 22 * i, (f"page {i} of the storm", f"line {i}")),),
            width_in=4,
            height_in=4,
        )
        for i in range(PAGES)
    ]
    return make_pdf(specs)


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
@pytest.mark.parametrize("engine", ["azure-ocr", "azure-read", "azure-vision", "azure-di"])
@pytest.mark.slow
def test_every_page_once_whatever_the_service_does(
    engine: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fast_retries: None,
    request: pytest.FixtureRequest,
) -> None:
    from ocr_pdf.azure import transport as http

    # Waits the service names (2 s, Retry-After 1) shrunk: the test checks the outcome.
    previous = http.set_default_sleep(lambda s: time.sleep(min(s, 0.01)))
    request.addfinalizer(lambda: http.set_default_sleep(previous))
    monkeypatch.setattr(http, "MAX_RESPONSE_BYTES", 2_000_000)
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    data, truths = pages()
    src = tmp_path / "in" / "scan.pdf"
    src.parent.mkdir()
    src.write_bytes(data)
    before = hashlib.sha256(data).hexdigest()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "scan.pdf"
    outcomes = []
    with StandIn(key=FAKE_KEY, pages=truths, running_polls=1) as standin:
        standin.faults.extend(storm(engine))
        for _ in range(10):
            rc = main(
                [
                    str(src),
                    str(out),
                    "--endpoint",
                    standin.endpoint,
                    "--engine",
                    engine,
                    "--jobs",
                    "4",
                    "--timeout",
                    "0.4",
                    "--dpi",
                    "100",
                    "-q",
                ]
            )
            err = capsys.readouterr().err
            outcomes.append((rc, err))
            assert hashlib.sha256(src.read_bytes()).hexdigest() == before
            if rc == 0:
                break
            # A failed run: exit 7, one line naming the failed pages, nothing written.
            assert rc == ExitCode.ocr_engine_error, err
            lines = err.strip().splitlines()
            assert len(lines) == 1 and "Traceback" not in err, err
            assert re.search(r"\bpages? \d+", lines[0]), err
            assert FAKE_KEY not in err
            assert list(out_dir.iterdir()) == [], err
        delivered = dict(standin.delivered)
        left = len(standin.faults)
    assert rc == 0, outcomes
    assert outcomes[0][0] == ExitCode.ocr_engine_error, "the storm should have failed a page"
    # Every page was served exactly once over all the runs: the cache kept each paid result.
    assert delivered == {t.spec.name: 1 for t in truths}, (delivered, outcomes)
    assert left < len(storm(engine)), "the faults were served"
    for i, truth in enumerate(truths):
        assert checks.cer(checks.page_text(out, i), checks.expected_text(truth)) == 0


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
def test_a_service_that_is_down_is_not_hammered(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fast_retries: None,
) -> None:
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    data, truths = pages()
    src = tmp_path / "scan.pdf"
    src.write_bytes(data)
    with StandIn(key=FAKE_KEY, pages=truths) as standin:
        standin.faults.extend([Fault(500, BUSY)] * 1000)
        rc = main(
            [str(src), str(tmp_path / "out.pdf"), "--endpoint", standin.endpoint,
             "--engine", "azure-ocr", "--jobs", "1", "--dpi", "100", "-q"]
        )  # fmt: skip
        calls = len(standin.calls)
    err = capsys.readouterr().err
    assert rc == ExitCode.ocr_engine_error
    # Pages 1-3 fail in a row. Page 4 may already be with the worker by then (it fails too);
    # page 5, waiting for a worker, is dropped.
    m = re.search(r"pages 1-([34]) failed .* pages ([45])-10 not tried", err)
    assert m and int(m.group(2)) == int(m.group(1)) + 1, err
    tried = int(m.group(1))
    assert "HTTP 500" in err and "cached" not in err
    # Each page tried once and retried four times; then no more calls.
    assert calls == tried * 5, calls
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scan.pdf"]


LOST = {"error": {"code": "NotFound", "message": "Operation not found."}}


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
@pytest.mark.parametrize("engine", ["azure-read", "azure-di"])
@pytest.mark.parametrize("lost", [1, 2])
def test_an_operation_the_service_lost_is_submitted_once_more(
    engine: str,
    lost: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fast_retries: None,
) -> None:
    """A poll answering 404 (the service restarted and forgot the operation) is a page
    failure, not a wrong endpoint: the page is submitted once more, then given up (exit 7,
    never 9, which tells a batch script to stop for good), never paid for endlessly."""
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    data, truths = make_pdf(
        [PageSpec("lost", (Block(30, 30, ("a page the service forgot",)),), 3, 2)]
    )
    src = tmp_path / "scan.pdf"
    src.write_bytes(data)
    out = tmp_path / "out.pdf"
    with StandIn(key=FAKE_KEY, pages=truths) as standin:
        # Each submission is answered normally; its first poll finds the operation gone.
        standin.faults.extend([None, Fault(404, LOST)] * lost)
        rc = main(
            [str(src), str(out), "--endpoint", standin.endpoint, "--engine", engine,
             "--dpi", "100", "--no-cache", "-q"]
        )  # fmt: skip
        submitted = sum(1 for call in standin.calls if call["bytes"])
        delivered = dict(standin.delivered)
    err = capsys.readouterr().err
    assert submitted == 2, standin.calls
    if lost == 1:
        assert rc == 0, err
        assert delivered == {"lost": 1}
        assert checks.page_text(out, 0) == checks.expected_text(truths[0])
        return
    assert rc == ExitCode.ocr_engine_error, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ocr-pdf: error: page 1"), err
    assert "lost the operation" in lines[0] and "--endpoint" not in lines[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scan.pdf"]
    assert hashlib.sha256(src.read_bytes()).digest() == hashlib.sha256(data).digest()
