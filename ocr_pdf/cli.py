"""The ``ocr-pdf`` command: arguments, logging, progress and exit codes over the library."""

from __future__ import annotations

import argparse
import logging
import shutil
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ocr_pdf import __version__
from ocr_pdf.engines import available_engines
from ocr_pdf.errors import BadArgumentsError, ExitCode, FileAccessError, OcrPdfError
from ocr_pdf.pipeline import ConversionResult, make_searchable

log = logging.getLogger("ocr_pdf")

EPILOG = """\
usage forms:
  ocr-pdf [options] INPUT OUTPUT            one file (- for stdin / stdout)
  ocr-pdf [options] INPUT... FOLDER         several files, or folders of PDFs, into a folder
  ocr-pdf [options] --in-place FILE...      replace each file atomically (consume hooks)
  ocr-pdf preview INPUT --page N -o P.png   draw the words the OCR finds on one page
  ocr-pdf serve [--host H] [--port P]       an Azure-compatible OCR endpoint, offline

environment:
  AZURE_VISION_ENDPOINT  Azure AI Vision endpoint, e.g. https://NAME.cognitiveservices.azure.com
  AZURE_VISION_KEY       one of the resource's keys (never passed on the command line)
  AZURE_VISION_KEY_FILE  or a file holding it (a container secret)
  OCR_PDF_CACHE_DIR      where OCR results are cached (default: the user cache folder)

exit codes:
  0 ok, 1 bad arguments, 2 input file error (also: signed, see
  --invalidate-digital-signatures), 3 missing dependency, 4 output invalid,
  5 file access error, 7 OCR engine or service error, 8 encrypted PDF,
  9 invalid configuration (endpoint, key, language, API version), 15 other error,
  130 interrupted; with several files, the code of the first that failed
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(ExitCode.bad_args, f"ocr-pdf: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="ocr-pdf",
        description="Make scanned PDFs searchable: add an invisible text layer, keep the pages.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="INPUT... OUTPUT, see usage forms")
    engine = p.add_argument_group("engine")
    engine.add_argument(
        "--engine",
        help=f"OCR engine: {', '.join(available_engines())} (default: azure when "
        "AZURE_VISION_ENDPOINT is set, else local when installed)",
    )
    engine.add_argument("--endpoint", help="Azure endpoint URL (default: $AZURE_VISION_ENDPOINT)")
    engine.add_argument(
        "--api-version", help="azure-ocr API version: v3.2 (default), v3.1, v2.1, v2.0"
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
        "-j",
        "--jobs",
        type=int,
        help="pages read at once (default: the engine's: 6 for Azure, 16 for azure-read and "
        "azure-di, 1 for local, the number of cores for tesseract)",
    )
    pages = p.add_argument_group("pages")
    pages.add_argument("--pages", help="pages to OCR, e.g. 1-3,7 (others are copied untouched)")
    pages.add_argument(
        "--dpi",
        type=float,
        help="rendering resolution for OCR (default: 300 "
        "for Azure; the scan's own, within 150 to 400, for local engines)",
    )
    modes = pages.add_mutually_exclusive_group()
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
    out = p.add_argument_group("output")
    out.add_argument("--in-place", action="store_true", help="replace each input atomically")
    out.add_argument(
        "--sidecar", metavar="FILE", help="also write the text (pages separated by form feeds)"
    )
    out.add_argument(
        "--ocr-json",
        metavar="FILE",
        help="also write the OCR results as JSON; with --engine replay, read them back instead",
    )
    out.add_argument(
        "--cache-dir",
        help="folder of the OCR cache (default: $OCR_PDF_CACHE_DIR or the user cache folder)",
    )
    out.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    out.add_argument(
        "--invalidate-digital-signatures",
        action="store_true",
        help="OCR a signed PDF anyway (its signature will no longer verify)",
    )
    _common(p)
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


@contextmanager
def _progress(enabled: bool, label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal (pages done of total, pages/s, ETA), nothing otherwise."""
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    bar: Any = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            # Pages take seconds: redraw on every one (mininterval 0), not every 0.1 s.
            bar = tqdm(
                total=total, desc=label, unit="page", leave=False, file=sys.stderr, mininterval=0
            )
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()


