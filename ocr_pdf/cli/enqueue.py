"""``ocr-pdf enqueue INPUT... OUTDIR``: one cluster task per file, their ids, and with --wait
their progress and an exit code as a local run would give."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ocr_pdf import shared_state
from ocr_pdf.cli.arguments import options_from
from ocr_pdf.cli.convert import closing_line, convert_each, naming
from ocr_pdf.cli.ocrmypdf_flags import check_ocrmypdf_flags, check_short_r
from ocr_pdf.errors import BadArgumentsError, ConfigurationError, ExitCode
from ocr_pdf.steps.inputs import into_folder


def _pairs(args: argparse.Namespace) -> tuple[list[tuple[Path, Path | None]], int]:
    if len(args.paths) < 2:
        raise BadArgumentsError("give INPUT... and OUTDIR")
    if "-" in args.paths:
        raise BadArgumentsError("enqueue sends files the workers can read, not - (stdin/stdout)")
    *inputs, outdir = (Path(p).absolute() for p in args.paths)
    if outdir.exists() and not outdir.is_dir():
        raise BadArgumentsError(f"{outdir}: OUTDIR must be a folder")
    check_short_r(args, inputs)
    return into_folder(inputs, outdir, args.recursive)


def run_enqueue(args: argparse.Namespace) -> int:
    """Submit (or, with --dry-run, only estimate here) each file; with --wait, follow them."""
    if not shared_state.redis_url():
        raise ConfigurationError(
            f"enqueue sends files to a cluster: set {shared_state.ENV} to its Redis "
            "(e.g. redis://host:6379/0)"
        )
    pairs, unsearched = _pairs(args)
    check_ocrmypdf_flags(args)
    options = options_from(args)
    if args.split_pages < 0:
        raise BadArgumentsError(f"--split-pages {args.split_pages} must be 0 or more")
    if options.dry_run:  # here, against the cluster's cache: nothing is sent
        return convert_each(pairs, options, args, unsearched)
    try:
        from ocr_pdf.cluster import client
    except ImportError as exc:  # the cluster extra is not installed
        if exc.name and exc.name.startswith("ocr_pdf"):
            raise
        raise shared_state.missing_extra("cluster", exc.name) from None
    batch = client.submit(pairs, options, split_pages=args.split_pages)
    for item in batch.submitted:
        print(f"{item.task_id}\t{item.input}", flush=True)
    if not args.wait:
        return ExitCode.ok
    outcomes = batch.wait(_Reporter(not args.quiet))
    failed = [(o.input, o.error) for o in outcomes if o.error is not None]
    for src, error in failed:
        print(f"ocr-pdf: error: {naming(error, src)}", file=sys.stderr)
    if not args.quiet:
        done = len(outcomes) - len(failed)
        print(closing_line(False, done, len(outcomes), len(failed), 0), file=sys.stderr)
    return failed[0][1].exit_code if failed else ExitCode.ok


class _Reporter:
    """Progress on stderr: rewritten in place on a terminal, else a line when it changes."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.last = ""

    def __call__(self, state: Any) -> None:
        if not self.enabled:
            return
        line = (
            f"{state.documents_done}/{state.documents} documents, {state.pages_done}/"
            f"{state.pages} pages, {state.pages_per_second:.1f} pages/s"
        )
        if line.split(",")[:2] == self.last.split(",")[:2] and not self.tty:
            return
        self.last = line
        end = "" if self.tty and state.documents_done < state.documents else "\n"
        print(("\r" if self.tty else "") + "ocr-pdf: " + line, end=end, file=sys.stderr)
