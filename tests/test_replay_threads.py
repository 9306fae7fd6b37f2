"""The pytest plugin's replay with requests in flight on several threads (pages are read at
once): a request made while another thread is in the middle of its own exchange is still
answered from the cassette, never sent to the network. ocr-pdf's transport is answered by the
plugin's adapter (ocr_pdf.testing.answered_from), which opens no connection at all, so no
private part of vcrpy or urllib3 is patched for it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import urllib3
import vcr
import yaml
from requests.adapters import HTTPAdapter

from ocr_pdf.azure.transport import AzureTransport
from ocr_pdf.testing import answered_from

HOST, PORT = "127.0.0.1", 9  # nothing listens there; the network is blocked besides
PING = {
    "request": {"method": "GET", "uri": f"http://{HOST}:{PORT}/ping", "body": None, "headers": {}},
    "response": {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Content-Type": ["text/plain"]},
        "body": {"string": "pong"},
    },
}
CASSETTE = {"version": 1, "interactions": [PING, PING]}  # one answer for each thread
STALL = 1.0
"""How long the first thread stays in the middle of its exchange, at most, in seconds."""


@pytest.mark.parametrize("made_before", [False, True], ids=["new-transport", "older-transport"])
def test_a_request_during_another_threads_exchange_is_replayed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, made_before: bool
) -> None:
    """Thread A stalls in the middle of its exchange (its answer taken from the cassette, its
    response being built); thread B asks meanwhile, with a transport made inside the cassette
    or one made before it began (an engine kept from an earlier test)."""
    path = tmp_path / "ping.yaml"
    path.write_text(yaml.safe_dump(CASSETTE))
    b_done = threading.Event()
    stalled = threading.Event()
    real_build: Callable[..., Any] = HTTPAdapter.build_response
    connections: list[str] = []
    real_init: Callable[..., None] = urllib3.connection.HTTPConnection.__init__

    def stalling_build(self: Any, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name == "A" and not stalled.is_set():
            stalled.set()  # B may ask now: A is mid-exchange until B is done (or STALL)
            b_done.wait(STALL)
        return real_build(self, *args, **kwargs)

    def counted_init(self: Any, *args: Any, **kwargs: Any) -> None:
        connections.append(threading.current_thread().name)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(HTTPAdapter, "build_response", stalling_build)
    monkeypatch.setattr(urllib3.connection.HTTPConnection, "__init__", counted_init)
    endpoint = f"http://{HOST}:{PORT}"
    b_transport = AzureTransport(endpoint, None) if made_before else None
    answers: dict[str, Any] = {}

    def ask(name: str, transport: AzureTransport) -> None:
        try:
            answers[name] = transport.request("GET", transport.url("/ping")).content
        except Exception as error:  # the answer a user would see instead of "pong"
            answers[name] = repr(error)
        finally:
            if name == "B":
                b_done.set()

    recorder = vcr.VCR(record_mode="none")
    with recorder.use_cassette(str(path)) as cassette, answered_from(cassette):
        a = threading.Thread(target=ask, args=("A", AzureTransport(endpoint, None)), name="A")
        a.start()
        assert stalled.wait(10)
        b_transport = b_transport or AzureTransport(endpoint, None)
        b = threading.Thread(target=ask, args=("B", b_transport), name="B")
        b.start()
        a.join(10)
        b.join(10)
    assert answers == {"A": b"pong", "B": b"pong"}
    assert connections == []  # answered without a connection, real or vcrpy's
