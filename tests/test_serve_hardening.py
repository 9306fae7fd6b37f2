"""`ocr-pdf serve` as a service others point their tools at: each attack found on the old
http.server-based demo (issue 17, 16.1/10/16/19) has a test here that failed on it. What a
client sees is checked: statuses, Azure's JSON bodies, connections held or closed, timings,
what reached the engine, exit codes and the lines printed."""

from __future__ import annotations

import http.client
import io
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from ocr_pdf import make_searchable
from ocr_pdf.cli import main
from ocr_pdf.errors import ExitCode
from ocr_pdf.models import Line, PageText, Word
from ocr_pdf.serve import AzureCompatibleServer, ServeLimits, make_server
from ocr_pdf.serve.operations import Operations
from tests import checks, sockets
from tests.conftest import ROOT
from tests.events import HANG, wait_for
from tests.pagegen import geometry_specs, make_pdf
from tests.serve_process import cheap_engine, serve_command
from tests.test_local_engines import has_tesseract
from tests.test_serve import TruthEngine, polled

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "::1"])
OCTETS = {"Content-Type": "application/octet-stream"}


class GateEngine:
    """Reads every image as one word, "hello", but only once ``gate`` is open; counts the
    images it was given, so a test sees what reached the engine."""

    name = "gate"

    def __init__(self, text: str = "hello", fail: bool = False) -> None:
        self.gate = threading.Event()
        self.started = threading.Semaphore(0)
        self.calls = 0
        self.text = text
        self.fail = fail

    def recognize(self, image: Image.Image) -> PageText:
        self.calls += 1
        self.started.release()
        assert self.gate.wait(30)
        if self.fail:
            raise RuntimeError("the engine broke")
        words = tuple(
            Word(t, ((10 + 60 * i, 10), (60 + 60 * i, 10), (60 + 60 * i, 30), (10 + 60 * i, 30)))
            for i, t in enumerate(self.text.split())
        )
        return PageText(image.width, image.height, (Line(words),))


@pytest.fixture
def serve() -> Iterator[Callable[..., AzureCompatibleServer]]:
    servers: list[AzureCompatibleServer] = []

    def start(
        engine: Any,
        key: str | None = None,
        host: str = "127.0.0.1",
        allow_urls: bool = False,
        **limits: Any,
    ) -> AzureCompatibleServer:
        server = make_server(engine, host, 0, key, ServeLimits(**limits), allow_urls)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        getattr(server.app.engine, "gate", threading.Event()).set()
        server.shutdown()
        server.server_close()


def png(width: int = 200, height: int = 100) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (width, height), 255).save(buf, "PNG")
    return buf.getvalue()


