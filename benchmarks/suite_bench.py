"""The test suite itself: how long the quick loop (``pytest -m "not slow"``) and the full suite
take, and whether they pass, at two revisions side by side (default: the branch point of
issue 25's work and the checkout), on a quiet machine and with both cores kept busy by other
processes (``--busy N`` CPU hogs, default one per core).

Each revision is run from a clone of its own (``git clone --shared``, nothing installed: the
clone is put first on PYTHONPATH, so this checkout's virtualenv serves both). Printed per run:
wall seconds, CPU seconds of pytest and every process it ran (a figure the machine's load
barely moves), tests passed, failed and skipped, and the slowest tests. The ratio of the two
revisions' times in the same conditions is what to compare on a shared machine.

Run from the repository root:
    python benchmarks/suite_bench.py                  # quick loop, quiet then busy, both revisions
    python benchmarks/suite_bench.py --full --runs 2  # the whole suite, twice each
    python benchmarks/suite_bench.py --short          # quick loop, quiet, this checkout only
    python benchmarks/suite_bench.py tests/test_serve_hardening.py   # some files only"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BRANCH_POINT = "899fcfd"
_SUMMARY = re.compile(r"(\d+) (passed|failed|skipped|deselected|errors?)")
_DURATION = re.compile(r"^([\d.]+)s (call|setup|teardown)\s+(\S+)", re.M)


@dataclass(frozen=True)
class Run:
    revision: str
    selection: str
    busy: int
    wall: float  # seconds
    cpu: float  # seconds, pytest and its children
    counts: dict[str, int]
    slowest: list[tuple[float, str]]
    failures: list[str]  # the tests that failed, as pytest names them


@contextmanager
def hogs(count: int) -> Iterator[None]:
    """``count`` processes spinning on a core each, for as long as the block runs."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


@contextmanager
def checkout(revision: str) -> Iterator[Path]:
    """This repository at ``revision`` (HEAD: the working tree as it is)."""
    if revision == "HEAD":
        yield ROOT
        return
    with tempfile.TemporaryDirectory(prefix="suite-bench-") as folder:
        clone = Path(folder) / "repo"
        subprocess.run(["git", "clone", "-q", "--shared", str(ROOT), str(clone)], check=True)
        subprocess.run(["git", "-C", str(clone), "checkout", "-q", revision], check=True)
        yield clone


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_suite(revision: str, full: bool, busy: int, paths: list[str]) -> Run:
    selection = ("full" if full else "quick") + (" (some)" if paths else "")
    with checkout(revision) as tree, hogs(busy):
        env = {**os.environ, "PYTHONPATH": str(tree)}
        command = [sys.executable, "-m", "pytest", "-q", "-rfE", "--durations=5"]
        if not full:
            command += ["-m", "not slow"]
        command += paths
        wall, cpu = time.monotonic(), children_cpu()
        done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
        wall, cpu = time.monotonic() - wall, children_cpu() - cpu
    tail = done.stdout.splitlines()[-1] if done.stdout else ""
    counts = {kind.rstrip("s") if kind.startswith("error") else kind: int(n)
              for n, kind in _SUMMARY.findall(tail)}  # fmt: skip
    slowest = [(float(s), name) for s, _, name in _DURATION.findall(done.stdout)]
    failures = re.findall(r"^(?:FAILED|ERROR) (\S+)", done.stdout, re.M)
    return Run(revision, selection, busy, wall, cpu, counts, slowest, failures)


def table(runs: list[Run]) -> str:
    lines = [
        f"{'revision':<10} {'suite':<12} {'busy':>4} {'wall s':>8} {'CPU s':>8} "
        f"{'passed':>7} {'failed':>7} {'skipped':>8}  slowest"
    ]
    for r in runs:
        slow = ", ".join(f"{name.split('::')[-1][:40]} {s:.0f}s" for s, name in r.slowest[:2])
        failed = r.counts.get("failed", 0) + r.counts.get("error", 0)
        lines.append(
            f"{r.revision:<10} {r.selection:<12} {r.busy:>4} {r.wall:>8.1f} {r.cpu:>8.1f} "
            f"{r.counts.get('passed', 0):>7} {failed:>7} {r.counts.get('skipped', 0):>8}  {slow}"
        )
    for r in runs:
        lines += [f"  failed in {r.revision} {r.selection} busy {r.busy}: {f}" for f in r.failures]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--base", default=BRANCH_POINT, help="the revision to compare with")
    parser.add_argument("--full", action="store_true", help="the whole suite, not the quick loop")
    parser.add_argument("--runs", type=int, default=1, help="runs of each (default 1)")
    parser.add_argument("--busy", type=int, default=os.cpu_count() or 2, help="CPU hogs when busy")
    parser.add_argument("--short", action="store_true", help="quick loop, quiet, HEAD only")
    parser.add_argument("paths", nargs="*", help="test files to run (default: all)")
    args = parser.parse_args()
    revisions = ["HEAD"] if args.short else [args.base, "HEAD"]
    loads = [0] if args.short else [0, args.busy]
    runs: list[Run] = []
    for busy in loads:
        for _ in range(args.runs):
            for revision in revisions:  # alternated, so that both meet the same conditions
                runs.append(run_suite(revision, args.full, busy, args.paths))
                print(table(runs[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    print(f"load average before the last run: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    print(table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
