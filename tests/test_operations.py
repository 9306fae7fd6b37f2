"""Operations of the submit-and-poll APIs (Read 3.2, Document Intelligence) are paid for when
submitted. A run killed while polling leaves each operation noted with its page's cache entry,
and the next run (or another worker of a cluster) polls it instead of paying again. Live on
the loopback stand-in: a kill cannot be taped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ocr_pdf import make_searchable
from ocr_pdf.models import PageText
from ocr_pdf.reading.cache import NOTE_SECONDS, OcrCache
from tests import checks
from tests.conftest import FAKE_KEY, ROOT
from tests.events import HANG, wait_for
from tests.pagegen import Block, PageSpec, TruthPage, make_pdf
from tests.standin import StandIn

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])


def submissions(standin: StandIn) -> int:
    """Pages submitted (the billed requests of Read), polls left out."""
    return sum(1 for c in standin.calls if c["path"].endswith("/read/analyze"))


def pages(tmp_path: Path, count: int) -> tuple[Path, list[TruthPage]]:
    specs = [
        PageSpec(f"op{i}", (Block(30, 30 + 12 * i, (f"operation page {i}",)),), 3, 2.5)
        for i in range(count)
    ]
    data, truths = make_pdf(specs)
    src = tmp_path / "in.pdf"
    src.write_bytes(data)
    return src, truths


def test_a_note_is_kept_until_the_result_and_only_for_a_day(tmp_path: Path) -> None:
    cache = OcrCache(tmp_path)
    assert cache.operation("ab12") is None
    cache.note_operation("ab12", "https://x.cognitiveservices.azure.com/op/1")
    assert cache.operation("ab12") == "https://x.cognitiveservices.azure.com/op/1"
    cache.put("ab12", PageText(10, 10, ()))
    assert cache.operation("ab12") is None  # the result is kept: nothing left to poll
    cache.note_operation("cd34", "https://x.cognitiveservices.azure.com/op/2")
    note = tmp_path / "cd" / "cd34.operation"
    stale = {"operation": "https://x.cognitiveservices.azure.com/op/2", "noted": 0}
    stale["noted"] = time.time() - NOTE_SECONDS - 60
    note.write_text(json.dumps(stale))
    assert cache.operation("cd34") is None  # the service has dropped it by now
    note.write_text("{not json")
    assert cache.operation("cd34") is None  # damaged: the page is submitted again


@pytest.mark.slow
def test_a_killed_run_polls_what_it_paid_for_instead_of_paying_again(tmp_path: Path) -> None:
    src, truths = pages(tmp_path, 6)
    out, cache = tmp_path / "out.pdf", tmp_path / "cache"
    # Each operation answers "running" until the run is killed: it finds them all in flight.
    with StandIn(key=FAKE_KEY, pages=truths, running_polls=10**6) as standin:
        env = {
            **os.environ,
            "AZURE_VISION_KEY": FAKE_KEY,
            "OCR_PDF_CACHE_DIR": str(cache),
            "PYTHONPATH": str(ROOT),
        }
        cmd = [sys.executable, "-m", "ocr_pdf", str(src), str(out), "--engine", "azure-read",
               "--endpoint", standin.endpoint, "--dpi", "100", "-j", "6", "-q"]  # fmt: skip
        proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE)
        # Each note is written as its submission returns: killed once all six are noted.
        wait_for(lambda: len(list(cache.rglob("*.operation"))) == 6, "six operations noted")
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=HANG)
        assert submissions(standin) == 6 and not standin.delivered  # all paid, none read
        standin.running_polls = 0  # from now on, every operation has its result
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=HANG)
    assert done.returncode == 0, done.stderr
    assert submissions(standin) == 6  # no page paid for twice
    assert not list(cache.rglob("*.operation"))  # every result kept, every note forgotten
    for i, truth in enumerate(truths):
        assert checks.page_text(out, i) == checks.expected_text(truth)


@pytest.mark.slow
@pytest.mark.parametrize(
    "noted",
    ["{endpoint}/vision/v3.2/read/analyzeResults/expired", "https://elsewhere.example.com/op/1"],
    ids=["lost by the service", "on another host"],
)
def test_a_note_that_cannot_be_polled_costs_one_submission(noted: str, tmp_path: Path) -> None:
    """An operation the service no longer knows (404) is submitted again; one whose URL
    points away from the endpoint is never polled (the key goes nowhere else)."""
    src, truths = pages(tmp_path, 1)
    cache = OcrCache(tmp_path / "cache")
    with StandIn(key=FAKE_KEY, pages=truths) as standin:
        options: dict[str, Any] = {"engine": "azure-read", "endpoint": standin.endpoint, "dpi": 100}
        os.environ["AZURE_VISION_KEY"] = FAKE_KEY
        try:
            make_searchable(src, tmp_path / "a.pdf", cache=cache.folder, **options)
            (key,) = [p.stem for p in cache.folder.rglob("*.json")]
            (cache.folder / key[:2] / f"{key}.json").unlink()
            cache.note_operation(key, noted.format(endpoint=standin.endpoint))
            before = len(standin.calls)
            make_searchable(src, tmp_path / "b.pdf", cache=cache.folder, **options)
        finally:
            del os.environ["AZURE_VISION_KEY"]
        after = standin.calls[before:]
    assert submissions(standin) == 2  # the first run's and one more
    assert not any("elsewhere" in c["path"] for c in after)
    assert checks.page_text(tmp_path / "b.pdf", 0) == checks.expected_text(truths[0])