def declared_png(width: int, height: int) -> bytes:
    """A valid white PNG of ``width`` x ``height`` grey pixels, built row by row so that the
    test never holds the decoded image (13000 x 13000 compresses to about 165 KB)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    packer = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * width
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def raw(server: AzureCompatibleServer, data: bytes, wait: float = 5.0) -> tuple[bytes, float]:
    """What ``server`` sends on a new connection given ``data`` (see sockets.exchange)."""
    host, port = server.server_address[:2]
    return sockets.exchange(host, port, data, wait)


def error_code(response: requests.Response) -> str:
    body = response.json()
    error = body.get("error", body)
    return str(error.get("innererror", error)["code"])


# -- connections ----------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform != "linux", reason="reads Linux's TCP_INFO")
def test_a_hundred_simultaneous_clients_wait_in_the_queue_not_for_a_syn_retry() -> None:
    """http.server's listen backlog of 5 dropped the SYNs of all but a few of 100 clients
    arriving at once; each then waited 1 s, 3 s, 7 s for its retry. Here the kernel holds
    them until the server gets to them: a hundred clients connect while the server is not
    yet accepting at all, not one SYN is sent twice (counted by the kernel, so a busy machine
    changes nothing), and all are answered once it serves."""
    server = make_server(GateEngine(), "127.0.0.1", 0, None, ServeLimits())  # type: ignore[arg-type]
    clients = []
    try:
        for _ in range(100):
            client = socket.socket()
            client.setblocking(False)
            client.connect_ex(server.server_address[:2])
            clients.append(client)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        request = b"GET /vision/v3.2/read/analyzeResults/none HTTP/1.1\r\nHost: x\r\n\r\n"
        for client in clients:
            assert select.select([], [client], [], 60)[1], "never connected"
            assert sockets.retransmissions(client) == 0
            client.setblocking(True)
            client.settimeout(60)
            client.sendall(request)
        answers = [client.recv(100) for client in clients]
    finally:
        for client in clients:
            client.close()
        server.shutdown()
        server.server_close()
    assert all(answer.startswith(b"HTTP/1.1 404") for answer in answers), answers


def test_slow_and_silent_connections_are_closed(serve: Callable[..., Any]) -> None:
    """Closed by the header timeout (http.server held both for as long as they liked). The
    timeout is 1 s here; the test waits up to 60 s for the close, so that a busy machine,
    which delays the server's timer, cannot fail it."""
    server = serve(GateEngine(), header_timeout=1.0)
    host, port = server.server_address[:2]
    silent = socket.create_connection((host, port))
    trickling = socket.create_connection((host, port))
    trickling.sendall(b"POST /vision/v3.2/ocr HTTP/1.1\r\nHost: x\r\n")
    started = time.monotonic()
    closed: set[str] = set()
    for sock in (silent, trickling):
        sock.settimeout(0.3)
    while len(closed) < 2 and time.monotonic() - started < HANG:
        for name, sock in (("silent", silent), ("trickling", trickling)):
            if name in closed:
                continue
            try:
                if name == "trickling":
                    sock.sendall(b"X-Slow: 1\r\n")  # a slowloris: one header line at a time
                if sock.recv(1024) == b"":
                    closed.add(name)
            except TimeoutError:
                pass
            except OSError:
                closed.add(name)
    assert closed == {"silent", "trickling"}


def test_an_unfinished_request_line_does_not_hang(serve: Callable[..., Any]) -> None:
    server = serve(GateEngine(), header_timeout=1.0)
    got, seconds = raw(server, b"GET /\r\n", wait=HANG)
    assert seconds < HANG and b"200 OK" not in got  # closed by the server; http.server waited 60 s


def test_keep_alive_answers_are_not_delayed(serve: Callable[..., Any]) -> None:
    """http.server wrote each answer in two pieces with Nagle's algorithm on, so the second
    waited for the client's delayed ACK: 40 ms added to every request on a kept-alive
    connection. The server's side of a connection sends at once (TCP_NODELAY), whatever the
    machine's load; and answers stay correct over a kept-alive connection."""
    server = serve(GateEngine())
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=HANG)
    try:
        for _ in range(3):
            connection.request("POST", "/nowhere", body=b"x")
            answer = connection.getresponse()
            assert answer.status == 404 and b"Resource not found" in answer.read()
        assert connection.sock is not None  # the same connection all along
        accepted = sockets.accepted_socket(connection.sock)
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        connection.close()


@pytest.mark.slow
def test_a_get_body_is_not_read_as_a_second_request(serve: Callable[..., Any]) -> None:
    server = serve(GateEngine())
    smuggled = b"GET /vision/v3.2/read/analyzeResults/b HTTP/1.1\r\nHost: x\r\n\r\n"
    request = (
        b"GET /vision/v3.2/read/analyzeResults/a HTTP/1.1\r\nHost: x\r\n"
        + f"Content-Length: {len(smuggled)}\r\n\r\n".encode()
        + smuggled
    )
    got, _ = raw(server, request, wait=2)
    assert got.count(b"HTTP/1.1 ") == 1, got


@pytest.mark.slow
def test_a_client_that_hangs_up_leaves_no_traceback(tmp_path: Path) -> None:
    """Through the command, as a user runs it: clients that leave mid-request, mid-body and
    while their image waits for the engine; stderr holds the banner and nothing else."""
    port = _free_port()
    proc = serve_command("--port", str(port))
    try:
        assert proc.stderr is not None
        banner = proc.stderr.readline()
        assert f"127.0.0.1:{port}" in banner
        image = png(1000, 800)
        attacks = [
            b"POST /vision/v3.2/ocr HTTP/1.1\r\nHost: x\r\n",
            b"POST /vision/v3.2/ocr HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc",
            b"POST /vision/v3.2/ocr HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
            + f"Content-Length: {len(image)}\r\n\r\n".encode()
            + image,
        ] * 3
        for attack in attacks:
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(attack)
            time.sleep(0.05)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()  # a reset, as a client killed mid-request
        time.sleep(1.0)
        assert requests.get(f"http://127.0.0.1:{port}/x", timeout=10).status_code == 404
    finally:
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=30)[1]
    assert proc.returncode == 0
    assert rest.strip() == "ocr-pdf: stopped", rest


