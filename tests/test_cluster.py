"""The cluster with real parts: a redis-server on a free loopback port, real Celery worker
processes (``celery -A ocr_pdf.cluster worker``), the loopback Azure stand-in, and
``ocr-pdf enqueue`` run as a user runs it. No eager mode, no fake Redis.

They show: several documents converted by two workers, on each of Celery's pools (its default
prefork pool, whose daemonic pool processes may start no processes of their own, threads and
solo), each page's text where its ink is; the stand-in's rate limit never exceeded by the two
together; a large document's pages read by both; a worker killed with SIGKILL mid-document,
and a prefork pool process killed the same way, and the document still finished with no page
that was read before the kill paid for again; --budget and --max-pages kept across workers;
and the shared limiter's pause after a 429 reaching every process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import checks
from tests.cluster_support import (
    POOLS,
    REDIS_SERVER,
    Worker,
    cached_pages,
    celery_config,
    cluster_env,
    documents,
    redis_server,
    shared_keys,
)
from tests.conftest import FAKE_KEY
from tests.events import HANG
from tests.pagegen import TruthPage
from tests.standin import StandIn

pytestmark = [
    pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed"),
    pytest.mark.block_network(allowed_hosts=["127.0.0.1"]),
]

DEFAULT_POOL = pytest.mark.parametrize("cluster", ["prefork"], indirect=True)
"""For tests of what the pool does not change: the cluster on Celery's default pool."""
EVERY_POOL = pytest.mark.parametrize(
    "cluster", [pool if pool == "prefork" else pytest.param(pool, marks=pytest.mark.slow)
                for pool in POOLS], indirect=True,
)  # fmt: skip
"""For tests of what runs inside the pool (rendering, reading, subtasks): every pool, the
default one in the quick loop."""


@dataclass
class Cluster:
    url: str
    env: dict[str, str]
    workers: list[Worker]
    folder: Path
    logged: dict[str, int] = field(default_factory=dict)  # log sizes at the last enqueue

    def enqueue(self, standin: StandIn, *args: str) -> subprocess.CompletedProcess[str]:
        """``ocr-pdf enqueue`` as a user types it, against the stand-in."""
        self.logged = {w.name: w.log.stat().st_size for w in self.workers}
        command = [sys.executable, "-m", "ocr_pdf", "enqueue", "--engine", "azure-ocr",
                   "--endpoint", standin.endpoint, "--dpi", "100", *args]  # fmt: skip
        return subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=240)

    def did(self, task: str) -> list[str]:
        """The workers that ran a ``task`` (ocr_pdf.convert_document or ocr_pdf.read_pages)
        since the last enqueue (the workers serve the module's tests one after another)."""
        return [
            w.name
            for w in self.workers
            if f"{task}[".encode() in w.log.read_bytes()[self.logged.get(w.name, 0) :]
        ]


@pytest.fixture(scope="module")
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """Two workers on the pool the test is parametrized with (see DEFAULT_POOL, EVERY_POOL)."""
    pool = request.param
    folder = tmp_path_factory.mktemp(f"cluster-{pool}")
    with redis_server() as url:
        env = cluster_env(url, FAKE_KEY, celery_config(folder))
        workers = [Worker(f"w{i}", env, folder / f"w{i}.log", pool=pool) for i in (1, 2)]
        try:
            for worker in workers:
                worker.wait_ready()
            yield Cluster(url, env, workers, folder)
        finally:
            for worker in workers:
                worker.stop()


def same_text(out: Path, truths: list[TruthPage]) -> None:
    """Every page's text as the truth says, each word's characters on its ink."""
    for i, truth in enumerate(truths):
        assert checks.page_text(out, i) == checks.expected_text(truth)
        assert all(p.centres_inside for p in checks.word_placements(out, i, truth))


def finish_with_heir(client: subprocess.Popen[str], env: dict[str, str], tmp_path: Path) -> str:
    """Start a worker that takes over from a killed one; the waiting client's stderr once it
    is done."""
    heir = Worker("heir", env, tmp_path / "heir.log").wait_ready()
    try:
        return client.communicate(timeout=180)[1]
    finally:
        heir.stop()


