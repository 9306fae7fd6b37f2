"""The ``ocr-pdf`` command: arguments, logging, progress and exit codes over the library."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence

from ocr_pdf import __version__
from ocr_pdf.engines import available_engines
from ocr_pdf.errors import ExitCode, OcrPdfError
from ocr_pdf.pipeline import make_searchable

log = logging.getLogger("ocr_pdf")

EPILOG = """\
environment:
  AZURE_VISION_ENDPOINT  Azure AI Vision endpoint, e.g. https://NAME.cognitiveservices.azure.com
  AZURE_VISION_KEY       one of the resource's keys (never passed on the command line)

exit codes:
  0 ok, 1 bad arguments, 2 input file error, 3 missing dependency, 4 output invalid,
  5 file access error, 7 OCR engine or service error, 8 encrypted PDF,
  9 invalid configuration (endpoint, key, language, API version), 15 other error,
  130 interrupted
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(ExitCode.bad_args, f"ocr-pdf: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="ocr-pdf",
        description="Make a scanned PDF searchable: add an invisible text layer, keep the pages.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", metavar="INPUT", help="the scanned PDF (never modified)")
    p.add_argument("output", metavar="OUTPUT", help="where to write the searchable PDF")
    p.add_argument(
        "--engine",
        help=f"OCR engine: {', '.join(available_engines())} "
        "(default: azure-ocr when AZURE_VISION_ENDPOINT is set, else local when installed)",
    )
    p.add_argument("--endpoint", help="Azure endpoint URL (default: $AZURE_VISION_ENDPOINT)")
    p.add_argument("--api-version", help="azure-ocr API version: v3.2 (default), v3.1, v2.1, v2.0")
    p.add_argument("--model-version", help="azure-read/azure-vision model version (default latest)")
    p.add_argument("--reading-order", choices=("basic", "natural"), help="azure-read reading order")
    p.add_argument("-l", "--language", help="language of the text (azure-ocr: unk = detect)")
    p.add_argument(
        "--dpi",
        type=float,
        help="resolution pages are rendered at for OCR (default: 300 for Azure; the scan's "
        "own, within 150 to 400, for local engines)",
    )
    p.add_argument("--pages", help="pages to OCR, e.g. 1-3,7 (others are copied untouched)")
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        help="pages read at once (default: the engine's: 4 for Azure, 1 for local, "
        "the number of cores for tesseract)",
    )
    p.add_argument(
        "--rotate-pages",
        action="store_true",
        help="turn pages whose text is sideways or upside down upright "
        "(sets /Rotate; the content is untouched)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds to wait for each service call (default 60)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    p.add_argument("-v", "--verbose", action="store_true", help="print details and tracebacks")
    p.add_argument("--version", action="version", version=f"ocr-pdf {__version__}")
    return p


def _configure_logging(verbose: bool, quiet: bool) -> None:
    """Our messages at WARNING (ERROR with -q, DEBUG with -v); other libraries' only with -v,
    at INFO, so that urllib3's retry notices do not clutter a normal run."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("ocr-pdf: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.ERROR)
    log.setLevel(logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: sys.argv[1:]) and return its exit code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    _configure_logging(args.verbose, args.quiet)
    try:
        result = make_searchable(
            args.input,
            args.output,
            engine=args.engine,
            language=args.language,
            endpoint=args.endpoint,
            api_version=args.api_version,
            model_version=args.model_version,
            reading_order=args.reading_order,
            dpi=args.dpi,
            pages=args.pages,
            jobs=args.jobs,
            rotate_pages=args.rotate_pages,
            timeout=args.timeout,
        )
    except KeyboardInterrupt:
        print("ocr-pdf: interrupted; no output was written", file=sys.stderr)
        return ExitCode.ctrl_c
    except OcrPdfError as err:
        if args.verbose:
            traceback.print_exc()
        print(f"ocr-pdf: error: {err}", file=sys.stderr)
        return err.exit_code
    except Exception as err:  # a bug of ours: say so in one line, details with -v
        if args.verbose:
            traceback.print_exc()
        print(
            f"ocr-pdf: internal error: {err.__class__.__name__}: {err} "
            "(rerun with -v for details and report it)",
            file=sys.stderr,
        )
        return ExitCode.other_error
    if not args.quiet:
        words = sum(p.words for p in result.pages)
        skipped = len(result.pages) - result.pages_ocred
        print(
            f"{result.output}: {result.pages_ocred} page(s) OCRed, {skipped} copied untouched, "
            f"{words} words, {result.seconds:.1f} s",
            file=sys.stderr,
        )
    return ExitCode.ok


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
