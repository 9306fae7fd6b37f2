"""What `ocr-pdf serve`'s Document Intelligence route costs over a direct conversion: the same
PDF converted by `ocr-pdf` and sent through Microsoft's azure-ai-documentintelligence SDK to
`ocr-pdf serve` (analyze with output=pdf, poll, the searchable PDF), with the same engine;
wall time per document, the server's peak RSS, and whether the two PDFs' text is the same.

    python -m benchmarks.document_serve_bench [--engine local] [--runs 3] [PDF ...]

Prints one table; the default input is samples/minutes-two-columns.pdf (2 pages)."""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    m = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(m.group(1)) / 1024 if m else float("nan")


def _text(path: Path) -> str:
    done = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True, check=True)
    return done.stdout


def _direct(pdf: Path, out: Path, engine: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ocr_pdf", "--engine", engine, "--no-cache", "-q", pdf, out],
        check=True,
        cwd=ROOT,
    )
    return time.perf_counter() - started


def _through_sdk(endpoint: str, pdf: Path, out: Path) -> float:
    from azure.ai.documentintelligence import DocumentIntelligenceClient
    from azure.ai.documentintelligence.models import AnalyzeDocumentRequest, AnalyzeOutputOption
    from azure.core.credentials import AzureKeyCredential

    started = time.perf_counter()
    with DocumentIntelligenceClient(endpoint, AzureKeyCredential("bench")) as client:
        poller = client.begin_analyze_document(
            "prebuilt-read",
            AnalyzeDocumentRequest(bytes_source=pdf.read_bytes()),
            output=[AnalyzeOutputOption.PDF],
        )
        poller.result()
        pieces = client.get_analyze_result_pdf("prebuilt-read", poller.details["operation_id"])
        out.write_bytes(b"".join(pieces))
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdfs", nargs="*", type=Path)
    parser.add_argument("--engine", default="local")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    pdfs = args.pdfs or [ROOT / "samples" / "minutes-two-columns.pdf"]
    server = subprocess.Popen(
        [sys.executable, "-m", "ocr_pdf", "serve", "--port", "0", "--engine", args.engine],
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "OCR_PDF_SERVE_KEY": ""},
    )
    assert server.stderr is not None
    m = re.search(r"at (http://\S+) with", server.stderr.readline())
    assert m, "the server did not start"
    endpoint = m.group(1)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            for pdf in pdfs:
                direct, served = Path(folder, "direct.pdf"), Path(folder, "served.pdf")
                _through_sdk(endpoint, pdf, served)  # warm: the model loads on the first page
                d = min(_direct(pdf, direct, args.engine) for _ in range(args.runs))
                s = min(_through_sdk(endpoint, pdf, served) for _ in range(args.runs))
                same = _text(direct) == _text(served)
                rows.append((pdf.name, d, s, same))
        rss = _peak_rss_mb(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=60)
    print(f"engine {args.engine}, best of {args.runs}; serve's peak RSS {rss:.0f} MB")
    print(f"{'document':32} {'ocr-pdf s':>10} {'serve+SDK s':>12} {'ratio':>6} same text")
    for name, d, s, same in rows:
        print(f"{name:32} {d:10.2f} {s:12.2f} {s / d:6.2f} {'yes' if same else 'NO'}")
    print("(ocr-pdf's time includes its start-up and model load; serve's model is loaded once)")
    return 0 if all(same for *_, same in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
