"""The pytest plugin's replay with requests in flight on several threads (pages are read at
once): a request made while another thread is building its connection is still answered from
the cassette, never sent to the network."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import urllib3
import vcr
import yaml

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
"""How long the first thread stays inside vcrpy's un-patched window, at most, in seconds."""


@pytest.mark.parametrize("pooled_before", [False, True], ids=["new-pool", "pooled-connection"])
def test_a_request_during_another_threads_connection_setup_is_replayed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pooled_before: bool
) -> None:
    """Thread A stalls while vcrpy builds its stub connection (vcrpy puts urllib3's real
    connection classes back for the whole process meanwhile); thread B asks meanwhile, from a
    fresh pool or from one holding a connection made before the cassette began."""
    path = tmp_path / "ping.yaml"
    path.write_text(yaml.safe_dump(CASSETTE))
    b_done = threading.Event()
    stalled = threading.Event()
    real_init: Callable[..., None] = urllib3.connection.HTTPConnection.__init__

    def stalling_init(self: Any, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        if threading.current_thread().name == "A" and not stalled.is_set():
            stalled.set()  # B may ask now: A is inside the window until B is done (or STALL)
            b_done.wait(STALL)

    monkeypatch.setattr(urllib3.connection.HTTPConnection, "__init__", stalling_init)
    b_pool = urllib3.HTTPConnectionPool(HOST, PORT, retries=False)
    if pooled_before:  # e.g. a session kept from an earlier test: its connection is reused
        b_pool._put_conn(b_pool._get_conn())
        assert b_pool.pool is not None and b_pool.pool.queue[-1] is not None
    answers: dict[str, Any] = {}

    def ask(name: str, pool: urllib3.HTTPConnectionPool) -> None:
        try:
            answers[name] = pool.request("GET", "/ping").data
        except Exception as error:  # the answer a user would see instead of "pong"
            answers[name] = repr(error)
        finally:
            if name == "B":
                b_done.set()

    recorder = vcr.VCR(record_mode="none")
    with recorder.use_cassette(str(path)):
        a_pool = urllib3.HTTPConnectionPool(HOST, PORT, retries=False)
        a = threading.Thread(target=ask, args=("A", a_pool), name="A")
        a.start()
        assert stalled.wait(10)
        b = threading.Thread(target=ask, args=("B", b_pool), name="B")
        b.start()
        a.join(10)
        b.join(10)
    assert answers == {"A": b"pong", "B": b"pong"}
