"""`ocr-pdf serve` under attack: the attacks of issue 17 (and a load test) run against the
server as it is now and against the http.server demo it replaced (the whole package at
BASE_COMMIT, from git history), each started through its own command line with the same
engine, and one table printed: case, before, after.

    python benchmarks/serve_bench.py                      # local engine, 60 s load
    python benchmarks/serve_bench.py --engine tesseract --load-seconds 20 --only new

Memory is the server process's resident set (VmRSS from /proc, sampled every 50 ms); the
load test's clients honour Retry-After as Azure's SDKs do. Only loopback is contacted."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pypdfium2 as pdfium
import requests
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import sockets  # noqa: E402

BASE_COMMIT = "4925585"  # the last commit with ocr_pdf/server.py on http.server
OCTETS = {"Content-Type": "application/octet-stream"}


# -- the two servers -------------------------------------------------------------------------


def old_tree(into: Path) -> Path:
    """The package as it was at BASE_COMMIT, unpacked under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", BASE_COMMIT, "ocr_pdf"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


class Server:
    """``ocr-pdf serve`` in a child process (``tree``: where its package comes from)."""

    def __init__(self, tree: Path, engine: str, *extra: str) -> None:
        self.port = free_port()
        env = {**os.environ, "PYTHONPATH": str(tree), "OCR_PDF_SERVE_KEY": ""}
        cmd = [sys.executable, "-m", "ocr_pdf", "serve", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            [*cmd, "--engine", engine, *extra],
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tree,  # the working folder comes first on sys.path, before PYTHONPATH
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self.stderr: list[str] = []
        assert self.proc.stderr is not None
        banner = self.proc.stderr.readline()
        assert "serving" in banner, banner
        threading.Thread(target=self._collect, daemon=True).start()
        self.samples: list[tuple[float, int]] = []
        threading.Thread(target=self._sample, daemon=True).start()

    def _collect(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def _sample(self) -> None:
        while self.proc.poll() is None:
            self.samples.append((time.monotonic(), self.rss()))
            time.sleep(0.05)

    def rss(self) -> int:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def peak_since(self, start: float) -> int:
        return max((rss for t, rss in self.samples if t >= start), default=self.rss())

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- inputs ----------------------------------------------------------------------------------


def page_png() -> bytes:
    """The first page of samples/letter.pdf at 150 dpi: a real page with real text."""
    pdf = pdfium.PdfDocument(str(ROOT / "samples" / "letter.pdf"))
    buf = io.BytesIO()
    pdf[0].render(scale=150 / 72).to_pil().convert("L").save(buf, "PNG")
    return buf.getvalue()


def declared_png(width: int, height: int, mode: int = 0) -> bytes:
    """A valid white PNG (colour type ``mode``: 0 grey, 6 RGBA) built row by row."""
    channels = {0: 1, 6: 4}[mode]

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    packer = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * (width * channels)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, mode, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def raw(port: int, data: bytes, wait: float) -> tuple[bytes, float]:
    """What the server sends on a connection given ``data``, and when it closed (or gave up)."""
    return sockets.exchange("127.0.0.1", port, data, wait)


# -- attacks: each returns the table cell -----------------------------------------------------

Attack = Callable[[Server], str]


def burst(server: Server) -> str:
    """100 simultaneous cheap requests (a poll of an unknown operation)."""
    barrier = threading.Barrier(100)

    def one(_: int) -> float:
        barrier.wait()
        started = time.monotonic()
        try:
            requests.get(server.url + "/vision/v3.2/read/analyzeResults/x", timeout=10)
        except requests.RequestException:
            return float("inf")
        return time.monotonic() - started

    with ThreadPoolExecutor(100) as pool:
        times = list(pool.map(one, range(100)))
    failed = sum(t == float("inf") for t in times)
    slowest = max(t for t in times if t != float("inf"))
    return f"{100 - failed}/100 answered, slowest {slowest:.2f} s"


def slowloris(server: Server) -> str:
    """20 connections sending one header line every 2 s, watched for 30 s."""
    socks = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(20)]
    for sock in socks:
        sock.sendall(b"POST /vision/v3.2/ocr HTTP/1.1\r\nHost: x\r\n")
        sock.settimeout(0.01)
    started, open_ = time.monotonic(), set(range(20))
    while open_ and time.monotonic() - started < 30:
        for i in list(open_):
            try:
                socks[i].sendall(b"X-Slow: 1\r\n")
                if socks[i].recv(1024) == b"":
                    open_.discard(i)
            except TimeoutError:
                pass
            except OSError:
                open_.discard(i)
        time.sleep(2)
    for sock in socks:
        sock.close()
    held = time.monotonic() - started
    if open_:
        return f"{len(open_)}/20 still held after {held:.0f} s"
    return f"all closed by {held:.0f} s"


def unfinished(server: Server) -> str:
    """``GET /`` and a line break, then nothing."""
    got, seconds = raw(server.port, b"GET /\r\n", 70)
    return f"closed after {seconds:.1f} s" + (" (answered)" if got else "")


def keep_alive(server: Server) -> str:
    """Median time of 30 requests on one kept-alive connection."""
    with requests.Session() as session:
        times = []
        for _ in range(31):
            started = time.monotonic()
            session.post(server.url + "/nowhere", data=b"x" * 100, timeout=10)
            times.append(time.monotonic() - started)
    return f"{sorted(times[1:])[15] * 1000:.1f} ms"


def eight_at_once(server: Server, image: bytes, timeout: float) -> Counter[str]:
    """Eight Image Analysis requests of ``image`` at once: their statuses (or errors)."""
    url = server.url + "/computervision/imageanalysis:analyze?features=read"

    def one(_: int) -> str:
        try:
            return str(requests.post(url, data=image, headers=OCTETS, timeout=timeout).status_code)
        except requests.RequestException as exc:
            return type(exc).__name__

    with ThreadPoolExecutor(8) as pool:
        return Counter(pool.map(one, range(8)))


def bombs(server: Server) -> str:
    """Eight 657 KB-class PNGs declaring 13000 x 13000 at once (Image Analysis: within Azure's
    16000 px sides)."""
    bomb = declared_png(13000, 13000)
    start = time.monotonic()
    base = server.rss()
    statuses = eight_at_once(server, bomb, timeout=120)
    grew = (server.peak_since(start) - base) / 1e6
    return f"{len(bomb) // 1000} KB each: {dict(statuses)}, +{grew:.0f} MB"


def big_images(server: Server) -> str:
    """Eight of the largest images this server decodes (60 MP RGBA PNGs) at once."""
    side = 7745  # 7745^2 = 59.98 MP
    image = declared_png(side, side, mode=6)
    start = time.monotonic()
    statuses = eight_at_once(server, image, timeout=300)
    return f"{dict(statuses)}, peak {server.peak_since(start) / 1e6:.0f} MB"


def unpolled_reads(server: Server) -> str:
    """300 Read submissions of a real page, never polled."""
    page = page_png()
    start = time.monotonic()
    statuses: Counter[int] = Counter()
    for _ in range(300):
        response = requests.post(
            server.url + "/vision/v3.2/read/analyze", data=page, headers=OCTETS, timeout=30
        )
        statuses[response.status_code] += 1
    return f"{dict(statuses)}, peak {server.peak_since(start) / 1e6:.0f} MB"


def gone_clients(server: Server) -> str:
    """Ten clients that give up after 0.5 s on a busy engine; then how long a new client
    waits for its answer."""
    page = page_png()
    url = server.url + "/vision/v3.2/ocr"
    with ThreadPoolExecutor(11) as pool:
        first = pool.submit(requests.post, url, data=page, headers=OCTETS, timeout=300)
        time.sleep(0.3)
        quitters = [
            pool.submit(requests.post, url, data=page, headers=OCTETS, timeout=0.5)
            for _ in range(10)
        ]
        for q in quitters:
            with contextlib.suppress(requests.RequestException):
                q.result()
        first.result()
    started = time.monotonic()
    requests.post(url, data=page, headers=OCTETS, timeout=300)
    return f"next answer after {time.monotonic() - started:.1f} s"


def get_body(server: Server) -> str:
    """A GET whose body is a second request."""
    inner = b"GET /vision/v3.2/read/analyzeResults/b HTTP/1.1\r\nHost: x\r\n\r\n"
    outer = b"GET /vision/v3.2/read/analyzeResults/a HTTP/1.1\r\nHost: x\r\n"
    got, _ = raw(server.port, outer + f"Content-Length: {len(inner)}\r\n\r\n".encode() + inner, 2)
    return f"{got.count(b'HTTP/1.1 ')} answer(s)"


def error_bodies(server: Server) -> str:
    """Is the body of 404, 405, 411, 413, 414, 431, 501 Azure's JSON?"""
    url = server.url
    replies = {
        "404": requests.post(url + "/nowhere", data=b"x", timeout=10),
        "405": requests.get(url + "/vision/v3.2/ocr", timeout=10),
        "413": requests.post(
            url + "/vision/v3.2/read/analyze", data=b"\0" * 70_000_000, headers=OCTETS, timeout=60
        ),
        "414": requests.get(url + "/" + "a" * 70_000, timeout=10),
        "431": requests.get(url + "/x", headers={"X-Big": "b" * 70_000}, timeout=10),
        "501": requests.request("BREW", url + "/x", timeout=10),
    }
    length_required, _ = raw(server.port, b"POST /vision/v3.2/ocr HTTP/1.1\r\nHost: x\r\n\r\n", 2)
    cells = []
    for status, response in replies.items():
        is_json = response.headers.get("Content-Type", "").startswith("application/json")
        cells.append(f"{status}:{response.status_code}{'json' if is_json else 'html'}")
    head, _, body = length_required.partition(b"\r\n\r\n")
    cells.append(f"411:{head[9:12].decode()}{'json' if body.startswith(b'{') else 'html'}")
    return " ".join(cells)


def host_header(server: Server) -> str:
    """Operation-Location when the client says Host: evil.example."""
    response = requests.post(
        server.url + "/vision/v3.2/read/analyze",
        data=page_png(),
        headers={**OCTETS, "Host": "evil.example"},
        timeout=30,
    )
    location = response.headers.get("Operation-Location", "")
    return location.split("/vision")[0] or f"HTTP {response.status_code}"


def thousand_reads(server: Server) -> str:
    """1001 Read operations (a small blank image), then a poll of the first."""
    image = io.BytesIO()
    Image.new("L", (60, 60), 255).save(image, "PNG")
    url = server.url + "/vision/v3.2/read/analyze"
    locations: list[str] = []
    while len(locations) < 1001:
        response = requests.post(url, data=image.getvalue(), headers=OCTETS, timeout=30)
        if response.status_code == 429:
            time.sleep(float(response.headers.get("Retry-After", "1")))
            continue
        locations.append(response.headers["Operation-Location"])
    time.sleep(1)
    first = requests.get(locations[0], timeout=30)
    return f"first operation: HTTP {first.status_code}"


def load(seconds: float, clients: int) -> Attack:
    def attack(server: Server) -> str:
        """``clients`` clients posting a real page to /ocr for ``seconds``."""
        page = page_png()
        start = time.monotonic()
        statuses: Counter[str] = Counter()
        connect: list[float] = []
        lock = threading.Lock()

        def client() -> None:
            while time.monotonic() - start < seconds:
                t0 = time.monotonic()
                wait = 0.0
                try:  # how long the kernel keeps a new connection waiting to be accepted
                    with socket.create_connection(("127.0.0.1", server.port), timeout=30):
                        took = time.monotonic() - t0
                    response = requests.post(
                        server.url + "/vision/v3.2/ocr", data=page, headers=OCTETS, timeout=60
                    )
                    outcome = str(response.status_code)
                    if outcome == "429":
                        wait = float(response.headers.get("Retry-After", "1"))
                except requests.ConnectionError as exc:
                    took, outcome = time.monotonic() - t0, f"reset/{type(exc).__name__}"
                except (requests.Timeout, OSError) as exc:
                    outcome = type(exc).__name__
                with lock:
                    statuses[outcome] += 1
                    connect.append(took)
                time.sleep(wait)

        threads = [threading.Thread(target=client) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        peak = server.peak_since(start) / 1e6
        return f"{dict(statuses)}, slowest connect {max(connect):.2f} s, peak {peak:.0f} MB"

    return attack


def run_command(tree: Path, engine: str, *args: str) -> str:
    """Exit code and lines printed by ``ocr-pdf serve ARGS`` (stopped after 3 s if it runs)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "OCR_PDF_SERVE_KEY": ""}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ocr_pdf", "serve", "--engine", engine, *args],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tree,
    )
    try:
        err = proc.communicate(timeout=8)[1]
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        err = proc.communicate(timeout=30)[1]
    lines = [line for line in err.splitlines() if line.strip()]
    return f"exit {proc.returncode}, {len(lines)} line(s): {(lines or [''])[-1][:70]}"


# -- the table -------------------------------------------------------------------------------


def startup_cases(tree: Path, engine: str) -> Iterator[tuple[str, str]]:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        yield "start-up: port in use", run_command(tree, engine, "--port", port)
    yield "start-up: --port 70000", run_command(tree, engine, "--port", "70000")
    yield (
        "start-up: --host ::1 (runs 8 s, stopped)",
        run_command(tree, engine, "--host", "::1", "--port", "0"),
    )
    yield "serve -q (runs 8 s, stopped)", run_command(tree, engine, "-q", "--port", "0")


def measure(tree: Path, engine: str, attacks: list[tuple[str, Attack]]) -> dict[str, str]:
    results = dict(startup_cases(tree, engine))
    for name, attack in attacks:
        server = Server(tree, engine)  # a fresh server for each, so one cannot mask another
        try:
            results[name] = attack(server)
        except Exception as exc:  # an attack that breaks the server is a result too
            results[name] = f"failed: {type(exc).__name__}: {str(exc)[:60]}"
        finally:
            time.sleep(0.5)
            server.stop()
        tracebacks = sum("Traceback" in line for line in server.stderr)
        results[name] += f" [{tracebacks} tracebacks]" if tracebacks else ""
        print(f"  {name}: {results[name]}", file=sys.stderr, flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="local")
    parser.add_argument("--load-seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--only", choices=("old", "new"))
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    attacks: list[tuple[str, Attack]] = [
        ("100 simultaneous cheap requests", burst),
        ("20 slowloris connections", slowloris),
        ("'GET /' + CRLF, then silence", unfinished),
        ("keep-alive request, median", keep_alive),
        ("8 PNGs declaring 13000x13000 at once", bombs),
        ("8 images of 60 MP RGBA at once", big_images),
        ("300 unpolled Read jobs (real page)", unpolled_reads),
        ("10 clients give up on a busy engine", gone_clients),
        ("GET with a request as its body", get_body),
        ("error bodies (status:got + type)", error_bodies),
        ("Operation-Location, Host: evil.example", host_header),
        ("1001 Read operations, first polled", thousand_reads),
        (
            f"{args.clients} clients x {args.load_seconds:.0f} s, real page",
            load(args.load_seconds, args.clients),
        ),
    ]
    table: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"old": old_tree(Path(tmp)), "new": ROOT}
        for which in ("old", "new"):
            if args.only in (None, which):
                print(f"{which} server ({args.engine} engine):", file=sys.stderr, flush=True)
                table[which] = measure(trees[which], args.engine, attacks)
    if args.json:
        Path(args.json).write_text(json.dumps(table, indent=1))
    cases = list(next(iter(table.values())))
    print(f"\nocr-pdf serve, {args.engine} engine; before: {BASE_COMMIT} (http.server), after: now")
    print("| case | " + " | ".join({"old": "before", "new": "after"}[w] for w in table) + " |")
    print("|---|" + "---|" * len(table))
    for case in cases:
        print(f"| {case} | " + " | ".join(table[w].get(case, "") for w in table) + " |")


if __name__ == "__main__":
    main()
