"""The command line's grammar: one parser per command, the engine and cache flags declared once
and shared, and the options object built from what was parsed."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ocr_pdf import __version__
from ocr_pdf.engines import EngineConfig, available_engines
from ocr_pdf.errors import ExitCode
from ocr_pdf.options import ConversionOptions, Mode
from ocr_pdf.serve.limits import ServeLimits as ServeDefaults

EPILOG = """\
usage forms:
  ocr-pdf [options] INPUT OUTPUT            one file (- for stdin / stdout)
  ocr-pdf [options] INPUT... FOLDER         several files, or folders of PDFs, into a folder
  ocr-pdf [options] --in-place FILE...      replace each file atomically (consume hooks)
  ocr-pdf preview INPUT --page N -o P.png   draw the words the OCR finds on one page
  ocr-pdf serve [--host H] [--port P]       an Azure-compatible OCR endpoint, offline
  ocr-pdf enqueue [options] INPUT... OUTDIR send each file to the cluster's workers

environment:
  AZURE_VISION_ENDPOINT  Azure AI Vision endpoint, e.g. https://NAME.cognitiveservices.azure.com
  AZURE_VISION_KEY       one of the resource's keys (never passed on the command line)
  AZURE_VISION_KEY_FILE  or a file holding it (a container secret)
  OCR_PDF_CACHE_DIR      where OCR results are cached (default: the user cache folder)
  OCR_PDF_REDIS_URL      a cluster's Redis (redis://host:6379/0): its cache, rate limit and
                         budgets are shared by every run and worker that sets it

exit codes:
  0 ok, 1 bad arguments, 2 input file error (also: signed, see
  --invalidate-digital-signatures), 3 missing dependency, 4 output invalid,
  5 file access error, 7 OCR engine or service error, 8 encrypted PDF,
  9 invalid configuration (endpoint, key, language, API version), 11 refused by
  --max-pages or stopped by --budget, 15 other error, 130 interrupted, 141 standard
  output closed by its reader; with several files, the code of the first that failed
"""


class Parser(argparse.ArgumentParser):
    """Exits with our code for bad arguments (1); options are never abbreviated, so that
    ``--mode`` is not silently read as ``--model-version``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        # One line and a pointer, not the whole usage block: scripts log stderr line by line.
        command = self.prog
        self.exit(ExitCode.bad_args, f"ocr-pdf: error: {message} (see {command} --help)\n")


def _engine_flags() -> argparse.ArgumentParser:
    """The engine, rendering and cache flags that every command reading pages shares."""
    p = Parser(add_help=False)
    engine = p.add_argument_group("engine")
    engine.add_argument(
        "--engine",
        help=f"OCR engine: {', '.join(available_engines())} (default: azure when "
        "AZURE_VISION_ENDPOINT is set, else local when installed)",
    )
    engine.add_argument("--endpoint", help="Azure endpoint URL (default: $AZURE_VISION_ENDPOINT)")
    engine.add_argument(
        "--api-version", help="azure-ocr API version: v3.2 (default), v3.1, v3.0, v2.1, v2.0"
    )
    engine.add_argument("--model-version", help="azure-read/azure-vision model version")
    engine.add_argument("--reading-order", choices=("basic", "natural"), help="azure-read only")
    engine.add_argument("-l", "--language", help="language of the text (Azure: unk = detect)")
    engine.add_argument(
        "--rate",
        help="at most this many Azure calls, polls included, e.g. "
        "10/s or 20/min (Azure's free tier)",
    )
    engine.add_argument("--timeout", type=float, default=60.0, help="seconds per service call")
    engine.add_argument(
        "--dpi",
        type=float,
        help="rendering resolution for OCR (default: 300 "
        "for Azure; the scan's own, within 150 to 400, for local engines)",
    )
    cache = p.add_argument_group("cache")
    cache.add_argument(
        "--cache-dir",
        help="folder of the OCR cache (default: $OCR_PDF_CACHE_DIR or the user cache folder)",
    )
    cache.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    return p