def waiting_client(
    standin: StandIn, env: dict[str, str], src: Path, out: Path, engine: str, jobs: int
) -> subprocess.Popen[str]:
    """``ocr-pdf enqueue --wait`` of one document, not split, started in the background."""
    command = [sys.executable, "-m", "ocr_pdf", "enqueue", "--engine", engine,
               "--endpoint", standin.endpoint, "--dpi", "100", "--jobs", str(jobs),
               "--split-pages", "0", "--wait", str(src), str(out)]  # fmt: skip
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    return subprocess.Popen(command, env=env, **pipes)  # type: ignore[call-overload, no-any-return]


def answered(standin: StandIn, pages: int) -> set[str]:
    """Once the stand-in has answered ``pages`` pages (within a minute), and half a second
    later, the pages it had answered then: read well before a kill, so cached."""
    deadline = time.monotonic() + 60
    while sum(standin.delivered.values()) < pages and time.monotonic() < deadline:
        time.sleep(0.02)
    read_before = set(standin.delivered)
    time.sleep(0.5)
    return read_before


def paid_again_only_in_flight(standin: StandIn, read_before: set[str], jobs: int) -> None:
    """Nothing read before a kill is paid again; only answers lost with the killed process
    (at most ``jobs`` pages in flight) are bought again: the service bills a request it
    answered, even if the caller died meanwhile."""
    paid_twice = {name for name, n in standin.delivered.items() if n > 1}
    assert not paid_twice & read_before
    assert len(paid_twice) <= jobs


