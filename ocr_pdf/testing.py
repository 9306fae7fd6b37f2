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

Several pages are read at once on worker threads, so for as long as pytest runs the plugin
also makes vcrpy's cassettes (its own and pytest-recording's) safe with requests in flight on
several threads: see :func:`serialize_vcr_reset_windows`."""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import shutil
import threading
from collections.abc import Callable, Iterator
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


_RESET_WINDOW = threading.RLock()
"""Held by a thread inside vcrpy's ``force_reset`` and by one making or vetting a connection."""


def serialize_vcr_reset_windows() -> Callable[[], None]:
    """Keep vcrpy's process-wide un-patching from leaking into other threads; returns the undo.

    A cassette swaps urllib3's connection classes (``HTTPConnectionPool.ConnectionCls`` and
    friends) for vcrpy's stubs. But every stub, when built (and, while recording, around each
    real connect and send), enters ``vcr.patch.force_reset``, which puts the real classes back
    for the whole process, not just for its own thread. A page read on another thread that
    opens a connection in that window gets a real urllib3 connection: on replay it dials the
    recorded host (pytest-recording's network block: "Network is disabled for host"), while
    recording it goes out unrecorded. Reading two pages at once, each opening its connection,
    hits the window now and then on a busy machine.

    So one lock is held for the whole of each window, and also wherever urllib3 reads the
    pool's connection class: while a pool builds a connection (``_new_conn``) and when a pooled
    connection is checked against the class a cassette wants (``_get_conn``: vcrpy's own check
    reads the class outside any lock, and in a window would let a pre-cassette connection
    through). The lock is never held while a pool waits for a free connection, so a blocking
    pool cannot deadlock on it. Replaying, a window lasts well under a millisecond; recording,
    it spans a real connect and send, so other threads wait that long to take a connection.
    The wrappers sit beneath the patches each cassette applies on entry, so they hold for
    every cassette, whoever opens it (``ocr_pdf_cassette``, pytest-recording, ``use_cassette``),
    and do nothing outside one but take an uncontended lock per connection."""
    import urllib3.connectionpool as cpool
    import vcr.patch

    undo: list[Callable[[], None]] = []

    def replace(owner: Any, name: str, value: Any) -> None:
        previous = owner.__dict__[name]
        setattr(owner, name, value)
        undo.append(lambda: setattr(owner, name, previous))

    force_reset = vcr.patch.force_reset

    @contextlib.contextmanager
    def locked_force_reset() -> Iterator[None]:
        with _RESET_WINDOW, force_reset():
            yield

    replace(vcr.patch, "force_reset", locked_force_reset)  # the stubs look it up per call

    for pool_class in (cpool.HTTPConnectionPool, cpool.HTTPSConnectionPool):
        new_conn = pool_class.__dict__["_new_conn"]

        def locked_new_conn(pool: Any, *args: Any, _new_conn: Any = new_conn, **kw: Any) -> Any:
            with _RESET_WINDOW:
                return _new_conn(pool, *args, **kw)

        replace(pool_class, "_new_conn", locked_new_conn)

    get_conn = cpool.HTTPConnectionPool._get_conn

    def vetted_get_conn(pool: Any, *args: Any, **kw: Any) -> Any:
        while True:
            connection = get_conn(pool, *args, **kw)  # may wait for a free one: not locked
            with _RESET_WINDOW:
                wanted = pool.ConnectionCls
            # Outside a cassette (no stub class wanted) the pool's connections are left alone.
            if getattr(wanted, "cassette", None) is None or isinstance(connection, wanted):
                return connection
            # Pooled before the cassette began: drop it, keeping its slot (as vcrpy does).
            connection.close()
            if isinstance(pool.pool, queue.Queue):
                pool._put_conn(None)

    vetted_get_conn._ocr_pdf_vetted = True  # type: ignore[attr-defined]
    replace(cpool.HTTPConnectionPool, "_get_conn", vetted_get_conn)

    def restore() -> None:
        while undo:
            undo.pop()()

    return restore


_restore = pytest.StashKey[Callable[[], None]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "ocr_pdf_cassette(name=None): record and replay ocr-pdf's Azure calls in this test",
    )
    try:
        import vcr.patch  # noqa: F401
    except ImportError:  # no testing extra: no cassettes to make thread-safe
        return
    import urllib3.connectionpool as cpool

    # Once per process: an in-process pytester run configures the plugin again.
    if not getattr(cpool.HTTPConnectionPool._get_conn, "_ocr_pdf_vetted", False):
        config.stash[_restore] = serialize_vcr_reset_windows()


def pytest_unconfigure(config: pytest.Config) -> None:
    restore = config.stash.get(_restore, None)
    if restore is not None:
        restore()


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
        with recorder.use_cassette(str(path if mode == "none" else draft)) as cassette:
            yield cassette
        if mode != "none" and draft.exists() and _passed(request.node):
            os.replace(draft, path)
    finally:
        draft.unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def _ocr_pdf_cassette_marker(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("ocr_pdf_cassette") is not None:
        request.getfixturevalue("ocr_pdf_cassette")
