"""The cluster: one worker against two, with a real redis-server and real Celery worker processes
(``celery -A ocr_pdf.cluster worker``), documents sent with ``ocr-pdf enqueue --wait``.

1. Azure: the loopback stand-in (tests/standin.py) answers each call after --latency seconds
   (0.5) and refuses more than --limit calls per second (10) with 429. Every run asks for
   ``--rate`` at the limit. Printed: calls per second overall (first to last call) and
   sustained (the middle 90% of the calls, without the start and the drain of the last
   documents), the sustained rate as a share of the limit, and the 429s received. One
   worker, then two (separate processes, sharing the limit through Redis); for reference,
   two plain ``ocr-pdf`` processes without Redis, each keeping the same --rate on its own,
   as two machines that do not know of each other would.
2. Offline: the ``local`` engine on 1 and on 2 worker processes (prefork, one pool process
   each) on this machine: pages per second; the peer, OCRmyPDF 17 + Tesseract, on the same
   files with --jobs 1 and 2.

Run from the repository root:  python benchmarks/cluster_bench.py"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.cluster_support import Worker, celery_config, cluster_env, documents, redis_server
from tests.pagegen import Block, PageSpec, make_pdf
from tests.standin import StandIn

KEY = "bench-key"


def enqueue(env: dict[str, str], inputs: list[Path], out: Path, *flags: str) -> float:
    """Seconds ``ocr-pdf enqueue --wait`` took for ``inputs``."""
    started = time.monotonic()
    command = [sys.executable, "-m", "ocr_pdf", "enqueue", "--wait", "-q", *flags,
               *map(str, inputs), str(out)]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"enqueue failed ({done.returncode}): {done.stderr}")
    return time.monotonic() - started


def rates(standin: StandIn) -> tuple[int, float, float]:
    """(calls, calls per second from the first to the last, calls per second sustained: over
    the middle 90% of the calls, without the start and the last documents' drain)."""
    arrivals = sorted(standin.arrivals)
    n = len(arrivals)
    first, last = round(n * 0.05), round(n * 0.95) - 1
    overall = (n - 1) / (arrivals[-1] - arrivals[0])
    return n, overall, (last - first) / (arrivals[last] - arrivals[first])


Row = tuple[str, int, float, float, int]


def azure_rows(args: argparse.Namespace, folder: Path) -> list[Row]:
    rows = []
    flags = ["--engine", "azure-ocr", "--dpi", "100", "--rate", f"{args.limit}/s"]
    with redis_server() as url:
        env = cluster_env(url, KEY, celery_config(folder, 60))
        for count in (1, 2):
            docs = folder / f"azure{count}"
            docs.mkdir()
            truths = documents(docs, [args.pages] * args.documents, f"a{count}")
            with StandIn(key=KEY, pages=truths, latency=args.latency) as standin:
                standin.limit = (args.limit, 1.0)
                logs = [folder / f"b{count}{i}.log" for i in range(count)]
                workers = [Worker(log.stem, env, log, concurrency=args.concurrency) for log in logs]
                try:
                    for w in workers:
                        w.wait_ready()
                    inputs = sorted(docs.glob("*.pdf"))
                    endpoint = ["--endpoint", standin.endpoint]
                    enqueue(env, inputs, folder / f"out{count}", *flags, *endpoint)
                finally:
                    for w in workers:
                        w.stop()
                rows.append((f"{count} worker(s), Redis", *rates(standin), standin.rejected))
    docs = folder / "alone"
    docs.mkdir()
    truths = documents(docs, [args.pages] * args.documents, "alone")
    inputs = sorted(docs.glob("*.pdf"))
    halves = [inputs[: len(inputs) // 2], inputs[len(inputs) // 2 :]]
    with StandIn(key=KEY, pages=truths, latency=args.latency) as standin:
        standin.limit = (args.limit, 1.0)
        env = cluster_env("", KEY)
        del env["OCR_PDF_REDIS_URL"]
        env["OCR_PDF_CACHE_DIR"] = str(folder / "cache")
        command = [sys.executable, "-m", "ocr_pdf", *flags, "--endpoint", standin.endpoint, "-q"]
        runs = [
            subprocess.Popen([*command, *map(str, half), str(folder / f"alone-out{i}")], env=env)
            for i, half in enumerate(halves)
        ]
        for run in runs:
            run.wait()
        rows.append(("2 processes, no Redis", *rates(standin), standin.rejected))
    return rows


def local_docs(folder: Path, documents: int, pages: int) -> list[Path]:
    paths = []
    for d in range(documents):
        specs = [
            PageSpec(
                f"l{d}p{i}",
                (Block(40, 40 + 3 * i, tuple(f"line {k}, page {i}, file {d}" for k in range(8))),),
                width_in=5,
                height_in=4,
                dpi=150,
            )
            for i in range(pages)
        ]
        path = folder / f"local{d}.pdf"
        path.write_bytes(make_pdf(specs)[0])
        paths.append(path)
    return paths


def local_rows(args: argparse.Namespace, folder: Path) -> list[tuple[str, float]]:
    docs = folder / "local"
    docs.mkdir()
    inputs = local_docs(docs, args.local_documents, args.local_pages)
    total = args.local_documents * args.local_pages
    rows = []
    with redis_server() as url:
        env = cluster_env(url, KEY, celery_config(folder, 60))
        for count in (1, 2):
            logs = [folder / f"l{count}{i}.log" for i in range(count)]
            workers = [Worker(log.stem, env, log, concurrency=1, pool="prefork") for log in logs]
            try:
                for w in workers:
                    w.wait_ready()
                out = folder / f"local-out{count}"
                seconds = enqueue(env, inputs, out, "--engine", "local", "--force-ocr")
            finally:
                for w in workers:
                    w.stop()
            rows.append((f"ocr-pdf local, {count} worker process(es)", total / seconds))
            subprocess.run(["redis-cli", "-u", url, "flushall"], capture_output=True)
    ocrmypdf = shutil.which("ocrmypdf") or str(Path(sys.executable).parent / "ocrmypdf")
    for jobs in (1, 2):
        started = time.monotonic()
        for src in inputs:
            subprocess.run(
                [ocrmypdf, "-q", "--force-ocr", "--jobs", str(jobs), str(src),
                 str(folder / f"peer-{jobs}-{src.name}")],
                check=True, capture_output=True,
            )  # fmt: skip
        rows.append((f"OCRmyPDF + Tesseract, --jobs {jobs}", total / (time.monotonic() - started)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--documents", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=4, help="documents per worker")
    parser.add_argument("--pages", type=int, default=25)
    parser.add_argument("--local-documents", type=int, default=8)
    parser.add_argument("--local-pages", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cluster-bench-") as tmp:
        folder = Path(tmp)
        azure = azure_rows(args, folder)
        local = local_rows(args, folder)
    print(
        f"\nAzure stand-in: {args.latency:g} s latency, limit {args.limit} calls/s, "
        f"{args.documents} documents x {args.pages} pages, --rate {args.limit}/s"
    )
    print(f"workers: --pool threads --concurrency {args.concurrency}")
    print(f"{'setup':<26} {'calls':>6} {'overall/s':>10} {'sustained/s':>12} {'share':>6} 429s")
    for name, calls, overall, steady, rejected in azure:
        share = f"{steady / args.limit:.0%}"
        print(f"{name:<26} {calls:>6} {overall:>10.2f} {steady:>12.2f} {share:>6} {rejected:>5}")
    size = f"{args.local_documents} documents x {args.local_pages} pages (5x4 in, 150 dpi)"
    print(f"\nOffline, {size}")
    print(f"{'setup':<40} {'pages/s':>8}")
    for name, rate in local:
        print(f"{name:<40} {rate:>8.2f}")


if __name__ == "__main__":
    main()
