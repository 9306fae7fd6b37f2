"""The parsers of ``ocr-pdf``'s tool subcommands (``preview``, ``serve``, ``enqueue``), built
from the same flag groups as the main command so a flag means the same thing everywhere."""

from __future__ import annotations

import argparse

from ocr_pdf.cli.arguments import Parser, cost_flags, engine_flags, page_flags, verbosity
from ocr_pdf.cli.ocrmypdf_flags import add_ocrmypdf_flags
from ocr_pdf.engines import OFFLINE
from ocr_pdf.serve.limits import ServeLimits as ServeDefaults

ENQUEUE = (
    "Send each file (or the PDFs and images of each folder) to the cluster's workers, to be "
    "converted into OUTDIR; print one task id per file. Needs OCR_PDF_REDIS_URL. Paths must be "
    "on storage every worker sees, at the same place."
)


def build_enqueue_parser() -> argparse.ArgumentParser:
    flags = [engine_flags(), cost_flags(), verbosity()]
    p = Parser(prog="ocr-pdf enqueue", description=ENQUEUE, parents=flags)
    p.add_argument("paths", nargs="+", metavar="PATH", help="INPUT... OUTDIR")
    page_flags(p)
    p.add_argument(
        "--wait",
        action="store_true",
        help="follow the documents to the end (documents and pages done, pages/s), then exit "
        "as a local run would: 0, or the first failed file's code",
    )
    p.add_argument(
        "--split-pages",
        type=int,
        default=32,
        metavar="N",
        help="a file with more than N pages to read is read by several workers, N pages "
        "each (default 32; 0: one worker per file)",
    )
    add_ocrmypdf_flags(p)
    return p


def build_preview_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="ocr-pdf preview",
        description="Draw one page with every recognised word's box and text (uses the cache).",
        parents=[engine_flags(), verbosity()],
    )
    p.add_argument("input", metavar="INPUT", help="the PDF")
    p.add_argument("--page", type=int, default=1, help="page number, from 1 (default 1)")
    p.add_argument(
        "-o", "--output", help="the PNG to write (default: INPUT's name with -pN-preview.png)"
    )
    return p


def build_serve_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="ocr-pdf serve",
        description="Answer Azure AI Vision's OCR requests (legacy /ocr, Read 3.2, Image "
        "Analysis 4.0 read) and Document Intelligence's (prebuilt-read and prebuilt-layout, "
        "with the searchable PDF) with a local engine, so scripts and Azure's SDKs run offline. "
        "Set OCR_PDF_SERVE_KEY to require that key in Ocp-Apim-Subscription-Key.",
        parents=[verbosity()],
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default loopback; ::1 for IPv6)"
    )
    p.add_argument(
        "--port",
        type=int,
        default=5000,
        help="port (default 5000; 0 = any free, its URL then printed on standard output)",
    )
    p.add_argument(
        "--engine",
        default=None,
        help=f"offline engine: {' or '.join(OFFLINE)} (default: the first installed)",
    )
    p.add_argument("-l", "--language", help="language of the text (tesseract codes)")
    p.add_argument(
        "--queue",
        type=int,
        default=ServeDefaults.queue,
        help=f"images waiting for the engine; beyond, 429 (default {ServeDefaults.queue})",
    )
    bounds: list[tuple[str, type, float, str, str]] = [
        (
            "--max-wait",
            float,
            ServeDefaults.max_wait,
            "SECONDS",
            "refuse (429) an image that would wait longer than this for the engine "
            f"(default {ServeDefaults.max_wait:g})",
        ),
        (
            "--keep-results",
            float,
            ServeDefaults.keep_results / 3600,
            "HOURS",
            "hours Read results are kept for polling (default 48, as Azure)",
        ),
        (
            "--results-memory",
            int,
            ServeDefaults.results_memory // 1_000_000,
            "MB",
            "most memory Read and Document Intelligence results take (searchable PDFs "
            "included); the oldest go first beyond it (default "
            f"{ServeDefaults.results_memory // 1_000_000})",
        ),
        (
            "--max-pages",
            int,
            ServeDefaults.max_pages,
            "N",
            "Document Intelligence: the first N pages of a document are analyzed (default "
            f"{ServeDefaults.max_pages}, as Azure's S0 tier)",
        ),
    ]
    for flag, kind, default, metavar, text in bounds:
        p.add_argument(flag, type=kind, default=default, metavar=metavar, help=text)
    p.add_argument(
        "--allow-url-source",
        action="store_true",
        help="Document Intelligence: fetch documents named by urlSource (default: refused "
        "with 403 OutboundAccessForbidden; the server then reaches any URL a client names)",
    )
    return p
