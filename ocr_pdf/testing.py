"""pytest plugin (entry point ``pytest11``): record and replay the Azure calls ocr-pdf makes.

Mark a test ``@pytest.mark.ocr_pdf_cassette`` (or use the ``ocr_pdf_cassette`` fixture) and every
request ocr-pdf sends inside it is served from ``cassettes/<module>/<test>.yaml`` beside the test
file. Presets: the key header is never stored, the endpoint host is normalised, page images are
stored as their SHA-256 (a cassette answers only the exact page image it was recorded with),
polling and retry waits are skipped on replay, the OCR cache is private to the test, and the
record mode is ``none`` unless
``--record-mode`` (pytest-recording's option) says otherwise, so a missing or stale cassette
fails loudly instead of calling a paid service. Needs the ``testing`` extra
(``pip install '.[testing]'`` in a checkout)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

RECORDED_HOST = "endpoint.invalid"
REPLAYED_OPERATIONS = "https://replayed.cognitiveservices.azure.com"
"""Where recorded Operation-Location headers point on replay: an Azure host over https, which
the transport accepts to poll, whatever endpoint the test passes."""


def scrub_request(request: Any) -> Any:
    """No page image and no host in a cassette: the body becomes its SHA-256, which is also
    what a replayed request is matched on (vcrpy scrubs live requests the same way)."""
    body = request.body
    if isinstance(body, str):
        body = body.encode()
    if body and not body.startswith(b"sha256:"):
        request.body = b"sha256:" + hashlib.sha256(body).hexdigest().encode()
    parts = urlsplit(request.uri)
    request.uri = urlunsplit((parts.scheme, RECORDED_HOST, parts.path, parts.query, ""))
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Operation-Location points at the recording host; replays poll an Azure host instead."""
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() == "operation-location":
            parts = urlsplit(headers[name][0])
            target = urlsplit(REPLAYED_OPERATIONS)
            headers[name] = [
                urlunsplit((target.scheme, target.netloc, parts.path, parts.query, ""))
            ]
    return response


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "ocr_pdf_cassette(name=None): record and replay ocr-pdf's Azure calls in this test",
    )


@pytest.fixture
def ocr_pdf_cassette(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """The vcrpy cassette holding this test's Azure calls (see the module docstring)."""
    import vcr

    from ocr_pdf.azure import transport

    mode = request.config.getoption("--record-mode", default=None) or "none"
    marker = request.node.get_closest_marker("ocr_pdf_cassette")
    name = (marker.kwargs.get("name") if marker else None) or request.node.name
    folder = Path(str(request.node.path)).parent / "cassettes" / request.node.path.stem
    path = folder / f"{name}.yaml"
    if mode == "rewrite":  # pytest-recording's mode: record the cassette afresh
        path.unlink(missing_ok=True)
        mode = "new_episodes"
    recorder = vcr.VCR(
        record_mode=mode,
        filter_headers=[("Ocp-Apim-Subscription-Key", None), ("Authorization", None)],
        before_record_request=scrub_request,
        before_record_response=scrub_response,
        match_on=["method", "path", "query", "body"],
        decode_compressed_response=True,
    )
    if mode == "none":  # replaying: nothing to wait for
        previous = transport.set_default_sleep(lambda seconds: None)
        request.addfinalizer(lambda: transport.set_default_sleep(previous))
    # A private OCR cache: a page cached by an earlier run would send no request, leaving the
    # recording incomplete and the replay untested.
    monkeypatch.setenv("OCR_PDF_CACHE_DIR", str(request.getfixturevalue("tmp_path") / "ocr-cache"))
    with recorder.use_cassette(str(path)) as cassette:
        yield cassette


@pytest.fixture(autouse=True)
def _ocr_pdf_cassette_marker(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("ocr_pdf_cassette") is not None:
        request.getfixturevalue("ocr_pdf_cassette")
