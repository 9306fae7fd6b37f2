"""The ``ocr-pdf`` command: a thin shell over the library that parses arguments, configures
logging and maps every failure to one line and an exit code. Only this package prints or
exits."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence

from ocr_pdf.cli.arguments import build_parser, normalise_verbosity
from ocr_pdf.cli.convert import run_convert
from ocr_pdf.cli.enqueue import run_enqueue
from ocr_pdf.cli.tool_arguments import (
    build_enqueue_parser,
    build_preview_parser,
    build_serve_parser,
)
from ocr_pdf.cli.tools import run_preview, run_serve
from ocr_pdf.errors import ExitCode, OcrPdfError

__all__ = ["main", "run"]

log = logging.getLogger("ocr_pdf")

Command = Callable[[argparse.Namespace], int]
CLOSED_PIPE = ExitCode.closed_pipe
"""The exit status of a Unix tool whose reader went away (128 + SIGPIPE)."""
SUBCOMMANDS: dict[str, tuple[Callable[[], argparse.ArgumentParser], Command]] = {
    "preview": (build_preview_parser, run_preview),
    "serve": (build_serve_parser, run_serve),
    "enqueue": (build_enqueue_parser, run_enqueue),
}


def _configure_logging(verbose: int, quiet: bool) -> None:
    """Our messages at WARNING (ERROR with -q, DEBUG with -v); other libraries' only with -v,
    at INFO (DEBUG with -v 2), so that urllib3's retry notices do not clutter a normal run."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("ocr-pdf: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose >= 2 else logging.INFO if verbose else logging.ERROR)
    log.setLevel(logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: sys.argv[1:]) and return its exit code.

    SIGTERM is handled like Ctrl-C: the run stops, the pages already read stay in the cache,
    and no partial output is left. ``preview``, ``serve`` and ``enqueue`` as the first argument
    select those commands (a file of that name is ``./serve``)."""
    words = list(sys.argv[1:] if argv is None else argv)
    command = words[0] if words and words[0] in SUBCOMMANDS else None
    build, run = SUBCOMMANDS[command] if command else (build_parser, run_convert)
    try:
        args = build().parse_args(normalise_verbosity(words[1:] if command else words))
    except SystemExit as exc:
        return int(exc.code or 0)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        _configure_logging(args.verbose, args.quiet)
        return _guarded(args, run)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _guarded(args: argparse.Namespace, run: Command) -> int:
    """``run(args)``, with every failure turned into one line and its exit code."""
    try:
        return run(args)
    except BrokenPipeError:
        # The reader of standard output went away (`ocr-pdf in.pdf - | head -c 10`): end
        # quietly as any Unix tool does, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return CLOSED_PIPE
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


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
