"""The command line's grammar: one parser per command, the engine and cache flags declared once
and shared, and the options object built from what was parsed."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path
from typing import Any

from ocr_pdf._version import __version__
from ocr_pdf.azure.apis import LEGACY_DEFAULT_VERSION, LEGACY_OCR
from ocr_pdf.cli.ocrmypdf_flags import add_ocrmypdf_flags, add_rotate_and_recursive
from ocr_pdf.engines import DEFAULT_POLICY, EngineConfig, available_engines
from ocr_pdf.errors import EXIT_CODES, ExitCode
from ocr_pdf.options import ConversionOptions, Mode
from ocr_pdf.reading import resolution


def exit_code_summary(width: int = 88) -> str:
    """The exit codes (errors.EXIT_CODES) as the help lists them, wrapped to ``width``."""
    listed = ", ".join(f"{int(code)} {short}" for code, short, _ in EXIT_CODES)
    text = f"{listed}; with several files, the code of the first that failed"
    return textwrap.fill(
        text,
        width,
        initial_indent="  ",
        subsequent_indent="  ",
        break_on_hyphens=False,
        break_long_words=False,
    )


EPILOG = (
    """\
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
"""
    + exit_code_summary()
    + "\n"
)


class Parser(argparse.ArgumentParser):
    """Exits with our code for bad arguments (1); options are never abbreviated, so that
    ``--mode`` is not silently read as ``--model-version``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def parse_args(  # type: ignore[override]
        self, args: list[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        """Options may come between the paths (``in.pdf -l deu out.pdf``), and an unknown
        option is named alone: the value it may take and the paths after it are not "unknown
        arguments"."""
        parsed, extras = self.parse_known_intermixed_args(args, namespace)
        unknown = [word.split("=", 1)[0] for word in extras if word.startswith("-") and word != "-"]
        if unknown:
            self.error(f"unknown option {', '.join(unknown)}")
        if extras:
            self.error(f"unexpected arguments: {' '.join(extras)}")
        return parsed

    def error(self, message: str) -> None:  # type: ignore[override]
        # One line and a pointer, not the whole usage block: scripts log stderr line by line.
        command = self.prog
        self.exit(ExitCode.bad_args, f"ocr-pdf: error: {message} (see {command} --help)\n")


def engine_flags() -> argparse.ArgumentParser:
    """The engine, rendering and cache flags that every command reading pages shares."""
    p = Parser(add_help=False)
    engine = p.add_argument_group("engine")
    engine.add_argument(
        "--engine",
        help=f"OCR engine: {', '.join(available_engines())} (default: {DEFAULT_POLICY})",
    )
    engine.add_argument("--endpoint", help="Azure endpoint URL (default: $AZURE_VISION_ENDPOINT)")
    versions = (f"{v} (default)" if v == LEGACY_DEFAULT_VERSION else v for v in LEGACY_OCR.versions)
    engine.add_argument("--api-version", help=f"azure-ocr API version: {', '.join(versions)}")
    engine.add_argument("--model-version", help="azure-read/azure-vision model version")
    engine.add_argument("--reading-order", choices=("basic", "natural"), help="azure-read only")
    engine.add_argument("-l", "--language", help="language of the text (Azure: unk = detect)")
    engine.add_argument(
        "--rate",
        help="at most this many Azure calls, polls included, e.g. "
        "10/s or 20/min (Azure's free tier)",
    )
    engine.add_argument("--timeout", type=float, default=60.0, help="seconds per service call")
    engine.add_argument("--dpi", type=float, help=resolution.HELP)
    cache = p.add_argument_group("cache")
    cache.add_argument(
        "--cache-dir",
        help="folder of the OCR cache (default: $OCR_PDF_CACHE_DIR or the user cache folder)",
    )
    cache.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    return p


def cost_flags() -> argparse.ArgumentParser:
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


def verbosity() -> argparse.ArgumentParser:
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
        parents=[engine_flags(), cost_flags(), verbosity()],
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="INPUT... OUTPUT, see usage forms")
    page_flags(p)
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
    add_ocrmypdf_flags(p)
    p.add_argument("--version", action="version", version=f"ocr-pdf {__version__}")
    return p


def page_flags(p: argparse.ArgumentParser) -> None:
    """--jobs, the pages flags and the inputs flags, shared by local runs and ``enqueue``."""
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        help="pages read at once (default: the engine's own: several for a service, which "
        "waits on the network; as many as the cores allow for a local engine)",
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
        "-f",
        "--force-ocr",
        action="store_true",
        help="OCR pages that already have text too, adding a layer over theirs (default: "
        "leave them alone)",
    )
    modes.add_argument(
        "--redo-ocr",
        action="store_true",
        help="remove an earlier invisible "
        "OCR layer (ours or another tool's) and OCR those pages again",
    )
    add_rotate_and_recursive(p, pages)
    p.add_argument(
        "--image-dpi",
        type=float,
        metavar="DPI",
        help="resolution of input images that do not say theirs (JPEG, PNG, TIFF inputs)",
    )


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