# -- backpressure ----------------------------------------------------------------------------


def test_beyond_its_queue_the_server_answers_429_as_azure(serve: Callable[..., Any]) -> None:
    engine = GateEngine()
    server = serve(engine, queue=2)
    url = server.url + "/vision/v3.2/ocr"
    with ThreadPoolExecutor(3) as pool:
        running = pool.submit(requests.post, url, data=png(), headers=OCTETS, timeout=30)
        assert engine.started.acquire(timeout=10)
        waiting = [
            pool.submit(requests.post, url, data=png(), headers=OCTETS, timeout=30)
            for _ in range(2)
        ]
        wait_for(lambda: server.app.work.waiting == 2, "two images in the queue")
        refused = requests.post(url, data=png(), headers=OCTETS, timeout=30)
        read = requests.post(
            server.url + "/vision/v3.2/read/analyze", data=png(), headers=OCTETS, timeout=30
        )
        engine.gate.set()
        answers = [f.result() for f in [running, *waiting]]
    assert [a.status_code for a in answers] == [200, 200, 200]
    for response in (refused, read):
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) >= 1
        assert error_code(response) == "429"
        assert "Try again in" in response.json()["error"]["message"]


@pytest.mark.slow
def test_an_image_not_read_within_max_wait_is_answered_429(serve: Callable[..., Any]) -> None:
    """Before the client's own timeout runs out: it can retry, instead of timing out."""
    engine = GateEngine()
    server = serve(engine, max_wait=1.0)
    url = server.url + "/vision/v3.2/ocr"
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(requests.post, url, data=png(), headers=OCTETS, timeout=30)
        assert engine.started.acquire(timeout=10)
        started = time.monotonic()
        waited = requests.post(url, data=png(), headers=OCTETS, timeout=HANG)
        assert waited.status_code == 429 and error_code(waited) == "429"
        assert time.monotonic() - started > 0.9  # it did wait its max_wait first
        engine.gate.set()
        assert first.result().status_code == 200
    # Images are read in turn: once a later one is answered, the refused one never will be.
    assert requests.post(url, data=png(), headers=OCTETS, timeout=HANG).status_code == 200
    assert engine.calls == 2


@pytest.mark.slow
def test_work_for_a_client_that_left_is_dropped(serve: Callable[..., Any]) -> None:
    engine = GateEngine()
    server = serve(engine)
    url = server.url + "/vision/v3.2/ocr"
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(requests.post, url, data=png(), headers=OCTETS, timeout=30)
        assert engine.started.acquire(timeout=10)
        image = png()
        for _ in range(3):  # each waits behind the first, then its client gives up
            with pytest.raises(requests.exceptions.ReadTimeout):
                requests.post(url, data=image, headers=OCTETS, timeout=0.5)
        wait_for(lambda: server.app.work.waiting == 0, "the work of the clients that left to go")
        engine.gate.set()
        assert first.result().status_code == 200
    # Images are read in turn: once a later one is answered, the dropped ones never will be.
    assert requests.post(url, data=image, headers=OCTETS, timeout=HANG).status_code == 200
    assert engine.calls == 2


def test_unpolled_read_jobs_are_bounded(serve: Callable[..., Any]) -> None:
    engine = GateEngine()
    server = serve(engine, queue=4)
    statuses = [
        requests.post(
            server.url + "/vision/v3.2/read/analyze", data=png(), headers=OCTETS, timeout=30
        ).status_code
        for _ in range(30)
    ]
    engine.gate.set()
    # One is being read, four wait; the rest are told to come back, never queued.
    assert statuses.count(202) <= 6 and statuses.count(429) >= 24, statuses
    assert server.app.body_memory.used <= 6 * len(png())


