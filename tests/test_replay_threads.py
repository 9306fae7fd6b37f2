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

from ocr_pdf import testing

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


class Watched:
    """The plugin's lock, telling when thread B comes to it (to wait while A holds it)."""

    def __init__(self, lock: Any, arrived: threading.Event) -> None:
        self.lock, self.arrived = lock, arrived

    def __enter__(self) -> bool:
        if threading.current_thread().name == "B":
            self.arrived.set()
        return bool(self.lock.__enter__())

    def __exit__(self, *exc: object) -> None:
        self.lock.__exit__(*exc)


@pytest.mark.parametrize("pooled_before", [False, True], ids=["new-pool", "pooled-connection"])
def test_a_request_during_another_threads_connection_setup_is_replayed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pooled_before: bool
) -> None:
    """Thread A stalls while vcrpy builds its stub connection (vcrpy puts urllib3's real
    connection classes back for the whole process meanwhile); thread B asks meanwhile, from a
    fresh pool or from one holding a connection made before the cassette began."""
    path = tmp_path / "ping.yaml"
    path.write_text(yaml.safe_dump(CASSETTE))
    b_came = threading.Event()  # B is done, or waits for A at the plugin's lock
    stalled = threading.Event()
    real_init: Callable[..., None] = urllib3.connection.HTTPConnection.__init__

    def stalling_init(self: Any, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        if threading.current_thread().name == "A" and not stalled.is_set():
            stalled.set()  # B may ask now: A is inside the window until B has come
            assert b_came.wait(60), "thread B never asked"

    monkeypatch.setattr(urllib3.connection.HTTPConnection, "__init__", stalling_init)
    monkeypatch.setattr(testing, "_RESET_WINDOW", Watched(testing._RESET_WINDOW, b_came))
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
                b_came.set()

    recorder = vcr.VCR(record_mode="none")
    with recorder.use_cassette(str(path)):
        a_pool = urllib3.HTTPConnectionPool(HOST, PORT, retries=False)
        a = threading.Thread(target=ask, args=("A", a_pool), name="A")
        a.start()
        assert stalled.wait(60)
        b = threading.Thread(target=ask, args=("B", b_pool), name="B")
        b.start()
        a.join(60)
        b.join(60)
    assert answers == {"A": b"pong", "B": b"pong"}