def _cost_flags() -> argparse.ArgumentParser:
    """The cost guard's flags, shared by local runs and the cluster's ``enqueue``."""
    p = Parser(add_help=False)
    cost = p.add_argument_group("cost guard")
    cost.add_argument(
        "--max-pages",
        type=int,
        metavar="N",
        help="refuse, before any call, a file with more than N pages to OCR",
    )
    cost.add_argument(
        "--budget",
        type=int,
        metavar="N",
        help="make at most N billable calls (polls not counted) in this run, or in the "
        "whole cluster for enqueue; the pages read stay cached",
    )
    cost.add_argument(
        "--dry-run",
        action="store_true",
        help="call nothing, write nothing: print per file the pages that would be read, how "
        "many are cached or have text, and the calls that would be made",
    )
    return p


def _verbosity() -> argparse.ArgumentParser:
    p = Parser(add_help=False)
    p.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    p.add_argument(
        "-v",
        "--verbose",
        type=int,
        default=0,
        metavar="N",
        help="print details and tracebacks (-v, or -v 1 and -v 2 as OCRmyPDF takes them)",
    )
    return p


def normalise_verbosity(words: list[str]) -> list[str]:
    """``-v`` alone means level 1, ``-v N`` level N (OCRmyPDF's spelling): rewritten as
    ``--verbose=N`` so that ``-v in.pdf out.pdf`` does not take the file for a level."""
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            out.extend(words[i:])
            break
        if word in ("-v", "--verbose"):
            following = words[i + 1] if i + 1 < len(words) else ""
            if following.isdigit():
                out.append(f"--verbose={following}")
                i += 2
                continue
            word = "--verbose=1"
        elif word.startswith("-v") and word[2:].isdigit():
            word = f"--verbose={word[2:]}"
        elif word.startswith("-") and not word.startswith("--") and set(word[1:]) == {"v"}:
            word = f"--verbose={len(word) - 1}"  # -vv
        out.append(word)
        i += 1
    return out


def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="ocr-pdf",
        description="Make scanned PDFs searchable: add an invisible text layer, keep the pages.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_engine_flags(), _cost_flags(), _verbosity()],
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="INPUT... OUTPUT, see usage forms")
    _page_flags(p)
    out = p.add_argument_group("output")
    out.add_argument("--in-place", action="store_true", help="replace each input atomically")
    out.add_argument(
        "--output-type",
        default="pdf",
        metavar="TYPE",
        help="pdf (the only type: the original pages are kept as they are; for PDF/A, run "
        "OCRmyPDF with our plugin)",
    )
    out.add_argument(
        "--sidecar",
        metavar="FILE",
        help="also write the text (pages separated by form feeds; - for standard output)",
    )
    out.add_argument(
        "--ocr-json",
        metavar="FILE",
        help="also write the OCR results as JSON; with --engine replay, read them back instead",
    )
    out.add_argument(
        "--invalidate-digital-signatures",
        action="store_true",
        help="OCR a signed PDF anyway (its signature will no longer verify)",
    )
    p.add_argument("--version", action="version", version=f"ocr-pdf {__version__}")
    return p


def _page_flags(p: argparse.ArgumentParser) -> None:
    """--jobs, the pages flags and the inputs flags, shared by local runs and ``enqueue``."""
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        help="pages read at once (default: the engine's: 6 for Azure, 16 for azure-read and "
        "azure-di, the number of cores for local and tesseract)",
    )
    pages = p.add_argument_group("pages")
    pages.add_argument("--pages", help="pages to OCR, e.g. 1-3,7 (others are copied untouched)")
    modes = pages.add_mutually_exclusive_group()
    modes.add_argument(
        "-s",
        "--skip-text",
        action="store_true",
        help="leave pages that already have text alone (the default; accepted for OCRmyPDF's "
        "scripts)",
    )
    modes.add_argument(
        "--force-ocr",
        action="store_true",
        help="OCR pages that already have text too (default: leave them alone)",
    )
    modes.add_argument(
        "--redo-ocr",
        action="store_true",
        help="remove an earlier invisible "
        "OCR layer (ours or another tool's) and OCR those pages again",
    )
    pages.add_argument(
        "--rotate-pages",
        action="store_true",
        help="turn pages whose text is "
        "sideways or upside down upright (sets /Rotate; content untouched)",
    )
    p.add_argument(
        "-r",
        "--recursive",
        action="store_true",
        help="with folder inputs, also convert the files in their subfolders (the tree is "
        "mirrored in the output folder)",
    )
    p.add_argument(
        "--image-dpi",
        type=float,
        metavar="DPI",
        help="resolution of input images that do not say theirs (JPEG, PNG, TIFF inputs)",
    )