def _jobs(args: argparse.Namespace) -> list[tuple[Path, Path | None]]:
    """(input, output) pairs from the positional paths; output None means in place."""
    paths = [Path(p) for p in args.paths]
    if args.in_place:
        if any(str(p) == "-" for p in paths):
            raise BadArgumentsError("--in-place needs files, not -")
        return [(p, None) for p in paths]
    if len(paths) < 2:
        raise BadArgumentsError("give INPUT and OUTPUT (or --in-place FILE...)")
    *inputs, target = paths
    batch = len(inputs) > 1 or inputs[0].is_dir()
    if not batch:
        return [(inputs[0], target)]
    if str(target) == "-" or (target.exists() and not target.is_dir()):
        raise BadArgumentsError(f"{target}: with several inputs, OUTPUT must be a folder")
    files: list[Path] = []
    for item in inputs:
        if item.is_dir():
            files.extend(sorted(f for f in item.iterdir() if f.suffix.lower() == ".pdf"))
        else:
            files.append(item)
    if not files:
        raise BadArgumentsError("no PDF files among the inputs")
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise BadArgumentsError("two inputs have the same file name; the outputs would collide")
    target.mkdir(parents=True, exist_ok=True)
    return [(f, target / f.name) for f in files]


def _convert(
    args: argparse.Namespace, src: Path, dst: Path | None, progress: Any
) -> ConversionResult:
    """One conversion; ``-`` as input spools stdin to a file, as output writes to stdout."""
    with tempfile.TemporaryDirectory(prefix="ocr-pdf-") as spool:
        if str(src) == "-":
            src = Path(spool) / "stdin.pdf"
            with src.open("wb") as f:
                shutil.copyfileobj(sys.stdin.buffer, f)
        to_stdout = dst is not None and str(dst) == "-"
        target = Path(spool) / "stdout.pdf" if to_stdout else dst
        result = make_searchable(
            src,
            target,
            engine=args.engine,
            language=args.language,
            endpoint=args.endpoint,
            api_version=args.api_version,
            model_version=args.model_version,
            reading_order=args.reading_order,
            rate=args.rate,
            dpi=args.dpi,
            pages=args.pages,
            jobs=args.jobs,
            mode="force" if args.force_ocr else "redo" if args.redo_ocr else "skip",
            rotate_pages=args.rotate_pages,
            cache=False if args.no_cache else (args.cache_dir or True),
            sidecar=args.sidecar,
            ocr_json=None if args.engine == "replay" else args.ocr_json,
            source=args.ocr_json if args.engine == "replay" else None,
            in_place=dst is None,
            invalidate_signatures=args.invalidate_digital_signatures,
            timeout=args.timeout,
            progress=progress,
        )
        if to_stdout and target is not None:
            with target.open("rb") as f:
                shutil.copyfileobj(f, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        return result


def _summary(result: ConversionResult, name: str) -> str:
    had = sum(p.status == "has-text" for p in result.pages)
    skipped = sum(p.status == "skipped" for p in result.pages)
    words = sum(p.words for p in result.pages)
    return (
        f"{name}: {result.pages_ocred} page(s) OCRed ({result.pages_from_cache} from cache), "
        f"{had} already had text, {skipped} not selected; {words} words, {result.calls} "
        f"call(s), {result.seconds:.1f} s"
    )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    p.add_argument("-v", "--verbose", action="store_true", help="print details and tracebacks")


def build_preview_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="ocr-pdf preview",
        description="Draw one page with every recognised word's box and text (uses the cache).",
    )
    p.add_argument("input", metavar="INPUT", help="the PDF")
    p.add_argument("--page", type=int, default=1, help="page number, from 1 (default 1)")
    p.add_argument(
        "-o", "--output", help="the PNG to write (default: INPUT's name with -pN-preview.png)"
    )
    p.add_argument("--engine", help=f"OCR engine: {', '.join(available_engines())}")
    p.add_argument("--endpoint", help="Azure endpoint URL (default: $AZURE_VISION_ENDPOINT)")
    p.add_argument("-l", "--language", help="language of the text")
    p.add_argument("--dpi", type=float, help="rendering resolution (default: as a conversion)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per service call")
    p.add_argument("--cache-dir", help="folder of the OCR cache")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    _common(p)
    return p


def build_serve_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="ocr-pdf serve",
        description="Answer Azure AI Vision's OCR requests (legacy /ocr, Read 3.2, Image "
        "Analysis 4.0 read) with a local engine, so scripts written for Azure run offline. "
        "Set OCR_PDF_SERVE_KEY to require that key in Ocp-Apim-Subscription-Key.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default loopback)")
    p.add_argument("--port", type=int, default=5000, help="port (default 5000; 0 = any free)")
    p.add_argument("--engine", default=None, help="local engine: local (default) or tesseract")
    p.add_argument("-l", "--language", help="language of the text (tesseract codes)")
    _common(p)
    return p


