"""Shared fixtures: cassette settings, the OCR service (stand-in or replay), sample PDFs."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from ocr_pdf.testing import scrub_request, scrub_response
from tests.pagegen import TruthPage
from tests.standin import Fault, StandIn

# Property tests draw the same examples on every run and every machine, so that the suite
# passes or fails the same way each time (a random draw once failed one run in ten, on an
# example no other run met). HYPOTHESIS_PROFILE=explore draws new ones, to look for trouble.
settings.register_profile("suite", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"
# Real responses recorded from the live service (provenance in its README), copied from the
# team's ../shared/azure-reference so that every checkout can run the parser tests.
REFERENCE = ROOT / "tests" / "fixtures" / "azure-reference"
FAKE_KEY = "fake-key-0123456789abcdef"
REPLAY_ENDPOINT = "http://127.0.0.1:9"  # never contacted: vcrpy answers before any socket


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "filter_headers": [("Ocp-Apim-Subscription-Key", "<redacted>"), ("Authorization", None)],
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
        "match_on": ["method", "path", "query", "body"],
        "decode_compressed_response": True,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    return str(CASSETTES / request.module.__name__.rsplit(".", 1)[-1])


@dataclass
class Service:
    """The OCR service a test talks to: a loopback stand-in while recording, nothing at all
    while replaying (vcrpy answers), or a real resource when OCR_PDF_RECORD_ENDPOINT is set.
    ``register``/``fault`` only matter while recording against the stand-in."""

    endpoint: str
    key: str
    standin: StandIn | None = None
    pages: list[TruthPage] = field(default_factory=list)

    def register(self, pages: list[TruthPage]) -> None:
        if self.standin is not None:
            self.standin.pages.extend(pages)

    def fault(self, *faults: Fault) -> None:
        if self.standin is not None:
            self.standin.faults.extend(faults)
        elif not self.endpoint.startswith(REPLAY_ENDPOINT):
            pytest.skip("faults can only be injected into the stand-in, not a real resource")


@pytest.fixture
def service(record_mode: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    monkeypatch.delenv("AZURE_VISION_ENDPOINT", raising=False)
    if record_mode == "none":
        monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
        yield Service(REPLAY_ENDPOINT, FAKE_KEY)
        return
    real = os.environ.get("OCR_PDF_RECORD_ENDPOINT")
    if real:
        monkeypatch.setenv("AZURE_VISION_KEY", os.environ["AZURE_VISION_KEY"])
        yield Service(real, os.environ["AZURE_VISION_KEY"])
        return
    with StandIn(key=FAKE_KEY) as standin:
        monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
        yield Service(standin.endpoint, FAKE_KEY, standin)


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No waiting between tries: backoffs shrunk to milliseconds, and the waits a service
    names (Retry-After, "try again in 1 seconds") skipped, as on replay. The tests check that
    we retry and what comes of it, not that we sleep."""
    from ocr_pdf.azure import polling
    from ocr_pdf.azure import transport as http

    monkeypatch.setattr(http, "BACKOFF_FACTOR", 0.001)
    monkeypatch.setattr(http, "BACKOFF_CAP", 0.01)
    monkeypatch.setattr(polling, "POLL_INTERVAL", 0.0)
    previous = http.set_default_sleep(lambda seconds: None)
    yield
    http.set_default_sleep(previous)


@pytest.fixture(autouse=True)
def private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Each test its own OCR cache: a result cached by one test must not spare another a call
    (and no cluster's, unless the test sets one up)."""
    folder = tmp_path_factory.mktemp("ocr-cache")
    monkeypatch.setenv("OCR_PDF_CACHE_DIR", str(folder))
    monkeypatch.delenv("OCR_PDF_REDIS_URL", raising=False)
    return folder


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test (on top of --block-network)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