def test_request_bodies_are_bounded_in_memory(serve: Callable[..., Any]) -> None:
    engine = GateEngine()
    image = png()
    server = serve(engine, body_memory=len(image) * 5 // 2, max_body=2 * len(image))
    url = server.url + "/vision/v3.2/read/analyze"
    assert requests.post(url, data=image, headers=OCTETS, timeout=30).status_code == 202
    assert engine.started.acquire(timeout=10)
    assert requests.post(url, data=image, headers=OCTETS, timeout=30).status_code == 202
    # Two bodies held: a third does not fit the budget.
    assert requests.post(url, data=image, headers=OCTETS, timeout=30).status_code == 429
    too_big = requests.post(url, data=image * 3, headers=OCTETS, timeout=30)
    assert too_big.status_code == 413 and error_code(too_big) == "413"

    def chunks() -> Iterator[bytes]:
        yield from (image,) * 5

    streamed = requests.post(url, data=chunks(), headers=OCTETS, timeout=30)  # chunked
    assert streamed.status_code in (413, 429), streamed.text
    engine.gate.set()


def test_a_body_that_trickles_is_cut_off(serve: Callable[..., Any]) -> None:
    server = serve(GateEngine(), body_timeout=1.0)
    got, seconds = raw(
        server,
        b"POST /vision/v3.2/ocr HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
        b"Content-Length: 5000\r\n\r\n\x89PNG",
        wait=HANG,
    )
    assert got.startswith(b"HTTP/1.1 408") and b'"code": "408"' in got, got[:200]
    assert seconds < HANG  # closed by the server after its 1 s body timeout


# -- images ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return declared_png(13000, 13000)


def test_image_size_is_read_from_the_header_before_decoding(
    serve: Callable[..., Any], bomb: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[tuple[int, int]] = []
    real_load = Image.Image.load

    def spy(self: Image.Image) -> Any:
        decoded.append(self.size)
        return real_load(self)

    monkeypatch.setattr(Image.Image, "load", spy)
    engine = GateEngine()
    engine.gate.set()
    server = serve(engine)
    assert len(bomb) < 1_000_000
    for path, params in (
        ("/vision/v3.2/ocr", {}),  # Azure's own limit: 4200 px a side
        ("/computervision/imageanalysis:analyze", {"features": "read"}),  # ours: 60 MP
    ):
        response = requests.post(
            server.url + path, params=params, data=bomb, headers=OCTETS, timeout=60
        )
        assert response.status_code == 400 and error_code(response) == "InvalidImageSize"
    assert (13000, 13000) not in decoded and engine.calls == 0  # never decoded, never read


# -- error bodies ----------------------------------------------------------------------------


@pytest.mark.slow
def test_every_error_status_has_azures_json_body(serve: Callable[..., Any]) -> None:
    engine = GateEngine(fail=True)
    engine.gate.set()
    server = serve(engine, max_body=1_000_000, body_memory=2_000_000)
    url = server.url

    def status_of(response: requests.Response) -> tuple[int, str]:
        assert response.headers["Content-Type"].startswith("application/json"), response.text
        return response.status_code, error_code(response)

    cases = {
        404: requests.post(url + "/vision/v3.2/describe", data=b"x", timeout=10),
        405: requests.get(url + "/vision/v3.2/ocr", timeout=10),
        413: requests.post(
            url + "/vision/v3.2/read/analyze", data=b"x" * 1_500_000, headers=OCTETS, timeout=10
        ),
        414: requests.get(url + "/" + "a" * 70_000, timeout=10),
        431: requests.get(url + "/x", headers={"X-Big": "b" * 40_000}, timeout=10),
        500: requests.post(url + "/vision/v3.2/ocr", data=png(), headers=OCTETS, timeout=10),
        501: requests.request("BREW", url + "/vision/v3.2/ocr", timeout=10),
    }
    for status, response in cases.items():
        got_status, code = status_of(response)
        assert got_status == status, (status, response.text)
        assert code in (str(status), "InternalServerError"), (status, code)
    many = requests.get(url + "/x", headers={f"X-{i}": "1" for i in range(120)}, timeout=10)
    assert status_of(many) == (431, "431")
    got, _ = raw(server, b"POST /vision/v3.2/ocr HTTP/1.1\r\nHost: x\r\n\r\n", wait=2)
    assert got.startswith(b"HTTP/1.1 411") and b'"code": "411"' in got, got
    assert cases[405].headers["Allow"] == "POST"


def test_operation_location_names_the_server_not_the_host_header(serve: Callable[..., Any]) -> None:
    engine = GateEngine()
    engine.gate.set()
    server = serve(engine)
    submitted = requests.post(
        server.url + "/vision/v3.2/read/analyze",
        data=png(),
        headers={**OCTETS, "Host": "evil.example:80"},
        timeout=10,
    )
    assert submitted.status_code == 202
    assert submitted.headers["Operation-Location"].startswith(server.url + "/vision/v3.2/read/")


def test_ipv6_loopback(serve: Callable[..., Any]) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        socket.socket(socket.AF_INET6).bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    engine = GateEngine()
    engine.gate.set()
    server = serve(engine, host="::1")
    assert server.url.startswith("http://[::1]:")
    submitted = requests.post(
        server.url + "/vision/v3.2/read/analyze", data=png(), headers=OCTETS, timeout=10
    )
    location = submitted.headers["Operation-Location"]
    assert location.startswith(server.url)
    answer = polled(location)
    assert answer["analyzeResult"]["readResults"][0]["lines"][0]["text"] == "hello"


# -- Read results ----------------------------------------------------------------------------


def test_read_results_outlive_a_thousand_operations() -> None:
    ops = Operations(keep=48 * 3600, memory=64_000_000)
    first = ops.create()
    ops.update(first, "succeeded", b'{"readResults": []}')
    for _ in range(5000):
        ops.update(ops.create(), "succeeded", b"{}")
    body = ops.body(first)
    assert body is not None and b'"status": "succeeded"' in body


def test_read_results_expire_and_are_bounded_by_memory() -> None:
    now = [0.0]
    ops = Operations(keep=60, memory=20_000, clock=lambda: now[0])
    old = ops.create()
    ops.update(old, "succeeded", b"x" * 5_000)
    now[0] = 30
    kept = [ops.create() for _ in range(3)]
    for op in kept:
        ops.update(op, "succeeded", b"y" * 5_000)
    assert ops.body(old) is None, "the oldest goes first when results exceed their memory"
    assert all(ops.body(op) is not None for op in kept)
    assert ops.used <= 20_000
    now[0] = 200
    assert all(ops.body(op) is None for op in kept), "expired"
    assert len(ops) == 0 and ops.used == 0


def test_read_results_are_kept_for_the_configured_time(serve: Callable[..., Any]) -> None:
    engine = GateEngine()
    engine.gate.set()
    server = serve(engine, keep_results=1.0)
    assert server.app.operations.keep == 1.0  # --keep-results reaches the results
    now = [0.0]  # the results' clock, moved by hand: no waiting out the hour here
    server.app.operations = Operations(1.0, server.app.operations.memory, clock=lambda: now[0])
    location = requests.post(
        server.url + "/vision/v3.2/read/analyze", data=png(), headers=OCTETS, timeout=HANG
    ).headers["Operation-Location"]
    assert polled(location)["status"] == "succeeded"
    now[0] += 0.9
    assert requests.get(location, timeout=HANG).status_code == 200
    now[0] += 0.2
    gone = requests.get(location, timeout=HANG)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "NotFound"


# -- what /ocr answers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,asked,expected",
    [
        ("Quarterly report for the board of directors", "unk", "en"),
        ("Achtung Baustelle bitte langsam fahren", "unk", "de"),
        ("Quarterly report for the board of directors", "fr", "fr"),
        ("123 456", "unk", "unk"),
    ],
)
def test_ocr_reports_the_detected_language(
    serve: Callable[..., Any], text: str, asked: str, expected: str
) -> None:
    engine = GateEngine(text)
    engine.gate.set()
    server = serve(engine)
    response = requests.post(
        server.url + "/vision/v3.2/ocr",
        params={"language": asked},
        data=png(600, 100),
        headers=OCTETS,
        timeout=30,
    )
    assert response.json()["language"] == expected


def test_ocr_names_its_model_on_v32_only(serve: Callable[..., Any]) -> None:
    engine = GateEngine()
    engine.gate.set()
    server = serve(engine)
    answers = {
        version: requests.post(
            f"{server.url}/vision/{version}/ocr", data=png(), headers=OCTETS, timeout=30
        ).json()
        for version in ("v3.2", "v3.1", "v2.1")
    }
    assert answers["v3.2"]["modelVersion"] == "2021-04-01"
    assert list(answers["v3.2"]) == [
        "language",
        "textAngle",
        "orientation",
        "regions",
        "modelVersion",
    ]
    assert "modelVersion" not in answers["v3.1"] and "modelVersion" not in answers["v2.1"]


def test_an_unsupported_language_is_refused_as_azure_does(serve: Callable[..., Any]) -> None:
    server = serve(GateEngine())
    response = requests.post(
        server.url + "/vision/v3.2/ocr",
        params={"language": "xx"},
        data=png(),
        headers=OCTETS,
        timeout=10,
    )
    assert response.status_code == 400 and error_code(response) == "NotSupportedLanguage"


# -- our engines against it ------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["azure-ocr", "azure-read", "azure-vision"])
def test_our_engines_need_no_key_for_a_loopback_server(
    engine: str, serve: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = next(s for s in geometry_specs() if s.name == "upright")
    data, truths = make_pdf([spec])
    src, out = tmp_path / "scan.pdf", tmp_path / "out.pdf"
    src.write_bytes(data)
    server = serve(TruthEngine(truths))
    monkeypatch.delenv("AZURE_VISION_KEY", raising=False)
    monkeypatch.delenv("AZURE_VISION_KEY_FILE", raising=False)
    monkeypatch.setattr("ocr_pdf.azure.polling.POLL_INTERVAL", 0.05)
    make_searchable(src, out, engine=engine, endpoint=server.url, dpi=150, cache=False)
    assert checks.page_text(out, 0).split() == checks.expected_text(truths[0]).split()


def test_a_server_that_wants_a_key_says_so(
    serve: Callable[..., Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = next(s for s in geometry_specs() if s.name == "upright")
    data, truths = make_pdf([spec])
    src = tmp_path / "scan.pdf"
    src.write_bytes(data)
    server = serve(TruthEngine(truths), key="s3cret")
    monkeypatch.delenv("AZURE_VISION_KEY", raising=False)
    monkeypatch.delenv("AZURE_VISION_KEY_FILE", raising=False)
    code = main(
        [
            str(src),
            str(tmp_path / "out.pdf"),
            "--engine",
            "azure-ocr",
            "--endpoint",
            server.url,
            "--no-cache",
        ]
    )
    assert code == ExitCode.invalid_config
    assert "AZURE_VISION_KEY" in capsys.readouterr().err
    assert not (tmp_path / "out.pdf").exists()


# -- the command ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@has_tesseract
def test_start_up_failures_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert (
            main(["serve", "--port", str(port), "--engine", "tesseract"])
            == ExitCode.file_access_error
        )
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"port {port} is in use" in err and "--port 0" in err, err
    for bad in ("70000", "-1"):
        assert main(["serve", "--port", bad, "--engine", "tesseract"]) == ExitCode.bad_args
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--port" in err, err
    assert (
        main(["serve", "--host", "no-such-host.invalid", "--engine", "tesseract"])
        == ExitCode.bad_args
    )
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.slow
def test_quiet_means_quiet_but_port_0_still_names_its_port() -> None:
    command = [sys.executable, "-m", "ocr_pdf", "serve", "-q", "--port", "0", "--engine",
               cheap_engine()]  # fmt: skip
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "OCR_PDF_SERVE_KEY": ""},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()  # printed once it listens: the port it picked
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0"), url
        assert requests.get(url + "/x", timeout=HANG).status_code == 404
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=HANG)
    assert proc.returncode == 0 and err == "" and out == "", (out, err)


def test_without_the_serve_extra_the_command_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['hypercorn'] = None; "
        "from ocr_pdf.cli import main; "
        f"sys.exit(main(['serve', '--port', '0', '--engine', '{cheap_engine()}']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == ExitCode.missing_dependency
    assert done.stderr.count("\n") == 1 and "pip install '.[serve]'" in done.stderr, done.stderr