SUBCOMMANDS: dict[str, Callable[[], argparse.ArgumentParser]] = {
    "preview": build_preview_parser,
    "serve": build_serve_parser,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: sys.argv[1:]) and return its exit code.

    SIGTERM is handled like Ctrl-C: the run stops, the pages already read stay in the cache,
    and no partial output is left. ``preview`` and ``serve`` as the first argument select
    those commands (a file of that name is ``./serve``)."""
    words = list(sys.argv[1:] if argv is None else argv)
    command = words[0] if words and words[0] in SUBCOMMANDS else None
    parser = SUBCOMMANDS[command]() if command else build_parser()
    try:
        args = parser.parse_args(words[1:] if command else words)
    except SystemExit as exc:
        return int(exc.code or 0)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        _configure_logging(args.verbose, args.quiet)
        run = {"preview": _preview, "serve": _serve}.get(command or "", _main)
        return _guarded(args, run)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _guarded(args: argparse.Namespace, run: Callable[[argparse.Namespace], int]) -> int:
    """``run(args)``, with every failure turned into one line and its exit code."""
    try:
        return run(args)
    except KeyboardInterrupt:
        print("ocr-pdf: interrupted; no partial output was left", file=sys.stderr)
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


def _preview(args: argparse.Namespace) -> int:
    from ocr_pdf.preview import preview

    src = Path(args.input)
    out = Path(args.output) if args.output else Path(f"{src.stem}-p{args.page}-preview.png")
    text, cached = preview(
        src,
        out,
        args.page,
        engine=args.engine,
        language=args.language,
        endpoint=args.endpoint,
        dpi=args.dpi,
        cache=False if args.no_cache else (args.cache_dir or True),
        timeout=args.timeout,
    )
    if not args.quiet:
        source = "from the cache" if cached else "read now"
        print(f"{out}: page {args.page}, {len(text.words)} words ({source})", file=sys.stderr)
    return ExitCode.ok


def _serve(args: argparse.Namespace) -> int:
    import os

    from ocr_pdf.engines import EngineConfig, get_engine, local_engine_installed
    from ocr_pdf.server import make_server

    name = args.engine or ("local" if local_engine_installed() else "tesseract")
    if name.startswith("azure") or name == "replay":
        raise BadArgumentsError(f"serve --engine {name}: use a local engine (local, tesseract)")
    engine = get_engine(name, EngineConfig.from_environment(language=args.language))
    key = os.environ.get("OCR_PDF_SERVE_KEY") or None
    try:
        server = make_server(engine, args.host, args.port, key)
    except OSError as exc:
        raise FileAccessError(
            f"cannot listen on {args.host}:{args.port} ({exc.strerror})"
        ) from None
    if not key and args.host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("listening on %s without a key: set OCR_PDF_SERVE_KEY", args.host)
    print(
        f"ocr-pdf: serving Azure-compatible OCR at {server.url} with the {name} engine"
        + (" (key required)" if key else "")
        + "; Ctrl-C stops",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("ocr-pdf: stopped", file=sys.stderr)
    finally:
        server.server_close()
    return ExitCode.ok


def _main(args: argparse.Namespace) -> int:
    show_progress = not args.quiet and sys.stderr.isatty()
    failures: list[tuple[Path, OcrPdfError | Exception]] = []
    done = 0
    pairs = _jobs(args)
    if len(pairs) > 1 and (args.sidecar or args.ocr_json):
        raise BadArgumentsError("--sidecar and --ocr-json take one input file")
    for src, dst in pairs:
        try:
            with _progress(show_progress, src.name) as progress:
                result = _convert(args, src, dst, progress)
            done += 1
            if not args.quiet:
                name = "stdout" if dst is not None and str(dst) == "-" else str(result.output)
                print(_summary(result, name), file=sys.stderr)
        except OcrPdfError as err:
            if len(pairs) == 1:
                raise
            if args.verbose:
                traceback.print_exc()
            print(f"ocr-pdf: error: {err}", file=sys.stderr)
            failures.append((src, err))
    if len(pairs) > 1 and not args.quiet:
        print(
            f"ocr-pdf: {done} of {len(pairs)} file(s) converted, {len(failures)} failed",
            file=sys.stderr,
        )
    if failures:
        first = failures[0][1]
        return first.exit_code if isinstance(first, OcrPdfError) else ExitCode.other_error
    return ExitCode.ok


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