@EVERY_POOL
@pytest.mark.slow
def test_two_workers_convert_several_documents(cluster: Cluster, tmp_path: Path) -> None:
    counts = [3, 5, 4, 6]
    truths = documents(tmp_path, counts, "several")
    with StandIn(key=FAKE_KEY, pages=truths, latency=0.2) as standin:
        inputs = [str(tmp_path / f"several{i}.pdf") for i in range(4)]
        done = cluster.enqueue(standin, "--wait", *inputs, str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    ids = [line.split("\t")[0] for line in done.stdout.splitlines()]
    assert len(ids) == 4 and len(set(ids)) == 4
    assert "4/4 documents, 18/18 pages" in done.stderr and "pages/s" in done.stderr
    start = 0
    for i, count in enumerate(counts):
        same_text(tmp_path / "out" / f"several{i}.pdf", truths[start : start + count])
        start += count
    assert set(standin.delivered.values()) == {1} and len(standin.delivered) == 18
    assert cluster.did("ocr_pdf.convert_document") == ["w1", "w2"]
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == [f"several{i}.pdf" for i in range(4)]


@pytest.mark.slow
@DEFAULT_POOL
def test_the_rate_limit_is_kept_by_both_workers_together(cluster: Cluster, tmp_path: Path) -> None:
    truths = documents(tmp_path, [12, 12], "rate")
    # The service allows two calls more per second than --rate: calls are spaced at the rate
    # when sent, and a busy machine delays each on its way by a different amount (eight in a
    # second would take 470 ms less than their spacing); two workers keeping 5/s each, on
    # their own, would send 10/s.
    with StandIn(key=FAKE_KEY, pages=truths, latency=0.3, limit=(7, 1.0)) as standin:
        done = cluster.enqueue(
            standin, "--wait", "--rate", "5/s", "--split-pages", "0",
            str(tmp_path / "rate0.pdf"), str(tmp_path / "rate1.pdf"), str(tmp_path / "out"),
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert standin.rejected == 0  # never over the limit, with both workers calling
    assert cluster.did("ocr_pdf.convert_document") == ["w1", "w2"]
    # Each document took longer than the 4 s visibility timeout, and was still handed out
    # once: a live worker keeps its documents.
    logs = "".join(w.log.read_text() for w in cluster.workers)
    for task_id in (line.split("\t")[0] for line in done.stdout.splitlines()):
        assert logs.count(f"ocr_pdf.convert_document[{task_id}] received") == 1
    arrivals = sorted(standin.arrivals)
    # 24 calls spaced 210 ms: 4.8 s at least from first to last (a busy machine only adds),
    # where two limits of 5/s each would have taken half that.
    assert arrivals[-1] - arrivals[0] >= 23 * 0.21 - 0.4, arrivals
    assert set(standin.delivered.values()) == {1}


@pytest.mark.slow
@EVERY_POOL
def test_a_large_document_is_read_by_both_workers(cluster: Cluster, tmp_path: Path) -> None:
    truths = documents(tmp_path, [24], "large")
    with StandIn(key=FAKE_KEY, pages=truths, latency=0.3) as standin:
        done = cluster.enqueue(
            standin, "--wait", "--split-pages", "6", "--jobs", "2",
            str(tmp_path / "large0.pdf"), str(tmp_path / "out"),
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    same_text(tmp_path / "out" / "large0.pdf", truths)
    assert set(standin.delivered.values()) == {1} and len(standin.delivered) == 24
    # The worker converting it reads some pages, the other worker others (on a solo pool a
    # worker runs one task at a time: the one converting it reads no subtask meanwhile).
    (converter,) = cluster.did("ocr_pdf.convert_document")
    assert set(cluster.did("ocr_pdf.read_pages")) - {converter}


@pytest.mark.slow
@DEFAULT_POOL
def test_budget_and_page_cap_are_kept_across_workers(cluster: Cluster, tmp_path: Path) -> None:
    truths = documents(tmp_path, [6, 6, 6], "budget")
    capped = documents(tmp_path, [9], "capped")
    inputs = [str(tmp_path / f"budget{i}.pdf") for i in range(3)]
    with StandIn(key=FAKE_KEY, pages=truths + capped, latency=0.2) as standin:
        spent = cluster.enqueue(
            standin, "--wait", "--budget", "7", "--split-pages", "2", *inputs,
            str(tmp_path / "out"),
        )  # fmt: skip
        paid = sum(c["bytes"] > 0 for c in standin.calls)
        dry = cluster.enqueue(standin, "--dry-run", *inputs, str(tmp_path / "out"))
        refused = cluster.enqueue(
            standin, "--wait", "--max-pages", "6", inputs[0], str(tmp_path / "capped0.pdf"),
            str(tmp_path / "capped"),
        )  # fmt: skip
        finished = cluster.enqueue(standin, "--wait", *inputs, str(tmp_path / "out"))
    assert spent.returncode == 11, spent.stderr
    assert paid == 7  # by both workers and their subtasks together, not one more
    failures = [ln for ln in spent.stderr.splitlines() if ln.startswith("ocr-pdf: error:")]
    assert failures and all("budget of 7 billable call(s)" in ln for ln in failures)
    assert any("not read" in ln for ln in failures)
    cached = sum(int(ln.split(", ")[1].split(" of them")[0]) for ln in dry.stdout.splitlines())
    assert dry.returncode == 0 and cached == 7  # what was read stayed in the shared cache
    assert refused.returncode == 11
    refusal = [ln for ln in refused.stderr.splitlines() if ln.startswith("ocr-pdf: error:")]
    assert len(refusal) == 1 and "9 pages to OCR, more than --max-pages 6" in refusal[0]
    assert not any(name.startswith("capped") for name in standin.delivered)  # no call for it
    assert (tmp_path / "capped" / "budget0.pdf").exists()
    assert finished.returncode == 0, finished.stderr
    assert set(standin.delivered.values()) == {1}  # the pages read under the budget: once
    # A spent budget or a refused document is the user's outcome, not the worker's fault:
    # one INFO line each in the workers' logs, no ERROR and no traceback.
    logs = "".join(w.log.read_text() for w in cluster.workers)
    assert "raised expected: RemoteConversionError" in logs
    assert "ERROR/" not in logs and "Traceback" not in logs and "unexpected" not in logs


@pytest.mark.slow
def test_a_killed_worker_leaves_its_document_to_another(tmp_path: Path) -> None:
    truths = documents(tmp_path, [30], "killed")
    jobs = 3
    with redis_server() as url, StandIn(key=FAKE_KEY, pages=truths, latency=0.3) as standin:
        env = cluster_env(url, FAKE_KEY, celery_config(tmp_path))
        doomed = Worker("doomed", env, tmp_path / "doomed.log").wait_ready()
        src, out = tmp_path / "killed0.pdf", tmp_path / "out"
        client = waiting_client(standin, env, src, out, "azure-ocr", jobs)
        doomed.kill_when(lambda: len(cached_pages(url, truths)) >= 8, "8 pages cached")
        read_before = cached_pages(url, truths)  # in the shared cache when it was killed
        at_kill = dict(standin.delivered)
        err = finish_with_heir(client, env, tmp_path)
    assert client.returncode == 0, err
    assert len(read_before) >= 8 and len(at_kill) < 30  # killed mid-document
    same_text(out / "killed0.pdf", truths)
    assert sorted(p.name for p in out.iterdir()) == ["killed0.pdf"]  # no half file
    assert "ocr_pdf.convert_document[" in (tmp_path / "heir.log").read_text()
    paid_again_only_in_flight(standin, read_before, jobs)
    assert len(standin.delivered) == 30


@pytest.mark.slow
def test_a_killed_pool_process_leaves_its_document_to_another(tmp_path: Path) -> None:
    """Celery's default pool, two workers: the pool process converting a document is killed
    (SIGKILL; its worker lives on and sees it lost), the document goes back to the queue and
    another pool process finishes it, paying again only for answers lost with the killed
    one."""
    truths = documents(tmp_path, [30], "orphan")
    jobs = 3
    with redis_server() as url, StandIn(key=FAKE_KEY, pages=truths, latency=0.3) as standin:
        env = cluster_env(url, FAKE_KEY, celery_config(tmp_path))
        workers = [Worker(f"p{i}", env, tmp_path / f"p{i}.log", concurrency=1) for i in (1, 2)]
        try:
            for worker in workers:
                worker.wait_ready()
            src, out = tmp_path / "orphan0.pdf", tmp_path / "out"
            client = waiting_client(standin, env, src, out, "azure-ocr", jobs)
            read_before = answered(standin, 8)
            busy = [w for w in workers if "ocr_pdf.convert_document[" in w.log.read_text()]
            assert len(busy) == 1
            (child,) = busy[0].pool_processes()
            os.kill(child, signal.SIGKILL)
            at_kill = dict(standin.delivered)
            err = client.communicate(timeout=180)[1]
            survived = busy[0].proc.poll() is None  # the worker itself, not its pool process
        finally:
            for worker in workers:
                worker.stop()
    assert client.returncode == 0, err
    assert len(read_before) >= 8 and len(at_kill) < 30  # killed mid-document
    assert survived and "WorkerLostError" in busy[0].log.read_text()
    same_text(out / "orphan0.pdf", truths)
    assert sorted(p.name for p in out.iterdir()) == ["orphan0.pdf"]
    paid_again_only_in_flight(standin, read_before, jobs)
    assert len(standin.delivered) == 30


@pytest.mark.slow
def test_a_killed_worker_s_operations_are_polled_not_paid_again(tmp_path: Path) -> None:
    """Read 3.2 bills a page when it is submitted: the operations the killed worker had in
    flight are noted in the shared cache, and its heir polls them instead of paying again."""
    truths = documents(tmp_path, [12], "polled")
    with redis_server() as url, StandIn(key=FAKE_KEY, pages=truths, running_polls=2) as standin:
        env = cluster_env(url, FAKE_KEY, celery_config(tmp_path))
        doomed = Worker("doomed", env, tmp_path / "doomed.log").wait_ready()
        src, out = tmp_path / "polled0.pdf", tmp_path / "out"
        client = waiting_client(standin, env, src, out, "azure-read", 3)
        in_flight: set[str] = set()

        def noted_in_flight() -> bool:
            """Some read, at least two submitted and not read, and every submission either
            noted or its result cached (each is noted as its submission returns)."""
            nonlocal in_flight
            in_flight = set(standin.submitted) - set(standin.delivered)
            accounted = len(shared_keys(url, "operation")) + len(shared_keys(url, "page"))
            return (
                len(standin.delivered) >= 3
                and len(in_flight) >= 2
                and accounted == len(standin.submitted)
            )

        doomed.kill_when(noted_in_flight, "operations in flight, all noted")
        err = finish_with_heir(client, env, tmp_path)
    assert client.returncode == 0, err
    assert len(in_flight) >= 2  # killed with operations paid for and not yet read
    same_text(out / "polled0.pdf", truths)
    assert len(standin.submitted) == 12 and set(standin.submitted.values()) == {1}


@pytest.mark.slow
def test_a_429_pauses_every_process_calling_the_endpoint(tmp_path: Path) -> None:
    """Another process asks for a slot during a pause this one was told of: it is told to
    wait out the pause. Its limiter's sleep reports the wait instead of sleeping, so the
    check is on Redis's clock, not on how fast a busy machine runs either process."""
    probe = (
        "import sys\n"
        "from ocr_pdf.azure.ratelimit import limiter_for\n"
        "def report(seconds):\n"
        "    print(seconds, flush=True); raise SystemExit(0)\n"
        "limiter = limiter_for('https://example.cognitiveservices.azure.com', None, report)\n"
        "print('ready', flush=True); sys.stdin.readline()\n"
        "limiter.acquire(); print('no wait')\n"
    )
    with redis_server() as url:
        env = cluster_env(url, FAKE_KEY)
        other = subprocess.Popen(
            [sys.executable, "-c", probe], env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )  # fmt: skip
        assert other.stdin is not None and other.stdout is not None
        assert other.stdout.readline().strip() == "ready"
        os.environ["OCR_PDF_REDIS_URL"] = url
        try:
            from ocr_pdf.azure.ratelimit import limiter_for

            here = limiter_for("https://example.cognitiveservices.azure.com", None)
            assert here is not None
            here.pause(60)  # what a 429 with Retry-After: 60 does to this process
        finally:
            del os.environ["OCR_PDF_REDIS_URL"]
        other.stdin.write("go\n")
        other.stdin.flush()
        told = other.communicate(timeout=HANG)[0].strip()
    assert told != "no wait"
    assert 30 < float(told) <= 60, told  # the rest of the pause, however late it asked


def quietest_span(calls: list[tuple[float, float]], n: int) -> float:
    """The shortest time any ``n`` of ``calls`` can have been admitted in, each call known
    only to lie between when it asked (before) and when it was let through (after); a
    busy machine widens these, which can only lengthen the span, never shorten it."""
    shortest = float("inf")
    for before, _ in calls:
        later = sorted(after for b, after in calls if b >= before)
        if len(later) >= n:
            shortest = min(shortest, later[n - 1] - before)
    return shortest


@pytest.mark.slow
def test_the_shared_limit_spaces_calls_of_several_processes(tmp_path: Path) -> None:
    probe = (
        "import sys, time\n"
        "from ocr_pdf.azure.ratelimit import limiter_for\n"
        "limiter = limiter_for('https://example.cognitiveservices.azure.com', '20/s')\n"
        "print('ready', flush=True); sys.stdin.readline()\n"
        "for _ in range(10):\n"
        "    before = time.time(); limiter.acquire(); print(before, time.time())\n"
    )
    with redis_server() as url:
        env = cluster_env(url, FAKE_KEY)
        pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True}
        command = [sys.executable, "-c", probe]
        runs = [subprocess.Popen(command, env=env, **pipes) for _ in range(3)]  # type: ignore[call-overload]
        for run in runs:
            assert run.stdout is not None and run.stdout.readline().strip() == "ready"
        for run in runs:  # all three ask together
            assert run.stdin is not None
            run.stdin.write("go\n")
            run.stdin.flush()
        lines = [ln for run in runs for ln in run.communicate(timeout=HANG)[0].splitlines()]
    calls = [(float(b), float(a)) for b, a in (ln.split() for ln in lines)]
    assert len(calls) == 30
    # 30 calls at 20/s, spaced 52.5 ms on Redis's clock: no 21 of them within a second, and
    # all 30 over at least 29 spaces.
    assert quietest_span(calls, 21) >= 1.0
    assert quietest_span(calls, 30) >= 29 * 0.0525 - 0.01
