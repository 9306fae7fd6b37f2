"""pytest plugin (entry point ``pytest11``): record and replay the Azure calls ocr-pdf makes.

Mark a test ``@pytest.mark.ocr_pdf_cassette`` (or use the ``ocr_pdf_cassette`` fixture) and every
request ocr-pdf sends inside it is served from ``cassettes/<module>/<test>.yaml`` beside the test
file. Presets: the key header is never stored, the endpoint host is normalised, page images are
stored as their SHA-256 (a cassette answers only the exact page image it was recorded with),
polling and retry waits are skipped on replay, the OCR cache is private to the test, and the
record mode is ``none`` unless
``--record-mode`` (pytest-recording's option) says otherwise, so a missing or stale cassette
fails loudly instead of calling a paid service. Recording (``--record-mode=rewrite``, say)
works under pytest-recording's ``--block-network``, and a cassette is replaced only by a
recording whose test passed. Needs the ``testing`` extra (``pip install '.[testing]'`` in a
checkout).

Several pages are read at once on worker threads. vcrpy answers by swapping urllib3's
connection classes process-wide, which is not safe with requests in flight on several
threads, so ocr-pdf's calls do not go through them: inside ``ocr_pdf_cassette`` and
pytest-recording's ``vcr`` mark, the transport is given an adapter that answers from the
cassette itself (:func:`answered_from`, usable around any open cassette)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import urllib3
from requests import PreparedRequest, Response
from requests.adapters import BaseAdapter, HTTPAdapter

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


class CassetteAdapter(BaseAdapter):
    """A requests adapter that answers ocr-pdf's transport from a vcrpy cassette (through its
    public ``can_play_response_for`` and ``play_response``), under one lock: a request the
    cassette holds opens no connection at all, whatever other threads are doing. One it does
    not hold goes to ``fallback`` (a plain HTTPAdapter), where vcrpy's own patches record it
    or refuse it as they do any request, one at a time."""

    def __init__(self, cassette: Any, lock: threading.Lock, fallback: BaseAdapter) -> None:
        super().__init__()
        self.cassette = cassette
        self.lock = lock
        self.fallback = fallback

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:
        from vcr.request import Request

        body = request.body.encode() if isinstance(request.body, str) else request.body
        asked = Request(request.method, request.url, body, dict(request.headers))
        with self.lock:
            if not self.cassette.can_play_response_for(asked):
                return self.fallback.send(request, *args, **kwargs)
            recorded = self.cassette.play_response(asked)
        return _response(request, recorded)

    def close(self) -> None:
        self.fallback.close()


def _response(request: PreparedRequest, recorded: dict[str, Any]) -> Response:
    """A recorded answer as requests' Response, built as requests builds a real one."""
    body = recorded["body"]["string"]
    headers = urllib3.HTTPHeaderDict()
    for name, values in recorded["headers"].items():
        for value in values if isinstance(values, list) else [values]:
            headers.add(name, value)
    raw = urllib3.HTTPResponse(
        body=io.BytesIO(body.encode() if isinstance(body, str) else body),
        headers=headers,
        status=recorded["status"]["code"],
        reason=recorded["status"]["message"],
        preload_content=False,
        request_method=request.method,
        request_url=request.url,
    )
    return HTTPAdapter().build_response(request, raw)


@contextlib.contextmanager
def answered_from(cassette: Any) -> Iterator[Any]:
    """ocr-pdf's Azure calls answered from ``cassette`` (a vcrpy Cassette, open) while the
    block runs, thread-safely (:class:`CassetteAdapter`): every transport given no adapter of
    its own sends through it meanwhile."""
    from ocr_pdf.azure import transport

    adapter = CassetteAdapter(cassette, threading.Lock(), HTTPAdapter(max_retries=0))
    previous = transport.set_default_adapter(adapter)
    try:
        yield cassette
    finally:
        transport.set_default_adapter(previous)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "ocr_pdf_cassette(name=None): record and replay ocr-pdf's Azure calls in this test",
    )


_reports = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Each phase's report kept on the test, so that a recording is kept only if it passed."""
    report = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


def _passed(node: pytest.Item) -> bool:
    reports = node.stash.get(_reports, {})
    return "call" in reports and all(r.passed for r in reports.values())


def _lift_network_block(request: pytest.FixtureRequest) -> None:
    """Recording talks to the endpoint: lift pytest-recording's ``--block-network`` for this
    test, as its own ``vcr`` mark does in a recording mode. Its fixture is set up first (so
    that it cannot block again after us) and puts everything back when the test ends."""
    try:
        from pytest_recording import network
    except ImportError:  # no pytest-recording: nothing blocks the network
        return
    request.getfixturevalue("block_network")
    network.unblock_socket()
    network.unblock_pycurl()


@pytest.fixture
def ocr_pdf_cassette(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """The vcrpy cassette holding this test's Azure calls (see the module docstring).

    While recording (any ``--record-mode`` but ``none``), the network is open to the test
    even under ``--block-network``, and the calls are recorded into a draft beside the
    cassette (``.NAME.yaml.recording``, a copy of the cassette unless the mode is
    ``rewrite``), which replaces the cassette only if the test passes: a failed recording
    leaves the previous cassette as it was."""
    import vcr

    from ocr_pdf.azure import transport

    mode = request.config.getoption("--record-mode", default=None) or "none"
    marker = request.node.get_closest_marker("ocr_pdf_cassette")
    name = (marker.kwargs.get("name") if marker else None) or request.node.name
    folder = Path(str(request.node.path)).parent / "cassettes" / request.node.path.stem
    path = folder / f"{name}.yaml"
    draft = folder / f".{name}.yaml.recording"
    if mode != "none":
        _lift_network_block(request)
        draft.unlink(missing_ok=True)
        if mode != "rewrite" and path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, draft)
    recorder = vcr.VCR(
        # pytest-recording's rewrite: record afresh, into an empty draft.
        record_mode="new_episodes" if mode == "rewrite" else mode,
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
    try:
        with (
            recorder.use_cassette(str(path if mode == "none" else draft)) as cassette,
            answered_from(cassette),
        ):
            yield cassette
        if mode != "none" and draft.exists() and _passed(request.node):
            os.replace(draft, path)
    finally:
        draft.unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def _ocr_pdf_cassette_marker(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("ocr_pdf_cassette") is not None:
        request.getfixturevalue("ocr_pdf_cassette")
    elif request.node.get_closest_marker("vcr") is not None and "vcr" in request.fixturenames:
        # pytest-recording's cassette: ocr-pdf's calls answered from it all the same.
        cassette = request.getfixturevalue("vcr")
        if cassette is not None:
            with answered_from(cassette):
                yield
            return
    yield