ENQUEUE = (
    "Send each file (or the PDFs and images of each folder) to the cluster's workers, to be "
    "converted into OUTDIR; print one task id per file. Needs OCR_PDF_REDIS_URL. Paths must be "
    "on storage every worker sees, at the same place."
)


def build_enqueue_parser() -> argparse.ArgumentParser:
    flags = [_engine_flags(), _cost_flags(), _verbosity()]
    p = Parser(prog="ocr-pdf enqueue", description=ENQUEUE, parents=flags)
    p.add_argument("paths", nargs="+", metavar="PATH", help="INPUT... OUTDIR")
    _page_flags(p)
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
    return p


def build_preview_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="ocr-pdf preview",
        description="Draw one page with every recognised word's box and text (uses the cache).",
        parents=[_engine_flags(), _verbosity()],
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
        "Analysis 4.0 read) with a local engine, so scripts written for Azure run offline. "
        "Set OCR_PDF_SERVE_KEY to require that key in Ocp-Apim-Subscription-Key.",
        parents=[_verbosity()],
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default loopback; ::1 for IPv6)"
    )
    p.add_argument("--port", type=int, default=5000, help="port (default 5000; 0 = any free)")
    p.add_argument("--engine", default=None, help="local engine: local (default) or tesseract")
    p.add_argument("-l", "--language", help="language of the text (tesseract codes)")
    p.add_argument(
        "--queue",
        type=int,
        default=ServeDefaults.queue,
        help=f"images waiting for the engine; beyond, 429 (default {ServeDefaults.queue})",
    )
    p.add_argument(
        "--max-wait",
        type=float,
        default=ServeDefaults.max_wait,
        metavar="SECONDS",
        help="refuse (429) an image that would wait longer than this for the engine "
        f"(default {ServeDefaults.max_wait:g})",
    )
    p.add_argument(
        "--keep-results",
        type=float,
        default=ServeDefaults.keep_results / 3600,
        metavar="HOURS",
        help="hours Read results are kept for polling (default 48, as Azure)",
    )
    p.add_argument(
        "--results-memory",
        type=int,
        default=ServeDefaults.results_memory // 1_000_000,
        metavar="MB",
        help="most memory Read results take; the oldest go first beyond it (default "
        f"{ServeDefaults.results_memory // 1_000_000})",
    )
    return p


def options_from(args: argparse.Namespace, **outputs: Any) -> ConversionOptions:
    """The conversion options a parsed command line asks for; ``outputs`` are the fields the
    caller decides per file (``in_place``, ``sidecar``, ...)."""
    replay = args.engine == "replay"
    ocr_json = getattr(args, "ocr_json", None)
    mode = Mode.SKIP
    if getattr(args, "force_ocr", False):
        mode = Mode.FORCE
    elif getattr(args, "redo_ocr", False):
        mode = Mode.REDO
    engine = EngineConfig(
        language=args.language,
        endpoint=args.endpoint,
        api_version=args.api_version,
        model_version=args.model_version,
        reading_order=args.reading_order,
        rate=args.rate,
        timeout=args.timeout,
        source=ocr_json if replay else None,
    )
    settings: dict[str, Any] = {
        "engine": args.engine,
        "settings": engine,
        "dpi": args.dpi,
        "jobs": getattr(args, "jobs", None),
        "pages": getattr(args, "pages", None),
        "mode": mode,
        "rotate_pages": getattr(args, "rotate_pages", False),
        "cache": False if args.no_cache else (Path(args.cache_dir) if args.cache_dir else True),
        "sidecar": getattr(args, "sidecar", None),
        "ocr_json": None if replay else ocr_json,
        "invalidate_signatures": getattr(args, "invalidate_digital_signatures", False),
        "image_dpi": getattr(args, "image_dpi", None),
        "max_pages": getattr(args, "max_pages", None),
        "budget": getattr(args, "budget", None),
        "dry_run": getattr(args, "dry_run", False),
    }
    settings.update(outputs)
    return ConversionOptions(**settings)
