"""Real parts for the cluster's tests and benchmark: a redis-server on a free loopback port,
real Celery worker processes (``celery -A ocr_pdf.cluster worker``), and documents the
loopback Azure stand-in can answer for. No eager mode, no fake Redis."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.pagegen import Block, PageSpec, TruthPage, make_pdf

ROOT = Path(__file__).resolve().parent.parent
REDIS_SERVER = shutil.which("redis-server")

REDELIVER_AFTER = 4
"""The workers' visibility timeout in these tests (seconds; 60 by default): a killed worker's
document is taken up again this soon."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def redis_server() -> Iterator[str]:
    """A fresh redis-server on loopback, nothing saved to disk; yields its URL."""
    assert REDIS_SERVER, "redis-server is not installed (apt-get install redis-server)"
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="ocr-pdf-redis-") as folder:
        proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", folder],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                        s.sendall(b"PING\r\n")
                        if s.recv(16).startswith(b"+PONG"):
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("redis-server did not start")
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(10)


def celery_config(folder: Path, redeliver_after: int = REDELIVER_AFTER) -> Path:
    """A module for OCR_PDF_CELERY_CONFIG with a short visibility timeout (seconds)."""
    module = folder / "ocr_pdf_test_celeryconfig.py"
    module.write_text(
        "broker_transport_options = {\n"
        f"    'visibility_timeout': {redeliver_after},\n"
        "    'unacked_restore_interval': 1,\n"
        "    'unacked_restore_throttle': 1,\n"
        "}\n"
    )
    return module


def cluster_env(url: str, key: str, config: Path | None = None) -> dict[str, str]:
    """The environment of a worker or client of the cluster at ``url``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "OCR_PDF_"))}
    env.update(OCR_PDF_REDIS_URL=url, AZURE_VISION_KEY=key)
    # The workers' own limits (ocr_pdf/cluster/policy.py): the tests' files, any loopback
    # stand-in (tests/test_cluster_trust.py starts workers without these).
    env.update(OCR_PDF_WORKER_ROOTS=tempfile.gettempdir())
    env.update(OCR_PDF_WORKER_ENDPOINTS="http://127.0.0.1:*")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + ([str(config.parent)] if config else []) + [env.get("PYTHONPATH", "")]
    )
    if config is not None:
        env["OCR_PDF_CELERY_CONFIG"] = config.stem
    return env


POOLS = ("prefork", "threads", "solo")
"""Celery's worker pools: ``prefork`` is its default (no ``--pool`` flag given), whose pool
processes are daemonic and may not start processes of their own."""


class Worker:
    """One ``celery -A ocr_pdf.cluster worker`` process (its own process group, so that it
    and its pool can be killed together), on Celery's default pool unless ``pool`` names
    another, exactly as a user types it."""

    def __init__(
        self, name: str, env: dict[str, str], log: Path, *, concurrency: int = 2,
        pool: str = "prefork",
    ) -> None:  # fmt: skip
        self.name = name
        self.log = log
        self._log = log.open("wb")
        chosen = [] if pool == "prefork" else ["--pool", pool]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "ocr_pdf.cluster", "worker", *chosen,
             "--concurrency", str(concurrency), "-n", f"{name}@%h",
             "--loglevel", "INFO", "--without-gossip", "--without-mingle",
             "--without-heartbeat"],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 60) -> Worker:
        deadline = time.monotonic() + timeout
        while b" ready." not in self.log.read_bytes():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {self.name} did not start:\n{self.log.read_text()}")
            time.sleep(0.1)
        return self

    def freeze(self) -> None:
        """SIGSTOP: the worker and its pool hold still (mid-call even) while a test looks at
        what it has done; then ``kill`` or ``thaw``."""
        os.killpg(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.killpg(self.proc.pid, signal.SIGCONT)

    def kill_when(self, ready: Callable[[], bool], what: str) -> None:
        """Kill the worker at a moment when ``ready()`` holds while it is frozen (checked on
        the frozen worker, so nothing changes between the check and the kill)."""
        started = time.monotonic()
        while True:
            self.freeze()
            if ready():
                self.kill()
                return
            self.thaw()
            assert time.monotonic() - started < 120, f"never {what}"
            time.sleep(0.01)

    def pool_processes(self) -> list[int]:
        """The process ids of the worker's prefork pool (its child processes)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # gone meanwhile
                continue
            if int(fields[1]) == self.proc.pid:  # the parent's id
                children.append(int(stat.parent.name))
        return children

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, nothing handed back to the broker."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


def shared_keys(url: str, kind: str) -> list[str]:
    """The keys of the cluster's cache at ``url`` of one kind: ``page`` (results) or
    ``operation`` (notes of submitted operations)."""
    from ocr_pdf.shared_state.redis_store import PREFIX, connection

    keys = connection(url).keys(f"{PREFIX}{kind}:*")
    return [k.decode() if isinstance(k, bytes) else str(k) for k in keys]


def cached_pages(url: str, truths: list[TruthPage]) -> set[str]:
    """The names of the pages among ``truths`` whose results the cluster's cache holds."""
    from ocr_pdf.shared_state.redis_store import PREFIX, RedisPages
    from tests.checks import expected_text

    store = RedisPages(url)
    texts = set()
    for key in shared_keys(url, "page"):
        page = store.get(key.removeprefix(f"{PREFIX}page:"))
        if page is not None:
            texts.add(" ".join(w.text for w in page.words))
    return {t.spec.name for t in truths if " ".join(expected_text(t).split()) in texts}


def documents(folder: Path, counts: list[int], prefix: str = "doc") -> list[TruthPage]:
    """PDFs ``prefix<i>.pdf`` of ``counts[i]`` small scanned pages each, every page
    different; returns the truth of every page, for the stand-in."""
    truths: list[TruthPage] = []
    for d, count in enumerate(counts):
        specs = [
            PageSpec(
                f"{prefix}{d}p{i}",
                (Block(20, 20 + 5 * (i % 9), (f"{prefix} {d} page {i}", f"line {d * 97 + i}")),),
                width_in=3,
                height_in=2,
                dpi=100,
            )
            for i in range(count)
        ]
        data, truth = make_pdf(specs)
        (folder / f"{prefix}{d}.pdf").write_bytes(data)
        truths.extend(truth)
    return truths
