"""Redis as a trust boundary: whoever can write to it can send a task, so a real Celery worker
(on a real redis-server) takes its endpoint and engine from its own environment and touches
files only under its own OCR_PDF_WORKER_ROOTS, whatever a message asks. A loopback sink stands
for an attacker's server: it must receive nothing, and no file may appear outside the roots.

The messages are sent raw (``send_task``), as any Redis client could, not through
``ocr-pdf enqueue``, which never asks for these things."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ocr_pdf.azure.polling import same_service
from ocr_pdf.cluster.policy import WorkerPolicy
from ocr_pdf.errors import ExitCode, RefusedByWorkerError
from ocr_pdf.options import ConversionOptions
from tests.cluster_support import REDIS_SERVER, Worker, cluster_env, documents, redis_server
from tests.conftest import FAKE_KEY
from tests.standin import StandIn

pytestmark = [
    pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed"),
    pytest.mark.block_network(allowed_hosts=["127.0.0.1"]),
]


@dataclass
class Sink:
    """A loopback server that accepts anything and keeps every byte it is sent."""

    received: list[bytes] = field(default_factory=list)
    connections: int = 0

    def __post_init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(2)
                with contextlib.suppress(OSError):
                    self.received.append(conn.recv(65536))

    def close(self) -> None:
        self.server.close()


@dataclass
class Guarded:
    """One worker with its own limits, the stand-in it may call, and a Celery client."""

    roots: Path
    outside: Path
    standin: StandIn
    sink: Sink
    client: Any
    worker: Worker

    def send(self, input_path: Path, output: Path, **options: Any) -> Any:
        message = {"engine": "azure-ocr", "dpi": 100, "cache": False, **options}
        task = self.client.send_task(
            "ocr_pdf.convert_document", args=[str(input_path), str(output), message]
        )
        task.get(timeout=120, propagate=False)
        return task


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guarded]:
    from celery import Celery

    folder = tmp_path_factory.mktemp("trust")
    roots, outside = folder / "roots", folder / "outside"
    roots.mkdir()
    outside.mkdir()
    truths = documents(roots, [2], "inside") + documents(outside, [1], "secret")
    sink = Sink()
    with redis_server() as url, StandIn(key=FAKE_KEY, pages=truths) as standin:
        env = cluster_env(url, FAKE_KEY)
        env.pop("OCR_PDF_WORKER_ENDPOINTS")  # this worker calls its own endpoint only
        env.update(OCR_PDF_WORKER_ROOTS=str(roots), AZURE_VISION_ENDPOINT=standin.endpoint)
        worker = Worker("guarded", env, folder / "guarded.log").wait_ready()
        client = Celery("attacker", broker=url, backend=url)
        client.conf.update(task_default_queue="ocr-pdf", accept_content=["json"])
        try:
            yield Guarded(roots, outside, standin, sink, client, worker)
        finally:
            worker.stop()
            sink.close()


def _refused(task: Any) -> str:
    assert task.state == "FAILURE", task.state
    error = task.result
    assert getattr(error, "exit_code", None) == ExitCode.invalid_config, error
    return str(error)


@pytest.mark.slow
def test_a_worker_converts_within_its_own_limits(guarded: Guarded) -> None:
    out = guarded.roots / "out" / "inside0.pdf"
    out.parent.mkdir(exist_ok=True)
    task = guarded.send(guarded.roots / "inside0.pdf", out, sidecar=str(out.with_suffix(".txt")))
    assert task.state == "SUCCESS", task.result
    assert out.exists() and out.with_suffix(".txt").read_text().startswith("inside 0 page 0")


@pytest.mark.slow
@pytest.mark.parametrize("port", ["sink", "other-scheme"])
def test_no_message_sends_the_key_or_a_page_elsewhere(guarded: Guarded, port: str) -> None:
    endpoint = guarded.sink.url if port == "sink" else guarded.sink.url.replace("http", "https")
    out = guarded.roots / f"never-{port}.pdf"
    calls = len(guarded.standin.calls)
    said = _refused(guarded.send(guarded.roots / "inside0.pdf", out, endpoint=endpoint))
    assert "is not one this worker calls" in said
    assert guarded.sink.connections == 0 and guarded.sink.received == []
    assert len(guarded.standin.calls) == calls and not out.exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    "where",
    ["output", "sidecar", "ocr_json", "cache", "input", "symlink", "dot-dot", "source"],
)
def test_no_message_moves_a_file_outside_the_roots(guarded: Guarded, where: str) -> None:
    inside, outside = guarded.roots, guarded.outside
    src, out = inside / "inside0.pdf", inside / f"out-{where}.pdf"
    options: dict[str, Any] = {}
    if where == "output":
        out = outside / "stolen.pdf"
    elif where in ("sidecar", "ocr_json"):
        options[where] = str(outside / f"stolen-{where}")
    elif where == "cache":
        options["cache"] = str(outside / "cache")
    elif where == "input":
        src = outside / "secret0.pdf"
    elif where == "symlink":
        link = inside / "link"
        if not link.exists():
            link.symlink_to(outside, target_is_directory=True)
        out = link / "via-link.pdf"
    elif where == "dot-dot":
        out = inside / ".." / "outside" / "dotted.pdf"
    elif where == "source":
        options.update(engine="replay", source=str(outside / "run.json"))
    before = sorted(p.name for p in outside.rglob("*"))
    calls = len(guarded.standin.calls)
    said = _refused(guarded.send(src, out, **options))
    assert "outside the folders this worker may use" in said
    assert sorted(p.name for p in outside.rglob("*")) == before
    assert len(guarded.standin.calls) == calls and not out.exists()


# -- the policy itself, and the polling address (no worker needed) -------------------------


def test_a_worker_without_roots_converts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OCR_PDF_WORKER_ROOTS", raising=False)
    with pytest.raises(RefusedByWorkerError, match="OCR_PDF_WORKER_ROOTS"):
        WorkerPolicy.from_environment().check("/srv/a.pdf", "/srv/b.pdf", ConversionOptions())


def test_endpoints_and_engines_are_the_workers_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OCR_PDF_WORKER_ROOTS", str(tmp_path))
    monkeypatch.setenv("AZURE_VISION_ENDPOINT", "https://mine.cognitiveservices.azure.com")
    monkeypatch.setenv("OCR_PDF_WORKER_ENDPOINTS", "http://127.0.0.1:5000, http://10.0.0.9:*")
    monkeypatch.setenv("OCR_PDF_WORKER_ENGINES", "azure-read local")
    policy = WorkerPolicy.from_environment()
    a, b = str(tmp_path / "a.pdf"), str(tmp_path / "b.pdf")
    for fine in (
        None,
        "https://mine.cognitiveservices.azure.com/",
        "https://MINE.cognitiveservices.azure.com:443",
        "http://127.0.0.1:5000",
        "http://10.0.0.9:8123",
    ):
        policy.check(a, b, ConversionOptions.from_kwargs(engine="azure-read", endpoint=fine))
    for wrong in (
        "https://theirs.cognitiveservices.azure.com",
        "http://mine.cognitiveservices.azure.com",
        "http://127.0.0.1:5001",
        "https://127.0.0.1:5000",
        "not a url",
    ):
        with pytest.raises(RefusedByWorkerError, match="is not one this worker calls"):
            policy.check(a, b, ConversionOptions.from_kwargs(engine="azure-read", endpoint=wrong))
    with pytest.raises(RefusedByWorkerError, match="OCR_PDF_WORKER_ENGINES"):
        policy.check(a, b, ConversionOptions.from_kwargs(engine="tesseract"))


def test_a_noted_operation_on_another_port_is_not_polled_with_the_key() -> None:
    """Notes of submitted operations live in Redis too: one pointing at another server on
    the endpoint's host must not get the key."""
    assert same_service("http://127.0.0.1:5000/op/1", "http://127.0.0.1:5000")
    assert not same_service("http://127.0.0.1:6666/op/1", "http://127.0.0.1:5000")
    azure = "https://x.cognitiveservices.azure.com"
    assert same_service(f"{azure}:443/op", azure)
